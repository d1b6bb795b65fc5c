"""Training-file analysis: a streaming validator with OpenAI's failure codes and messages, token statistics,
the safety screening, auto epochs and the training cost estimate. Jobs and the CLI's `validate` share it.

`analyze(lines, model)` reads one line at a time (give it `blob.lines()` or an open file) and keeps only
counters and one integer per example, so a 500 MB file never sits in memory.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from typing import Any

from .. import tokens
from ..moderation import CATEGORIES, flagged_categories
from .catalog import lookup_base, model_kind
from .report import (
    FORMAT_ERROR,
    INVALID,
    MAX_NOTED,
    MAX_PROBLEMS,
    MIN_EXAMPLES,
    FileAnalysis,
    Problem,
    moderation_message,
)

__all__ = [
    "FORMAT_CHAT",
    "MAX_NOTED",
    "moderation_message",
    "FORMAT_COMPLETION",
    "FORMAT_PREFERENCE",
    "MIN_EXAMPLES",
    "FileAnalysis",
    "Problem",
    "analyze",
    "expected_format",
]

FORMAT_CHAT = "fine-tune-chat"
FORMAT_PREFERENCE = "fine-tune-preference"
FORMAT_COMPLETION = "fine-tune-completion"


_ROLES = ("system", "user", "assistant", "tool", "function")
_MESSAGE_KEYS = {
    "system": {"role", "content", "name"},
    "user": {"role", "content", "name"},
    "assistant": {"role", "content", "name", "weight", "function_call", "tool_calls", "refusal"},
    "tool": {"role", "content", "tool_call_id", "name"},
    "function": {"role", "content", "name"},
}
_CHAT_KEYS = {"messages", "tools", "parallel_tool_calls", "functions"}
_SPECIAL_TOKENS = (
    "<|endoftext|>",
    "<|fim_prefix|>",
    "<|fim_middle|>",
    "<|fim_suffix|>",
    "<|endofprompt|>",
    "<|im_start|>",
    "<|im_end|>",
    "<|im_sep|>",
)


def expected_format(method: str, snapshot: str) -> str:
    if method == "dpo":
        return FORMAT_PREFERENCE
    if method == "supervised" and model_kind(snapshot) == "completion":
        return FORMAT_COMPLETION
    return FORMAT_CHAT


def analyze(
    lines: Iterable[bytes | str],
    model: str,
    *,
    method: str = "supervised",
    n_epochs: int | str = "auto",
    token_limit: int | None | str = "model",
) -> FileAnalysis:
    """Validate and measure a JSONL training file for `model` (an alias or snapshot) and `method`.

    Args:
        lines: the file, line by line (bytes or text), e.g. `blob.lines()` or `open(path, "rb")`.
        n_epochs: an explicit epoch count, or "auto" for OpenAI's rule.
        token_limit: the per-example limit; "model" takes the model's training limit from the catalog.
    """
    base = lookup_base(model)
    snapshot = base.id if base is not None else model
    if token_limit == "model":
        token_limit = base.training_token_limit if base is not None else None
    encoding = base.encoding if base is not None else tokens.encoding_for_model(snapshot)
    fmt = expected_format(method, snapshot)
    report = FileAnalysis(snapshot, method, fmt, token_limit if isinstance(token_limit, int) else None)
    report.requested_epochs = n_epochs
    categories: set[str] = set()
    for number, raw in enumerate(lines, start=1):
        report.n_lines = number
        report.bytes += len(raw)
        try:
            text = raw.decode("utf-8") if isinstance(raw, bytes) else raw
        except UnicodeDecodeError:
            report.n_examples += 1
            _problem(report, number, FORMAT_ERROR, "Invalid file format. The file is not UTF-8 encoded text.")
            continue
        if not text.strip():
            continue
        report.n_examples += 1
        example = report.n_examples
        try:
            value = json.loads(text)
        except ValueError:
            value = None
        if not isinstance(value, dict):
            hint = text.strip()[:4]
            _problem(
                report,
                number,
                FORMAT_ERROR,
                "Invalid file format. Expected file to have JSONL format, where every line is a JSON "
                f'dictionary. Line {number} is not a dictionary (HINT: line starts with: "{hint}...").',
            )
            continue
        shape = _shape(value)
        if report.detected_format is None:
            report.detected_format = shape
            if (
                shape is not None
                and shape != fmt
                and not (method == "reinforcement" and shape == FORMAT_CHAT)
            ):
                report.format_mismatch = _mismatch(shape, fmt, method, snapshot)
        if shape is None or shape != report.detected_format:
            _problem(
                report,
                number,
                INVALID,
                "Unexpected file format, expected either prompt/completion pairs or chat messages.",
            )
            continue
        if report.format_mismatch is not None:
            continue
        checked = _check_example(value, example, method)
        if isinstance(checked, tuple):
            _problem(report, number, *checked)
            continue
        texts, count = _measure(value, shape, encoding)
        report._counts.append(count)
        report.total_tokens += count
        if report.token_limit is not None and count > report.token_limit:
            report.n_truncated += 1
            if len(report.truncated) < MAX_NOTED:
                report.truncated.append((example, count))
            count = report.token_limit
        report.billable_tokens += count
        flagged = flagged_categories("\n".join(texts))
        if flagged:
            report.n_flagged += 1
            categories.update(flagged)
            if len(report.flagged) < MAX_NOTED:
                report.flagged.append((number, flagged))
    report.flagged_categories = [c for c in CATEGORIES if c in categories]
    return report


def _problem(report: FileAnalysis, line: int, code: str, detail: str) -> None:
    report.n_problems += 1
    if len(report.problems) < MAX_PROBLEMS:
        report.problems.append(Problem(line, report.n_examples, code, detail))


def _shape(value: Mapping[str, Any]) -> str | None:
    if "messages" in value:
        return FORMAT_CHAT
    if "input" in value and ("preferred_completion" in value or "non_preferred_completion" in value):
        return FORMAT_PREFERENCE
    if "prompt" in value or "completion" in value:
        return FORMAT_COMPLETION
    return None


def _mismatch(shape: str, fmt: str, method: str, snapshot: str) -> str:
    """Text for a file in the wrong format; `{file}` is filled in with the file id."""
    if shape == FORMAT_CHAT and method != "supervised" or shape == FORMAT_PREFERENCE:
        needed = "dpo" if shape == FORMAT_PREFERENCE else "supervised"
        return (
            f"Invalid file format. Input file {{file}} is in the {shape} format, but the specified "
            "fine-tuning job is "
            f"not using '{needed}' as the training method (provided method={method}). "
        )
    return (
        f"Invalid file format. Input file {{file}} is in the {shape} format, but model {snapshot} requires "
        f"the {fmt} format."
    )


def _check_example(value: Mapping[str, Any], n: int, method: str) -> tuple[str, str] | None:
    """(code, detail) for the first problem in one example, or None when it is valid."""
    if "messages" in value:
        if method != "reinforcement":
            for key in value:
                if key not in _CHAT_KEYS:
                    return FORMAT_ERROR, f'Invalid file format. Example {n} contains an extra "{key}".'
        return _check_messages(
            value["messages"], n, need_assistant=method != "reinforcement", label="messages"
        )
    if "input" in value:
        for key in value:
            if key not in ("input", "preferred_completion", "non_preferred_completion"):
                return FORMAT_ERROR, f'Invalid file format. Example {n} contains an extra "{key}".'
        source = value.get("input")
        if not isinstance(source, dict) or "messages" not in source:
            return INVALID, f"Invalid file format. Example {n} 'input' must be an object with 'messages'."
        problem = _check_messages(source["messages"], n, need_assistant=False, label="input.messages")
        if problem:
            return problem
        for key in ("preferred_completion", "non_preferred_completion"):
            completion = value.get(key)
            if (
                not isinstance(completion, list)
                or len(completion) != 1
                or not isinstance(completion[0], dict)
                or completion[0].get("role") != "assistant"
            ):
                return (
                    INVALID,
                    f"Invalid file format. Example {n} '{key}' must be a list with exactly one assistant "
                    "message.",
                )
            problem = _check_messages(completion, n, need_assistant=True, label=key)
            if problem:
                return problem
        return None
    for key in value:
        if key not in ("prompt", "completion"):
            return FORMAT_ERROR, f'Invalid file format. Example {n} contains an extra "{key}".'
    for key in ("prompt", "completion"):
        if key not in value:
            return INVALID, f"Invalid file format. Example {n} is missing the '{key}' field."
        if not isinstance(value[key], str):
            return INVALID, f"Invalid file format. Example {n} '{key}' must be a string."
        token = _special_token(value[key])
        if token:
            return FORMAT_ERROR, f"Invalid file format. Example {n} {key} contains an invalid token: {token}."
    return None


def _check_messages(messages: Any, n: int, *, need_assistant: bool, label: str) -> tuple[str, str] | None:
    if not isinstance(messages, list) or not messages:
        return INVALID, f"Invalid file format. Example {n} '{label}' must be a non-empty list of messages."
    has_assistant = False
    for m, message in enumerate(messages, start=1):
        where = f"Example {n}, message {m}"
        if not isinstance(message, dict):
            return INVALID, f"Invalid file format. {where} is not a dictionary."
        if "role" not in message:
            return INVALID, f"Invalid file format. {where} Discriminator 'role' is missing in value"
        role = message["role"]
        if role not in _ROLES:
            allowed = ", ".join(f"'{r}'" for r in _ROLES)
            return INVALID, (
                f"Invalid file format. {where} No match for discriminator 'role' and value '{role}' "
                f"(allowed values: {allowed})"
            )
        for key in message:
            if key not in _MESSAGE_KEYS[role]:
                return FORMAT_ERROR, f'Invalid file format. {where} contains an extra "{key}".'
        content = message.get("content")
        calls = role == "assistant" and ("tool_calls" in message or "function_call" in message)
        if content is None and not calls:
            return INVALID, f"Invalid file format. {where} is missing 'content'."
        if content is not None and not isinstance(content, str) and not _is_parts(content):
            return INVALID, f"Invalid file format. {where} 'content' must be a string."
        if "weight" in message and message["weight"] not in (0, 1):
            return INVALID, f"Invalid file format. {where} 'weight' must be 0 or 1."
        token = _special_token(_text_of(content))
        if token:
            return (
                FORMAT_ERROR,
                f"Invalid file format. Example {n} message contains an invalid token: {token}.",
            )
        has_assistant = has_assistant or role == "assistant"
    if need_assistant and not has_assistant:
        return (
            INVALID,
            f"Invalid file format. Example {n} must have at least one message with role 'assistant'.",
        )
    return None


def _is_parts(content: Any) -> bool:
    return isinstance(content, list) and all(isinstance(p, dict) and "type" in p for p in content)


def _text_of(content: Any) -> str:
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return "\n".join(str(p.get("text", "")) for p in content if isinstance(p, dict))
    return ""


def _special_token(text: str) -> str | None:
    if "<|" not in text:
        return None
    for token in _SPECIAL_TOKENS:
        if token in text:
            return token
    return None


def _flat(message: Mapping[str, Any]) -> dict[str, Any]:
    """A message with string values only, as the cookbook counts it (tool calls count as their JSON)."""
    out: dict[str, Any] = {}
    for key, value in message.items():
        if key == "weight":
            continue
        if key == "content":
            out[key] = _text_of(value)
        elif isinstance(value, str):
            out[key] = value
        elif value is not None:
            out[key] = json.dumps(value, separators=(",", ":"))
    return out


def _measure(value: Mapping[str, Any], shape: str, encoding: str) -> tuple[list[str], int]:
    """(texts to screen, token count) of one valid example.

    chat: the cookbook count over `messages`; preference: the same over the input messages followed by
    both completions; prompt/completion: tokens of the prompt plus tokens of the completion.
    """
    if shape == FORMAT_COMPLETION:
        prompt, completion = str(value["prompt"]), str(value["completion"])
        return [prompt, completion], tokens.count_tokens(prompt, encoding) + tokens.count_tokens(
            completion, encoding
        )
    if shape == FORMAT_PREFERENCE:
        messages = [
            *value["input"]["messages"],
            *value["preferred_completion"],
            *value["non_preferred_completion"],
        ]
    else:
        messages = value["messages"]
    flat = [_flat(m) for m in messages]
    return [m.get("content", "") for m in flat], tokens.count_chat_example(flat, encoding)
