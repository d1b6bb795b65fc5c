"""The verdict's other checks, on hand-made observations (the plugin tests cover retry-after and duplicates
end to end): x-should-retry, giving up, retry storms without backoff, wasted polls, reads after a terminal
status, and a well-behaved client that draws no finding."""

from __future__ import annotations

from typing import Any

from emulator.coverage.observe import Observation
from emulator.coverage.verdict import judge

TEST = "test_app.py::test_it"


def obs(
    n: int, at: float, status: int = 200, *, path: str = "/v1/files", method: str = "POST", **kw: Any
) -> Observation:
    fields: dict[str, Any] = {
        "request_id": f"req_{n}", "method": method, "path": path, "query": "", "organization": "org-x",
        "fingerprint": f"{method} {path}", "arrived": at, "answered": at + 0.001, "status": status,
        "retry_count": None, "retry_after": None, "should_retry": None,
    }  # fmt: skip
    fields.update(kw)
    return Observation(**fields)


def checks(observations: list[Observation]) -> list[tuple[str, str, tuple[str, ...]]]:
    findings, _ = judge(TEST, observations)
    assert all(f.test == TEST for f in findings)
    return [(f.check, f.severity, f.request_ids) for f in findings]


def test_retrying_an_answer_that_said_do_not_retry_is_an_error() -> None:
    seen = [obs(1, 0.0, 500, should_retry="false"), obs(2, 1.0)]
    assert checks(seen) == [("retries", "error", ("req_1", "req_2"))]


def test_a_retryable_answer_left_alone_is_a_warning() -> None:
    assert checks([obs(1, 0.0, 503)]) == [("retries", "warning", ("req_1",))]


def test_a_400_is_not_expected_to_be_retried() -> None:
    assert checks([obs(1, 0.0, 400)]) == []


def test_hammering_without_backoff_and_never_giving_up() -> None:
    storm = [obs(n, n * 0.002, 503) for n in range(12)]
    found = checks(storm)
    assert ("backoff", "error", tuple(f"req_{n}" for n in range(12))) in found
    quick = [obs(n, n * 0.002, 503) for n in range(3)] + [obs(3, 0.01)]
    assert [c[:2] for c in checks(quick)] == [("backoff", "warning")]


def test_patient_retries_draw_no_finding() -> None:
    patient = [obs(1, 0.0, 429, retry_after=0.5), obs(2, 0.6, retry_count=1)]
    assert checks(patient) == []


def test_wasted_polls_and_reads_after_the_end() -> None:
    job = "/v1/fine_tuning/jobs/ftjob-1"
    reads = [
        obs(n, n, path=job, method="GET", fingerprint=f"GET {job} {n}", jobs={"ftjob-1": "running"})
        for n in range(45)
    ]
    reads += [
        obs(
            45 + n,
            45 + n,
            path=job,
            method="GET",
            fingerprint=f"GET {job} x{n}",
            jobs={"ftjob-1": "succeeded"},
        )
        for n in range(3)
    ]
    found = checks(reads)
    assert ("polling", "warning", ("req_0", "req_47")) in found
    assert ("terminal", "warning", ("req_46", "req_47")) in found
