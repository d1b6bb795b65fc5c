"""Snapshots: save a world (one tenant or all) to one file and load it back, over HTTP and from the CLI."""

from __future__ import annotations

import json
from pathlib import Path

import httpx
import openai
import pytest
from starlette.testclient import TestClient

from emulator import Settings
from emulator.app import create_app
from emulator.cli import main

from .serving import dump, serve

ALICE = "sk-snap-alice-000000000000000000000"
BOB = "sk-snap-bob-00000000000000000000000"
MODEL = "gpt-4o-mini-2024-07-18"
TRAINING = (
    json.dumps({"messages": [{"role": "user", "content": "a"}, {"role": "assistant", "content": "b"}]}) + "\n"
).encode() * 12


def _client(url: str, key: str) -> openai.OpenAI:
    return openai.OpenAI(base_url=f"{url}/v1", api_key=key, max_retries=0)


def _populate(url: str, key: str, large: bool = False) -> None:
    client = _client(url, key)
    made = client.files.create(file=("t.jsonl", TRAINING * (400 if large else 1)), purpose="fine-tune")
    client.fine_tuning.jobs.create(model=MODEL, training_file=made.id)
    client.files.create(file=("n.txt", b"notes of " + key.encode()), purpose="user_data")


def test_one_tenants_snapshot_replaces_only_that_tenant(tmp_path: Path) -> None:
    served = serve(tmp_path / "data")
    try:
        url, http = served.url, httpx.Client(base_url=served.url, timeout=30)
        _populate(url, ALICE, large=True)
        _populate(url, BOB)
        http.post("/_emulator/clock/advance", json={"duration": "10m"})
        saved = http.get("/_emulator/snapshot", params={"api_key": ALICE})
        assert saved.status_code == 200
        alice_then = dump(url, [ALICE])[ALICE]

        # Alice's world moves on (a file deleted, another made); Bob's too.
        alice = _client(url, ALICE)
        alice.files.delete(alice.files.list().data[0].id)
        alice.files.create(file=("late.txt", b"late"), purpose="user_data")
        _populate(url, BOB)
        bob_before = dump(url, [BOB])[BOB]
        clock_before = http.get("/_emulator/clock").json()["now"]

        loaded = http.put("/_emulator/snapshot", content=saved.content)
        assert loaded.status_code == 200, loaded.text
        assert loaded.json()["organization"].startswith("org-")
        assert dump(url, [ALICE])[ALICE] == alice_then
        assert dump(url, [BOB])[BOB] == bob_before
        assert http.get("/_emulator/clock").json()["now"] == clock_before  # never back
        http.close()
    finally:
        served.stop()


def test_a_full_snapshot_moves_a_world_to_another_server(tmp_path: Path) -> None:
    source = serve(tmp_path / "one")
    try:
        _populate(source.url, ALICE, large=True)
        _populate(source.url, BOB)
        httpx.post(f"{source.url}/_emulator/clock/advance", json={"duration": "1h"})
        assert main(["snapshot", "save", str(tmp_path / "world.snap"), "--url", source.url]) == 0
        world = dump(source.url, [ALICE, BOB])
    finally:
        source.stop()
    target = serve(tmp_path / "two")
    try:
        _populate(target.url, BOB)  # replaced by the load
        assert main(["snapshot", "load", str(tmp_path / "world.snap"), "--url", target.url]) == 0
        assert dump(target.url, [ALICE, BOB]) == world
    finally:
        target.kill()
    restarted = serve(tmp_path / "two")  # the load itself is journaled
    try:
        assert dump(restarted.url, [ALICE, BOB]) == world
    finally:
        restarted.stop()


def test_the_cli_saves_and_loads_a_stopped_servers_directory(tmp_path: Path) -> None:
    served = serve(tmp_path / "data")
    try:
        _populate(served.url, ALICE)
        world = dump(served.url, [ALICE])
    finally:
        served.stop()
    assert (
        main(
            [
                "snapshot",
                "save",
                str(tmp_path / "a.snap"),
                "--data-dir",
                str(tmp_path / "data"),
                "--api-key",
                ALICE,
            ]
        )
        == 0
    )
    assert main(["snapshot", "load", str(tmp_path / "a.snap"), "--data-dir", str(tmp_path / "data")]) == 0
    served = serve(tmp_path / "data")
    try:
        assert dump(served.url, [ALICE]) == world
    finally:
        served.stop()


def test_snapshots_need_a_data_dir_and_a_real_snapshot(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with TestClient(create_app(Settings())) as client:
        refused = client.get("/_emulator/snapshot")
        assert refused.status_code == 400
        assert "--data-dir" in refused.json()["error"]["message"]
    with TestClient(create_app(Settings(data_dir=str(tmp_path)))) as client:
        bad = client.put("/_emulator/snapshot", content=b"not a snapshot at all")
        assert bad.status_code == 400
        assert "not an emulator snapshot" in bad.json()["error"]["message"]
    assert main(["snapshot", "load", str(tmp_path / "missing.snap"), "--data-dir", str(tmp_path)]) == 1
    assert "missing.snap" in capsys.readouterr().err
