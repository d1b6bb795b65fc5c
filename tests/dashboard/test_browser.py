"""The dashboard in a real headless Chromium against a running `emulator serve`: what the SDK does shows up,
and what the page does, the API reflects."""

from __future__ import annotations

import io
import json
import re

import openai
import pytest
from playwright.sync_api import Page, expect

from emulator.domain.tenancy import mask_key

from .conftest import Served, screenshot

pytestmark = pytest.mark.browser

KEY = "sk-alice-0123456789abcdef"
OTHER_KEY = "sk-bob-9876543210fedcba"
MODEL = "gpt-4o-mini-2024-07-18"


def _examples(n: int, tag: str = "") -> bytes:
    rows = [
        {
            "messages": [
                {"role": "user", "content": f"{tag}question {i}"},
                {"role": "assistant", "content": f"answer {i}"},
            ]
        }
        for i in range(n)
    ]
    return "\n".join(json.dumps(r) for r in rows).encode() + b"\n"


def _client(served: Served, key: str = KEY) -> openai.OpenAI:
    return openai.OpenAI(base_url=f"{served.url}/v1", api_key=key, max_retries=2)


def _job(client: openai.OpenAI, suffix: str = "demo", n: int = 12, validation: bool = True) -> str:
    training = client.files.create(file=("train.jsonl", io.BytesIO(_examples(n))), purpose="fine-tune")
    valid = None
    if validation:
        valid = client.files.create(
            file=("valid.jsonl", io.BytesIO(_examples(10, "v-"))), purpose="fine-tune"
        )
    job = client.fine_tuning.jobs.create(
        training_file=training.id, model=MODEL, suffix=suffix, validation_file=valid.id if valid else None
    )
    return job.id


def _org(served: Served, key: str = KEY) -> str:
    tenants = served.control("GET", "/tenants").json()["data"]
    (org,) = [t["organization"] for t in tenants if mask_key(key) in t["api_keys"]]
    return str(org)


def _advance_until(page: Page, status: str, limit: int = 12) -> None:
    """Press the page's 'Next event' button until the job's badge shows `status`; after each press, wait
    for the badge to show the step (the only job's next event changes its status), so a slow page is never
    pressed twice for one step."""
    badge = page.locator("#job-status")
    for _ in range(limit):
        shown = badge.get_attribute("data-status")
        if shown == status:
            return
        page.get_by_role("button", name="Next event").click()
        expect(badge).not_to_have_attribute("data-status", shown or "", timeout=15_000)
    expect(badge).to_have_attribute("data-status", status)


def test_banner_links_to_the_dashboard(fresh: Served) -> None:
    assert f"Dashboard:   {fresh.url}/dashboard/" in fresh.banner


def test_empty_dashboard_shows_the_sdk_snippet_and_unknown_ids_a_friendly_404(
    fresh: Served, page: Page
) -> None:
    page.goto(f"{fresh.url}/dashboard")
    expect(page.get_by_role("heading", name="No one has called the emulator yet")).to_be_visible()
    expect(page.locator("pre.snippet")).to_contain_text(f'base_url="{fresh.url}/v1"')
    screenshot(page, "01-empty")
    client = _client(fresh)
    client.models.list()
    page.goto(f"{fresh.url}/dashboard/o/{_org(fresh)}/jobs/ftjob-doesnotexist")
    expect(page.get_by_role("heading", name="Not found")).to_be_visible()
    expect(page.locator("#not-found-message")).to_have_text("No such fine-tuning job: ftjob-doesnotexist")
    page.goto(f"{fresh.url}/dashboard/no/such/page")
    expect(page.get_by_role("heading", name="Not found")).to_be_visible()


