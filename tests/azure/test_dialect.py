"""The Azure dialect's front door through the official AzureOpenAI clients against a live emulator:
api-version rules of both styles, key and Entra auth, Azure's error envelope and headers, the dated API's
201 + Location and `pending`, and state shared by both styles of one resource but not with OpenAI."""

from __future__ import annotations

import httpx2
import openai
import pytest

from emulator.api.azure.auth import ENTRA_KEY
from emulator.testing import EmulatorHandle

from .conftest import BASE, DATED, TRAINING, azure_tenant

pytestmark = pytest.mark.emulator(mode="live")


def _raw(handle: EmulatorHandle, **headers: str) -> httpx2.Client:
    return handle.http_client(headers=headers)


def test_the_dated_api_needs_a_known_api_version(openai_emulator: EmulatorHandle) -> None:
    with _raw(openai_emulator, **{"api-key": openai_emulator.api_key}) as raw:
        _check_dated_versions(raw)


def _check_dated_versions(raw: httpx2.Client) -> None:
    missing = raw.get("/openai/fine_tuning/jobs")
    assert missing.status_code == 404
    assert missing.json() == {"error": {"code": "404", "message": "Resource not found"}}
    unknown = raw.get("/openai/fine_tuning/jobs", params={"api-version": "2031-01-01"})
    assert unknown.status_code == 400
    assert unknown.json() == {"error": {"code": "BadRequest", "message": "API version not supported"}}
    preview = raw.get("/openai/fine_tuning/jobs", params={"api-version": "2025-04-01-preview"})
    assert preview.status_code == 200


def test_the_v1_api_takes_no_version_or_v1_or_preview(openai_emulator: EmulatorHandle) -> None:
    with _raw(openai_emulator, **{"api-key": openai_emulator.api_key}) as raw:
        for query in ({}, {"api-version": "v1"}, {"api-version": "preview"}):
            assert raw.get("/openai/v1/fine_tuning/jobs", params=query).json()["object"] == "list"
        refused = raw.get("/openai/v1/fine_tuning/jobs", params={"api-version": DATED})
    assert refused.status_code == 400 and refused.json()["error"]["code"] == "BadRequest"


def test_a_call_without_a_key_gets_the_front_doors_401(openai_emulator: EmulatorHandle) -> None:
    with _raw(openai_emulator) as raw:
        response = raw.get("/openai/v1/files")
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "401"
    assert response.json()["error"]["message"].startswith("Access denied due to missing subscription key")
    assert response.headers["apim-request-id"]


@pytest.mark.emulator(mode="live", api_keys=("sk-azure-allowed-000000000000000000",))
def test_a_key_not_on_the_allow_list_is_refused(openai_emulator: EmulatorHandle) -> None:
    bad = openai_emulator.azure_client(api_key="sk-azure-other-0000000000000000000", max_retries=0)
    with pytest.raises(openai.AuthenticationError) as caught:
        bad.files.list()
    assert caught.value.body == {
        "code": "401",
        "message": "Access denied due to invalid subscription key or wrong API endpoint. Make sure to "
        "provide a valid key for an active subscription and use a correct regional API endpoint for your "
        "resource.",
    }
    good = openai_emulator.azure_client(api_key="sk-azure-allowed-000000000000000000")
    assert good.files.list().data == []


def test_an_entra_token_acts_as_the_resource(openai_emulator: EmulatorHandle) -> None:
    token = "eyJhbGciOiJSUzI1NiJ9.eyJhdWQiOiJodHRwczovL2NvZ25pdGl2ZXNlcnZpY2VzLmF6dXJlLmNvbSJ9.c2ln"
    entra = openai.AzureOpenAI(azure_endpoint=openai_emulator.url, azure_ad_token=token, api_version=DATED,
                               http_client=openai_emulator.http_client())
    made = entra.files.create(file=("train.jsonl", TRAINING), purpose="fine-tune")
    assert [f.id for f in entra.files.list().data] == [made.id]
    # a token is taken as the resource's first configured key (the default key when none are)
    assert azure_tenant(openai_emulator, ENTRA_KEY).files.get(made.id) is not None


def test_azure_headers_replace_openais(azure_client: openai.AzureOpenAI) -> None:
    response = azure_client.files.with_raw_response.list(extra_headers={"x-ms-client-request-id": "abc-123"})
    headers = response.headers
    assert headers["x-ms-region"] and headers["apim-request-id"] == headers["x-request-id"]
    assert len(headers["apim-request-id"]) == 36 and headers["apim-request-id"].count("-") == 4
    assert headers["x-ms-client-request-id"] == "abc-123"
    assert not [name for name in headers if name.lower().startswith("openai-")]


def test_errors_use_azures_envelope_with_a_code(openai_emulator: EmulatorHandle, api_version: str) -> None:
    client = openai_emulator.azure_client(api_version=api_version)
    with pytest.raises(openai.NotFoundError) as caught:
        client.fine_tuning.jobs.retrieve("ftjob-0123456789abcdef0123456789abcdef")
    error = caught.value.body
    assert error == {"code": "notFound", "param": "fine_tuning_job_id", "type": "error", "inner_error": None,
                     "message": "No such fine-tuning job: ftjob-0123456789abcdef0123456789abcdef"}
    with pytest.raises(openai.BadRequestError) as bad:
        client.fine_tuning.jobs.create(model=BASE, training_file="file-doesnotexist")
    assert isinstance(bad.value.body, dict) and bad.value.body["code"]


