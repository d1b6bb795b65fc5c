"""The real service's calendar on the emulator's clock: model shutdowns and the fine-tuning wind-down.

Policy `unrestricted` (the default) serves every catalog model whatever the date and only *notes* what the
real service would refuse (a warning header and a log line); policy `openai` refuses it with OpenAI's
errors. Layers, later ones winning: settings < global scenarios < emulator-wide control overrides <
the tenant's scenarios < the tenant's control overrides.
"""

from __future__ import annotations

import contextvars
import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace

from ..errors import NotFoundError, PermissionDeniedError
from .catalog import day
from .catalog_table import INACTIVITY_WINDOW_DAYS, WIND_DOWN
from .models import BASE_MODELS, resolve_alias

__all__ = [
    "ACCESS",
    "POLICIES",
    "Calendar",
    "History",
    "LifecycleSpec",
    "bind_warnings",
    "check_date",
    "deprecated_model",
    "training_not_available",
    "warn",
]

POLICIES = ("unrestricted", "openai")
ACCESS = ("allowed", "blocked")  # an override of the wind-down rules; unset: follow the tenant's history

TRAINING_NOT_AVAILABLE = (
    "OpenAI is winding down the fine-tuning platform and your organization is no longer able to create new "
    "fine-tuning training jobs. Learn more "
    "https://developers.openai.com/api/docs/deprecations#update-to-openais-self-serve-fine-tuning"
)
_DAY = 86_400.0


def check_date(value: object, where: str) -> str | None:
    """A YYYY-MM-DD string (or None) for a shutdown date, else ValueError naming `where`."""
    if value is None:
        return None
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, str):
        try:
            return dt.date.fromisoformat(value).isoformat()
        except ValueError:
            pass
    raise ValueError(f"{where}: expected a date as YYYY-MM-DD or null, got {value!r}")


@dataclass(frozen=True)
class LifecycleSpec:
    """One layer of lifecycle settings; None / absent means "as the layer below says"."""

    policy: str | None = None
    access: str | None = None
    # model id (base snapshot, alias or ft: model) -> date, or None to say "no shutdown date"
    shutdown_dates: tuple[tuple[str, str | None], ...] = ()

    def __post_init__(self) -> None:
        if self.policy is not None and self.policy not in POLICIES:
            raise ValueError(f"lifecycle policy must be one of {', '.join(POLICIES)}, not {self.policy!r}")
        if self.access is not None and self.access not in ACCESS:
            raise ValueError(
                f"lifecycle access must be one of {', '.join(ACCESS)} or null, not {self.access!r}"
            )

    @classmethod
    def build(
        cls,
        policy: str | None = None,
        access: str | None = None,
        shutdown_dates: Mapping[str, object] | None = None,
    ) -> LifecycleSpec:
        dates = tuple(
            (str(k), check_date(v, f"shutdown_dates.{k}")) for k, v in (shutdown_dates or {}).items()
        )
        return cls(policy, access, dates)

    def over(self, lower: LifecycleSpec) -> LifecycleSpec:
        """This layer on top of `lower`."""
        return LifecycleSpec(
            self.policy or lower.policy,
            self.access or lower.access,
            tuple({**dict(lower.shutdown_dates), **dict(self.shutdown_dates)}.items()),
        )

    def updated(
        self, *, policy: str | None, access: str | None, clear_access: bool, dates: Mapping[str, str | None]
    ) -> LifecycleSpec:
        return replace(
            self,
            policy=policy or self.policy,
            access=None if clear_access else (access or self.access),
            shutdown_dates=tuple({**dict(self.shutdown_dates), **dates}.items()),
        )

    def to_dict(self) -> dict[str, object]:
        return {"policy": self.policy, "access": self.access, "shutdown_dates": dict(self.shutdown_dates)}


@dataclass
class History:
    """What the wind-down rules look at, as it happened on the emulator's clock."""

    first_job_at: float | None = None
    last_fine_tuned_inference_at: float | None = None

    def job_created(self, now: float) -> None:
        if self.first_job_at is None or now < self.first_job_at:
            self.first_job_at = now

    def fine_tuned_inference(self, now: float) -> None:
        if self.last_fine_tuned_inference_at is None or now > self.last_fine_tuned_inference_at:
            self.last_fine_tuned_inference_at = now

    def to_dict(self) -> dict[str, object]:
        return {
            "first_job_at": _int(self.first_job_at),
            "last_fine_tuned_inference_at": _int(self.last_fine_tuned_inference_at),
        }


