"""Jobs, events and checkpoints walked page by page: newest first, exact `has_more`, working cursors."""

from __future__ import annotations

import httpx
import openai

from emulator.domain.state import Emulator

from .conftest import FOREVER, all_events, create


def test_event_pages_walk_every_event_once_newest_first(
    client: openai.OpenAI, http: httpx.Client, emulator: Emulator
) -> None:
    job = create(client)
    emulator.clock.advance(FOREVER)
    everything = all_events(client, job.id)
    assert len(everything) == 4 + 96 + 4
    walked = [e.id for e in client.fine_tuning.jobs.list_events(job.id, limit=7)]  # SDK auto-pagination
    assert walked == [e.id for e in reversed(everything)]
    page = http.get(f"/v1/fine_tuning/jobs/{job.id}/events", params={"limit": 3}).json()
    assert page["has_more"] is True and len(page["data"]) == 3
    after = http.get(
        f"/v1/fine_tuning/jobs/{job.id}/events", params={"after": page["data"][-1]["id"], "limit": 3}
    )
    assert [e["id"] for e in after.json()["data"]] == walked[3:6]
    oldest = http.get(
        f"/v1/fine_tuning/jobs/{job.id}/events", params={"after": walked[-4], "limit": 3}
    ).json()
    assert ([e["id"] for e in oldest["data"]], oldest["has_more"]) == (walked[-3:], False)


def test_default_event_page_is_twenty(http: httpx.Client, client: openai.OpenAI, emulator: Emulator) -> None:
    job = create(client)
    emulator.clock.advance(FOREVER)
    assert len(http.get(f"/v1/fine_tuning/jobs/{job.id}/events").json()["data"]) == 20


def test_event_cursor_from_another_job_gives_an_empty_page(client: openai.OpenAI, http: httpx.Client) -> None:
    one, two = create(client), create(client)
    foreign = client.fine_tuning.jobs.list_events(one.id).data[0].id
    for cursor in (foreign, "ftevent-nope", "ftevent-" + "A" * 24):
        body = http.get(f"/v1/fine_tuning/jobs/{two.id}/events", params={"after": cursor}).json()
        assert body == {"object": "list", "data": [], "has_more": False}


def test_events_seen_early_keep_their_ids(client: openai.OpenAI, emulator: Emulator) -> None:
    job = create(client)
    early = [e.id for e in client.fine_tuning.jobs.list_events(job.id)]
    emulator.clock.advance(FOREVER)
    later = [e.id for e in all_events(client, job.id)]
    assert later[: len(early)] == list(reversed(early))


def test_checkpoint_pages(client: openai.OpenAI, http: httpx.Client, emulator: Emulator) -> None:
    job = create(client)
    emulator.clock.advance(FOREVER)
    walked = [c.step_number for c in client.fine_tuning.jobs.checkpoints.list(job.id, limit=1)]
    assert walked == [96, 84, 72]
    first = http.get(f"/v1/fine_tuning/jobs/{job.id}/checkpoints", params={"limit": 2}).json()
    assert first["has_more"] is True
    assert (first["first_id"], first["last_id"]) == (first["data"][0]["id"], first["data"][1]["id"])
    rest = http.get(f"/v1/fine_tuning/jobs/{job.id}/checkpoints", params={"after": first["last_id"]}).json()
    assert [c["step_number"] for c in rest["data"]] == [72] and rest["has_more"] is False
    empty = http.get(f"/v1/fine_tuning/jobs/{job.id}/checkpoints", params={"after": "ftckpt_nope"}).json()
    assert empty == {"object": "list", "data": [], "first_id": None, "last_id": None, "has_more": False}


def test_job_list_is_newest_first_and_auto_paginates(
    client: openai.OpenAI, http: httpx.Client, emulator: Emulator
) -> None:
    ids = []
    for _ in range(5):
        ids.append(create(client).id)
        emulator.clock.advance(1)
    assert [j.id for j in client.fine_tuning.jobs.list(limit=2)] == list(reversed(ids))
    page = http.get("/v1/fine_tuning/jobs", params={"limit": 5}).json()
    assert page["has_more"] is False and set(page) == {"object", "data", "has_more"}


def test_job_list_filters_on_metadata(client: openai.OpenAI, http: httpx.Client) -> None:
    red = create(client, metadata={"color": "red"})
    blue = create(client, metadata={"color": "blue", "size": "s"})
    plain = create(client)
    assert [j.id for j in client.fine_tuning.jobs.list(metadata={"color": "blue"})] == [blue.id]
    assert [j.id for j in client.fine_tuning.jobs.list(metadata={"color": "red"})] == [red.id]
    nothing = http.get("/v1/fine_tuning/jobs", params={"metadata": "null"}).json()
    assert [j["id"] for j in nothing["data"]] == [plain.id]