def test_sdk_job_appears_and_the_page_clock_runs_it_to_success_with_a_loss_chart(
    fresh: Served, page: Page
) -> None:
    client = _client(fresh)
    page.goto(f"{fresh.url}/dashboard/")
    expect(page.get_by_role("heading", name="No one has called the emulator yet")).to_be_visible()
    job_id = _job(client)
    page.goto(f"{fresh.url}/dashboard/")
    page.get_by_role(
        "link", name=client.models.with_raw_response.list().headers["openai-organization"]
    ).click()
    row = page.locator(f"tr[data-job-id='{job_id}']")
    expect(row).to_be_visible()
    expect(row.locator("[data-status]")).to_have_text("validating_files")
    expect(row).to_contain_text("demo")

    # The table follows the clock without a reload: advance by a duration from the clock bar.
    page.get_by_label("Advance by").fill("3h")
    page.get_by_role("button", name="Advance", exact=True).click()
    expect(row.locator("[data-status]")).to_have_text("succeeded")
    screenshot(page, "02-jobs")
    assert client.fine_tuning.jobs.retrieve(job_id).status == "succeeded"

    row.get_by_role("link", name=job_id).click()
    expect(page.locator("#job-status")).to_have_attribute("data-status", "succeeded")
    events = client.fine_tuning.jobs.list_events(job_id, limit=1000)
    metrics: list[dict[str, object]] = [
        e.data for e in events if e.type == "metrics" and isinstance(e.data, dict)
    ]
    total_steps = metrics[0]["total_steps"]
    assert len(metrics) == total_steps
    train = page.locator("#loss-chart polyline[data-series='train_loss']")
    expect(train).to_have_attribute("data-points", str(total_steps))
    valid = page.locator("#loss-chart polyline[data-series='valid_loss']")
    expect(valid).to_have_attribute("data-points", str(total_steps))
    epoch_ends = len([m for m in metrics if "full_valid_loss" in m])
    expect(page.locator("#loss-chart polyline[data-series='full_valid_loss']")).to_have_attribute(
        "data-points", str(epoch_ends)
    )
    job = client.fine_tuning.jobs.retrieve(job_id)
    expect(page.locator("#job-hyperparameters")).to_contain_text(str(job.hyperparameters.n_epochs))
    checkpoints = client.fine_tuning.jobs.checkpoints.list(job_id).data
    for checkpoint in checkpoints:
        expect(page.locator("#job-checkpoints")).to_contain_text(checkpoint.fine_tuned_model_checkpoint)
    newest = client.fine_tuning.jobs.list_events(job_id, limit=1).data[0]
    expect(page.locator("#job-events li").first).to_contain_text(newest.message)
    expect(page.locator("#job-timeline")).to_contain_text("queued")
    for button in ("Pause job", "Resume job", "Cancel job"):
        expect(page.get_by_role("button", name=button)).to_be_disabled()
    screenshot(page, "03-job-detail")


def test_pause_resume_and_cancel_from_the_page_are_what_the_api_sees(fresh: Served, page: Page) -> None:
    client = _client(fresh)
    job_id = _job(client, suffix="controls", n=40, validation=False)
    page.goto(f"{fresh.url}/dashboard/o/{_org(fresh)}/jobs/{job_id}")
    expect(page.get_by_role("button", name="Pause job")).to_be_disabled()
    _advance_until(page, "running")

    page.get_by_role("button", name="Pause job").click()
    expect(page.locator("#job-status")).to_have_attribute("data-status", "paused")
    assert str(client.fine_tuning.jobs.retrieve(job_id).status) == "paused"  # the SDK's types omit it
    expect(page.get_by_role("button", name="Pause job")).to_be_disabled()

    resume = page.get_by_role("button", name="Resume job")
    resume.focus()
    page.keyboard.press("Enter")  # keyboard-usable actions
    expect(page.locator("#job-status")).to_have_attribute("data-status", "queued")  # resumed jobs requeue
    assert client.fine_tuning.jobs.retrieve(job_id).status == "queued"
    _advance_until(page, "running")

    page.get_by_role("button", name="Cancel job").click()
    expect(page.locator("#job-status")).to_have_attribute("data-status", "cancelled")
    assert client.fine_tuning.jobs.retrieve(job_id).status == "cancelled"
    expect(page.get_by_role("button", name="Cancel job")).to_be_disabled()

    # A stale page that still sends 'pause' gets the API's own refusal, word for word.
    with pytest.raises(openai.BadRequestError) as refused:
        client.fine_tuning.jobs.pause(job_id)
    page.evaluate(
        "url => htmx.ajax('POST', url, {target: '#job-live', swap: 'outerHTML'})",
        f"/dashboard/o/{_org(fresh)}/jobs/{job_id}/pause",
    )
    expect(page.locator("#job-notice")).to_contain_text(refused.value.body["message"])  # type: ignore[index]
    assert client.fine_tuning.jobs.retrieve(job_id).status == "cancelled"


