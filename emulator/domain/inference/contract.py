"""The request contract of chat and legacy completions: every parameter accepted or refused as OpenAI does."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from ...errors import InvalidRequestError
from ...params import Param, check_value, describe, validate
from . import structured

__all__ = ["ChatRequest", "CompletionRequest", "Tool", "parse_chat", "parse_completion"]

ROLES = ("system", "assistant", "user", "function", "tool", "developer")
_MESSAGE_KEYS = {
    "system": ("role", "content", "name"),
    "developer": ("role", "content", "name"),
    "user": ("role", "content", "name"),
    "assistant": ("role", "content", "name", "refusal", "audio", "tool_calls", "function_call"),
    "tool": ("role", "content", "tool_call_id"),
    "function": ("role", "content", "name"),
}
_PART_TYPES = {
    "system": ("text",),
    "developer": ("text",),
    "user": ("text", "image_url", "input_audio", "file"),
    "assistant": ("text", "refusal"),
    "tool": ("text",),
    "function": ("text",),
}
_NAME = re.compile(r"^[a-zA-Z0-9_-]{1,64}$")
_INT64 = 2**63


def _error(message: str, param: str | None, code: str | None = None) -> InvalidRequestError:
    return InvalidRequestError(message, param=param, code=code)


def _listed(values: Sequence[str]) -> str:
    quoted = [f"'{v}'" for v in values]
    if len(quoted) == 1:
        return quoted[0]
    if len(quoted) == 2:
        return f"{quoted[0]} and {quoted[1]}"
    return ", ".join(quoted[:-1]) + f", and {quoted[-1]}"


def _invalid_value(value: Any, allowed: Sequence[str], param: str) -> InvalidRequestError:
    return _error(
        f"Invalid value: '{value}'. Supported values are: {_listed(allowed)}.", param, "invalid_value"
    )


def _missing(param: str) -> InvalidRequestError:
    return _error(f"Missing required parameter: '{param}'.", param, "missing_required_parameter")


def _type_error(param: str, expected: str, value: Any) -> InvalidRequestError:
    return _error(
        f"Invalid type for '{param}': expected {expected}, but got {describe(value)} instead.",
        param,
        "invalid_type",
    )


def _name_pattern(value: Any, path: str) -> str:
    if not isinstance(value, str):
        raise _type_error(path, "a string", value)
    if not _NAME.match(value):
        raise _error(
            f"Invalid '{path}': string does not match pattern. Expected a string that matches the pattern "
            "'^[a-zA-Z0-9_-]+$'.",
            path,
            "invalid_value",
        )
    return value


# ---------------------------------------------------------------------------------------------- messages


def _content(value: Any, role: str, path: str) -> Any:
    if isinstance(value, str):
        return value
    if not isinstance(value, list):
        raise _type_error(path, "one of a string or array of objects", value)
    if not value:
        raise _error(
            f"Invalid '{path}': empty array. Expected an array with minimum length 1, but got an empty "
            "array instead.",
            path,
            "empty_array",
        )
    for i, part in enumerate(value):
        where = f"{path}[{i}]"
        if not isinstance(part, Mapping):
            raise _type_error(where, "an object", part)
        kind = part.get("type")
        if kind is None:
            raise _missing(f"{where}.type")
        if kind not in _PART_TYPES[role]:
            raise _invalid_value(kind, _PART_TYPES[role], f"{where}.type")
        if kind in ("text", "refusal"):
            if kind not in part:
                raise _missing(f"{where}.{kind}")
            if not isinstance(part[kind], str):
                raise _type_error(f"{where}.{kind}", "a string", part[kind])
    return value


def _tool_calls(value: Any, path: str) -> Any:
    if not isinstance(value, list):
        raise _type_error(path, "an array", value)
    for i, call in enumerate(value):
        where = f"{path}[{i}]"
        if not isinstance(call, Mapping):
            raise _type_error(where, "an object", call)
        for key in ("id", "type", "function"):
            if key not in call:
                raise _missing(f"{where}.{key}")
        if call["type"] != "function":
            raise _invalid_value(call["type"], ("function",), f"{where}.type")
        function = call["function"]
        if not isinstance(function, Mapping):
            raise _type_error(f"{where}.function", "an object", function)
        for key in ("name", "arguments"):
            if key not in function:
                raise _missing(f"{where}.function.{key}")
            if not isinstance(function[key], str):
                raise _type_error(f"{where}.function.{key}", "a string", function[key])
    return value


def _message(value: Any, path: str) -> Any:
    role = value.get("role")
    if role is None:
        raise _missing(f"{path}.role")
    if role not in ROLES:
        raise _invalid_value(role, ROLES, f"{path}.role")
    for key in value:
        if key not in _MESSAGE_KEYS[role]:
            raise _error(f"Unrecognized request argument supplied: {path}.{key}", None)
    calls = value.get("tool_calls") is not None or value.get("function_call") is not None
    nullable = role == "function" or (role == "assistant" and calls)
    if "content" not in value and not nullable:
        raise _missing(f"{path}.content")
    if value.get("content") is None and "content" in value and not nullable:
        raise _type_error(f"{path}.content", "one of a string or array of objects", None)
    if value.get("content") is not None:
        _content(value["content"], role, f"{path}.content")
    if "name" in value and not isinstance(value["name"], str):
        raise _type_error(f"{path}.name", "a string", value["name"])
    if role == "function" and "name" not in value:
        raise _missing(f"{path}.name")
    if role == "tool":
        if "tool_call_id" not in value:
            raise _missing(f"{path}.tool_call_id")
        if not isinstance(value["tool_call_id"], str):
            raise _type_error(f"{path}.tool_call_id", "a string", value["tool_call_id"])
    if value.get("tool_calls") is not None:
        _tool_calls(value["tool_calls"], f"{path}.tool_calls")
    return value


def _tool_order(messages: Sequence[Mapping[str, Any]]) -> None:
    """A tool message must answer an assistant message with tool_calls (OpenAI's wording, typo included)."""
    pending = False
    for i, message in enumerate(messages):
        role = message["role"]
        if role == "tool" and not pending:
            raise _error(
                "Invalid parameter: messages with role 'tool' must be a response to a preceeding message "
                "with "
                "'tool_calls'.",
                f"messages.[{i}].role",
            )
        if role == "assistant":
            pending = bool(message.get("tool_calls"))
        elif role != "tool":
            pending = False


# ---------------------------------------------------------------------------------------------- tools


@dataclass(frozen=True)
class Tool:
    name: str
    description: str = ""
    parameters: Mapping[str, Any] = field(default_factory=dict)
    strict: bool = False


def _function(value: Any, path: str, owner: str = "function") -> Any:
    if "name" not in value:
        raise _missing(f"{path}.name")
    _name_pattern(value["name"], f"{path}.name")
    validate(
        value,
        {
            "name": Param("string"),
            "description": Param("string"),
            "parameters": Param("object"),
            "strict": Param("boolean"),
        },
        prefix=path + ".",
    )
    if value.get("strict"):
        structured.check_strict(
            value.get("parameters") or {},
            f"{owner} '{value['name']}'",
            f"{path}.parameters",
            "invalid_function_parameters",
        )
    return value


def _tool(value: Any, path: str) -> Any:
    kind = value.get("type")
    if kind is None:
        raise _missing(f"{path}.type")
    if kind != "function":
        raise _invalid_value(kind, ("function",), f"{path}.type")
    for key in value:
        if key not in ("type", "function"):
            raise _error(f"Unrecognized request argument supplied: {path}.{key}", None)
    if "function" not in value:
        raise _missing(f"{path}.function")
    if not isinstance(value["function"], Mapping):
        raise _type_error(f"{path}.function", "an object", value["function"])
    _function(value["function"], f"{path}.function")
    return value


def _tool_choice(value: Any, path: str) -> Any:
    if isinstance(value, str):
        if value not in ("none", "auto", "required"):
            raise _invalid_value(value, ("none", "auto", "required"), path)
        return value
    if not isinstance(value, Mapping):
        raise _type_error(path, "one of a string or object", value)
    kind = value.get("type")
    if kind == "function":
        function = value.get("function")
        if not isinstance(function, Mapping) or "name" not in function:
            raise _missing(f"{path}.function.name")
        return value
    if kind == "allowed_tools":
        allowed = value.get("allowed_tools")
        if not isinstance(allowed, Mapping):
            raise _missing(f"{path}.allowed_tools")
        if allowed.get("mode") not in ("auto", "required"):
            raise _invalid_value(allowed.get("mode"), ("auto", "required"), f"{path}.allowed_tools.mode")
        if not isinstance(allowed.get("tools"), list):
            raise _missing(f"{path}.allowed_tools.tools")
        return value
    if kind is None:
        raise _missing(f"{path}.type")
    raise _invalid_value(kind, ("function", "allowed_tools"), f"{path}.type")


def _function_call(value: Any, path: str) -> Any:
    if isinstance(value, str):
        if value not in ("none", "auto"):
            raise _invalid_value(value, ("none", "auto"), path)
        return value
    if not isinstance(value, Mapping):
        raise _type_error(path, "one of a string or object", value)
    if "name" not in value:
        raise _missing(f"{path}.name")
    return value


def _response_format(value: Any, path: str) -> Any:
    kind = value.get("type")
    if kind is None:
        raise _missing(f"{path}.type")
    if kind not in ("text", "json_object", "json_schema"):
        raise _invalid_value(kind, ("text", "json_object", "json_schema"), f"{path}.type")
    if kind != "json_schema":
        for key in value:
            if key != "type":
                raise _error(f"Unrecognized request argument supplied: {path}.{key}", None)
        return value
    if "json_schema" not in value:
        raise _missing(f"{path}.json_schema")
    spec = value["json_schema"]
    if not isinstance(spec, Mapping):
        raise _type_error(f"{path}.json_schema", "an object", spec)
    if "name" not in spec:
        raise _missing(f"{path}.json_schema.name")
    _name_pattern(spec["name"], f"{path}.json_schema.name")
    validate(
        spec,
        {
            "name": Param("string"),
            "description": Param("string"),
            "schema": Param("object"),
            "strict": Param("boolean"),
        },
        prefix=f"{path}.json_schema.",
    )
    if spec.get("strict"):
        structured.check_strict(
            spec.get("schema") or {}, f"response_format '{spec['name']}'", path, "invalid_json_schema"
        )
    return value


# ---------------------------------------------------------------------------------------------- shared


def _stop(value: Any, path: str) -> Any:
    if value is None or isinstance(value, str):
        return value
    if not isinstance(value, list):
        raise _type_error(path, "one of a string or array of strings", value)
    check_value(
        value, Param("array", min_length=1, max_length=4, items=Param("string", nullable=False)), path
    )
    return value


def _logit_bias(value: Any, path: str) -> Any:
    for key, bias in value.items():
        if not key.lstrip("-").isdigit() or int(key) < 0:
            raise _error(
                f"Invalid key in '{path}': {key}. You should only be submitting non-negative integers.",
                path,
                "invalid_value",
            )
        check_value(bias, Param("integer", nullable=False, minimum=-100, maximum=100), f"{path}.{key}")
    return value


def _metadata(value: Any, path: str) -> Any:
    if len(value) > 16:
        raise _error(
            f"Invalid '{path}': too many properties. Expected an object with at most 16 properties, but "
            "got an "
            f"object with {len(value)} properties instead.",
            path,
            "object_above_max_properties",
        )
    for key, item in value.items():
        check_value(key, Param("string", max_length=64), f"{path}.key")
        check_value(item, Param("string", nullable=False, max_length=512), f"{path}.{key}")
    return value


_STREAM_OPTIONS = Param(
    "object", fields={"include_usage": Param("boolean"), "include_obfuscation": Param("boolean")}
)

CHAT_PARAMS: dict[str, Param] = {
    "model": Param("string", required=True, nullable=False),
    "messages": Param(
        "array",
        required=True,
        nullable=False,
        min_length=1,
        items=Param("object", nullable=False, check=_message),
    ),
    "audio": Param("object"),
    "frequency_penalty": Param("number", minimum=-2, maximum=2),
    "function_call": Param(check=_function_call),
    "functions": Param(
        "array", min_length=1, max_length=128, items=Param("object", nullable=False, check=_function)
    ),
    "logit_bias": Param("object", check=_logit_bias),
    "logprobs": Param("boolean"),
    "max_completion_tokens": Param("integer", minimum=1),
    "max_tokens": Param("integer", minimum=1),
    "metadata": Param("object", check=_metadata),
    "modalities": Param("array", items=Param("string", nullable=False, enum=("text", "audio"))),
    "moderation": Param("object"),
    "n": Param("integer", minimum=1, maximum=128),
    "parallel_tool_calls": Param("boolean"),
    "prediction": Param("object"),
    "presence_penalty": Param("number", minimum=-2, maximum=2),
    "prompt_cache_key": Param("string"),
    "prompt_cache_options": Param("object"),
    "prompt_cache_retention": Param("string", enum=("in_memory", "24h")),
    "reasoning_effort": Param("string", enum=("none", "minimal", "low", "medium", "high", "xhigh", "max")),
    "response_format": Param("object", check=_response_format),
    "safety_identifier": Param("string", max_length=64),
    "seed": Param("integer", minimum=-_INT64, maximum=_INT64 - 1),
    "service_tier": Param("string", enum=("auto", "default", "flex", "scale", "priority", "fast")),
    "stop": Param(check=_stop),
    "store": Param("boolean"),
    "stream": Param("boolean"),
    "stream_options": _STREAM_OPTIONS,
    "temperature": Param("number", minimum=0, maximum=2),
    "tool_choice": Param(check=_tool_choice),
    "tools": Param("array", min_length=1, max_length=128, items=Param("object", nullable=False, check=_tool)),
    "top_logprobs": Param("integer", minimum=0, maximum=20),
    "top_p": Param("number", minimum=0, maximum=1),
    "user": Param("string"),
    "verbosity": Param("string", enum=("low", "medium", "high")),
    "web_search_options": Param("object"),
}


@dataclass(frozen=True)
class ChatRequest:
    model: str
    messages: list[dict[str, Any]]
    n: int = 1
    max_tokens: int | None = None
    max_tokens_param: str = "max_tokens"
    stop: tuple[str, ...] = ()
    temperature: float | None = None
    seed: int | None = None
    logprobs: bool = False
    top_logprobs: int = 0
    response_format: Mapping[str, Any] | None = None
    tools: tuple[Tool, ...] = ()
    tool_choice: Any = None  # "none" | "auto" | "required" | the forced function's name (a 1-tuple)
    legacy_functions: bool = False
    parallel_tool_calls: bool = True
    stream: bool = False
    include_usage: bool = False
    include_obfuscation: bool = True
    service_tier: str | None = None

    @property
    def json_schema(self) -> Mapping[str, Any] | None:
        if self.response_format and self.response_format.get("type") == "json_schema":
            schema: Mapping[str, Any] = self.response_format["json_schema"].get("schema") or {}
            return schema
        return None

    @property
    def json_mode(self) -> bool:
        return bool(
            self.response_format and self.response_format.get("type") in ("json_object", "json_schema")
        )


def _require_model(body: Mapping[str, Any]) -> None:
    if body.get("model") is None:
        raise _error("you must provide a model parameter", None)


def parse_chat(body: Mapping[str, Any]) -> ChatRequest:
    """Check a `/v1/chat/completions` body; raises the 400 OpenAI gives for the first problem found."""
    _require_model(body)
    valid = validate(body, CHAT_PARAMS)
    messages: list[dict[str, Any]] = valid["messages"]
    _tool_order(messages)
    stream = bool(valid.get("stream"))
    if valid.get("stream_options") is not None and not stream:
        raise _error(
            "The 'stream_options' parameter is only allowed when 'stream' is enabled.", "stream_options"
        )
    if valid.get("top_logprobs") is not None and not valid.get("logprobs"):
        raise _error(
            "Invalid value for 'top_logprobs': 'logprobs' must be set to true if 'top_logprobs' is used.",
            "top_logprobs",
            "invalid_value",
        )
    if "audio" in (valid.get("modalities") or []) or valid.get("audio") is not None:
        raise _error(
            "This model does not support audio output. Remove 'audio' from 'modalities' and the 'audio' "
            "parameter.",
            "modalities",
            "unsupported_value",
        )
    tools, choice, legacy = _tools_and_choice(valid)
    response_format = valid.get("response_format")
    if (
        response_format
        and response_format["type"] == "json_object"
        and not any("json" in _all_text(m).lower() for m in messages)
    ):
        raise _error(
            "'messages' must contain the word 'json' in some form, to use 'response_format' of type "
            "'json_object'.",
            "messages",
        )
    stop = valid.get("stop")
    options = valid.get("stream_options") or {}
    if valid.get("max_completion_tokens") is not None:
        max_tokens, max_param = valid["max_completion_tokens"], "max_completion_tokens"
    else:
        max_tokens, max_param = valid.get("max_tokens"), "max_tokens"
    return ChatRequest(
        model=valid["model"],
        messages=messages,
        n=valid.get("n") or 1,
        max_tokens=max_tokens,
        max_tokens_param=max_param,
        stop=(stop,) if isinstance(stop, str) else tuple(stop or ()),
        temperature=valid.get("temperature"),
        seed=valid.get("seed"),
        logprobs=bool(valid.get("logprobs")),
        top_logprobs=valid.get("top_logprobs") or 0,
        response_format=response_format if response_format and response_format["type"] != "text" else None,
        tools=tools,
        tool_choice=choice,
        legacy_functions=legacy,
        parallel_tool_calls=valid.get("parallel_tool_calls") is not False,
        stream=stream,
        include_usage=bool(options.get("include_usage")),
        include_obfuscation=options.get("include_obfuscation") is not False,
        service_tier=valid.get("service_tier"),
    )


def check_model_params(request_body: Mapping[str, Any], reasoning: bool) -> None:
    """Parameters a model family refuses: reasoning models take no sampling knobs, others no effort."""
    if reasoning:
        if request_body.get("max_tokens") is not None:
            raise _error(
                "Unsupported parameter: 'max_tokens' is not supported with this model. Use "
                "'max_completion_tokens' "
                "instead.",
                "max_tokens",
                "unsupported_parameter",
            )
        for name in ("temperature", "top_p"):
            value = request_body.get(name)
            if value is not None and value != 1:
                raise _error(
                    f"Unsupported value: '{name}' does not support {value} with this model. Only the "
                    "default (1) "
                    "value is supported.",
                    name,
                    "unsupported_value",
                )
        for name in ("logprobs", "top_logprobs", "presence_penalty", "frequency_penalty"):
            if request_body.get(name):
                raise _error(
                    f"Unsupported parameter: '{name}' is not supported with this model.",
                    name,
                    "unsupported_parameter",
                )
    elif request_body.get("reasoning_effort") is not None:
        raise _error(
            "Unsupported parameter: 'reasoning_effort' is not supported with this model.",
            "reasoning_effort",
            "unsupported_parameter",
        )


def _all_text(message: Mapping[str, Any]) -> str:
    content = message.get("content")
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return " ".join(str(p.get("text") or "") for p in content if isinstance(p, Mapping))
    return ""


def _tools_and_choice(valid: Mapping[str, Any]) -> tuple[tuple[Tool, ...], Any, bool]:
    def make(function: Mapping[str, Any]) -> Tool:
        return Tool(
            function["name"],
            function.get("description") or "",
            function.get("parameters") or {},
            bool(function.get("strict")),
        )

    choice = valid.get("tool_choice")
    if valid.get("tools"):
        tools = tuple(make(t["function"]) for t in valid["tools"])
        names = [t.name for t in tools]
        if isinstance(choice, Mapping) and choice.get("type") == "function":
            name = choice["function"]["name"]
            if name not in names:
                raise _error(
                    f"Invalid value for 'tool_choice': function '{name}' is not one of the provided 'tools'.",
                    "tool_choice",
                    "invalid_value",
                )
            return tools, (name,), False
        if isinstance(choice, Mapping):  # allowed_tools: narrow the tools, keep the mode
            allowed = choice["allowed_tools"]
            wanted = {
                (t.get("function") or {}).get("name") for t in allowed["tools"] if isinstance(t, Mapping)
            }
            return tuple(t for t in tools if t.name in wanted), allowed["mode"], False
        return tools, choice or "auto", False
    if choice is not None:
        raise _error(
            "Invalid value for 'tool_choice': 'tool_choice' is only allowed when 'tools' are specified.",
            "tool_choice",
        )
    call = valid.get("function_call")
    if valid.get("functions"):
        tools = tuple(make(f) for f in valid["functions"])
        if isinstance(call, Mapping):
            if call["name"] not in [t.name for t in tools]:
                raise _error(
                    f"Invalid value for 'function_call': function '{call['name']}' is not one of the "
                    "provided "
                    "'functions'.",
                    "function_call",
                    "invalid_value",
                )
            return tools, (call["name"],), True
        return tools, call or "auto", True
    if call is not None:
        raise _error(
            "Invalid value for 'function_call': 'function_call' is only allowed when 'functions' are "
            "specified.",
            "function_call",
        )
    return (), "none", False


# ---------------------------------------------------------------------------------------------- legacy


def _prompt(value: Any, path: str) -> Any:
    if value is None or isinstance(value, str):
        return value
    expected = "one of a string, array of strings, array of tokens, or array of token arrays"
    if not isinstance(value, list):
        raise _type_error(path, expected, value)
    if not value:
        raise _error(
            f"Invalid '{path}': empty array. Expected an array with minimum length 1, but got an empty "
            "array instead.",
            path,
            "empty_array",
        )

    def is_int(x: Any) -> bool:
        return isinstance(x, int) and not isinstance(x, bool)

    if all(isinstance(x, str) for x in value) or all(is_int(x) for x in value):
        return value
    if all(isinstance(x, list) and x and all(is_int(t) for t in x) for x in value):
        return value
    raise _error(
        f"Invalid type for '{path}': expected {expected}, but got an array of mixed or invalid items "
        "instead.",
        path,
        "invalid_type",
    )


COMPLETION_PARAMS: dict[str, Param] = {
    "model": Param("string", required=True, nullable=False),
    "prompt": Param(check=_prompt),
    "best_of": Param("integer", minimum=0, maximum=20),
    "echo": Param("boolean"),
    "frequency_penalty": Param("number", minimum=-2, maximum=2),
    "logit_bias": Param("object", check=_logit_bias),
    "logprobs": Param("integer", minimum=0, maximum=5),
    "max_tokens": Param("integer", minimum=0),
    "n": Param("integer", minimum=1, maximum=128),
    "presence_penalty": Param("number", minimum=-2, maximum=2),
    "seed": Param("integer", minimum=-_INT64, maximum=_INT64 - 1),
    "stop": Param(check=_stop),
    "stream": Param("boolean"),
    "stream_options": _STREAM_OPTIONS,
    "suffix": Param("string"),
    "temperature": Param("number", minimum=0, maximum=2),
    "top_p": Param("number", minimum=0, maximum=1),
    "user": Param("string"),
}


@dataclass(frozen=True)
class CompletionRequest:
    model: str
    prompts: list[str | list[int]]
    n: int = 1
    best_of: int = 1
    max_tokens: int | None = None
    stop: tuple[str, ...] = ()
    temperature: float | None = None
    seed: int | None = None
    echo: bool = False
    suffix: str | None = None
    logprobs: int | None = None
    stream: bool = False
    include_usage: bool = False


def parse_completion(body: Mapping[str, Any]) -> CompletionRequest:
    """Check a `/v1/completions` body; raises the 400 OpenAI gives for the first problem found."""
    _require_model(body)
    valid = validate(body, COMPLETION_PARAMS)
    stream = bool(valid.get("stream"))
    if valid.get("stream_options") is not None and not stream:
        raise _error(
            "The 'stream_options' parameter is only allowed when 'stream' is enabled.", "stream_options"
        )
    n = valid.get("n") or 1
    best_of = valid.get("best_of")
    if best_of is not None and best_of < n:
        raise _error("best_of must be greater than or equal to n.", "best_of", "invalid_value")
    if stream and best_of is not None and best_of > 1:
        raise _error("Cannot stream results when best_of > 1.", "best_of", "invalid_value")
    prompt = valid.get("prompt")
    prompts: list[str | list[int]]
    if prompt is None:
        prompts = ["<|endoftext|>"]
    elif isinstance(prompt, str):
        prompts = [prompt]
    elif all(isinstance(x, int) for x in prompt):
        prompts = [list(prompt)]
    else:
        prompts = list(prompt)
    stop = valid.get("stop")
    return CompletionRequest(
        model=valid["model"],
        prompts=prompts,
        n=n,
        best_of=max(best_of or 1, n),
        max_tokens=valid.get("max_tokens"),
        stop=(stop,) if isinstance(stop, str) else tuple(stop or ()),
        temperature=valid.get("temperature"),
        seed=valid.get("seed"),
        echo=bool(valid.get("echo")),
        suffix=valid.get("suffix"),
        logprobs=valid.get("logprobs"),
        stream=stream,
        include_usage=bool((valid.get("stream_options") or {}).get("include_usage")),
    )
