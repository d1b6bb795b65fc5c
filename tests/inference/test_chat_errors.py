"""Every refusal of /v1/chat/completions: status, type, code, param and message, in OpenAI's envelope."""

from __future__ import annotations

from typing import Any

import httpx
import openai
import pytest

from emulator.domain.state import Emulator

from .helpers import learned_model

USER: Any = [{"role": "user", "content": "hi"}]
TOOL = {"type": "function", "function": {"name": "f", "parameters": {"type": "object", "properties": {}}}}


def error(http: httpx.Client, body: dict[str, Any], status: int = 400) -> dict[str, Any]:
    response = http.post("/v1/chat/completions", json=body)
    assert response.status_code == status, response.text
    found: dict[str, Any] = response.json()["error"]
    return found


def expect(
    http: httpx.Client, body: dict[str, Any], message: str, param: str | None, code: str | None
) -> None:
    assert error(http, body) == {
        "message": message,
        "type": "invalid_request_error",
        "param": param,
        "code": code,
    }


def test_unknown_model_is_404_with_backticks(client: openai.OpenAI) -> None:
    with pytest.raises(openai.NotFoundError) as info:
        client.chat.completions.create(model="gpt-9", messages=USER)
    assert info.value.body == {
        "message": "The model `gpt-9` does not exist or you do not have access to it.",
        "type": "invalid_request_error",
        "param": None,
        "code": "model_not_found",
    }


def test_deleted_and_other_tenant_models_are_not_found(
    client: openai.OpenAI, other_client: openai.OpenAI, emulator: Emulator
) -> None:
    model = learned_model(
        emulator, [{"messages": [{"role": "user", "content": "a"}, {"role": "assistant", "content": "b"}]}]
    )
    with pytest.raises(openai.NotFoundError) as info:
        other_client.chat.completions.create(model=model, messages=USER)
    assert info.value.code == "model_not_found" and f"`{model}`" in info.value.message
    client.models.delete(model)
    with pytest.raises(openai.NotFoundError) as info:
        client.chat.completions.create(model=model, messages=USER)
    assert info.value.code == "model_not_found"


@pytest.mark.parametrize("model", ["davinci-002", "gpt-3.5-turbo-instruct", "omni-moderation-latest"])
def test_non_chat_model_is_404_naming_the_other_endpoint(http: httpx.Client, model: str) -> None:
    assert error(http, {"model": model, "messages": USER}, 404) == {
        "message": "This is not a chat model and thus not supported in the v1/chat/completions endpoint. "
        "Did you mean to use v1/completions?",
        "type": "invalid_request_error",
        "param": "model",
        "code": None,
    }


def test_missing_model_and_messages(http: httpx.Client) -> None:
    expect(http, {"messages": USER}, "you must provide a model parameter", None, None)
    expect(
        http,
        {"model": "gpt-4o"},
        "Missing required parameter: 'messages'.",
        "messages",
        "missing_required_parameter",
    )


def test_unknown_argument(http: httpx.Client) -> None:
    expect(
        http,
        {"model": "gpt-4o", "messages": USER, "top_k": 3},
        "Unrecognized request argument supplied: top_k",
        None,
        None,
    )


def test_empty_messages(http: httpx.Client) -> None:
    expect(
        http,
        {"model": "gpt-4o", "messages": []},
        "Invalid 'messages': empty array. Expected an array with minimum length 1, but got an empty array "
        "instead.",
        "messages",
        "empty_array",
    )


def test_bad_role_and_missing_content(http: httpx.Client) -> None:
    expect(
        http,
        {"model": "gpt-4o", "messages": [{"role": "robot", "content": "x"}]},
        "Invalid value: 'robot'. Supported values are: 'system', 'assistant', 'user', 'function', 'tool', "
        "and "
        "'developer'.",
        "messages[0].role",
        "invalid_value",
    )
    expect(
        http,
        {"model": "gpt-4o", "messages": [{"content": "x"}]},
        "Missing required parameter: 'messages[0].role'.",
        "messages[0].role",
        "missing_required_parameter",
    )
    expect(
        http,
        {"model": "gpt-4o", "messages": [{"role": "user"}]},
        "Missing required parameter: 'messages[0].content'.",
        "messages[0].content",
        "missing_required_parameter",
    )
    expect(
        http,
        {"model": "gpt-4o", "messages": [{"role": "user", "content": 5}]},
        "Invalid type for 'messages[0].content': expected one of a string or array of objects, but got an "
        "integer "
        "instead.",
        "messages[0].content",
        "invalid_type",
    )


def test_tool_message_without_a_preceding_tool_call(http: httpx.Client) -> None:
    expect(
        http,
        {"model": "gpt-4o", "messages": [*USER, {"role": "tool", "tool_call_id": "x", "content": "1"}]},
        "Invalid parameter: messages with role 'tool' must be a response to a preceeding message with "
        "'tool_calls'.",
        "messages.[1].role",
        None,
    )


