"""The dashboard over HTTP, in process: who may use it, what it shows, and that it acts by the API's rules."""

from __future__ import annotations

import io
import json
from collections.abc import Callable, Iterator

import openai
import pytest
from starlette.testclient import TestClient

from emulator import Settings, create_app
from emulator.dashboard.chart import loss_chart
from emulator.dashboard.jobs import PAGE_SIZE
from emulator.domain.jobs import Job

KEY = "sk-pages-0123456789abcdef"
LOOPBACK = ("127.0.0.1", 50000)
HX = {"hx-request": "true"}


def _examples(n: int) -> bytes:
    rows = [
        {"messages": [{"role": "user", "content": f"q{i}"}, {"role": "assistant", "content": f"a{i}"}]}
        for i in range(n)
    ]
    return "\n".join(json.dumps(r) for r in rows).encode()


@pytest.fixture
def http() -> Iterator[TestClient]:
    with TestClient(create_app(Settings()), client=LOOPBACK) as client:
        yield client


@pytest.fixture
def sdk(http: TestClient) -> openai.OpenAI:
    return openai.OpenAI(base_url="http://testserver/v1", api_key=KEY, http_client=http)


def _org(http: TestClient) -> str:
    (tenant,) = http.get("/_emulator/tenants").json()["data"]
    return str(tenant["organization"])


def _job(sdk: openai.OpenAI, suffix: str = "s") -> str:
    training = sdk.files.create(file=("t.jsonl", io.BytesIO(_examples(10))), purpose="fine-tune")
    return sdk.fine_tuning.jobs.create(
        training_file=training.id, model="gpt-4o-mini-2024-07-18", suffix=suffix
    ).id


def test_tenants_endpoint_lists_organizations_with_masked_keys_and_counts(
    http: TestClient, sdk: openai.OpenAI
) -> None:
    assert http.get("/_emulator/tenants").json() == {"object": "list", "data": []}
    _job(sdk)
    (tenant,) = http.get("/_emulator/tenants").json()["data"]
    assert tenant["api_keys"] == ["sk-pages" + "*" * (len(KEY) - 12) + "cdef"]
    assert tenant["counts"] == {"files": 1, "uploads": 0, "jobs": 1, "models": 0, "stored_completions": 0}
    assert tenant["name"] == sdk.models.with_raw_response.list().headers["openai-organization"]


def test_remote_clients_are_refused_without_a_control_key() -> None:
    with TestClient(create_app(Settings()), client=("192.0.2.7", 4000)) as remote:
        refused = remote.get("/dashboard/")
    assert refused.status_code == 403
    assert "loopback clients only" in refused.text


def test_remote_clients_get_in_with_the_control_key_once() -> None:
    with TestClient(create_app(Settings(control_key="s3cret")), client=("192.0.2.7", 4000)) as remote:
        assert remote.get("/dashboard/", params={"key": "wrong"}).status_code == 403
        entered = remote.get("/dashboard/journal", params={"key": "s3cret"}, follow_redirects=False)
        assert entered.status_code == 303
        assert entered.headers["location"].endswith("/dashboard/journal")
        assert remote.get("/dashboard/journal").status_code == 200  # the cookie carries the key from now on
    with TestClient(create_app(Settings(control_key="s3cret")), client=("192.0.2.7", 4000)) as scripted:
        assert scripted.get("/dashboard/").status_code == 403
        assert scripted.get("/dashboard/", headers={"x-emulator-control-key": "s3cret"}).status_code == 200


def test_actions_must_come_from_the_page_itself(http: TestClient) -> None:
    before = http.get("/_emulator/clock").json()["now"]
    assert http.post("/dashboard/clock/advance", data={"duration": "1h"}).status_code == 403
    forged = http.post(
        "/dashboard/clock/advance", data={"duration": "1h"}, headers={"origin": "http://evil.test"}
    )
    assert forged.status_code == 403
    assert http.get("/_emulator/clock").json()["now"] == before
    same_site = http.post(
        "/dashboard/clock/advance", data={"duration": "1h"}, headers={"origin": "http://testserver"}
    )
    assert same_site.status_code == 200
    assert http.get("/_emulator/clock").json()["now"] == before + 3600


