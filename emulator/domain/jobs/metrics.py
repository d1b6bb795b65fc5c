"""A job's seeded training curve: per-step metrics computed on demand (never stored), their event text,
checkpoint metrics and the results CSV.

Loss follows `floor + (start - floor) * exp(-k / tau)` with multiplicative per-step noise drawn from a hash
of (curve key, step), so step k's numbers are the same whenever and however often they are asked for, and
a 25,000-step job costs nothing until a step is read. Losses are never negative; accuracies stay in [0, 1].
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from typing import Any

from ...ids import SEP, seed_of

__all__ = ["CSV_HEADER", "Curve"]

CSV_HEADER = "step,train_loss,train_accuracy,valid_loss,valid_mean_token_accuracy"


def _u(key: int, label: str, step: int | None = None) -> float:
    """A uniform number in [0, 1) fixed by the curve's key, a label and (for per-step noise) the step:
    `derive_seed(key, label[, step]) / 2**64`, with the labels joined by one f-string (a page of metrics
    events derives a few per step)."""
    labels = f"{key}{SEP}{label}" if step is None else f"{key}{SEP}{label}{SEP}{step}"
    return seed_of(labels) / 2.0**64


def _r(x: float) -> float:
    return round(x, 5)


class Curve:
    __slots__ = ("computed", "floor", "has_validation", "key", "start", "steps_per_epoch", "tau", "total_steps")

    def __init__(self, key: int, total_steps: int, steps_per_epoch: int, has_validation: bool) -> None:
        self.key = key
        self.total_steps = total_steps
        self.steps_per_epoch = steps_per_epoch
        self.has_validation = has_validation
        self.start = 1.6 + 1.6 * _u(key, "start")
        self.floor = 0.02 + 0.3 * _u(key, "floor")
        self.tau = max(1.0, total_steps * (0.1 + 0.25 * _u(key, "tau")))
        self.computed = 0  # steps whose metrics were computed: a work counter for cost tests

    def _base(self, k: int) -> float:
        return self.floor + (self.start - self.floor) * math.exp(-k / self.tau)

    def _accuracy(self, loss: float, k: int, label: str) -> float:
        progress = 1.0 - (loss - self.floor) / max(1e-9, self.start - self.floor)
        value = 0.45 + 0.5 * progress + 0.1 * (_u(self.key, label, k) - 0.5)
        return min(1.0, max(0.0, value))

    def is_epoch_end(self, k: int) -> bool:
        return k % self.steps_per_epoch == 0 or k == self.total_steps

    def metrics(self, k: int) -> dict[str, Any]:
        """The `data` of step k's metrics event (what the real API puts there, for this job's files)."""
        self.computed += 1
        base = self._base(k)
        train = max(0.0, base * (0.6 + 0.8 * _u(self.key, "train", k)))
        data: dict[str, Any] = {
            "step": k,
            "train_loss": _r(train),
            "total_steps": self.total_steps,
            "train_mean_token_accuracy": _r(self._accuracy(train, k, "train-acc")),
        }
        if self.has_validation:
            valid = max(0.0, base * (0.85 + 0.6 * _u(self.key, "valid", k)))
            data["valid_loss"] = _r(valid)
            data["valid_mean_token_accuracy"] = _r(self._accuracy(valid, k, "valid-acc"))
            if self.is_epoch_end(k):
                full = max(0.0, base * (1.02 + 0.1 * _u(self.key, "full", k)))
                data["full_valid_loss"] = _r(full)
                data["full_valid_mean_token_accuracy"] = _r(self._accuracy(full, k, "full-acc"))
        return data

    def message(self, data: dict[str, Any]) -> str:
        text = f"Step {data['step']}/{self.total_steps}: training loss={data['train_loss']:.2f}"
        if "valid_loss" in data:
            text += f", validation loss={data['valid_loss']:.2f}"
        if "full_valid_loss" in data:
            text += f", full validation loss={data['full_valid_loss']:.2f}"
        return text

    def checkpoint_metrics(self, k: int) -> dict[str, float]:
        data = self.metrics(k)
        keys = (
            "train_loss",
            "train_mean_token_accuracy",
            "valid_loss",
            "valid_mean_token_accuracy",
            "full_valid_loss",
            "full_valid_mean_token_accuracy",
        )
        return {"step": float(k), **{name: data[name] for name in keys if name in data}}

    def csv_lines(self) -> Iterator[str]:
        """The results file, one row per step (validation columns empty without a validation file)."""
        yield CSV_HEADER + "\n"
        for k in range(1, self.total_steps + 1):
            data = self.metrics(k)
            valid = (
                f"{data['valid_loss']},{data['valid_mean_token_accuracy']}" if "valid_loss" in data else ","
            )
            yield f"{k},{data['train_loss']},{data['train_mean_token_accuracy']},{valid}\n"