def test_an_unknown_path_is_the_front_doors_404(openai_emulator: EmulatorHandle) -> None:
    with _raw(openai_emulator, **{"api-key": openai_emulator.api_key}) as raw:
        response = raw.get("/openai/v1/no_such_thing")
    assert response.status_code == 404
    assert response.json() == {"error": {"code": "404", "message": "Resource not found"}}


def test_dated_job_create_is_201_with_location_and_pending(azure_client: openai.AzureOpenAI) -> None:
    training = azure_client.files.create(file=("train.jsonl", TRAINING), purpose="fine-tune")
    response = azure_client.fine_tuning.jobs.with_raw_response.create(model=BASE, training_file=training.id)
    job = response.parse()
    assert response.status_code == 201
    assert response.headers["location"].endswith(f"/openai/fine_tuning/jobs/{job.id}?api-version={DATED}")
    assert job.status == "pending"  # type: ignore[comparison-overlap]
    assert azure_client.fine_tuning.jobs.retrieve(job.id).status == "pending"
    assert [j.status for j in azure_client.fine_tuning.jobs.list().data] == ["pending"]


def test_v1_job_create_is_openais_200(openai_emulator: EmulatorHandle) -> None:
    client = openai_emulator.azure_client(api_version="v1")
    training = client.files.create(file=("train.jsonl", TRAINING), purpose="fine-tune")
    response = client.fine_tuning.jobs.with_raw_response.create(model=BASE, training_file=training.id)
    assert response.status_code == 200 and "location" not in response.headers
    assert response.parse().status in ("validating_files", "queued")


def test_both_styles_reach_one_resource_apart_from_openai(openai_emulator: EmulatorHandle,
                                                          openai_client: openai.OpenAI) -> None:
    dated, v1 = openai_emulator.azure_client(), openai_emulator.azure_client(api_version="v1")
    made = dated.files.create(file=("train.jsonl", TRAINING), purpose="fine-tune")
    assert v1.files.retrieve(made.id).id == made.id
    with pytest.raises(openai.NotFoundError):
        openai_client.files.retrieve(made.id)  # same key, but the OpenAI organization is another tenant
    assert azure_tenant(openai_emulator).dialect == "azure"


def test_the_plain_openai_client_reaches_v1_with_the_key_as_bearer(openai_emulator: EmulatorHandle) -> None:
    plain = openai.OpenAI(base_url=openai_emulator.url + "/openai/v1/", api_key=openai_emulator.api_key,
                          http_client=openai_emulator.http_client())
    made = plain.files.create(file=("train.jsonl", TRAINING), purpose="fine-tune")
    assert openai_emulator.azure_client().files.retrieve(made.id).id == made.id


@pytest.mark.anyio
async def test_the_async_client_speaks_both_styles(openai_emulator: EmulatorHandle,
                                                   async_azure_client: openai.AsyncAzureOpenAI) -> None:
    made = await async_azure_client.files.create(file=("train.jsonl", TRAINING), purpose="fine-tune")
    v1 = openai_emulator.async_azure_client(api_version="preview")
    assert (await v1.files.retrieve(made.id)).id == made.id
    with pytest.raises(openai.NotFoundError) as caught:
        await v1.fine_tuning.jobs.retrieve("ftjob-0123456789abcdef0123456789abcdef")
    assert isinstance(caught.value.body, dict) and caught.value.body["code"] == "notFound"


def test_azure_requests_are_journaled_under_the_path_called(openai_emulator: EmulatorHandle,
                                                           azure_client: openai.AzureOpenAI) -> None:
    azure_client.files.list()
    openai_emulator.assert_called("GET", "/openai/files", times=1)


def test_openai_only_endpoints_are_not_on_azure(openai_emulator: EmulatorHandle) -> None:
    with _raw(openai_emulator, **{"api-key": openai_emulator.api_key}) as raw:
        for path in ("/openai/v1/webhook_endpoints", "/openai/v1/moderations", "/openai/fine-tunes",
                     "/openai/v1/fine_tuning/checkpoints/ftchkpt-x/permissions"):
            response = raw.post(path, params={} if "/v1/" in path else {"api-version": DATED}, json={})
            assert response.status_code == 404, path
            assert response.json() == {"error": {"code": "404", "message": "Resource not found"}}


@pytest.mark.emulator(mode="live", webhooks=("http://127.0.0.1:9/hook",))
def test_an_azure_resource_gets_no_webhook_endpoints(openai_emulator: EmulatorHandle) -> None:
    openai_emulator.azure_client().files.list()
    assert len(azure_tenant(openai_emulator).webhooks.endpoints) == 0
    assert len(openai_emulator.state.tenant(openai_emulator.api_key).webhooks.endpoints) == 1  # OpenAI's org
