"""Grader definitions: the checks OpenAI applies before a grader may run or train (validate, jobs)."""

from __future__ import annotations

import ast
import re
from collections.abc import Mapping
from typing import Any

from ...errors import InvalidRequestError
from ...params import Param, check_value
from . import formula
from .similarity import METRICS

__all__ = ["TEMPLATE", "TOP_LEVEL", "check_grader"]

TOP_LEVEL = ("string_check", "text_similarity", "python", "score_model", "multi")
_ANY_LEVEL = (*TOP_LEVEL, "label_model")
MAX_SOURCE_BYTES = 256 * 1024  # OpenAI: python grader code must be under 256 kB
TEMPLATE = re.compile(r"\{\{\s*([^{}]*?)\s*\}\}")
_VARIABLE = re.compile(r"^(sample|item)(\.[A-Za-z0-9_\-]+)*$")

_STRING = Param("string", required=True, nullable=False)
_MESSAGE = Param(
    "object",
    nullable=False,
    fields={
        "role": Param(
            "string", required=True, nullable=False, enum=("user", "assistant", "system", "developer")
        ),
        "content": Param("any", required=True, nullable=False),
        "type": Param("string", enum=("message",)),
    },
)
_SAMPLING = {
    "seed": Param("integer"),
    "top_p": Param("number", minimum=0, maximum=1),
    "temperature": Param("number", minimum=0, maximum=2),
    "max_completions_tokens": Param("integer", minimum=1),
    "reasoning_effort": Param("string", enum=("none", "minimal", "low", "medium", "high", "xhigh")),
}
_FIELDS: dict[str, dict[str, Param]] = {
    "string_check": {
        "input": _STRING,
        "reference": _STRING,
        "operation": Param("string", required=True, nullable=False, enum=("eq", "ne", "like", "ilike")),
    },
    "text_similarity": {
        "input": _STRING,
        "reference": _STRING,
        "evaluation_metric": Param("string", required=True, nullable=False, enum=tuple(METRICS)),
    },
    "python": {"source": _STRING, "image_tag": Param("string")},
    "score_model": {
        "model": _STRING,
        "input": Param("array", required=True, nullable=False, min_length=1, items=_MESSAGE),
        "range": Param("array", items=Param("number", nullable=False)),
        "sampling_params": Param("object", fields=_SAMPLING),
    },
    "label_model": {
        "model": _STRING,
        "input": Param("array", required=True, nullable=False, min_length=1, items=_MESSAGE),
        "labels": Param(
            "array", required=True, nullable=False, min_length=1, items=Param("string", nullable=False)
        ),
        "passing_labels": Param(
            "array", required=True, nullable=False, min_length=1, items=Param("string", nullable=False)
        ),
    },
    "multi": {"graders": Param("object", required=True, nullable=False), "calculate_output": _STRING},
}


def _error(message: str, param: str, code: str | None = "invalid_value") -> InvalidRequestError:
    return InvalidRequestError(message, param=param, code=code)


def check_grader(grader: Any, path: str = "grader", *, nested: bool = False) -> dict[str, Any]:
    """The grader, checked field by field like OpenAI (400 naming the first bad field) and returned as is."""
    check_value(grader, Param("object", required=True, nullable=False), path)
    kind = grader.get("type")
    allowed = _ANY_LEVEL if nested else TOP_LEVEL
    check_value(kind, Param("string", required=True, nullable=False, enum=allowed), f"{path}.type")
    schema = {"type": Param("string"), "name": _STRING, **_FIELDS[kind]}
    for key in grader:
        if key not in schema:
            raise _error(f"Unrecognized request argument supplied: {path}.{key}", f"{path}.{key}", None)
    for name, spec in schema.items():
        if name not in grader:
            if spec.required:
                raise _error(
                    f"Missing required parameter: '{path}.{name}'.",
                    f"{path}.{name}",
                    "missing_required_parameter",
                )
            continue
        check_value(grader[name], spec, f"{path}.{name}")
    _check_templates(grader, path)
    _EXTRA[kind](grader, path)
    return dict(grader)


