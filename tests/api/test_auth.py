from __future__ import annotations

import base64
import io

import httpx
import openai
import pytest

from emulator import EmulatorServer, Settings
from emulator.domain.tenancy import mask_key

from ..conftest import ContractLog, make_client


def test_missing_key_is_401_with_openai_message(server: EmulatorServer, emulator, contract_log: ContractLog) -> None:
    with httpx.Client(base_url=server.url, event_hooks={"response": [contract_log.sync_hook]}) as raw:
        r = raw.get("/v1/files")
    assert r.status_code == 401
    error = r.json()["error"]
    assert error["message"].startswith("You didn't provide an API key. You need to provide your API key in an "
                                       "Authorization header using Bearer auth")
    assert (error["type"], error["param"], error["code"]) == ("invalid_request_error", None, None)
    assert r.headers["x-request-id"].startswith("req_")


def test_basic_auth_with_blank_user_is_accepted(server: EmulatorServer, emulator) -> None:
    token = base64.b64encode(b":sk-basic-key").decode()
    r = httpx.get(server.url + "/v1/models", headers={"Authorization": f"Basic {token}"})
    assert r.status_code == 200


def test_allow_list_rejects_other_keys_with_masked_key() -> None:
    good = "sk-proj-" + "a" * 40
    with EmulatorServer(Settings(port=0, api_keys=(good,))) as live:
        ok = openai.OpenAI(base_url=live.base_url, api_key=good)
        assert ok.models.retrieve("gpt-4o-mini").id == "gpt-4o-mini"
        bad_key = "sk-PMafP" + "x" * 40 + "E873"
        bad = openai.OpenAI(base_url=live.base_url, api_key=bad_key, max_retries=0)
        with pytest.raises(openai.AuthenticationError) as info:
            bad.files.list()
    assert info.value.status_code == 401
    assert info.value.code == "invalid_api_key"
    assert info.value.body["message"] == (
        f"Incorrect API key provided: {mask_key(bad_key)}. "
        "You can find your API key at https://platform.openai.com/account/api-keys."
    )


def test_key_masking_matches_openai() -> None:
    key = "sk-PMafP" + "0" * 39 + "E873"  # 51 characters
    assert mask_key(key) == "sk-PMafP" + "*" * 39 + "E873"
    assert mask_key("key_8TjwABCDEFGHrtUb") == "key_8Tjw********rtUb"


def test_tenants_are_isolated(client: openai.OpenAI, other_client: openai.OpenAI) -> None:
    mine = client.files.create(file=("a.jsonl", io.BytesIO(b"{}\n")), purpose="fine-tune")
    assert list(other_client.files.list()) == []
    for call in (other_client.files.retrieve, other_client.files.delete, other_client.files.content):
        with pytest.raises(openai.NotFoundError):
            call(mine.id)
    assert client.files.retrieve(mine.id).id == mine.id


def test_keys_mapped_to_one_organization_share_state() -> None:
    settings = Settings(port=0, organizations={"sk-alice": "acme", "sk-bob": "acme"})
    with EmulatorServer(settings) as live:
        alice = openai.OpenAI(base_url=live.base_url, api_key="sk-alice")
        bob = openai.OpenAI(base_url=live.base_url, api_key="sk-bob")
        made = alice.files.create(file=("a.jsonl", io.BytesIO(b"{}\n")), purpose="fine-tune")
        assert bob.files.retrieve(made.id).id == made.id
        raw = bob.files.with_raw_response.list()
        assert raw.headers["openai-organization"] == "acme"


def test_response_headers_look_like_openai(client: openai.OpenAI) -> None:
    raw = client.models.with_raw_response.list()
    headers = raw.headers
    assert headers["openai-version"] == "2020-10-01"
    assert headers["openai-organization"].startswith("user-")
    assert headers["x-request-id"].startswith("req_") and len(headers["x-request-id"]) == 36
    assert headers["openai-processing-ms"].isdigit()
    for name in ("limit", "remaining", "reset"):
        for kind in ("requests", "tokens"):
            assert f"x-ratelimit-{name}-{kind}" in headers
    assert raw.request_id == headers["x-request-id"]


def test_organization_and_project_headers_are_accepted(server: EmulatorServer, emulator, contract_log) -> None:
    with make_client(server, contract_log, organization="org-whatever", project="proj_abc") as sdk:
        assert sdk.models.list().data