@pytest.mark.parametrize(
    ("name", "value", "message", "code"),
    [
        (
            "temperature",
            3.0,
            "Invalid 'temperature': decimal above maximum value. Expected a value <= 2, but got 3.0 instead.",
            "decimal_above_max_value",
        ),
        (
            "temperature",
            "hot",
            "Invalid type for 'temperature': expected a decimal, but got a string instead.",
            "invalid_type",
        ),
        (
            "top_p",
            1.5,
            "Invalid 'top_p': decimal above maximum value. Expected a value <= 1, but got 1.5 instead.",
            "decimal_above_max_value",
        ),
        (
            "n",
            129,
            "Invalid 'n': integer above maximum value. Expected a value <= 128, but got 129 instead.",
            "integer_above_max_value",
        ),
        (
            "n",
            0,
            "Invalid 'n': integer below minimum value. Expected a value >= 1, but got 0 instead.",
            "integer_below_min_value",
        ),
        (
            "presence_penalty",
            -2.5,
            "Invalid 'presence_penalty': decimal below minimum value. Expected a value >= -2, "
            "but got -2.5 instead.",
            "decimal_below_min_value",
        ),
        (
            "max_tokens",
            0,
            "Invalid 'max_tokens': integer below minimum value. Expected a value >= 1, but got 0 instead.",
            "integer_below_min_value",
        ),
        (
            "top_logprobs",
            21,
            "Invalid 'top_logprobs': integer above maximum value. Expected a value <= 20, but got 21 "
            "instead.",
            "integer_above_max_value",
        ),
        (
            "stop",
            ["a", "b", "c", "d", "e"],
            "Invalid 'stop': array too long. Expected an array with maximum length 4, "
            "but got an array with length 5 instead.",
            "array_above_max_length",
        ),
        (
            "logit_bias",
            {"50256": 101},
            "Invalid 'logit_bias.50256': integer above maximum value. Expected a value <= "
            "100, but got 101 instead.",
            "integer_above_max_value",
        ),
        (
            "logit_bias",
            {"hello": 1},
            "Invalid key in 'logit_bias': hello. You should only be submitting non-negative integers.",
            "invalid_value",
        ),
        (
            "service_tier",
            "turbo",
            "Invalid value: 'turbo'. Supported values are: 'auto', 'default', 'flex', 'scale', "
            "'priority', and 'fast'.",
            "invalid_value",
        ),
    ],
)
def test_out_of_range_and_mistyped_parameters(
    http: httpx.Client, name: str, value: Any, message: str, code: str
) -> None:
    param = "logit_bias" if name == "logit_bias" and "key" in message else name
    if name == "logit_bias" and "key" not in message:
        param = "logit_bias.50256"
    expect(http, {"model": "gpt-4o", "messages": USER, name: value}, message, param, code)


def test_stream_options_need_stream(http: httpx.Client) -> None:
    expect(
        http,
        {"model": "gpt-4o", "messages": USER, "stream_options": {"include_usage": True}},
        "The 'stream_options' parameter is only allowed when 'stream' is enabled.",
        "stream_options",
        None,
    )


def test_top_logprobs_need_logprobs(http: httpx.Client) -> None:
    expect(
        http,
        {"model": "gpt-4o", "messages": USER, "top_logprobs": 2},
        "Invalid value for 'top_logprobs': 'logprobs' must be set to true if 'top_logprobs' is used.",
        "top_logprobs",
        "invalid_value",
    )


def test_max_tokens_above_the_model_limit(http: httpx.Client) -> None:
    expect(
        http,
        {"model": "gpt-3.5-turbo", "messages": USER, "max_tokens": 8192},
        "max_tokens is too large: 8192. This model supports at most 4096 completion tokens, whereas you "
        "provided "
        "8192.",
        "max_tokens",
        "invalid_value",
    )
    expect(
        http,
        {"model": "gpt-4o", "messages": USER, "max_completion_tokens": 20000},
        "max_tokens is too large: 20000. This model supports at most 16384 completion tokens, whereas you "
        "provided "
        "20000.",
        "max_completion_tokens",
        "invalid_value",
    )


def test_context_length_exceeded(http: httpx.Client) -> None:
    long = [{"role": "user", "content": "word " * 8200}]
    expect(
        http,
        {"model": "gpt-4", "messages": USER, "max_tokens": 8190},
        "This model's maximum context length is 8192 tokens. However, you requested 8198 tokens (8 in the "
        "messages, "
        "8190 in the completion). Please reduce the length of the messages or completion.",
        "messages",
        "context_length_exceeded",
    )
    expect(
        http,
        {"model": "gpt-4", "messages": long},
        "This model's maximum context length is 8192 tokens. However, your messages resulted in 8208 "
        "tokens. Please "
        "reduce the length of the messages.",
        "messages",
        "context_length_exceeded",
    )


def test_json_object_needs_the_word_json(http: httpx.Client) -> None:
    expect(
        http,
        {"model": "gpt-4o", "messages": USER, "response_format": {"type": "json_object"}},
        "'messages' must contain the word 'json' in some form, to use 'response_format' of type "
        "'json_object'.",
        "messages",
        None,
    )


