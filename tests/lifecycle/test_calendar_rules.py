"""The wind-down rules and date overrides as pure functions of the history and the clock (no HTTP)."""

from __future__ import annotations

import pytest

from emulator.domain.calendar import Calendar, History, LifecycleSpec, is_past
from emulator.domain.catalog import day

DAY = 86_400.0


def refused(history: History, date: str, seconds: float = 0.0, **calendar: object) -> bool:
    return Calendar(policy="openai", **calendar).training_refusal(history, day(date) + seconds) is not None  # type: ignore[arg-type]


def test_first_cutoff_is_midnight_utc_of_2026_05_07() -> None:
    fresh = History()
    assert not refused(fresh, "2026-05-07", -1)
    assert refused(fresh, "2026-05-07")


def test_a_job_before_the_first_cutoff_counts_one_on_it_does_not() -> None:
    assert not refused(History(first_job_at=day("2026-05-07") - 1), "2026-05-08")
    assert refused(History(first_job_at=day("2026-05-07")), "2026-05-08")


def test_sixty_day_window_is_inclusive_at_its_edge() -> None:
    history = History(first_job_at=0, last_fine_tuned_inference_at=day("2026-06-01"))
    assert not refused(history, "2026-07-31")  # exactly 60 days later
    assert refused(history, "2026-07-31", 1)
    assert not refused(History(first_job_at=0), "2026-07-02", -1)
    assert refused(History(first_job_at=0), "2026-07-02")


def test_last_cutoff_refuses_even_active_organizations() -> None:
    active = History(first_job_at=0, last_fine_tuned_inference_at=day("2027-01-05"))
    assert not refused(active, "2027-01-06", -1)
    assert refused(active, "2027-01-06")


def test_access_override_replaces_the_rules() -> None:
    assert not refused(History(), "2027-06-01", access="allowed")
    assert refused(History(first_job_at=0), "2025-01-01", access="blocked")


def test_layers_later_win_and_aliases_follow_their_snapshot() -> None:
    lower = LifecycleSpec.build("openai", "blocked", {"gpt-4o-mini-2024-07-18": "2026-01-01"})
    upper = LifecycleSpec.build(None, "allowed", {"gpt-5.5": "2026-02-01"})
    calendar = Calendar.of([lower, upper], "unrestricted")
    assert (calendar.policy, calendar.access) == ("openai", "allowed")
    assert calendar.shutdown_date("gpt-4o-mini") == "2026-01-01"
    assert (
        calendar.fine_tuned_shutdown_date("ft:gpt-4o-mini-2024-07-18:x::y", "gpt-4o-mini-2024-07-18")
        == "2026-01-01"
    )
    assert calendar.shutdown_date("gpt-5.5") == "2026-02-01"
    assert calendar.shutdown_date("gpt-4.1-2025-04-14") == "2027-01-14"
    assert Calendar.of([], "unrestricted").policy == "unrestricted"


def test_a_model_is_past_its_date_from_midnight_utc() -> None:
    assert not is_past("2026-10-23", day("2026-10-23") - 1)
    assert is_past("2026-10-23", day("2026-10-23"))
    assert not is_past(None, 1e12)


def test_bad_layers_are_refused() -> None:
    with pytest.raises(ValueError, match="lifecycle policy"):
        LifecycleSpec("strict")
    with pytest.raises(ValueError, match="shutdown_dates.gpt-4o"):
        LifecycleSpec.build(shutdown_dates={"gpt-4o": "2026-13-01"})
