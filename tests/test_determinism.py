"""Same seed + same requests => byte-identical responses, in two apps that share nothing."""

from __future__ import annotations

from starlette.testclient import TestClient

from emulator import Settings, create_app


def _session(seed: int) -> list[bytes]:
    bodies = []
    with TestClient(create_app(Settings(seed=seed))) as http:
        http.headers["Authorization"] = "Bearer sk-determinism"
        for n in range(3):
            r = http.post("/v1/files", data={"purpose": "fine-tune"}, files={"file": (f"{n}.jsonl", b"{}\n" * n)})
            bodies.append(r.content + r.headers["x-request-id"].encode())
        http.post("/_emulator/clock/advance", json={"seconds": 61})
        for path in ("/v1/files?limit=2", "/v1/models", "/v1/files/file-missing"):
            r = http.get(path)
            bodies.append(r.content + r.headers["x-request-id"].encode())
    return bodies


def test_same_seed_same_bytes() -> None:
    assert _session(7) == _session(7)


def test_different_seed_different_ids() -> None:
    assert _session(7)[0] != _session(8)[0]
