"""Concurrent calls on one object end in a state some sequence of the same calls could have produced:
reads racing deletes, pause/resume/cancel on one job, parts racing completion, resets racing resets."""

from __future__ import annotations

import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from functools import partial

import httpx

from emulator import EmulatorServer
from emulator.domain.state import Emulator

from ..conftest import API_KEY
from .helpers import MB, training_jsonl, upload

MODEL = "gpt-4o-mini-2024-07-18"


def _client(server: EmulatorServer, key: str = API_KEY) -> httpx.Client:
    return httpx.Client(base_url=server.url, headers={"Authorization": f"Bearer {key}"}, timeout=60)


def _together(calls: list[Callable[[], httpx.Response]]) -> list[httpx.Response]:
    """Run the calls at once (released by one barrier) and return their responses in order."""
    barrier = threading.Barrier(len(calls))

    def run(call: Callable[[], httpx.Response]) -> httpx.Response:
        barrier.wait()
        return call()

    with ThreadPoolExecutor(len(calls)) as pool:
        return list(pool.map(run, calls))


def _no_server_errors(responses: list[httpx.Response]) -> None:
    for r in responses:
        assert r.status_code < 500, r.text
        if r.status_code >= 400:
            assert set(r.json()["error"]) == {"message", "type", "param", "code"}


def test_reading_content_while_deleting_gives_whole_bytes_or_404(
    server: EmulatorServer, emulator: Emulator
) -> None:
    contents = [training_jsonl(3 * MB), training_jsonl(20_000)]  # one spooled to disk, one in memory
    with _client(server) as http:
        for content in contents:
            for _ in range(3):
                file_id = upload(http, content)
                clients = [_client(server) for _ in range(7)]
                readers: list[Callable[[], httpx.Response]] = [
                    partial(c.get, f"/v1/files/{file_id}/content") for c in clients[:6]
                ]
                responses = _together([*readers, partial(clients[6].delete, f"/v1/files/{file_id}")])
                for c in clients:
                    c.close()
                _no_server_errors(responses)
                assert responses[-1].status_code == 200 and responses[-1].json()["deleted"] is True
                for r in responses[:-1]:
                    assert r.status_code in (200, 404), r.text
                    if r.status_code == 200:
                        assert r.content == content, "a download racing a delete must never be truncated"
                assert http.get(f"/v1/files/{file_id}/content").status_code == 404


def test_pause_resume_cancel_racing_on_one_job(server: EmulatorServer, emulator: Emulator) -> None:
    with _client(server) as http:
        file_id = upload(http, training_jsonl(20_000))
        for round_ in range(4):
            job = http.post("/v1/fine_tuning/jobs", json={"model": MODEL, "training_file": file_id}).json()
            run = http.post(f"/_emulator/jobs/{job['id']}/run", json={"until": "running"})
            assert run.status_code == 200 and run.json()["status"] == "running", run.text
            verbs = (
                ["pause", "resume", "cancel", "pause"]
                if round_ % 2
                else ["pause", "cancel", "resume", "pause"]
            )
            clients = [_client(server) for _ in verbs]
            responses = _together(
                [
                    partial(c.post, f"/v1/fine_tuning/jobs/{job['id']}/{v}")
                    for c, v in zip(clients, verbs, strict=True)
                ]
            )
            for c in clients:
                c.close()
            _no_server_errors(responses)
            cancelled = any(
                v == "cancel" and r.status_code == 200 for v, r in zip(verbs, responses, strict=True)
            )
            final = http.get(f"/v1/fine_tuning/jobs/{job['id']}").json()["status"]
            assert cancelled, "a cancel of a running or paused job always succeeds"
            assert final == "cancelled"
            events = http.get(f"/v1/fine_tuning/jobs/{job['id']}/events", params={"limit": 100}).json()[
                "data"
            ]
            ids = [e["id"] for e in events]
            assert len(ids) == len(set(ids))
            assert [e["created_at"] for e in events] == sorted(
                (e["created_at"] for e in events), reverse=True
            )
            assert events[0]["message"] == "Fine-tuning job cancelled"


def test_parts_racing_completion_end_as_some_order_would(server: EmulatorServer, emulator: Emulator) -> None:
    with _client(server) as http:
        for _ in range(4):
            upload_id = http.post(
                "/v1/uploads",
                json={"filename": "t.jsonl", "purpose": "fine-tune", "bytes": 8, "mime_type": "text/jsonl"},
            ).json()["id"]
            first = http.post(f"/v1/uploads/{upload_id}/parts", files={"data": ("p", b"abcd")}).json()["id"]
            second = http.post(f"/v1/uploads/{upload_id}/parts", files={"data": ("p", b"efgh")}).json()["id"]
            a, b = _client(server), _client(server)
            added, completed = _together(
                [
                    partial(a.post, f"/v1/uploads/{upload_id}/parts", files={"data": ("p", b"late")}),
                    partial(b.post, f"/v1/uploads/{upload_id}/complete", json={"part_ids": [first, second]}),
                ]
            )
            a.close()
            b.close()
            _no_server_errors([added, completed])
            assert completed.status_code == 200, completed.text
            assert added.status_code in (200, 400)
            file_id = completed.json()["file"]["id"]
            assert http.get(f"/v1/files/{file_id}/content").content == b"abcdefgh"
            assert http.get(f"/v1/uploads/{upload_id}/parts").status_code in (
                404,
                405,
            )  # no such listing route


def test_two_resets_at_once_leave_a_clean_emulator(server: EmulatorServer, emulator: Emulator) -> None:
    with _client(server) as http:
        for _ in range(3):
            for _ in range(3):
                upload(http, training_jsonl(2000))
            clients = [_client(server) for _ in range(4)]
            responses = _together(
                [
                    partial(clients[0].post, "/_emulator/reset"),
                    partial(clients[1].post, "/_emulator/reset"),
                    partial(clients[2].get, "/v1/files"),
                    partial(
                        clients[3].post,
                        "/v1/files",
                        data={"purpose": "fine-tune"},
                        files={"file": ("a.jsonl", b"{}\n")},
                    ),
                ]
            )
            for c in clients:
                c.close()
            _no_server_errors(responses)
            listed = http.get("/v1/files").json()["data"]
            assert len(listed) <= 1  # at most the upload that landed after both resets
            for f in listed:
                assert http.get(f"/v1/files/{f['id']}").status_code == 200