def test_bad_response_formats(http: httpx.Client) -> None:
    expect(
        http,
        {"model": "gpt-4o", "messages": USER, "response_format": {"type": "xml"}},
        "Invalid value: 'xml'. Supported values are: 'text', 'json_object', and 'json_schema'.",
        "response_format.type",
        "invalid_value",
    )
    expect(
        http,
        {"model": "gpt-4o", "messages": USER, "response_format": {"type": "json_schema"}},
        "Missing required parameter: 'response_format.json_schema'.",
        "response_format.json_schema",
        "missing_required_parameter",
    )
    open_schema = {"type": "object", "properties": {"a": {"type": "string"}}, "required": ["a"]}
    expect(
        http,
        {
            "model": "gpt-4o",
            "messages": USER,
            "response_format": {
                "type": "json_schema",
                "json_schema": {"name": "x", "schema": open_schema, "strict": True},
            },
        },
        "Invalid schema for response_format 'x': In context=(), 'additionalProperties' is required to be "
        "supplied "
        "and to be false.",
        "response_format",
        "invalid_json_schema",
    )
    partial = {
        "type": "object",
        "properties": {"a": {"type": "string"}, "b": {"type": "string"}},
        "required": ["a"],
        "additionalProperties": False,
    }
    expect(
        http,
        {
            "model": "gpt-4o",
            "messages": USER,
            "response_format": {
                "type": "json_schema",
                "json_schema": {"name": "x", "schema": partial, "strict": True},
            },
        },
        "Invalid schema for response_format 'x': In context=(), 'required' is required to be supplied and "
        "to be an "
        "array including every key in properties. Missing 'b'.",
        "response_format",
        "invalid_json_schema",
    )


def test_bad_tools_and_tool_choice(http: httpx.Client) -> None:
    expect(
        http,
        {"model": "gpt-4o", "messages": USER, "tool_choice": "auto"},
        "Invalid value for 'tool_choice': 'tool_choice' is only allowed when 'tools' are specified.",
        "tool_choice",
        None,
    )
    expect(
        http,
        {"model": "gpt-4o", "messages": USER, "tools": [TOOL], "tool_choice": "always"},
        "Invalid value: 'always'. Supported values are: 'none', 'auto', and 'required'.",
        "tool_choice",
        "invalid_value",
    )
    expect(
        http,
        {
            "model": "gpt-4o",
            "messages": USER,
            "tools": [TOOL],
            "tool_choice": {"type": "function", "function": {"name": "g"}},
        },
        "Invalid value for 'tool_choice': function 'g' is not one of the provided 'tools'.",
        "tool_choice",
        "invalid_value",
    )
    expect(
        http,
        {"model": "gpt-4o", "messages": USER, "tools": [{"type": "function", "function": {"name": "a b"}}]},
        "Invalid 'tools[0].function.name': string does not match pattern. Expected a string that matches the "
        "pattern '^[a-zA-Z0-9_-]+$'.",
        "tools[0].function.name",
        "invalid_value",
    )
    expect(
        http,
        {"model": "gpt-4o", "messages": USER, "tools": []},
        "Invalid 'tools': empty array. Expected an array with minimum length 1, but got an empty array "
        "instead.",
        "tools",
        "empty_array",
    )
    strict = {
        "type": "function",
        "function": {
            "name": "f",
            "strict": True,
            "parameters": {"type": "object", "properties": {"a": {"type": "string"}}, "required": ["a"]},
        },
    }
    expect(
        http,
        {"model": "gpt-4o", "messages": USER, "tools": [strict]},
        "Invalid schema for function 'f': In context=(), 'additionalProperties' is required to be supplied "
        "and to "
        "be false.",
        "tools[0].function.parameters",
        "invalid_function_parameters",
    )
    expect(
        http,
        {"model": "gpt-4o", "messages": USER, "function_call": "auto"},
        "Invalid value for 'function_call': 'function_call' is only allowed when 'functions' are specified.",
        "function_call",
        None,
    )


def test_model_family_refusals(http: httpx.Client) -> None:
    expect(
        http,
        {"model": "o4-mini", "messages": USER, "max_tokens": 10},
        "Unsupported parameter: 'max_tokens' is not supported with this model. Use 'max_completion_tokens' "
        "instead.",
        "max_tokens",
        "unsupported_parameter",
    )
    expect(
        http,
        {"model": "o4-mini", "messages": USER, "temperature": 0.2},
        "Unsupported value: 'temperature' does not support 0.2 with this model. Only the default (1) value "
        "is "
        "supported.",
        "temperature",
        "unsupported_value",
    )
    expect(
        http,
        {"model": "gpt-4o", "messages": USER, "reasoning_effort": "low"},
        "Unsupported parameter: 'reasoning_effort' is not supported with this model.",
        "reasoning_effort",
        "unsupported_parameter",
    )


def test_invalid_json_body(http: httpx.Client) -> None:
    response = http.post(
        "/v1/chat/completions", content=b"{not json", headers={"content-type": "application/json"}
    )
    assert response.status_code == 400
    assert response.json()["error"]["message"].startswith("We could not parse the JSON body of your request.")