def test_clock_runs_again_from_where_it_was_paused(http: TestClient) -> None:
    start = http.get("/_emulator/clock").json()["now"]
    assert http.post("/dashboard/clock/advance", data={"duration": "2h"}, headers=HX).status_code == 200
    http.post("/dashboard/clock", data={"mode": "real", "speed": "60"}, headers=HX)
    running = http.get("/_emulator/clock").json()
    assert (running["mode"], running["speed"]) == ("real", 60)
    assert start + 7200 <= running["now"] < start + 7200 + 3600  # not the wall clock's date
    paused = http.post("/dashboard/clock", data={"mode": "virtual"}, headers=HX)
    assert "paused" in paused.text
    assert http.get("/_emulator/clock").json()["mode"] == "virtual"


def test_bad_durations_and_speeds_are_explained_not_applied(http: TestClient) -> None:
    before = http.get("/_emulator/clock").json()["now"]
    bad = http.post("/dashboard/clock/advance", data={"duration": "soon"}, headers=HX)
    assert bad.status_code == 200 and 'role="alert"' in bad.text
    assert (
        "Speed must be" in http.post("/dashboard/clock", data={"mode": "real", "speed": "0"}, headers=HX).text
    )
    assert http.get("/_emulator/clock").json() == {"now": before, "mode": "virtual", "speed": None}


def test_next_event_lands_on_the_jobs_next_status(http: TestClient, sdk: openai.OpenAI) -> None:
    job_id = _job(sdk)
    seen = [sdk.fine_tuning.jobs.retrieve(job_id).status]
    for _ in range(6):
        http.post("/dashboard/clock/advance", data={"to": "next"}, headers=HX)
        status = sdk.fine_tuning.jobs.retrieve(job_id).status
        if status != seen[-1]:
            seen.append(status)
    assert seen == ["validating_files", "queued", "running", "succeeded"]
    done = http.post("/dashboard/clock/advance", data={"to": "next"}, headers=HX)
    assert "nothing to advance to" in done.text


def test_refused_action_shows_the_api_message_and_changes_nothing(
    http: TestClient, sdk: openai.OpenAI
) -> None:
    job_id = _job(sdk)
    org = _org(http)
    with pytest.raises(openai.BadRequestError) as api_refusal:
        sdk.fine_tuning.jobs.pause(job_id)
    page = http.post(f"/dashboard/o/{org}/jobs/{job_id}/pause", headers=HX)
    assert page.status_code == 200
    assert api_refusal.value.body["message"] in page.text  # type: ignore[index]
    assert sdk.fine_tuning.jobs.retrieve(job_id).status == "validating_files"
    cancelled = http.post(f"/dashboard/o/{org}/jobs/{job_id}/cancel", headers=HX)
    assert 'data-status="cancelled"' in cancelled.text
    assert sdk.fine_tuning.jobs.retrieve(job_id).status == "cancelled"


def test_failed_job_shows_the_api_error(http: TestClient, sdk: openai.OpenAI) -> None:
    sdk.models.list()
    http.post("/_emulator/scenarios", json={"name": "job_fails_midway", "api_key": KEY})
    job_id = _job(sdk)
    http.post(f"/_emulator/jobs/{job_id}/run", json={"api_key": KEY})
    job = sdk.fine_tuning.jobs.retrieve(job_id)
    assert job.status == "failed" and job.error is not None
    page = http.get(f"/dashboard/o/{_org(http)}/jobs/{job_id}").text
    assert 'data-status="failed"' in page
    assert f"<strong>{job.error.code}</strong>: {job.error.message}" in page
    assert "Checkpoints appear when the job succeeds" in page


def test_job_events_page_like_the_api(http: TestClient, sdk: openai.OpenAI) -> None:
    job_id = _job(sdk)
    http.post(f"/_emulator/jobs/{job_id}/run", json={})
    api = sdk.fine_tuning.jobs.list_events(job_id, limit=50)
    assert api.has_more
    org = _org(http)
    first = http.get(f"/dashboard/o/{org}/jobs/{job_id}").text
    assert f"events_after={api.data[-1].id}" in first
    older = http.get(f"/dashboard/o/{org}/jobs/{job_id}/live", params={"events_after": api.data[-1].id}).text
    next_page = sdk.fine_tuning.jobs.list_events(job_id, limit=50, after=api.data[-1].id).data
    assert next_page[0].message in older and api.data[0].message not in older.split('id="job-events"')[1]


def test_unknown_ids_get_the_friendly_404(http: TestClient, sdk: openai.OpenAI) -> None:
    sdk.models.list()
    org = _org(http)
    for path in (
        f"/dashboard/o/{org}/jobs/ftjob-nope",
        f"/dashboard/o/{org}/files/file-nope",
        "/dashboard/o/org-x/jobs",
        "/dashboard/nowhere",
    ):
        response = http.get(path)
        assert response.status_code == 404, path
        assert response.headers["content-type"].startswith("text/html")
        assert "<h1>Not found</h1>" in response.text