def _check_templates(grader: Mapping[str, Any], path: str) -> None:
    """Every `{{ … }}` must name sample.… or item.… (OpenAI rejects other namespaces at validation)."""
    texts: list[tuple[str, str]] = [
        (f"{path}.{k}", grader[k]) for k in ("input", "reference") if isinstance(grader.get(k), str)
    ]
    if isinstance(grader.get("input"), list):
        for i, message in enumerate(grader["input"]):
            if isinstance(message.get("content"), str):
                texts.append((f"{path}.input[{i}].content", message["content"]))
    for where, text in texts:
        for variable in TEMPLATE.findall(text):
            if not _VARIABLE.match(variable):
                raise _error(
                    f"Invalid template variable '{{{{{variable}}}}}' in '{where}': variables must start with "
                    "'sample.' or 'item.' (for example {{sample.output_text}} or {{item.reference_answer}}).",
                    where,
                )


def _check_string_check(grader: Mapping[str, Any], path: str) -> None:
    return None


def _check_python(grader: Mapping[str, Any], path: str) -> None:
    source: str = grader["source"]
    if len(source.encode()) > MAX_SOURCE_BYTES:
        raise _error(f"Invalid '{path}.source': the code must be smaller than 256 kB.", f"{path}.source")
    try:
        tree = ast.parse(source)  # parsed only: the emulator never runs grader code
    except SyntaxError as exc:
        raise _error(
            f"Invalid '{path}.source': the code is not valid Python: {exc.msg} (line {exc.lineno}).",
            f"{path}.source",
        ) from None
    except (RecursionError, MemoryError, ValueError):
        raise _error(f"Invalid '{path}.source': the code is not valid Python.", f"{path}.source") from None
    grade = next(
        (n for n in tree.body if isinstance(n, ast.FunctionDef | ast.AsyncFunctionDef) and n.name == "grade"),
        None,
    )
    if grade is None or len(grade.args.args) + len(grade.args.posonlyargs) < 2:
        raise _error(
            f"Invalid '{path}.source': the code must define a top-level function "
            "`grade(sample: dict, item: dict) -> float`.",
            f"{path}.source",
        )


def _check_score_model(grader: Mapping[str, Any], path: str) -> None:
    bounds = grader.get("range")
    if bounds is not None and (len(bounds) != 2 or not bounds[0] < bounds[1]):
        raise _error(
            f"Invalid '{path}.range': expected two numbers [min, max] with min < max.", f"{path}.range"
        )


def _check_label_model(grader: Mapping[str, Any], path: str) -> None:
    unknown = [label for label in grader["passing_labels"] if label not in grader["labels"]]
    if unknown:
        raise _error(
            f"Invalid '{path}.passing_labels': '{unknown[0]}' is not one of the grader's labels.",
            f"{path}.passing_labels",
        )


def _check_multi(grader: Mapping[str, Any], path: str) -> None:
    names = _sub_graders(grader, path)
    try:
        _, variables = formula.parse(grader["calculate_output"])
    except formula.FormulaError as exc:
        raise _error(f"Invalid '{path}.calculate_output': {exc}.", f"{path}.calculate_output") from None
    unknown = sorted(variables - set(names))
    if unknown:
        raise _error(
            f"Invalid '{path}.calculate_output': '{unknown[0]}' is not the name of one of the graders "
            f"({', '.join(sorted(names)) or 'none'}).",
            f"{path}.calculate_output",
        )


def _sub_graders(grader: Mapping[str, Any], path: str) -> dict[str, dict[str, Any]]:
    """name -> sub-grader. `graders` is a map of names to graders (as OpenAI's guide writes it) or, as the
    spec's schema has it, one grader known by its own `name`; each is checked in turn."""
    graders = grader["graders"]
    if "type" in graders and isinstance(graders.get("type"), str):
        return {str(graders.get("name")): check_grader(graders, f"{path}.graders", nested=True)}
    if not graders:
        raise _error(f"Invalid '{path}.graders': expected at least one grader.", f"{path}.graders")
    return {name: check_grader(sub, f"{path}.graders.{name}", nested=True) for name, sub in graders.items()}


_EXTRA = {
    "string_check": _check_string_check,
    "text_similarity": _check_string_check,
    "python": _check_python,
    "score_model": _check_score_model,
    "label_model": _check_label_model,
    "multi": _check_multi,
}


def sub_graders(grader: Mapping[str, Any]) -> dict[str, dict[str, Any]]:
    """The sub-graders of a checked multi grader, by name."""
    return _sub_graders(grader, "grader")