@dataclass(frozen=True)
class Calendar:
    """The effective lifecycle for one tenant: the policy, its access override and the shutdown dates."""

    policy: str = "unrestricted"
    access: str | None = None
    overrides: Mapping[str, str | None] = field(default_factory=dict)

    @classmethod
    def of(cls, layers: Iterable[LifecycleSpec], default_policy: str) -> Calendar:
        merged = LifecycleSpec(default_policy)
        for layer in layers:
            merged = layer.over(merged)
        return cls(merged.policy or default_policy, merged.access, dict(merged.shutdown_dates))

    @property
    def enforced(self) -> bool:
        return self.policy == "openai"

    def shutdown_date(self, model_id: str) -> str | None:
        """A base model's (or alias's) shutdown date, overrides first."""
        if model_id in self.overrides:
            return self.overrides[model_id]
        target = resolve_alias(model_id)  # an alias follows an override of the snapshot it serves
        if target != model_id and target in self.overrides:
            return self.overrides[target]
        base = BASE_MODELS.get(model_id)
        return base.shutdown_date if base is not None else None

    def fine_tuned_shutdown_date(self, model_id: str, base: str) -> str | None:
        """A fine-tuned model's date: its own override, else its base's (override or catalog)."""
        if model_id in self.overrides:
            return self.overrides[model_id]
        if base in self.overrides:
            return self.overrides[base]
        snapshot = BASE_MODELS.get(base) or BASE_MODELS.get(resolve_alias(base))
        return snapshot.fine_tuned_shutdown_date if snapshot is not None else None

    def training_refusal(self, history: History, now: float) -> str | None:
        """Why the tenant may not create a fine-tuning job at `now` on the real service, or None."""
        if self.access == "allowed":
            return None
        if self.access == "blocked":
            return "this organization's fine-tuning access is set to 'blocked'"
        if now >= WIND_DOWN["everyone"].timestamp:
            return f"no organization may create fine-tuning jobs from {WIND_DOWN['everyone'].date}"
        never = WIND_DOWN["never_fine_tuned"]
        if now >= never.timestamp and (
            history.first_job_at is None or history.first_job_at >= never.timestamp
        ):
            return (
                f"organizations that had never fine-tuned before {never.date} may not create fine-tuning jobs"
            )
        inactive = WIND_DOWN["inactive_60_days"]
        recent = history.last_fine_tuned_inference_at
        if now >= inactive.timestamp and (recent is None or recent < now - INACTIVITY_WINDOW_DAYS * _DAY):
            return (
                f"from {inactive.date}, organizations without inference on a fine-tuned model in the "
                f"previous {INACTIVITY_WINDOW_DAYS} days may not create fine-tuning jobs"
            )
        return None


def is_past(date: str | None, now: float) -> bool:
    """True from 00:00 UTC of `date` on."""
    return date is not None and now >= day(date)


def training_not_available() -> PermissionDeniedError:
    return PermissionDeniedError(TRAINING_NOT_AVAILABLE, code="training_not_available")


def deprecated_model(model_id: str) -> NotFoundError:
    return NotFoundError(
        f"The model `{model_id}` has been deprecated, learn more here: https://platform.openai.com/docs/deprecations",
        code="model_not_found",
    )


# -- warnings: what `unrestricted` serves although the real service would refuse it -------------------------

_WARNINGS: contextvars.ContextVar[list[str] | None] = contextvars.ContextVar(
    "lifecycle_warnings", default=None
)


def bind_warnings() -> tuple[list[str], contextvars.Token[list[str] | None]]:
    """Collect this request's warnings (the HTTP edge turns them into a header and a log line)."""
    collected: list[str] = []
    return collected, _WARNINGS.set(collected)


def unbind_warnings(token: contextvars.Token[list[str] | None]) -> None:
    _WARNINGS.reset(token)


def warn(message: str) -> None:
    collected = _WARNINGS.get()
    if collected is not None and message not in collected:
        collected.append(message)


def _int(value: float | None) -> int | None:
    return None if value is None else int(value)
