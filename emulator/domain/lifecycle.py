"""Applying the calendar to requests: refuse (policy `openai`) or serve with a warning (`unrestricted`)."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from ..errors import APIError, InvalidRequestError
from .calendar import Calendar, deprecated_model, is_past, training_not_available, warn
from .catalog import Model
from .tuning import lookup_base, not_available

if TYPE_CHECKING:  # state imports the job service, which imports this module
    from .state import Emulator, Tenant

__all__ = ["calendar_for", "check_serving", "check_training", "fine_tuning_base", "model_shutdown", "visible"]


def calendar_for(em: Emulator, tenant: Tenant) -> Calendar:
    """The tenant's effective calendar: settings, scenarios and control overrides layered."""
    return em.calendar(tenant)


def _enforce(calendar: Calendar, error: APIError, why: str) -> None:
    if calendar.enforced:
        raise error
    warn(
        f"{why}; OpenAI would answer {error.status_code} {error.code} (lifecycle policy 'openai'), "
        "served because the policy is 'unrestricted'"
    )


def _alive(calendar: Calendar, now: float) -> Callable[[str], bool]:
    return lambda snapshot: not is_past(calendar.shutdown_date(snapshot), now)


def fine_tuning_base(em: Emulator, tenant: Tenant, model_id: str, now: float) -> Model | None:
    """The snapshot a job on `model_id` trains. Under `openai` an alias skips snapshots already shut down
    (gpt-3.5-turbo trains 0125 once 0613 is gone); `unrestricted` keeps the first choice."""
    calendar = calendar_for(em, tenant)
    if not calendar.enforced:
        return lookup_base(model_id)
    return lookup_base(model_id, _alive(calendar, now))


def check_training(em: Emulator, tenant: Tenant, requested: str, snapshot: str, now: float) -> None:
    """Refuse (or warn about) a job the real service would not create at `now`.

    Raises:
        PermissionDeniedError: 403 `training_not_available`, the wind-down refusal.
        InvalidRequestError: `model_not_available`, the base snapshot has shut down.
    """
    calendar = calendar_for(em, tenant)
    refusal = calendar.training_refusal(tenant.history, now)
    if refusal is not None:
        _enforce(
            calendar, training_not_available(), f"Fine-tuning job refused on the real calendar: {refusal}"
        )
    real = lookup_base(requested, _alive(calendar, now))
    live = snapshot if requested.startswith("ft:") else (real.id if real is not None else snapshot)
    date = calendar.shutdown_date(live)
    if is_past(date, now):
        _enforce(
            calendar,
            InvalidRequestError(not_available(requested), code="model_not_available"),
            f"{live} shut down on {date}, so it cannot be fine-tuned",
        )


def check_serving(
    em: Emulator, tenant: Tenant, model_id: str, base: str, fine_tuned: bool, now: float
) -> None:
    """Refuse (or warn about) inference on a model past its shutdown date; record fine-tuned inference
    (the wind-down's 60-day rule looks at it)."""
    calendar = calendar_for(em, tenant)
    date = (
        calendar.fine_tuned_shutdown_date(model_id, base) if fine_tuned else calendar.shutdown_date(model_id)
    )
    if is_past(date, now):
        what = f"{model_id} (fine-tuned from {base})" if fine_tuned else model_id
        _enforce(calendar, deprecated_model(model_id), f"{what} shut down on {date}")
    if fine_tuned:
        tenant.history.fine_tuned_inference(now)


def model_shutdown(calendar: Calendar, model_id: str, base: str | None = None) -> str | None:
    """`shutdown_date` for the model object: a base model's, or (with `base`) a fine-tuned model's."""
    return calendar.fine_tuned_shutdown_date(model_id, base) if base else calendar.shutdown_date(model_id)


def visible(calendar: Calendar, model_id: str, date: str | None, now: float, *, retrieve: bool) -> bool:
    """Whether `/v1/models` shows the model: under `openai` a shut-down model is gone (a retrieve is
    refused with the deprecation 404); `unrestricted` shows it and warns on a retrieve."""
    if not is_past(date, now):
        return True
    if retrieve:
        _enforce(calendar, deprecated_model(model_id), f"{model_id} shut down on {date}")
    return not calendar.enforced
