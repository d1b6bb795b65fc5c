"""Deployment-scoped inference with the official AzureOpenAI clients against a live emulator: the URL the
SDK builds from `model`, the GA v1 API's deployment-as-model, streaming, completions, a fine-tuned model
through its deployment, and DeploymentNotFound while absent, provisioning or after a clock rule."""

from __future__ import annotations

import json

import openai
import pytest
from openai.types.chat import ChatCompletionMessageParam

from emulator.testing import AZURE_API_VERSION, EmulatorHandle

from .conftest import BASE, TRAINING, deploy

pytestmark = pytest.mark.emulator(mode="live")
HELLO: list[ChatCompletionMessageParam] = [{"role": "user", "content": "Capital of France?"}]
NOT_FOUND = (
    "The API deployment for this resource does not exist. If you created the deployment within the last 5 "
    "minutes, please wait a moment and try again."
)


def test_chat_through_a_deployment_in_both_styles(openai_emulator: EmulatorHandle, api_version: str) -> None:
    deploy(openai_emulator, "chat", "gpt-4o-mini")
    client = openai_emulator.azure_client(api_version=api_version)
    response = client.chat.completions.with_raw_response.create(model="chat", messages=HELLO)
    assert "/deployments/chat/chat/completions" in str(response.http_request.url)
    completion = response.parse()
    assert completion.model == BASE and completion.choices[0].message.content
    assert response.headers["x-ms-deployment-name"] == "chat"
    raw = response.http_response.json()  # Azure's content filtering results (nothing is filtered)
    assert raw["prompt_filter_results"][0]["content_filter_results"]["hate"] == {"filtered": False,
                                                                                 "severity": "safe"}
    assert raw["choices"][0]["content_filter_results"]["violence"]["filtered"] is False


def test_the_v1_api_takes_the_deployment_as_model(openai_emulator: EmulatorHandle) -> None:
    deploy(openai_emulator, "chat", "gpt-4o-mini")
    plain = openai.OpenAI(base_url=openai_emulator.url + "/openai/v1/", api_key=openai_emulator.api_key,
                          http_client=openai_emulator.http_client())
    completion = plain.chat.completions.create(model="chat", messages=HELLO)
    assert completion.model == BASE and completion.usage is not None and completion.usage.total_tokens > 0


def test_streaming_through_a_deployment(
    azure_client: openai.AzureOpenAI, openai_emulator: EmulatorHandle
) -> None:
    deploy(openai_emulator, "chat", "gpt-4o-mini")
    chunks = list(azure_client.chat.completions.create(model="chat", messages=HELLO, stream=True))
    text = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
    assert text and {c.model for c in chunks} == {BASE}


def test_completions_through_a_deployment(
    azure_client: openai.AzureOpenAI, openai_emulator: EmulatorHandle
) -> None:
    deploy(openai_emulator, "instruct", "gpt-3.5-turbo-instruct")
    completion = azure_client.completions.create(model="instruct", prompt="Say hi")
    assert completion.choices[0].text and completion.model.startswith("gpt-3.5-turbo-instruct")


def test_an_unknown_deployment_is_not_found(openai_emulator: EmulatorHandle, api_version: str) -> None:
    client = openai_emulator.azure_client(api_version=api_version)
    with pytest.raises(openai.NotFoundError) as caught:
        client.chat.completions.create(model="nope", messages=HELLO)
    assert isinstance(caught.value.body, dict)
    assert caught.value.body["code"] == "DeploymentNotFound" and caught.value.body["message"] == NOT_FOUND
    openai_emulator.assert_called("POST", "/openai/deployments/nope/chat/completions" if api_version != "v1"
                                  else "/openai/v1/deployments/nope/chat/completions", status=404)


def test_a_deployment_answers_only_once_provisioned(azure_client: openai.AzureOpenAI,
                                                    openai_emulator: EmulatorHandle) -> None:
    deploy(openai_emulator, "chat", "gpt-4o-mini", ready=False)
    with pytest.raises(openai.NotFoundError):
        azure_client.chat.completions.create(model="chat", messages=HELLO)
    openai_emulator.advance("2m")
    assert azure_client.chat.completions.create(model="chat", messages=HELLO).choices


def test_a_fine_tuned_model_answers_through_its_deployment(azure_client: openai.AzureOpenAI,
                                                           openai_emulator: EmulatorHandle) -> None:
    training = azure_client.files.create(file=("train.jsonl", TRAINING), purpose="fine-tune")
    job = azure_client.fine_tuning.jobs.create(model=BASE, training_file=training.id)
    openai_emulator.run_job(job.id)
    done = azure_client.fine_tuning.jobs.retrieve(job.id)
    assert done.status == "succeeded" and done.fine_tuned_model
    with pytest.raises(openai.NotFoundError):  # a model is not callable by its id on Azure: deploy it first
        azure_client.chat.completions.create(model=done.fine_tuned_model, messages=HELLO)
    deploy(openai_emulator, "mine", done.fine_tuned_model)
    reply = azure_client.chat.completions.create(model="mine", messages=HELLO)
    assert reply.model == done.fine_tuned_model
    assert reply.choices[0].message.content == "Paris, obviously."


def test_a_developer_tier_deployment_expires_after_a_day(azure_client: openai.AzureOpenAI,
                                                         openai_emulator: EmulatorHandle) -> None:
    training = azure_client.files.create(file=("train.jsonl", TRAINING), purpose="fine-tune")
    job = azure_client.fine_tuning.jobs.create(model=BASE, training_file=training.id)
    model = openai_emulator.run_job(job.id).fine_tuned_model
    deploy(openai_emulator, "dev", model, sku="developertier")
    assert azure_client.chat.completions.create(model="dev", messages=HELLO).choices
    openai_emulator.advance("24h")
    with pytest.raises(openai.NotFoundError) as caught:
        azure_client.chat.completions.create(model="dev", messages=HELLO)
    assert isinstance(caught.value.body, dict) and caught.value.body["code"] == "DeploymentNotFound"


@pytest.mark.anyio
async def test_the_async_client_through_a_deployment(async_azure_client: openai.AsyncAzureOpenAI,
                                                     openai_emulator: EmulatorHandle) -> None:
    deploy(openai_emulator, "chat", "gpt-4o-mini")
    completion = await async_azure_client.chat.completions.create(model="chat", messages=HELLO)
    assert completion.model == BASE
    stream = await async_azure_client.chat.completions.create(model="chat", messages=HELLO, stream=True)
    assert [chunk async for chunk in stream]
    with pytest.raises(openai.NotFoundError):
        await async_azure_client.chat.completions.create(model="other", messages=HELLO)


def test_a_body_nested_past_the_parser_limit_is_refused_through_a_deployment(
    openai_emulator: EmulatorHandle,
) -> None:
    deploy(openai_emulator, "chat", "gpt-4o-mini")
    body = {"messages": HELLO, "metadata": {"a": json.loads("[" * 100 + "]" * 100)}}
    with openai_emulator.http_client() as http:
        r = http.post(
            f"{openai_emulator.url}/openai/deployments/chat/chat/completions",
            params={"api-version": AZURE_API_VERSION},
            headers={"api-key": openai_emulator.api_key, "content-type": "application/json"},
            content=json.dumps(body).encode(),
        )
    assert r.status_code == 400
    error = r.json()["error"]
    assert error["message"].startswith("We could not parse the JSON body of your request.")
    assert error["code"]  # Azure's envelope: never null
