"""The routing index answers exactly as Starlette's router does: the same route, the same 404 (OpenAI's
"Invalid URL"), the same 405, the same trailing-slash behaviour, for every route's paths and near misses."""

from __future__ import annotations

import re

from starlette.routing import Route, Router
from starlette.testclient import TestClient

from emulator import Settings, create_app
from emulator.routing import IndexedRouter

KEY = {"Authorization": "Bearer sk-routing"}
METHODS = ("GET", "POST", "DELETE", "PUT", "PATCH")


def _paths() -> list[str]:
    """Every route's path filled in, and the near misses: a trailing slash, one segment more or fewer, a
    changed word, an unknown prefix."""
    app = create_app()
    out = {"/", "/v1", "/v1/", "/v2/files", "/dashboard", "/dashboard/", "/dashboardx", "/v1/files//x"}
    for route in app.router.routes:
        path = getattr(route, "path", "")
        if not path.startswith("/"):
            continue
        filled = re.sub(r"\{[^}]*\}", "abc-123", path)
        out |= {filled, filled + "/", filled + "/extra", filled.rsplit("/", 1)[0], filled.replace("v1", "v2")}
        out.add(re.sub(r"/[a-z_]+$", "/nope", filled))
        if ":path}" in path:
            out |= {filled + "/deeper/still", path.split("{")[0]}
    return sorted(out)


def _answers(router_class: type[Router]) -> list[tuple[str, str, int, bytes, str]]:
    app = create_app(Settings(seed=3))
    if router_class is Router:  # Starlette's own router over the very same routes
        app.router = Router(app.router.routes, redirect_slashes=False, lifespan=app.router.lifespan_context)
    assert type(app.router) is router_class
    out = []
    with TestClient(app) as http:
        http.headers.update(KEY)
        for path in _paths():
            for method in METHODS:
                r = http.request(method, path)
                out.append((method, path, r.status_code, r.content, r.headers.get("allow", "")))
    return out


def test_same_answers_as_starlettes_router() -> None:
    indexed, plain = _answers(IndexedRouter), _answers(Router)
    assert len(indexed) > 500
    assert indexed == plain
    statuses = {status for _, _, status, _, _ in indexed}
    assert {200, 404} <= statuses  # found routes and Invalid URL both occurred
    assert any(path == "/v1/files/" and status == 404 for _, path, status, _, _ in indexed)


def test_a_route_added_later_is_found() -> None:
    from starlette.responses import PlainTextResponse

    app = create_app()
    with TestClient(app) as http:
        assert http.get("/v1/late/abc", headers=KEY).status_code == 404
        app.router.routes.append(Route("/v1/late/{x}", lambda request: PlainTextResponse("late")))
        assert http.get("/v1/late/abc", headers=KEY).text == "late"


def test_ids_share_one_shape() -> None:
    """Reading a thousand different files tries the same few routes: the index remembers one shape for
    them (a word no route names is an id), not one per id."""
    router = create_app().router
    assert isinstance(router, IndexedRouter)
    found = router.candidates("/v1/files/file-0")
    assert all(router.candidates(f"/v1/files/file-{n}") is found for n in range(1000))
    assert len(router._index) == 1
    assert [getattr(r, "path", "") for r in found if "GET" in (getattr(r, "methods", None) or ())] == [
        "/v1/files/{file_id}"
    ]
    # a word that starts as a mount's path does stays in the shape: the mount is a candidate for it
    assert [type(r).__name__ for r in router.candidates("/dashboardx")] == ["Mount"]
