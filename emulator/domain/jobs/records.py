"""Wire records of the jobs API: job errors, events and checkpoints, with their `to_dict()` shapes."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

__all__ = ["Checkpoint", "Event", "JobError", "Note"]

_NO_DATA: Mapping[str, Any] = MappingProxyType({})


@dataclass(frozen=True, slots=True)
class JobError:
    """Why a job failed: `error` on the job object (`param` is usually `training_file`)."""

    code: str
    message: str
    param: str | None = "training_file"

    def to_dict(self) -> dict[str, Any]:
        return {"code": self.code, "message": self.message, "param": self.param}


@dataclass(frozen=True, slots=True)
class Note:
    """A message event waiting in the timeline; it becomes an Event once the clock reaches it."""

    message: str
    level: str = "info"
    data: Mapping[str, Any] = field(default_factory=lambda: _NO_DATA)  # shared: a job holds many notes


@dataclass(frozen=True, slots=True)
class Event:
    id: str
    created_at: int
    level: str
    message: str
    type: str = "message"
    data: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        # The real API sends `data: null` for "Fine-tuning job started"; the spec types `data` as an object,
        # so every message event carries `{}` (what most real message events have).
        return {
            "object": "fine_tuning.job.event",
            "id": self.id,
            "created_at": self.created_at,
            "level": self.level,
            "message": self.message,
            "data": dict(self.data),
            "type": self.type,
        }


@dataclass(frozen=True, slots=True)
class Checkpoint:
    id: str
    created_at: int
    fine_tuned_model_checkpoint: str
    fine_tuning_job_id: str
    step_number: int
    metrics: dict[str, float]

    def to_dict(self) -> dict[str, Any]:
        return {
            "object": "fine_tuning.job.checkpoint",
            "id": self.id,
            "created_at": self.created_at,
            "fine_tuned_model_checkpoint": self.fine_tuned_model_checkpoint,
            "fine_tuning_job_id": self.fine_tuning_job_id,
            "metrics": dict(self.metrics),
            "step_number": self.step_number,
        }
