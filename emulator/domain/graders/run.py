"""Running a grader on one model sample: real scores for string_check and text_similarity, seeded simulated
scores for the model-based and python graders (documented in the README), formulas for multi graders.

Simulated scores depend only on (emulator seed, grader, rendered inputs, sample), so the same call always
gives the same reward. Python sources are parsed when checked and never executed.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from ...ids import derive_seed
from .. import tokens
from . import formula
from .checks import TEMPLATE, check_grader, sub_graders
from .similarity import similarity

__all__ = ["GradeResult", "run_grader"]

_ERRORS = (
    "formula_parse_error",
    "sample_parse_error",
    "truncated_observation_error",
    "unresponsive_reward_error",
    "invalid_variable_error",
    "other_error",
    "python_grader_server_error",
    "python_grader_runtime_error",
    "model_grader_server_error",
    "model_grader_refusal_error",
    "model_grader_parse_error",
)


@dataclass
class GradeResult:
    name: str
    type: str
    reward: float
    scores: dict[str, float] = field(default_factory=dict)
    errors: set[str] = field(default_factory=set)
    token_usage: int | None = None
    sampled_model: str | None = None
    usage_per_model: dict[str, dict[str, int]] = field(default_factory=dict)
    execution_time: float = 0.0

    def to_dict(self, sub_rewards: Mapping[str, float] | None = None) -> dict[str, Any]:
        errors: dict[str, Any] = {name: name in self.errors for name in _ERRORS}
        errors.update(
            python_grader_server_error_type=None,
            python_grader_runtime_error_details=None,
            model_grader_server_error_details=None,
        )
        return {
            "reward": self.reward,
            "metadata": {
                "name": self.name,
                "type": self.type,
                "errors": errors,
                "execution_time": self.execution_time,
                "scores": dict(self.scores),
                "token_usage": self.token_usage,
                "sampled_model_name": self.sampled_model,
            },
            "sub_rewards": dict(sub_rewards or {}),
            "model_grader_token_usage_per_model": dict(self.usage_per_model),
        }


class _Context:
    """What templates can reach: `sample.output_text`, `sample.output_json.*` and `item.*`."""

    def __init__(self, model_sample: str, item: Mapping[str, Any]) -> None:
        try:
            parsed = json.loads(model_sample)
        except ValueError:
            parsed = None
        self.parse_error = not isinstance(parsed, dict)
        self.root: dict[str, Any] = {
            "sample": {
                "output_text": model_sample,
                "output_json": parsed if isinstance(parsed, dict) else {},
                "output_tools": [],
            },
            "item": dict(item),
        }
        self.missing = False  # a template named a variable the sample or item does not have
        self.unparsed = False  # a template read sample.output_json from a sample that is not a JSON object

    def render(self, text: str) -> str:
        return TEMPLATE.sub(lambda match: self._lookup(match.group(1)), text)

    def _lookup(self, variable: str) -> str:
        if variable.startswith("sample.output_json") and self.parse_error:
            self.unparsed = True
        value: Any = self.root
        for part in variable.split("."):
            if isinstance(value, Mapping) and part in value:
                value = value[part]
            else:
                self.missing = True
                return ""
        return value if isinstance(value, str) else json.dumps(value)


def run_grader(
    seed: int, grader: Mapping[str, Any], model_sample: str, item: Mapping[str, Any]
) -> dict[str, Any]:
    """The `/fine_tuning/alpha/graders/run` response for a checked grader."""
    checked = check_grader(grader)
    context = _Context(model_sample, item)
    if checked["type"] != "multi":
        result = _grade(seed, checked, context)
        return result.to_dict()
    parts = {name: _grade(seed, sub, context) for name, sub in sub_graders(checked).items()}
    scores = {name: part.reward for name, part in parts.items()}
    multi = GradeResult(checked["name"], "multi", 0.0, scores=scores)
    for part in parts.values():
        multi.errors |= part.errors
        multi.execution_time += part.execution_time
        for model, usage in part.usage_per_model.items():
            total = multi.usage_per_model.setdefault(model, dict.fromkeys(usage, 0))
            for key, count in usage.items():
                total[key] = total.get(key, 0) + count
    usage_total = [p.token_usage for p in parts.values() if p.token_usage is not None]
    multi.token_usage = sum(usage_total) if usage_total else None
    try:
        multi.reward = round(formula.evaluate(checked["calculate_output"], scores), 6)
    except formula.FormulaError:
        multi.errors.add("formula_parse_error")
    except (ArithmeticError, ValueError):
        multi.errors.add("other_error")
    multi.execution_time = round(multi.execution_time, 6)
    return multi.to_dict(sub_rewards=scores)


def _grade(seed: int, grader: Mapping[str, Any], context: _Context) -> GradeResult:
    kind, name = str(grader["type"]), str(grader["name"])
    result = GradeResult(name, kind, 0.0)
    if kind in ("string_check", "text_similarity"):
        text, reference = context.render(grader["input"]), context.render(grader["reference"])
        if kind == "string_check":
            result.reward = 1.0 if _string_check(grader["operation"], text, reference) else 0.0
        else:
            result.reward = similarity(grader["evaluation_metric"], text, reference)
    else:
        rendered = _rendered_inputs(grader, context)
        u = derive_seed(seed, "grader", json.dumps(grader, sort_keys=True), rendered, context.root) / 2.0**64
        result.execution_time = round(0.05 + 0.45 * u, 6)
        if kind == "score_model":
            low, high = (grader.get("range") or [0, 1])[:2]
            result.reward = round(low + (high - low) * u, 6)
        elif kind == "label_model":
            label = grader["labels"][int(u * len(grader["labels"]))]
            result.reward = 1.0 if label in grader["passing_labels"] else 0.0
        else:  # python: never executed; a seeded score in [0, 1]
            result.reward = round(u, 6)
        if kind in ("score_model", "label_model"):
            prompt = tokens.count_tokens(rendered, "o200k_base")
            completion = 1 + int(u * 40)
            result.token_usage = prompt + completion
            result.sampled_model = str(grader["model"])
            result.usage_per_model[str(grader["model"])] = {
                "prompt_tokens": prompt,
                "completion_tokens": completion,
                "total_tokens": prompt + completion,
                "cached_tokens": 0,
            }
    if context.unparsed:
        result.errors.add("sample_parse_error")
        result.reward = 0.0
    elif context.missing:
        result.errors.add("invalid_variable_error")
        result.reward = 0.0
    result.scores = {name: result.reward}
    return result


def _string_check(operation: str, text: str, reference: str) -> bool:
    if operation == "eq":
        return text == reference
    if operation == "ne":
        return text != reference
    if operation == "like":
        return reference in text
    return reference.lower() in text.lower()  # ilike


def _rendered_inputs(grader: Mapping[str, Any], context: _Context) -> str:
    """The grader's prompt as the grading model (or the python code's arguments) would see it."""
    if grader["type"] == "python":
        return json.dumps(context.root, sort_keys=True)
    parts = []
    for message in grader["input"]:
        content = message["content"]
        text = content if isinstance(content, str) else json.dumps(content, sort_keys=True)
        parts.append(f"{message['role']}: {context.render(text)}")
    return "\n".join(parts)
