"""The data directory's guards: one process at a time; a journal is replayed only when that is faithful."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import httpx
import openai
import pytest
from starlette.testclient import TestClient

from emulator import Settings
from emulator.app import create_app
from emulator.store import SCHEMA_VERSION, StoreError
from emulator.testing import EmulatorHandle

from .serving import run_serve, serve

KEY = "sk-store-dir-000000000000000000000000"
AUTH = {"Authorization": f"Bearer {KEY}"}


def _settings(data: Path, **values: object) -> Settings:
    return Settings(data_dir=str(data), **values)  # type: ignore[arg-type]


def _upload(client: TestClient, content: bytes = b"hello") -> str:
    response = client.post(
        "/v1/files", headers=AUTH, files={"file": ("a.txt", content)}, data={"purpose": "user_data"}
    )
    assert response.status_code == 200, response.text
    return str(response.json()["id"])


def test_a_second_process_on_the_same_directory_refuses_to_start(tmp_path: Path) -> None:
    served = serve(tmp_path / "data")
    try:
        refused = run_serve(tmp_path / "data")
        assert refused.returncode == 2
        assert "in use by another emulator process" in refused.stderr
        assert httpx.get(f"{served.url}/_emulator/health").status_code == 200  # the first one is unharmed
    finally:
        served.stop()
    again = serve(tmp_path / "data")  # the lock went with the process
    again.stop()


def test_the_lock_is_per_app_in_one_process_too(tmp_path: Path) -> None:
    with TestClient(create_app(_settings(tmp_path))):
        with pytest.raises(StoreError, match="in use by another emulator process"):
            create_app(_settings(tmp_path))


def test_a_newer_schema_is_refused_and_left_alone(tmp_path: Path) -> None:
    with TestClient(create_app(_settings(tmp_path))) as client:
        _upload(client)
    with sqlite3.connect(tmp_path / "journal.sqlite3") as db:
        db.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    refused = run_serve(tmp_path)
    assert refused.returncode == 2
    assert "written by a newer emulator" in refused.stderr
    with sqlite3.connect(tmp_path / "journal.sqlite3") as db:
        assert db.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION + 1
        assert db.execute("SELECT count(*) FROM entries").fetchone()[0] == 1


def test_an_unversioned_database_is_migrated_to_the_current_schema(tmp_path: Path) -> None:
    sqlite3.connect(tmp_path / "journal.sqlite3").close()  # version 0: an empty database
    with TestClient(create_app(_settings(tmp_path))) as client:
        _upload(client)
    with sqlite3.connect(tmp_path / "journal.sqlite3") as db:
        assert db.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION


def test_other_settings_or_another_version_are_refused_with_what_differs(tmp_path: Path) -> None:
    with TestClient(create_app(_settings(tmp_path, seed=1, api_keys=(KEY,)))) as client:
        _upload(client)
    with pytest.raises(StoreError, match=r"seed \(1 -> 2\)"):
        create_app(_settings(tmp_path, seed=2, api_keys=(KEY,)))
    with pytest.raises(StoreError, match="api_keys") as caught:
        create_app(_settings(tmp_path, seed=1, api_keys=("sk-other-key-123456789",)))
    assert KEY not in str(caught.value) and "sk-other" not in str(caught.value)  # keys are never printed
    with sqlite3.connect(tmp_path / "journal.sqlite3") as db:
        db.execute("UPDATE meta SET value = '\"0.0.1\"' WHERE key = 'emulator_version'")
    with pytest.raises(StoreError, match="written by emulator 0.0.1"):
        create_app(_settings(tmp_path, seed=1, api_keys=(KEY,)))


def test_a_setting_newer_than_the_directory_counts_as_its_default(tmp_path: Path) -> None:
    with TestClient(create_app(_settings(tmp_path))) as client:
        file_id = _upload(client)
    with sqlite3.connect(tmp_path / "journal.sqlite3") as db:  # as written before `azure_accounts` existed
        (settings,) = db.execute("SELECT value FROM meta WHERE key = 'settings'").fetchone()
        older = {k: v for k, v in json.loads(settings).items() if k != "azure_accounts"}
        db.execute("UPDATE meta SET value = ? WHERE key = 'settings'", (json.dumps(older),))
    with TestClient(create_app(_settings(tmp_path))) as client:
        assert client.get(f"/v1/files/{file_id}", headers=AUTH).json()["id"] == file_id
    with pytest.raises(StoreError, match="azure_accounts"):  # but not when it is set to something else now
        create_app(_settings(tmp_path, azure_accounts={"acct": "sk-other-key-123456789"}))


def test_host_port_and_log_level_may_change(tmp_path: Path) -> None:
    with TestClient(create_app(_settings(tmp_path, port=1234))) as client:
        file_id = _upload(client)
    with TestClient(create_app(_settings(tmp_path, port=4321, log_level="warning"))) as client:
        assert client.get(f"/v1/files/{file_id}", headers=AUTH).status_code == 200


def test_health_polling_does_not_grow_the_journal(tmp_path: Path) -> None:
    with TestClient(create_app(_settings(tmp_path))) as client:
        _upload(client)
        for _ in range(5):
            client.get("/_emulator/health")
            client.get("/_emulator/clock")
        assert client.get("/_emulator/store").json()["entries"] == 1


def test_the_test_handle_journals_what_it_changes_without_http(tmp_path: Path) -> None:
    settings = Settings(data_dir=str(tmp_path), host="127.0.0.1", port=0)
    handle = EmulatorHandle(settings).start()
    try:
        client = handle.client(api_key=KEY)
        handle.advance("2h")
        kept = client.files.create(file=("a.txt", b"kept"), purpose="user_data")
        handle.use_scenario(
            {
                "name": "teapot",
                "rules": [{"match": {"path": "/v1/models"}, "respond": {"status": 418, "message": "teapot"}}],
            }
        )
        now = handle.now()
    finally:
        handle.close()
    handle = EmulatorHandle(settings).start()
    try:
        client = handle.client(api_key=KEY, max_retries=0)
        assert handle.now() == now
        assert client.files.retrieve(kept.id).created_at == kept.created_at
        with pytest.raises(openai.APIStatusError, match="418"):
            client.models.list()
        handle.reset()  # a full reset: everything before it is dropped from the journal
        assert handle.state.store is not None and handle.state.store.db.count() == 1
    finally:
        handle.close()
    handle = EmulatorHandle(settings).start()
    try:
        assert [f.id for f in handle.client(api_key=KEY).files.list()] == []
    finally:
        handle.close()
