from __future__ import annotations

import httpx
import pytest

from emulator.domain.state import Emulator


@pytest.mark.parametrize(
    ("method", "path"),
    [("POST", "/v1/nothing/here"), ("GET", "/v1"), ("PUT", "/v1/files"), ("POST", "/v1/models"), ("GET", "/v1/files/")],
)
def test_unknown_route_or_method_is_invalid_url(http: httpx.Client, method: str, path: str) -> None:
    r = http.request(method, path)
    assert r.status_code == 404
    assert r.json() == {
        "error": {"message": f"Invalid URL ({method} {path})", "type": "invalid_request_error", "param": None, "code": None}
    }


def test_malformed_json_body_is_400(http: httpx.Client) -> None:
    r = http.post("/_emulator/clock/advance", content=b"{not json", headers={"content-type": "application/json"})
    assert r.status_code == 400
    assert r.json()["error"]["message"].startswith("We could not parse the JSON body of your request.")


def test_errors_are_journaled_and_leave_state_unchanged(http: httpx.Client, emulator: Emulator) -> None:
    before = http.get("/v1/files").json()
    r = http.post("/v1/files", data={"purpose": "nope"}, files={"file": ("a.jsonl", b"{}\n")})
    assert r.status_code == 400
    assert http.get("/v1/files").json() == before
    entry = http.get("/_emulator/requests", params={"method": "POST", "path": "/v1/files"}).json()["data"][-1]
    assert entry["status"] == 400
    assert entry["body"]["purpose"] == "nope"
    assert entry["request_id"] == r.headers["x-request-id"]


def test_unexpected_exception_becomes_server_error_envelope(emulator: Emulator) -> None:
    from starlette.routing import Route
    from starlette.testclient import TestClient

    from emulator import Settings, create_app

    app = create_app(Settings())

    async def boom(request: object) -> None:
        raise RuntimeError("kaboom")

    app.router.routes.append(Route("/v1/boom", boom))
    with TestClient(app, raise_server_exceptions=False) as test:
        r = test.get("/v1/boom", headers={"Authorization": "Bearer sk-x"})
    assert r.status_code == 500
    assert r.json() == {
        "error": {
            "message": "The server had an error while processing your request. Sorry about that!",
            "type": "server_error",
            "param": None,
            "code": None,
        }
    }
    assert "kaboom" not in r.text