def test_jobs_page_builds_only_one_page_of_rows(
    http: TestClient, sdk: openai.OpenAI, monkeypatch: pytest.MonkeyPatch
) -> None:
    ids = [_job(sdk, suffix=f"run-{i}") for i in range(PAGE_SIZE + 5)]
    rendered: list[str] = []
    original = Job.to_dict

    def counting(self: Job, now: float, *, stale: bool = False) -> dict[str, object]:
        rendered.append(self.id)
        return original(self, now, stale=stale)

    monkeypatch.setattr(Job, "to_dict", counting)
    org = _org(http)
    first = http.get(f"/dashboard/o/{org}/jobs")
    assert rendered == ids[::-1][:PAGE_SIZE]
    assert f"after={ids[5]}" in first.text
    rendered.clear()
    older = http.get(f"/dashboard/o/{org}/jobs/table", params={"after": ids[5]})
    assert rendered == ids[4::-1]
    assert "Older" not in older.text
    rendered.clear()
    found = http.get(f"/dashboard/o/{org}/jobs/table", params={"q": "RUN-7"})  # case-insensitive
    assert rendered == [ids[7]]
    assert ids[7] in found.text


def test_jobs_table_filters_by_status(http: TestClient, sdk: openai.OpenAI) -> None:
    keep, cancel = _job(sdk, "keep"), _job(sdk, "gone")
    sdk.fine_tuning.jobs.cancel(cancel)
    table = http.get(f"/dashboard/o/{_org(http)}/jobs/table", params={"status": "cancelled"}).text
    assert cancel in table and keep not in table


def test_file_preview_analyses_the_whole_file_and_shows_only_its_head(
    http: TestClient, sdk: openai.OpenAI
) -> None:
    big = sdk.files.create(file=("big.jsonl", io.BytesIO(_examples(500))), purpose="fine-tune")
    page = http.get(f"/dashboard/o/{_org(http)}/files/{big.id}")
    assert page.status_code == 200
    assert "No problems found" in page.text
    assert page.text.count('<code class="line">') == 20
    assert "<dt>Examples</dt><dd>500</dd>" in page.text
    download = http.get(f"/dashboard/o/{_org(http)}/files/{big.id}/content")
    assert download.content == sdk.files.content(big.id).content


def test_journal_keeps_small_json_answers_and_latency_but_the_control_api_stays_deterministic(
    http: TestClient, sdk: openai.OpenAI
) -> None:
    sdk.models.list()
    (entry,) = http.get("/_emulator/requests").json()["data"]
    assert "latency_ms" not in entry and "response" not in entry
    page = http.get("/dashboard/journal", params={"path": "/v1/models"}).text
    assert "gpt-4o-mini-2024-07-18" in page  # the response body, shown on click
    assert " ms</td>" in page


def test_loss_chart_scales_every_point_into_the_plot() -> None:
    metrics = [{"step": k, "train_loss": 2.0 / k, "valid_loss": 2.5 / k} for k in range(1, 41)]
    chart = loss_chart(metrics, total_steps=40)
    train, valid = chart.series
    assert len(train.points) == len(valid.points) == 40
    xs = [x for x, _ in train.points]
    ys = [y for _, y in train.points + valid.points]
    assert xs == sorted(xs) and xs[0] == chart.left and xs[-1] == chart.width - 16
    assert all(12 <= y <= chart.height - 28 for y in ys)
    assert chart.x_ticks[0][1] == 1 and chart.x_ticks[-1][1] <= 40


def test_file_analysis_runs_off_the_event_loop(
    http: TestClient, sdk: openai.OpenAI, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The whole-file analysis goes to a worker thread, so a big file does not stall other requests."""
    from starlette.concurrency import run_in_threadpool as original

    calls: list[str] = []

    async def spy(func: Callable[..., object], *args: object) -> object:
        calls.append(getattr(func, "__name__", ""))
        return await original(func, *args)

    monkeypatch.setattr("emulator.dashboard.files.run_in_threadpool", spy)
    uploaded = sdk.files.create(file=("t.jsonl", io.BytesIO(_examples(10))), purpose="fine-tune")
    assert http.get(f"/dashboard/o/{_org(http)}/files/{uploaded.id}").status_code == 200
    assert calls == ["_preview"]