def test_file_preview_shows_validation_findings_and_token_counts(fresh: Served, page: Page) -> None:
    client = _client(fresh)
    bad = b'{"messages": [{"role": "user", "content": "hi"}]}\nnot json at all\n' + _examples(12)
    uploaded = client.files.create(file=("broken.jsonl", io.BytesIO(bad)), purpose="fine-tune")
    page.goto(f"{fresh.url}/dashboard/o/{_org(fresh)}/files")
    page.get_by_role("link", name=uploaded.id).click()
    expect(page.locator("#validation-verdict")).to_contain_text("2 problems found")
    problems = page.locator("#validation-problems tbody tr")
    expect(problems).to_have_count(2)
    expect(problems.nth(0).locator("td").first).to_have_text("1")
    expect(problems.nth(1).locator("td").first).to_have_text("2")
    expect(page.locator("#file-preview tbody tr").nth(1)).to_contain_text("not json at all")
    expect(page.locator("#file-preview tbody tr.has-problem")).to_have_count(2)
    token_cells = page.locator("#file-preview tbody tr:not(.has-problem) td.num:last-child")
    expect(token_cells.first).to_have_text(re.compile(r"^\d+$"))
    expect(page.locator("#token-stats")).to_contain_text("Examples")
    screenshot(page, "04-file-preview")
    with page.expect_download() as download:
        page.get_by_role("link", name="Download").first.click()
    assert download.value.suggested_filename == "broken.jsonl"


def test_playground_answers_like_the_api(fresh: Served, page: Page) -> None:
    client = _client(fresh)
    job_id = _job(client, suffix="chatty", validation=False)
    fresh.control("POST", f"/jobs/{job_id}/run", json={})
    model = client.fine_tuning.jobs.retrieve(job_id).fine_tuned_model
    assert model is not None
    expected = client.chat.completions.create(
        model=model, messages=[{"role": "user", "content": "question 3"}]
    )
    page.goto(f"{fresh.url}/dashboard/o/{_org(fresh)}/models")
    expect(page.locator("#fine-tuned-models")).to_contain_text(model)
    page.get_by_label("Model", exact=True).select_option(model)
    page.get_by_label("Message", exact=True).fill("question 3")
    page.get_by_role("button", name="Send").click()
    expect(page.locator("#playground-reply .bubble")).to_have_text(expected.choices[0].message.content or "")
    assert expected.usage is not None
    expect(page.locator("#playground-usage")).to_contain_text(f"= {expected.usage.total_tokens} tokens")
    screenshot(page, "05-models-playground")


def test_models_page_lists_an_azure_resources_deployments_and_their_state(fresh: Served, page: Page) -> None:
    azure_key = "azure-dashboard-key-0000"
    made = fresh.control("POST", "/azure/deployments", json={
        "api_key": azure_key, "name": "mini-prod", "model": "gpt-4o-mini", "sku": "globalstandard",
    }).json()
    fresh.control("POST", "/azure/deployments", json={
        "api_key": azure_key, "name": "mini-slow", "model": "gpt-4o-mini", "ready": False,
    })
    page.goto(f"{fresh.url}/dashboard/o/{made['organization']}/models")
    table = page.locator("#deployments")
    expect(table.locator("tr", has_text="mini-prod")).to_contain_text("gpt-4o-mini-2024-07-18")
    expect(table.locator("tr", has_text="mini-prod")).to_contain_text("globalstandard")
    expect(table.locator("tr", has_text="mini-prod").locator("td[data-state]")).to_have_text("Succeeded")
    expect(table.locator("tr", has_text="mini-slow").locator("td[data-state]")).to_have_text("Creating")
    fresh.control("POST", "/clock/advance", json={"duration": "1m"})
    page.reload()
    slow = page.locator("#deployments tr", has_text="mini-slow")
    expect(slow.locator("td[data-state]")).to_have_text("Succeeded")
    # an OpenAI organization has no deployments section
    openai_org = _org_of_new_tenant(fresh)
    page.goto(f"{fresh.url}/dashboard/o/{openai_org}/models")
    expect(page.locator("#fine-tuned-models, .empty-inline").first).to_be_visible()
    expect(page.locator("#dep-h")).to_have_count(0)


