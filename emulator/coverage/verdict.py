"""The client-behaviour verdict: what the observations say about how the client copes with the API.

Checks, each per test (or per tenant on a dev server):
  retries        a retryable answer (408/409/429/5xx, a dropped connection, x-should-retry: true) is
                 retried; an answer with x-should-retry: false is not
  retry_after    the retry waits at least what retry-after-ms / retry-after asked for
  backoff        repeated retries of one request are spaced out, and stop (no retry storm)
  duplicates     a create committed and then dropped is not retried into a second object
  polling        job reads compared with the job's status changes (wasted polls)
  terminal       the client stops polling a job once it has seen a terminal status
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import asdict, dataclass
from typing import Any

from .observe import Observation

__all__ = ["Finding", "Polling", "judge", "polling"]

RETRYABLE = frozenset({408, 409, 429})
CREATES = frozenset({"/v1/files", "/v1/fine_tuning/jobs", "/v1/uploads"})
TERMINAL = frozenset({"succeeded", "failed", "cancelled"})
RETRY_STORM = 10  # attempts of one request beyond which a client is not giving up sensibly
MIN_BACKOFF = 0.05  # seconds: retrying sooner than this, again and again, is no backoff
TOLERANCE = 0.9  # a wait within 10% of what was asked counts as honouring it (timer granularity)
WASTED_POLLS = 20  # polls per status change above which polling is flagged


@dataclass(frozen=True)
class Finding:
    check: str
    severity: str  # "error": breaks against OpenAI too; "warning": costly or fragile; "info"
    test: str  # the pytest node id, or the tenant on a dev server
    request_ids: tuple[str, ...]
    message: str

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["request_ids"] = list(self.request_ids)
        return data


def judge(test: str, observations: list[Observation]) -> tuple[list[Finding], dict[str, int]]:
    """Findings for one test's requests, in arrival order, and how many times each check applied."""
    findings: list[Finding] = []
    applied = dict.fromkeys(("retries", "retry_after", "backoff", "duplicates", "polling", "terminal"), 0)

    def flag(check: str, severity: str, message: str, *seen: Observation) -> None:
        findings.append(Finding(check, severity, test, tuple(o.request_id for o in seen), message))

    ordered = sorted(observations, key=lambda o: o.arrived)
    for index, obs in enumerate(ordered):
        retry = _next_attempt(ordered, index)
        request = f"{obs.method} {obs.path}"
        if obs.should_retry == "false":
            applied["retries"] += 1
            if retry is not None:
                flag(
                    "retries",
                    "error",
                    f"{request} was retried although it said x-should-retry: false",
                    obs,
                    retry,
                )
            continue
        if not _retryable(obs):
            continue
        applied["retries"] += 1
        if retry is None:
            what = "a dropped connection" if obs.status == 0 else f"a {obs.status}"
            flag("retries", "warning", f"{request} got {what} and was not retried (the SDK would retry)", obs)
            continue
        waited = retry.arrived - obs.answered
        if obs.retry_after is not None:
            applied["retry_after"] += 1
            if waited < obs.retry_after * TOLERANCE:
                message = (
                    f"{request} was retried after {waited:.3f}s although the {obs.status} asked for "
                    f"{obs.retry_after:g}s (retry-after-ms / retry-after ignored)"
                )
                flag("retry_after", "error", message, obs, retry)
        if (
            obs.status == 0
            and obs.fault == "commit_then_drop"
            and obs.method == "POST"
            and obs.path in CREATES
        ):
            applied["duplicates"] += 1
            if (obs.handler_status or 0) < 300 and 200 <= retry.status < 300:
                message = (
                    f"{request} was committed, its connection dropped, and the retry created a second "
                    "object: the create is not idempotent"
                )
                flag("duplicates", "error", message, obs, retry)
    findings += _storms(test, ordered, applied)
    findings += _polling(test, ordered, applied)
    return findings, applied


