"""The contract shipped in the package: it covers every served route, and the runtime check catches a
response that would not validate (off / warn / strict): in-process, through the plugin, in a real server."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path
from types import ModuleType

import httpx
import openai
import pytest
from starlette.testclient import TestClient

from emulator import Settings, create_app
from emulator.cli import main
from emulator.contract import DEPARTURES, UNSPECIFIED_ROUTES, load
from emulator.contract.check import HEADER
from emulator.domain import models
from emulator.server import EmulatorServerError
from emulator.testing import EmulatorHandle

from .ci.processes import serve

pytest_plugins = ["pytester"]
KEY = {"Authorization": "Bearer sk-contract"}
BROKEN = 'lambda m: {"id": m.id, "object": "model", "created": str(m.created)}'


def _vendor_module() -> ModuleType:

    path = Path(__file__).resolve().parents[1] / "scripts" / "vendor_contract.py"
    spec = importlib.util.spec_from_file_location("vendor_contract", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_every_served_route_is_in_the_vendored_contract_or_declared() -> None:
    vendor = _vendor_module()
    shipped = {(op.method, vendor.shape(op.path)) for op in load().operations()}
    for method, route in vendor.served_routes():
        assert route in UNSPECIFIED_ROUTES or (method, vendor.shape(route)) in shipped, (
            f"{method} {route} is served but not in the packaged contract: run scripts/vendor_contract.py"
        )


def test_vendoring_the_vendored_spec_changes_nothing() -> None:
    """Re-running the extraction on the shipped copy keeps every path and component: the copy is closed
    under $ref and holds exactly what the served routes need."""
    vendor = _vendor_module()
    shipped = load().spec
    raw = json.loads(json.dumps(shipped))
    trimmed, missing = vendor.vendor(raw, vendor.served_routes())
    assert missing == []
    assert set(trimmed["paths"]) == set(shipped["paths"])
    assert {k: set(v) for k, v in trimmed["components"].items()} == {
        k: set(v) for k, v in shipped["components"].items()
    }


def test_contract_knows_its_version_and_operations() -> None:
    contract = load()
    assert contract.version == "2.3.0"
    assert contract.vendored["source_sha256"]
    ops = {(op.method, op.path) for op in contract.operations()}
    assert ("POST", "/v1/fine_tuning/jobs") in ops and ("GET", "/v1/files/{file_id}/content") in ops


def test_contract_show_lists_operations_with_the_spec_version(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["contract", "show"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("OpenAI OpenAPI spec 2.3.0")
    assert "createFineTuningJob" in out and "/v1/fine-tunes" in out
    assert main(["contract", "show", "--json"]) == 0
    body = json.loads(capsys.readouterr().out)
    assert body["spec_version"] == "2.3.0" and len(body["operations"]) == 33


def test_paused_is_a_declared_departure_not_a_hole() -> None:
    contract = load()
    job = {
        "id": "ftjob-abc", "object": "fine_tuning.job", "created_at": 1, "finished_at": None, "model": "m",
        "fine_tuned_model": None, "organization_id": "org-x", "status": "paused", "hyperparameters": {},
        "training_file": "file-a", "validation_file": None, "result_files": [], "trained_tokens": None,
        "error": None, "seed": 1,
    }  # fmt: skip
    path = "/v1/fine_tuning/jobs/ftjob-abc/pause"
    assert contract.check_response("POST", path, 200, job) == []
    assert [d.value for d in DEPARTURES] == ["paused"]
    job["status"] = "sleeping"
    (error,) = contract.check_response("POST", path, 200, job)
    assert "status: 'sleeping' is not one of" in error


def test_a_request_the_spec_refuses_is_a_violation() -> None:
    errors = load().check_request("POST", "/v1/fine_tuning/jobs", {"model": 5})
    assert any("training_file" in e for e in errors) and any("model" in e for e in errors)


def _broken(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(models, "base_to_dict", eval(BROKEN))


@pytest.mark.parametrize("mode", ["off", "warn", "strict"])
def test_a_broken_response_per_mode(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture, mode: str
) -> None:
    _broken(monkeypatch)
    with TestClient(create_app(Settings(contract=mode))) as http:
        r = http.get("/v1/models/gpt-4o-mini", headers=KEY)
        fine = http.get("/v1/files", headers=KEY)
        report = http.app.state.contract.take()  # type: ignore[attr-defined]
    assert HEADER not in fine.headers and fine.status_code == 200
    if mode == "off":
        assert r.status_code == 200 and HEADER not in r.headers and report == []
        return
    assert r.headers[HEADER].startswith("GET /v1/models/gpt-4o-mini -> 200: <root>: 'owned_by' is a required")
    (violation,) = report
    assert violation.request_id == r.headers["x-request-id"]
    assert any("'owned_by' is a required property" in e for e in violation.errors)
    assert any(rec.name == "emulator.contract" and "owned_by" in rec.getMessage() for rec in caplog.records)
    if mode == "warn":
        assert r.status_code == 200 and r.json()["id"] == "gpt-4o-mini"
    else:
        assert r.status_code == 500
        assert r.headers["x-should-retry"] == "false"
        error = r.json()["error"]
        assert error["code"] == "emulator_contract_violation" and error["type"] == "server_error"
        assert "owned_by" in error["message"]


def test_strict_handle_fails_the_check_and_the_sdk_does_not_retry(monkeypatch: pytest.MonkeyPatch) -> None:
    _broken(monkeypatch)
    with EmulatorHandle(Settings(contract="strict")) as emu:
        client = emu.client(max_retries=3)
        with pytest.raises(openai.InternalServerError) as info:
            client.models.retrieve("gpt-4o-mini")
        assert info.value.code == "emulator_contract_violation"
        assert len(emu.requests("GET", "/v1/models/gpt-4o-mini")) == 1  # x-should-retry: false
        with pytest.raises(EmulatorServerError, match="violate OpenAI's API contract"):
            emu.check()


def test_scenario_faults_that_break_bodies_on_purpose_are_not_violations() -> None:
    with EmulatorHandle(Settings(contract="strict")) as emu:
        http = emu.http_client(headers={**KEY, "X-Emulator-Fault": "malformed_body"})
        assert http.get("/v1/models").status_code == 200
        emu.check()


def test_the_plugin_fails_a_test_that_met_a_broken_response(pytester: pytest.Pytester) -> None:
    pytester.makeini("[pytest]\nasyncio_default_fixture_loop_scope = function\n")
    pytester.makepyfile(
        f"""
        import openai, pytest
        from emulator.domain import models

        def test_retrieve(openai_client, monkeypatch):
            monkeypatch.setattr(models, "base_to_dict", {BROKEN})
            with pytest.raises(openai.InternalServerError):
                openai_client.models.retrieve("gpt-4o-mini")

        @pytest.mark.emulator(contract="warn")
        def test_warn_lets_it_through(openai_client, monkeypatch):
            monkeypatch.setattr(models, "base_to_dict", {BROKEN})
            assert openai_client.models.with_raw_response.retrieve("gpt-4o-mini").headers["{HEADER}"]
        """
    )
    result = pytester.runpytest("--emulator-mode=inprocess", "-p", "no:cacheprovider")
    result.assert_outcomes(passed=1, failed=1)
    result.stdout.fnmatch_lines(["*violate OpenAI's API contract*", "*'owned_by' is a required property*"])


def test_serve_strict_refuses_a_broken_response_in_a_real_process(tmp_path: Path) -> None:
    prelude = f"from emulator.domain import models\nmodels.base_to_dict = {BROKEN}"
    with serve(tmp_path, "--contract", "strict", prelude=prelude) as server:
        r = httpx.get(f"{server.url}/v1/models/gpt-4o-mini", headers=KEY, timeout=5)
        ok = httpx.get(f"{server.url}/v1/files", headers=KEY, timeout=5)
    assert r.status_code == 500 and r.json()["error"]["code"] == "emulator_contract_violation"
    assert "owned_by" in r.headers[HEADER]
    assert ok.status_code == 200 and HEADER not in ok.headers
    assert "contract violation" in server.output() and r.headers["x-request-id"] in server.output()


def test_an_accepted_request_the_spec_refuses_is_flagged() -> None:
    """The check wraps whatever answers: a handler that accepts any job body is caught accepting a bad one."""
    from starlette.applications import Starlette
    from starlette.requests import Request
    from starlette.responses import JSONResponse
    from starlette.routing import Route

    from emulator.contract.check import ContractCheck, ContractReport

    job = {
        "id": "ftjob-abc", "object": "fine_tuning.job", "created_at": 1, "finished_at": None, "model": "m",
        "fine_tuned_model": None, "organization_id": "org-x", "status": "queued", "hyperparameters": {},
        "training_file": "file-a", "validation_file": None, "result_files": [], "trained_tokens": None,
        "error": None, "seed": 1,
    }  # fmt: skip

    async def lenient(request: Request) -> JSONResponse:
        await request.json()  # read, never checked
        return JSONResponse(job)

    report = ContractReport("warn")
    app = ContractCheck(Starlette(routes=[Route("/v1/fine_tuning/jobs", lenient, methods=["POST"])]), report)
    with TestClient(app) as http:
        good = http.post("/v1/fine_tuning/jobs", json={"model": "gpt-4o-mini", "training_file": "file-a"})
        bad = http.post("/v1/fine_tuning/jobs", json={"model": "gpt-4o-mini"})
    assert HEADER not in good.headers
    assert (
        bad.headers[HEADER]
        == "POST /v1/fine_tuning/jobs request: <root>: 'training_file' is a required property"
    )
    (violation,) = report.take()
    assert violation.status == 200
