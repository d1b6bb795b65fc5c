"""The loss chart, drawn on the server as SVG from a job's metrics events: no chart library, no script."""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

__all__ = ["LossChart", "Series", "loss_chart"]

WIDTH, HEIGHT = 1100, 300
LEFT, RIGHT, TOP, BOTTOM = 44, 16, 12, 28
MAX_POINTS = 600  # longer runs are thinned to every n-th step so a page stays small


@dataclass(frozen=True)
class Series:
    key: str  # the metrics field, e.g. train_loss
    label: str
    points: list[tuple[float, float]]  # (x, y) in SVG coordinates
    steps: list[int]
    values: list[float]

    @property
    def path(self) -> str:
        return " ".join(f"{x:.1f},{y:.1f}" for x, y in self.points)


@dataclass(frozen=True)
class LossChart:
    series: list[Series]
    x_ticks: list[tuple[float, int]]
    y_ticks: list[tuple[float, str]]
    total_steps: int
    stride: int  # 1: every step is drawn
    width: int = WIDTH
    height: int = HEIGHT
    left: int = LEFT

    @property
    def empty(self) -> bool:
        return not self.series or not self.series[0].points


_SERIES = (
    ("train_loss", "Training loss"),
    ("valid_loss", "Validation loss"),
    ("full_valid_loss", "Full validation loss (epoch end)"),
)


def loss_chart(metrics: Sequence[dict[str, Any]], total_steps: int, stride: int = 1) -> LossChart:
    """Scale the steps' metrics (as the metrics events carry them) into SVG polylines with axis ticks."""
    values = [m[key] for m in metrics for key, _ in _SERIES if key in m]
    top = max(values, default=1.0) * 1.08 or 1.0
    span_x = max(1, total_steps - 1)

    def x(step: int) -> float:
        return LEFT + (step - 1) / span_x * (WIDTH - LEFT - RIGHT)

    def y(value: float) -> float:
        return TOP + (1 - value / top) * (HEIGHT - TOP - BOTTOM)

    series = []
    for key, label in _SERIES:
        rows = [(int(m["step"]), float(m[key])) for m in metrics if key in m]
        if rows:
            series.append(
                Series(
                    key, label, [(x(s), y(v)) for s, v in rows], [s for s, _ in rows], [v for _, v in rows]
                )
            )
    return LossChart(series, _x_ticks(total_steps, x), _y_ticks(top, y), total_steps, stride)


def _x_ticks(total: int, x: Callable[[int], float]) -> list[tuple[float, int]]:
    step = max(1, int(_nice(total / 6)))
    ticks = [1, *range(step, total + 1, step)]
    return [(x(t), t) for t in ticks if t <= total]


def _y_ticks(top: float, y: Callable[[float], float]) -> list[tuple[float, str]]:
    step = _nice(top / 4) or 0.5
    return [(y(v * step), f"{v * step:.2g}") for v in range(0, int(top / step) + 1)]


def _nice(raw: float) -> float:
    """1, 2 or 5 times a power of ten, at least `raw`."""
    if raw <= 0:
        return 0.0
    power = 10.0 ** math.floor(math.log10(raw))
    return next(f * power for f in (1.0, 2.0, 5.0, 10.0) if f * power >= raw)