def _org_of_new_tenant(served: Served) -> str:
    _client(served).models.list()
    return _org(served)


def test_tenant_switch_shows_only_that_organizations_jobs(fresh: Served, page: Page) -> None:
    alice, bob = _client(fresh), _client(fresh, OTHER_KEY)
    alice_job, bob_job = (
        _job(alice, suffix="alice", validation=False),
        _job(bob, suffix="bob", validation=False),
    )
    page.goto(f"{fresh.url}/dashboard/o/{_org(fresh)}/jobs")
    expect(page.locator(f"tr[data-job-id='{alice_job}']")).to_be_visible()
    expect(page.locator(f"tr[data-job-id='{bob_job}']")).to_have_count(0)
    page.get_by_label("Organization").select_option(_org(fresh, OTHER_KEY))
    page.get_by_role("button", name="Switch").click()
    expect(page.locator(f"tr[data-job-id='{bob_job}']")).to_be_visible()
    expect(page.locator(f"tr[data-job-id='{alice_job}']")).to_have_count(0)
    assert _org(fresh, OTHER_KEY) in page.url
    page.get_by_label("Search").fill("nothing-like-this")
    expect(page.get_by_text("No jobs match these filters.")).to_be_visible()


def test_scenario_enabled_from_the_page_fires_and_the_journal_shows_it(fresh: Served, page: Page) -> None:
    client = _client(fresh)
    client.models.list()
    page.goto(f"{fresh.url}/dashboard/o/{_org(fresh)}/scenarios")
    expect(page.get_by_text("No scenario is active")).to_be_visible()
    page.get_by_role("button", name="Enable flaky_network").click()
    card = page.locator("article[data-scenario='flaky_network']")
    expect(card).to_be_visible()
    active = fresh.control("GET", "/scenarios", params={"organization": _org(fresh)}).json()["data"]
    assert [s["name"] for s in active] == ["flaky_network"]

    client.models.list()  # reset, 503, then success: the SDK's retries get through
    expect(card.locator("td[data-fired='1']")).to_have_count(3)
    screenshot(page, "06-scenarios")

    page.get_by_role("link", name="Journal").click()
    page.get_by_label("Status").fill("503")
    rows = page.locator("#journal-table tbody tr")
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text("flaky_network:overloaded")
    rows.first.locator("summary").click()
    expect(rows.first.locator(".bodies")).to_contain_text("overloaded")
    page.get_by_label("Status").fill("")
    expect(page.locator("#journal-table tbody tr")).to_have_count(4)
    screenshot(page, "07-journal")


UNLABELLED = """() => [...document.querySelectorAll('input:not([type=hidden]), select, textarea, button')]
    .filter(el => !(el.labels && el.labels.length))
    .filter(el => !el.getAttribute('aria-label') && !el.textContent.trim())
    .map(el => el.outerHTML)"""


def test_every_page_is_local_labelled_and_keyboard_reachable(fresh: Served, page: Page) -> None:
    client = _client(fresh)
    job_id = _job(client, suffix="a11y", validation=False)
    file_id = client.fine_tuning.jobs.retrieve(job_id).training_file
    org = _org(fresh)
    requested: list[str] = []
    page.on("request", lambda request: requested.append(request.url))
    paths = [
        "/",
        f"/o/{org}/jobs",
        f"/o/{org}/jobs/{job_id}",
        f"/o/{org}/files",
        f"/o/{org}/files/{file_id}",
        f"/o/{org}/models",
        f"/o/{org}/scenarios",
        "/journal",
    ]
    for path in paths:
        page.goto(f"{fresh.url}/dashboard{path}")
        expect(page.locator("main h1").first).to_be_visible()
        assert page.evaluate(UNLABELLED) == [], path
        assert page.locator("html").get_attribute("lang") == "en"
    assert requested and all(url.startswith(fresh.url) for url in requested)  # no CDN: works offline

    page.goto(f"{fresh.url}/dashboard/o/{org}/jobs")
    page.keyboard.press("Tab")
    expect(page.get_by_role("link", name="Skip to content")).to_be_focused()
    page.get_by_label("Advance by").focus()
    page.keyboard.press("Tab")
    expect(page.get_by_role("button", name="Advance", exact=True)).to_be_focused()
