"""Where the emulator knowingly differs from OpenAI's published contract, each with the reason.

Two kinds: routes the emulator serves that the spec no longer lists, and single schema mismatches that
OpenAI itself produces (so a faithful emulator must too). Everything else the contract check reports.
"""

from __future__ import annotations

import fnmatch
from dataclasses import dataclass
from typing import Any

__all__ = ["DEPARTURES", "LOCATION_DEPARTURES", "UNSPECIFIED_ROUTES", "Departure", "LocationDeparture"]

# Served paths (starlette templates) that OpenAI's current spec does not describe, and why they exist.
UNSPECIFIED_ROUTES: dict[str, str] = {
    "/v1/fine-tunes": "the legacy fine-tunes API, retired on 2024-01-04: OpenAI answers 404 Invalid URL",
    "/v1/fine-tunes/{fine_tune_id}": "legacy fine-tunes (retired): 404 Invalid URL",
    "/v1/fine-tunes/{fine_tune_id}/cancel": "legacy fine-tunes (retired): 404 Invalid URL",
    "/v1/fine-tunes/{fine_tune_id}/events": "legacy fine-tunes (retired): 404 Invalid URL",
    "/v1/webhook_endpoints": "webhooks: not in the published spec (2.3.0); bodies unchecked",
    "/v1/webhook_endpoints/{endpoint_id}": "webhooks: not in the spec (2.3.0)",
    "/v1/webhook_endpoints/{endpoint_id}/rotate_secret": "webhooks: not in the spec (2.3.0)",
    "/v1/webhook_endpoints/{endpoint_id}/test": "webhooks: not in the spec (2.3.0)",
    "/v1/webhook_event_types": "webhooks: not in the spec (2.3.0)",
    "/v1/files/import": "Azure OpenAI's file import, reached as /openai/files/import; OpenAI callers get 404 "
    "Invalid URL",
    "/v1/fine_tuning/jobs/{job_id}/checkpoints/{checkpoint_id}/copy": "Azure OpenAI's checkpoint copy "
    "(preview), reached under /openai/; OpenAI callers get 404 Invalid URL",
}


@dataclass(frozen=True)
class Departure:
    """One tolerated enum value: `value` may appear where the spec's enum (recognised by `enum_member`,
    one value only that enum has) does not list it."""

    name: str
    value: str
    enum_member: str
    reason: str

    def covers(self, validator: str, instance: object, schema_enum: object) -> bool:
        return (
            validator == "enum"
            and instance == self.value
            and isinstance(schema_enum, list)
            and self.enum_member in schema_enum
        )


DEPARTURES: tuple[Departure, ...] = (
    Departure(
        name="fine_tuning_job.status=paused",
        value="paused",
        enum_member="validating_files",
        reason="POST /v1/fine_tuning/jobs/{id}/pause returns a job whose status is 'paused' (the spec's own "
        "pause example shows it), but the FineTuningJob status enum does not list it",
    ),
)


@dataclass(frozen=True)
class LocationDeparture:
    """A place where the spec contradicts what OpenAI does: schema errors at `location` (a glob over the
    error's JSON path, e.g. data/*/role) of requests matching `method` and `path` (a glob) are tolerated;
    with `instance_type`, only when the offending object's "type" is that value."""

    name: str
    method: str
    path: str
    location: str
    reason: str
    instance_type: str | None = None

    def covers(self, method: str, path: str, error: Any) -> bool:
        location = "/".join(map(str, error.absolute_path))
        instance = error.instance
        return (
            method == self.method
            and fnmatch.fnmatchcase(path, self.path)
            and fnmatch.fnmatchcase(location, self.location)
            and (
                self.instance_type is None
                or (isinstance(instance, dict) and instance.get("type") == self.instance_type)
            )
        )


_MULTI = (
    "a multi grader's `graders` is a mapping of named graders, as OpenAI's graders guide shows and its "
    "`calculate_output` formula needs; the spec types it as one grader"
)
LOCATION_DEPARTURES: tuple[LocationDeparture, ...] = (
    LocationDeparture(
        name="chat_completion_messages.role",
        method="GET",
        path="/v1/chat/completions/*/messages",
        location="data/*/role",
        reason="the stored completion's messages are its input messages (system, user, ...); the spec's "
        "message list schema only allows role 'assistant'",
    ),
    LocationDeparture("grader.multi", "POST", "/v1/fine_tuning/alpha/graders/*", "grader", _MULTI, "multi"),
    LocationDeparture(
        "job.reinforcement.grader.multi",
        "POST",
        "/v1/fine_tuning/jobs",
        "method/reinforcement/grader",
        _MULTI,
        "multi",
    ),
)
