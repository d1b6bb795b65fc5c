"""Reinforcement fine-tuning's curve: the loss curve plus the grader's mean reward, rising to a plateau.

Training batches report `train_reward_mean` (and `train_reasoning_tokens_mean`) every step; with a
validation file, every `eval_interval` steps (and the last) also report `valid_reward_mean`. Like the loss,
each number is a pure function of (curve key, step), so reading a step twice gives the same values.
"""

from __future__ import annotations

import math
from typing import Any

from .metrics import Curve, _r, _u

__all__ = ["RewardCurve"]


class RewardCurve(Curve):
    __slots__ = ("eval_interval", "reward_end", "reward_start")

    def __init__(
        self, key: int, total_steps: int, steps_per_epoch: int, has_validation: bool, eval_interval: int
    ) -> None:
        super().__init__(key, total_steps, steps_per_epoch, has_validation)
        self.eval_interval = max(1, eval_interval)
        self.reward_start = 0.1 + 0.3 * _u(key, "reward-start")
        self.reward_end = self.reward_start + (0.95 - self.reward_start) * (0.4 + 0.5 * _u(key, "reward-end"))

    def reward(self, k: int, label: str) -> float:
        progress = 1.0 - math.exp(-k / self.tau)
        value = self.reward_start + (self.reward_end - self.reward_start) * progress
        return _r(min(1.0, max(0.0, value + 0.08 * (_u(self.key, label, k) - 0.5))))

    def is_eval_step(self, k: int) -> bool:
        return self.has_validation and (k % self.eval_interval == 0 or k == self.total_steps)

    def metrics(self, k: int) -> dict[str, Any]:
        data = super().metrics(k)
        data["train_reward_mean"] = self.reward(k, "train-reward")
        data["train_reasoning_tokens_mean"] = _r(400 + 1200 * _u(self.key, "reasoning", k))
        if self.is_eval_step(k):
            data["valid_reward_mean"] = self.reward(k, "valid-reward")
        return data

    def message(self, data: dict[str, Any]) -> str:
        text = super().message(data) + f", train reward={data['train_reward_mean']:.2f}"
        if "valid_reward_mean" in data:
            text += f", validation reward={data['valid_reward_mean']:.2f}"
        return text

    def checkpoint_metrics(self, k: int) -> dict[str, float]:
        out = super().checkpoint_metrics(k)
        out["train_reward_mean"] = self.reward(k, "train-reward")
        if self.has_validation:
            out["valid_reward_mean"] = self.reward(k, "valid-reward")
        return out
