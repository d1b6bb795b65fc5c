"""What an analysis of a training file found: problems by line, token and moderation counts, epochs and
cost, and the error a job fails with (OpenAI's codes and texts)."""

from __future__ import annotations

import math
from array import array
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from .hyperparameters import auto_n_epochs
from .records import JobError

__all__ = [
    "FORMAT_ERROR",
    "INVALID",
    "MAX_NOTED",
    "MAX_PROBLEMS",
    "MIN_EXAMPLES",
    "TRAINING_PRICE_PER_1K",
    "FileAnalysis",
    "Problem",
    "moderation_message",
]

MIN_EXAMPLES = 10
# $ per 1K trained tokens: gpt-3.5-turbo's fine-tuning launch price, the seed's figure, used for every model.
TRAINING_PRICE_PER_1K = 0.008
MAX_PROBLEMS = 100  # problems kept for reports; all are counted
MAX_NOTED = 10  # truncated / flagged examples kept for reports and warn events


INVALID = "invalid_training_file"
FORMAT_ERROR = "invalid_file_format"


@dataclass(frozen=True)
class Problem:
    """One reason the file is invalid, on a 1-based line of the file (`example` counts non-blank lines)."""

    line: int
    example: int
    code: str  # invalid_training_file | invalid_file_format
    detail: str  # e.g. "Invalid file format. Example 3, message 2 Discriminator 'role' is missing in value"

    def message(self, role: str = "training") -> str:
        if self.code == FORMAT_ERROR:
            return f"The job failed due to a file format error in the {role} file. {self.detail}"
        return f"The job failed due to an invalid {role} file. {self.detail}"

    def to_dict(self) -> dict[str, Any]:
        return {"line": self.line, "example": self.example, "code": self.code, "message": self.detail}


@dataclass
class FileAnalysis:
    """What a file holds and what training on it would cost; `job_error()` is OpenAI's verdict."""

    model: str
    method: str
    expected_format: str
    token_limit: int | None
    detected_format: str | None = None
    format_mismatch: str | None = None
    n_lines: int = 0
    n_examples: int = 0
    problems: list[Problem] = field(default_factory=list)
    n_problems: int = 0
    total_tokens: int = 0
    billable_tokens: int = 0  # per epoch: Σ min(tokens, limit)
    truncated: list[tuple[int, int]] = field(default_factory=list)  # (example, tokens)
    n_truncated: int = 0
    flagged: list[tuple[int, tuple[str, ...]]] = field(default_factory=list)  # (line, categories)
    n_flagged: int = 0
    flagged_categories: list[str] = field(default_factory=list)
    bytes: int = 0
    requested_epochs: int | str = "auto"
    _counts: array[int] = field(default_factory=lambda: array("q"), repr=False)

    @property
    def n_epochs(self) -> int:
        return (
            self.requested_epochs
            if isinstance(self.requested_epochs, int)
            else auto_n_epochs(self.n_examples)
        )

    @property
    def trained_tokens(self) -> int:
        return self.billable_tokens * self.n_epochs

    @property
    def estimated_cost(self) -> float:
        return self.trained_tokens / 1000 * TRAINING_PRICE_PER_1K

    @property
    def moderation_rejected(self) -> bool:
        """ "Too many" flagged examples: at least 2, and at least 5% of the file (the real threshold is
        not published; this one tolerates a stray hit in a large file)."""
        return self.n_flagged >= max(2, math.ceil(self.n_examples * 0.05))

    def example_tokens(self, limit: int) -> list[int]:
        """Token counts of the first `limit` valid examples, in file order."""
        return list(self._counts[:limit])

    def token_stats(self) -> dict[str, float | int]:
        counts = sorted(self._counts)
        if not counts:
            return {"min": 0, "max": 0, "mean": 0.0, "median": 0.0, "p5": 0, "p95": 0}
        n = len(counts)
        mid = n // 2
        median = counts[mid] if n % 2 else (counts[mid - 1] + counts[mid]) / 2
        return {
            "min": counts[0],
            "max": counts[-1],
            "mean": round(sum(counts) / n, 2),
            "median": median,
            "p5": counts[min(n - 1, int(n * 0.05))],
            "p95": counts[min(n - 1, int(n * 0.95))],
        }

    def job_error(self, file_id: str, role: str = "training") -> JobError | None:
        """The error a job fails with for this file (the first problem, as OpenAI reports one), or None."""
        param = f"{role}_file"
        if self.format_mismatch is not None:
            return JobError(INVALID, self._invalid(role, self.format_mismatch.format(file=file_id)), param)
        if self.problems:
            first = self.problems[0]
            code = (
                first.code if role == "training" or first.code == FORMAT_ERROR else "invalid_validation_file"
            )
            return JobError(code, first.message(role), param)
        if role == "training" and self.n_examples < MIN_EXAMPLES:
            return JobError(
                "invalid_n_examples",
                f"Training file has {self.n_examples} example(s), but must have at least "
                f"{MIN_EXAMPLES} examples",
                param,
            )
        if self.moderation_rejected:
            return JobError(INVALID, moderation_message(self.flagged_categories, role), param)
        return None

    @staticmethod
    def _invalid(role: str, detail: str) -> str:
        return f"The job failed due to an invalid {role} file. {detail}"

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready report (what the CLI prints)."""
        return {
            "model": self.model,
            "method": self.method,
            "format": self.detected_format,
            "expected_format": self.expected_format,
            "lines": self.n_lines,
            "examples": self.n_examples,
            "bytes": self.bytes,
            "errors": [p.to_dict() for p in self.problems],
            "error_count": self.n_problems + (1 if self.format_mismatch else 0),
            "format_mismatch": self.format_mismatch.format(file="(file)") if self.format_mismatch else None,
            "tokens": {
                **self.token_stats(),
                "total": self.total_tokens,
                "limit": self.token_limit,
                "truncated_examples": self.n_truncated,
            },
            "moderation": {
                "flagged_examples": self.n_flagged,
                "categories": list(self.flagged_categories),
                "flagged_lines": [line for line, _ in self.flagged],
                "rejected": self.moderation_rejected,
            },
            "n_epochs": self.n_epochs,
            "billable_tokens_per_epoch": self.billable_tokens,
            "trained_tokens": self.trained_tokens,
            "estimated_cost_usd": round(self.estimated_cost, 4),
        }


def moderation_message(categories: Iterable[str], role: str = "training") -> str:
    """OpenAI's safety-screening failure text (seen on real jobs in 2024, code `invalid_training_file`)."""
    listed = ", ".join(categories) or "hate"
    return (
        f"The job failed due to an invalid {role} file. This {role} file was blocked because too many "
        "examples "
        "were flagged by our moderation API for containing content that violates OpenAI's usage policies in "
        "the "
        f"following categories: {listed}. Use the free OpenAI Moderation API to identify these examples and "
        f"remove them from your {role} data. See https://platform.openai.com/docs/guides/moderation for more "
        "information."
    )
