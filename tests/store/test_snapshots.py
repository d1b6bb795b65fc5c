"""Snapshots: save a world (one tenant or all) to one file and load it back, over HTTP and from the CLI."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import openai
import pytest
from starlette.testclient import TestClient

from emulator import Settings
from emulator.app import create_app
from emulator.cli import main
from emulator.testing import EmulatorHandle

from .serving import dump, serve

ALICE = "sk-snap-alice-000000000000000000000"
BOB = "sk-snap-bob-00000000000000000000000"
MODEL = "gpt-4o-mini-2024-07-18"
TRAINING = (
    json.dumps({"messages": [{"role": "user", "content": "a"}, {"role": "assistant", "content": "b"}]}) + "\n"
).encode() * 12


SETTINGS = Settings(seed=7, clock="virtual", speed=10.0, host="127.0.0.1", port=0)  # what serve() runs with


def _client(url: str, key: str) -> openai.OpenAI:
    return openai.OpenAI(base_url=f"{url}/v1", api_key=key, max_retries=0)


def _populate(client: openai.OpenAI, large: bool = False) -> None:
    made = client.files.create(file=("t.jsonl", TRAINING * (250 if large else 1)), purpose="fine-tune")
    client.fine_tuning.jobs.create(model=MODEL, training_file=made.id)
    client.files.create(file=("n.txt", b"notes of " + client.api_key.encode()), purpose="user_data")


def _durable(directory: Path, mode: str = "inprocess") -> EmulatorHandle:
    return EmulatorHandle(replace(SETTINGS, data_dir=str(directory)), mode=mode).start()


def test_one_tenants_snapshot_replaces_only_that_tenant(tmp_path: Path) -> None:
    with _durable(tmp_path / "data") as handle, handle.http_client() as http:
        alice, bob = handle.client(api_key=ALICE, max_retries=0), handle.client(api_key=BOB, max_retries=0)
        _populate(alice, large=True)
        _populate(bob)
        handle.advance("10m")
        saved = http.get("/_emulator/snapshot", params={"api_key": ALICE})
        assert saved.status_code == 200
        alice_then = dump(http, [ALICE])[ALICE]

        # Alice's world moves on (a file deleted, another made); Bob's too.
        alice.files.delete(alice.files.list().data[0].id)
        alice.files.create(file=("late.txt", b"late"), purpose="user_data")
        _populate(bob)
        bob_before = dump(http, [BOB])[BOB]
        clock_before = handle.now()

        loaded = http.put("/_emulator/snapshot", content=saved.content)
        assert loaded.status_code == 200, loaded.text
        assert loaded.json()["organization"] == handle.state.organization(ALICE).id
        assert dump(http, [ALICE])[ALICE] == alice_then
        assert dump(http, [BOB])[BOB] == bob_before
        assert handle.now() == clock_before  # never back


def test_a_full_snapshot_moves_a_world_to_another_server(tmp_path: Path) -> None:
    with _durable(tmp_path / "one", mode="live") as source:
        with _client(source.url, ALICE) as alice, _client(source.url, BOB) as bob:
            _populate(alice, large=True)
            _populate(bob)
        source.advance("1h")
        assert main(["snapshot", "save", str(tmp_path / "world.snap"), "--url", source.url]) == 0
        world = dump(source.url, [ALICE, BOB])
    target = serve(tmp_path / "two")
    try:
        with _client(target.url, BOB) as bob:
            _populate(bob)  # replaced by the load
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
    with _durable(tmp_path / "data") as handle, handle.http_client() as http:
        _populate(handle.client(api_key=ALICE, max_retries=0))
        world = dump(http, [ALICE])
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
    with _durable(tmp_path / "data") as handle, handle.http_client() as http:
        assert dump(http, [ALICE]) == world


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
