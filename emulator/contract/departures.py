"""Where the emulator knowingly differs from OpenAI's published contract, each with the reason.

Two kinds: routes the emulator serves that the spec no longer lists, and single schema mismatches that
OpenAI itself produces (so a faithful emulator must too). Everything else the contract check reports.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["DEPARTURES", "UNSPECIFIED_ROUTES", "Departure"]

# Served paths (starlette templates) that OpenAI's current spec does not describe, and why they exist.
UNSPECIFIED_ROUTES: dict[str, str] = {
    "/v1/fine-tunes": "the legacy fine-tunes API, retired on 2024-01-04: OpenAI answers 404 Invalid URL",
    "/v1/fine-tunes/{fine_tune_id}": "legacy fine-tunes (retired): 404 Invalid URL",
    "/v1/fine-tunes/{fine_tune_id}/cancel": "legacy fine-tunes (retired): 404 Invalid URL",
    "/v1/fine-tunes/{fine_tune_id}/events": "legacy fine-tunes (retired): 404 Invalid URL",
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
