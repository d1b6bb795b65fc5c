from __future__ import annotations

import io

import httpx
import openai

from emulator import EmulatorServer
from emulator.domain.state import Emulator


def test_health(server: EmulatorServer, emulator: Emulator) -> None:
    body = httpx.get(server.url + "/_emulator/health").json()
    assert body["status"] == "ok"
    assert body["seed"] == emulator.seed


def test_clock_read_advance_and_switch(http: httpx.Client, emulator: Emulator) -> None:
    start = http.get("/_emulator/clock").json()
    assert start["mode"] == "virtual"
    moved = http.post("/_emulator/clock/advance", json={"duration": "1h30m"}).json()
    assert moved["now"] == start["now"] + 5400
    moved = http.post("/_emulator/clock/advance", json={"seconds": 10}).json()
    assert moved["now"] == start["now"] + 5410
    bad = http.post("/_emulator/clock/advance", json={"duration": "soon"})
    assert bad.status_code == 400 and bad.json()["error"]["param"] == "duration"
    negative = http.post("/_emulator/clock/advance", json={"seconds": -1})
    assert negative.status_code == 400 and negative.json()["error"]["code"] == "decimal_below_min_value"
    real = http.post("/_emulator/clock", json={"mode": "real", "speed": 60}).json()
    assert (real["mode"], real["speed"]) == ("real", 60)
    assert real["now"] >= start["now"] + 5410


def test_reset_one_tenant_keeps_others(client: openai.OpenAI, other_client: openai.OpenAI, http: httpx.Client) -> None:
    client.files.create(file=("a.jsonl", io.BytesIO(b"{}\n")), purpose="fine-tune")
    theirs = other_client.files.create(file=("b.jsonl", io.BytesIO(b"{}\n")), purpose="fine-tune")
    assert http.post("/_emulator/reset", json={"api_key": client.api_key}).status_code == 200
    assert list(client.files.list()) == []
    assert [f.id for f in other_client.files.list()] == [theirs.id]
    httpx.post(str(http.base_url) + "/_emulator/reset")  # no key: everything
    assert list(other_client.files.list()) == []


def test_seed_changes_ids(http: httpx.Client, emulator: Emulator) -> None:
    def first_id() -> str:
        return http.post("/v1/files", data={"purpose": "batch"}, files={"file": ("a.jsonl", b"{}\n")}).json()["id"]

    original = first_id()
    assert http.post("/_emulator/seed", json={"seed": 42}).json() == {"seed": 42}
    try:
        assert http.get("/_emulator/seed").json() == {"seed": 42}
        reseeded = first_id()
        assert reseeded != original
        http.post("/_emulator/seed", json={"seed": 42})
        assert first_id() == reseeded
    finally:
        emulator.reseed(emulator.settings.seed)


def test_journal_lists_counts_filters_and_clears(client: openai.OpenAI, http: httpx.Client) -> None:
    client.files.list()
    client.files.list(purpose="batch")
    client.models.retrieve("gpt-4o")
    count = http.get("/_emulator/requests/count", params={"method": "GET", "path": "/v1/files"}).json()
    assert count == {"count": 2}
    entries = http.get("/_emulator/requests", params={"path": "/v1/files"}).json()["data"]
    assert entries[1]["query"] == {"purpose": "batch"}
    assert entries[0]["status"] == 200 and entries[0]["request_id"].startswith("req_")
    assert http.delete("/_emulator/requests").json() == {"cleared": True}
    assert http.get("/_emulator/requests/count").json() == {"count": 0}


def test_journal_is_per_tenant(client: openai.OpenAI, other_client: openai.OpenAI, http: httpx.Client) -> None:
    client.files.list()
    other_client.files.list()
    mine = http.get("/_emulator/requests/count", params={"path": "/v1/files"}).json()
    everyone = httpx.get(str(http.base_url) + "/_emulator/requests/count", params={"path": "/v1/files"}).json()
    assert (mine["count"], everyone["count"]) == (1, 2)


def test_journal_pages_like_the_api(client: openai.OpenAI, http: httpx.Client) -> None:
    for _ in range(5):
        client.models.list()
    everything = [
        e["request_id"] for e in http.get("/_emulator/requests", params={"path": "/v1/models"}).json()["data"]
    ]
    assert len(everything) == 5
    seen: list[str] = []
    after: str | None = None
    while True:
        params: dict[str, str | int] = {"path": "/v1/models", "limit": 2}
        if after:
            params["after"] = after
        page = http.get("/_emulator/requests", params=params).json()
        ids = [e["request_id"] for e in page["data"]]
        assert len(ids) <= 2 and (page["first_id"], page["last_id"]) == (ids[0], ids[-1])
        seen += ids
        if not page["has_more"]:
            break
        after = page["last_id"]
    assert seen == everything  # oldest first, each once
    unknown = http.get("/_emulator/requests", params={"after": "req_nope"}).json()
    assert unknown["data"] == [] and unknown["has_more"] is False
    bad = http.get("/_emulator/requests", params={"limit": 0})
    assert bad.status_code == 400 and bad.json()["error"]["param"] == "limit"


def test_scenario_lists_page_like_the_api(http: httpx.Client) -> None:
    library = http.get("/_emulator/scenarios/library", params={"limit": 1}).json()
    assert len(library["data"]) == 1 and library["has_more"] is True
    following = http.get(
        "/_emulator/scenarios/library", params={"limit": 1, "after": library["last_id"]}
    ).json()
    assert following["data"][0]["name"] != library["data"][0]["name"]
    for name in ("flaky_network", "rate_limited"):
        assert http.post("/_emulator/scenarios", json={"name": name}).status_code == 200
    active = http.get("/_emulator/scenarios", params={"limit": 1}).json()
    assert [s["name"] for s in active["data"]] == ["flaky_network"] and active["has_more"] is True
    http.delete("/_emulator/scenarios")
