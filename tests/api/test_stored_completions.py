"""Stored chat completions through the SDK: store, list with filters and cursors, retrieve, update, delete,
messages, streaming, isolation and OpenAI's 404s."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import httpx
import openai
import pytest
from openai.types.chat import ChatCompletion, ChatCompletionMessageParam

from emulator import EmulatorServer
from emulator.domain.state import Emulator

from .. import contract
from ..conftest import API_KEY

MESSAGES: list[ChatCompletionMessageParam] = [
    {"role": "system", "content": "Answer briefly."},
    {"role": "user", "content": "Name a colour."},
]


def _store(client: openai.OpenAI, **kwargs: Any) -> ChatCompletion:
    made: ChatCompletion = client.chat.completions.create(
        model="gpt-4o-mini", messages=MESSAGES, store=True, **kwargs
    )
    return made


def test_unstored_completion_is_not_listed_or_retrievable(client: openai.OpenAI) -> None:
    plain = client.chat.completions.create(model="gpt-4o-mini", messages=MESSAGES)
    assert client.chat.completions.list().data == []
    with pytest.raises(openai.NotFoundError) as caught:
        client.chat.completions.retrieve(plain.id)
    assert caught.value.status_code == 404
    assert caught.value.body["message"] == f"Completion with id '{plain.id}' not found."  # type: ignore[index]
    assert caught.value.type == "invalid_request_error"


def test_stored_completion_round_trips_with_metadata(client: openai.OpenAI) -> None:
    made = _store(client, metadata={"topic": "colours"}, seed=7, temperature=0.5)
    got = client.chat.completions.retrieve(made.id)
    assert got.id == made.id
    assert got.choices[0].message.content == made.choices[0].message.content
    assert got.usage == made.usage
    assert got.model == made.model
    extra = got.model_extra or {}
    assert got.metadata == {"topic": "colours"}
    assert extra["seed"] == 7 and extra["temperature"] == 0.5
    assert extra["request_id"].startswith("req_")


def test_list_orders_filters_and_paginates(client: openai.OpenAI) -> None:
    ids = [
        _store(client, metadata={"n": str(i), "parity": "even" if i % 2 == 0 else "odd"}).id for i in range(5)
    ]
    other = client.chat.completions.create(model="gpt-4.1-nano", messages=MESSAGES, store=True)
    listed = client.chat.completions.list()
    assert [c.id for c in listed.data] == [*ids, other.id]  # oldest first: `order` defaults to asc
    assert [c.id for c in client.chat.completions.list(order="desc").data] == [other.id, *reversed(ids)]
    assert [c.id for c in client.chat.completions.list(model="gpt-4.1-nano").data] == [other.id]
    even = client.chat.completions.list(metadata={"parity": "even"})
    assert [c.id for c in even.data] == [ids[0], ids[2], ids[4]]
    both = client.chat.completions.list(metadata={"parity": "odd", "n": "3"})
    assert [c.id for c in both.data] == [ids[3]]
    first = client.chat.completions.list(limit=2)
    assert [c.id for c in first.data] == ids[:2] and first.has_more
    walked = [c.id for c in client.chat.completions.list(limit=2)]
    assert walked == [*ids, other.id]


def test_update_replaces_metadata(client: openai.OpenAI) -> None:
    made = _store(client, metadata={"a": "1"})
    updated = client.chat.completions.update(made.id, metadata={"b": "2"})
    assert updated.metadata == {"b": "2"}
    assert [c.id for c in client.chat.completions.list(metadata={"b": "2"}).data] == [made.id]
    assert client.chat.completions.list(metadata={"a": "1"}).data == []
    cleared = client.chat.completions.update(made.id, metadata=None)
    assert cleared.metadata == {}


def test_update_checks_metadata_like_openai(client: openai.OpenAI) -> None:
    made = _store(client)
    with pytest.raises(openai.BadRequestError) as caught:
        client.chat.completions.update(made.id, metadata={f"k{i}": "v" for i in range(17)})
    assert caught.value.code == "object_above_max_properties"
    with pytest.raises(openai.NotFoundError):
        client.chat.completions.update("chatcmpl-missing", metadata={})


def test_delete_removes_it(client: openai.OpenAI) -> None:
    made = _store(client)
    deleted = client.chat.completions.delete(made.id)
    assert (deleted.id, deleted.deleted, deleted.object) == (made.id, True, "chat.completion.deleted")
    with pytest.raises(openai.NotFoundError):
        client.chat.completions.retrieve(made.id)
    with pytest.raises(openai.NotFoundError):
        client.chat.completions.delete(made.id)
    assert client.chat.completions.list().data == []


@pytest.fixture
def unchecked_http(http: httpx.Client) -> Iterator[httpx.Client]:
    """Raw HTTP outside the contract log: the spec's schema (and the SDK's type) for stored messages says
    role "assistant" only, while OpenAI returns the input messages with their own roles (as the spec's own
    example shows); every other field is checked against the schema below."""
    with httpx.Client(base_url=str(http.base_url), headers=dict(http.headers)) as raw:
        yield raw


def test_messages_are_the_input_messages_cursor_paginated(unchecked_http: httpx.Client) -> None:
    http = unchecked_http
    content = [{"type": "text", "text": "Name a "}, {"type": "text", "text": "colour."}]
    messages: list[Any] = [*MESSAGES, {"role": "user", "content": content, "name": "sam"}]
    made = http.post(
        "/v1/chat/completions", json={"model": "gpt-4o-mini", "messages": messages, "store": True}
    ).json()
    page = http.get(f"/v1/chat/completions/{made['id']}/messages", params={"limit": 2}).json()
    assert [m["id"] for m in page["data"]] == [f"{made['id']}-0", f"{made['id']}-1"]
    assert [m["role"] for m in page["data"]] == ["system", "user"]
    assert page["data"][1]["content"] == "Name a colour." and page["data"][1]["content_parts"] is None
    assert page["has_more"] is True and page["last_id"] == f"{made['id']}-1"
    rest = http.get(f"/v1/chat/completions/{made['id']}/messages", params={"after": page["last_id"]}).json()
    assert rest["has_more"] is False
    assert rest["data"][0]["content_parts"] == content and rest["data"][0]["name"] == "sam"
    backwards = http.get(f"/v1/chat/completions/{made['id']}/messages", params={"order": "desc"}).json()
    assert [m["id"] for m in backwards["data"]][0] == f"{made['id']}-2"
    missing = http.get("/v1/chat/completions/chatcmpl-nope/messages")
    assert missing.status_code == 404
    spec = contract.load()
    if spec is not None:
        violations = spec.check("GET", f"/v1/chat/completions/{made['id']}/messages", 200, rest)
        assert violations and all("role" in v for v in violations), violations


def test_streamed_completion_is_stored_whole(client: openai.OpenAI) -> None:
    stream = client.chat.completions.create(
        model="gpt-4o-mini",
        messages=MESSAGES,
        store=True,
        stream=True,
        stream_options={"include_usage": True},
    )
    pieces, completion_id, usage = [], "", None
    for chunk in stream:
        completion_id = chunk.id
        usage = chunk.usage or usage
        pieces += [c.delta.content or "" for c in chunk.choices]
    got = client.chat.completions.retrieve(completion_id)
    assert got.object == "chat.completion"
    assert got.choices[0].message.content == "".join(pieces)
    assert got.usage is not None and usage is not None and got.usage.total_tokens == usage.total_tokens


def test_stored_completions_are_per_tenant(client: openai.OpenAI, other_client: openai.OpenAI) -> None:
    made = _store(client)
    assert other_client.chat.completions.list().data == []
    with pytest.raises(openai.NotFoundError):
        other_client.chat.completions.retrieve(made.id)


def test_list_rejects_a_bad_order(http: httpx.Client) -> None:
    response = http.get("/v1/chat/completions", params={"order": "sideways"})
    assert response.status_code == 400
    assert response.json()["error"]["param"] == "order"


def test_store_false_stores_nothing(http: httpx.Client) -> None:
    body = {"model": "gpt-4o-mini", "messages": MESSAGES, "store": False, "metadata": {"x": "y"}}
    assert http.post("/v1/chat/completions", content=json.dumps(body)).status_code == 200
    assert http.get("/v1/chat/completions").json()["data"] == []


@pytest.mark.anyio
async def test_async_client_stores_and_lists(async_client: openai.AsyncOpenAI) -> None:
    made = await async_client.chat.completions.create(
        model="gpt-4o-mini", messages=MESSAGES, store=True, metadata={"k": "v"}
    )
    listed = [c.id async for c in async_client.chat.completions.list(metadata={"k": "v"})]
    assert listed == [made.id]
    updated = await async_client.chat.completions.update(made.id, metadata={"k": "w"})
    assert updated.metadata == {"k": "w"}
    assert (await async_client.chat.completions.delete(made.id)).deleted


def test_messages_through_a_default_sdk_client(server: EmulatorServer, emulator: Emulator) -> None:
    """The SDK without strict validation (its default) reads the input messages with their own roles."""
    with openai.OpenAI(base_url=server.base_url, api_key=API_KEY) as loose:
        made = loose.chat.completions.create(model="gpt-4o-mini", messages=MESSAGES, store=True)
        listed = list(loose.chat.completions.messages.list(made.id, limit=1))  # auto-paginates by cursor
    assert [(m.id, m.role, m.content) for m in listed] == [
        (f"{made.id}-0", "system", "Answer briefly."),
        (f"{made.id}-1", "user", "Name a colour."),
    ]