def _retryable(obs: Observation) -> bool:
    if obs.should_retry == "true":
        return True
    return obs.status == 0 or obs.status in RETRYABLE or obs.status >= 500


def _next_attempt(ordered: list[Observation], index: int) -> Observation | None:
    """The next request that repeats `ordered[index]` (same method, path, query and body)."""
    current = ordered[index]
    for later in ordered[index + 1 :]:
        if later.fingerprint == current.fingerprint and (later.retry_count is None or later.retry_count > 0):
            return later
        if later.fingerprint == current.fingerprint:
            return None  # the SDK says this one is a fresh call, not a retry
    return None


def _storms(test: str, ordered: list[Observation], applied: dict[str, int]) -> Iterable[Finding]:
    runs: list[list[Observation]] = []
    for obs in ordered:
        if runs and runs[-1][-1].fingerprint == obs.fingerprint and _retryable(runs[-1][-1]):
            runs[-1].append(obs)
        else:
            runs.append([obs])
    for run in runs:
        if len(run) < 3:
            continue
        applied["backoff"] += 1
        gaps = [b.arrived - a.answered for a, b in zip(run, run[1:], strict=False)]
        ids, request = tuple(o.request_id for o in run), f"{run[0].method} {run[0].path}"
        if len(run) > RETRY_STORM:
            message = f"{request} was attempted {len(run)} times in a row: the client does not give up"
            yield Finding("backoff", "error", test, ids, message)
        elif max(gaps) < MIN_BACKOFF:
            message = (
                f"{request} was retried {len(run) - 1} times with no backoff (longest wait {max(gaps):.3f}s)"
            )
            yield Finding("backoff", "warning", test, ids, message)


@dataclass(frozen=True)
class Polling:
    """How a client read one job: reads, status changes it saw, and the reads after a terminal status."""

    job_id: str
    reads: tuple[tuple[str, str], ...]  # (request id, status shown), in order

    @property
    def changes(self) -> int:
        return sum(1 for (_, a), (_, b) in zip(self.reads, self.reads[1:], strict=False) if a != b)

    @property
    def wasted(self) -> int:
        """Reads that showed nothing new."""
        return len(self.reads) - 1 - self.changes

    @property
    def terminal_at(self) -> int | None:
        return next((i for i, (_, status) in enumerate(self.reads) if status in TERMINAL), None)


def polling(observations: list[Observation]) -> list[Polling]:
    """Each job's retrieves (GET /v1/fine_tuning/jobs/{id}), in arrival order."""
    reads: dict[str, list[tuple[str, str]]] = {}
    for obs in sorted(observations, key=lambda o: o.arrived):
        if obs.method == "GET" and len(obs.jobs) == 1 and obs.path.rsplit("/", 1)[-1] in obs.jobs:
            job_id, status = next(iter(obs.jobs.items()))
            reads.setdefault(job_id, []).append((obs.request_id, status))
    return [Polling(job_id, tuple(items)) for job_id, items in reads.items()]


def _polling(test: str, ordered: list[Observation], applied: dict[str, int]) -> Iterable[Finding]:
    for job in polling(ordered):
        applied["polling"] += 1
        ids = (job.reads[0][0], job.reads[-1][0])
        if len(job.reads) > WASTED_POLLS * (job.changes + 1):
            message = (
                f"job {job.job_id} was read {len(job.reads)} times while its status changed {job.changes} "
                "time(s): poll less often, or advance the clock"
            )
            yield Finding("polling", "warning", test, ids, message)
        if job.terminal_at is None:
            continue
        applied["terminal"] += 1
        after = job.reads[job.terminal_at + 1 :]
        if len(after) >= 2:
            message = (
                f"job {job.job_id} was {job.reads[job.terminal_at][1]}, yet the client read it {len(after)} "
                "more time(s): it does not recognise that status as final"
            )
            yield Finding("terminal", "warning", test, tuple(rid for rid, _ in after[:5]), message)
