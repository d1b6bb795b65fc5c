"""Rate limits: per-tenant request and token buckets on the emulator clock, and caps on fine-tuning jobs."""

from __future__ import annotations

import math
import threading
from collections import deque
from dataclasses import dataclass

from ..durations import format_go_duration
from ..errors import RateLimitError

__all__ = ["Bucket", "JobCaps", "Limits", "RateLimiter"]

_VISIT = "Visit https://platform.openai.com/account/rate-limits to learn more."
DAY = 86_400.0


@dataclass(frozen=True)
class Limits:
    """Per-minute limits for one tenant; 0 means not enforced (no bucket, no headers)."""

    requests: int
    tokens: int
    max_active_jobs: int = 0
    jobs_per_day: int = 0


class Bucket:
    """A token bucket that refills continuously to `limit` over one minute, as OpenAI describes its limits."""

    def __init__(self, limit: int, now: float) -> None:
        self.limit = limit
        self.level = float(limit)
        self.updated = now

    @property
    def rate(self) -> float:
        return self.limit / 60.0

    def refill(self, now: float) -> None:
        if now > self.updated:
            self.level = min(float(self.limit), self.level + (now - self.updated) * self.rate)
        self.updated = max(self.updated, now)

    def wait_for(self, amount: int) -> float:
        """Seconds until `amount` is available."""
        return max(0.0, (amount - self.level) / self.rate)

    def until_full(self) -> float:
        return max(0.0, (self.limit - self.level) / self.rate)

    def used(self) -> int:
        return min(self.limit, math.ceil(self.limit - self.level - 1e-9))


class RateLimiter:
    """Every tenant's buckets. `admit` charges a request (and its estimated tokens) or raises a 429."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._buckets: dict[tuple[str, str], Bucket] = {}

    def admit(
        self, organization: str, limits: Limits, tokens: int, model: str | None, now: float
    ) -> dict[str, str]:
        """The x-ratelimit-* headers after charging this request; RateLimitError when a bucket is short."""
        if limits.requests <= 0 and limits.tokens <= 0:
            return {}
        with self._lock:
            requests = self._bucket(organization, "requests", limits.requests, now)
            token_bucket = self._bucket(organization, "tokens", limits.tokens, now)
            if requests is not None and requests.level < 1:
                raise self._exceeded(organization, model, requests, 1, "requests", "RPM", token_bucket)
            if token_bucket is not None and tokens > 0:
                if tokens > token_bucket.limit:
                    raise RateLimitError(
                        f"Request too large for {model or 'this model'} in organization {organization} "
                        "on tokens "
                        f"per min (TPM): Limit {token_bucket.limit}, Requested {tokens}. The input or output "
                        f"tokens must be reduced in order to run successfully. {_VISIT}",
                        type="tokens",
                        headers=_headers(requests, token_bucket),
                    )
                if token_bucket.level < tokens:
                    raise self._exceeded(organization, model, token_bucket, tokens, "tokens", "TPM", requests)
            if requests is not None:
                requests.level -= 1
            if token_bucket is not None:
                token_bucket.level -= tokens
            return _headers(requests, token_bucket)

    def refund(self, organization: str, tokens: int) -> None:
        """Give back the tokens charged for a request the API then refused (a 4xx never costs tokens)."""
        with self._lock:
            bucket = self._buckets.get((organization, "tokens"))
            if bucket is not None and tokens > 0:
                bucket.level = min(bucket.limit, bucket.level + tokens)

    def reset(self, organization: str | None = None) -> None:
        with self._lock:
            if organization is None:
                self._buckets.clear()
            else:
                for key in [k for k in self._buckets if k[0] == organization]:
                    del self._buckets[key]

    def _bucket(self, organization: str, kind: str, limit: int, now: float) -> Bucket | None:
        if limit <= 0:
            return None
        bucket = self._buckets.get((organization, kind))
        if bucket is None or bucket.limit != limit:  # a new scenario's limits start with a full bucket
            bucket = self._buckets[(organization, kind)] = Bucket(limit, now)
        bucket.refill(now)
        return bucket

    def _exceeded(
        self,
        organization: str,
        model: str | None,
        bucket: Bucket,
        amount: int,
        kind: str,
        unit: str,
        other: Bucket | None,
    ) -> RateLimitError:
        wait = bucket.wait_for(amount)
        target = f" for {model}" if model else ""
        per = "requests per min" if kind == "requests" else "tokens per min"
        message = (
            f"Rate limit reached{target} in organization {organization} on {per} ({unit}): "
            f"Limit {bucket.limit}, Used {bucket.used()}, Requested {amount}. "
            f"Please try again in {format_go_duration(wait)}. {_VISIT}"
        )
        pair = (bucket, other) if kind == "requests" else (other, bucket)
        headers = _headers(*pair)
        headers["retry-after"] = str(max(1, math.ceil(wait)))
        return RateLimitError(message, type=kind, headers=headers)


def _headers(requests: Bucket | None, tokens: Bucket | None) -> dict[str, str]:
    headers: dict[str, str] = {}
    for kind, bucket in (("requests", requests), ("tokens", tokens)):
        if bucket is None:
            continue
        headers[f"x-ratelimit-limit-{kind}"] = str(bucket.limit)
        headers[f"x-ratelimit-remaining-{kind}"] = str(max(0, math.floor(bucket.level + 1e-9)))
        headers[f"x-ratelimit-reset-{kind}"] = format_go_duration(bucket.until_full())
    return headers


class JobCaps:
    """Caps on fine-tuning jobs: how many may be active at once, and how many may be created per day."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._created: dict[tuple[str, str], deque[float]] = {}

    def admit(self, organization: str, model: str, limits: Limits, active: int, now: float) -> None:
        """Count one job creation, or raise the 429 OpenAI gives when a cap is reached."""
        with self._lock:
            if limits.max_active_jobs > 0 and active >= limits.max_active_jobs:
                # [INFER] worded like the real daily-limit error below; the real text is not captured.
                raise RateLimitError(
                    "This fine-tune request has been rate-limited. "
                    "Your organization has reached the maximum of "
                    f"{limits.max_active_jobs} active fine-tuning jobs (validating_files, queued, running or "
                    "paused). Wait for a job to finish or cancel one, then try again.",
                    type="invalid_request_error",
                    code="rate_limit_exceeded",
                )
            created = self._created.setdefault((organization, model), deque())
            while created and created[0] <= now - DAY:
                created.popleft()
            if limits.jobs_per_day > 0 and len(created) >= limits.jobs_per_day:
                # Real (2026): johny-b/llmcomp#58.
                raise RateLimitError(
                    "This fine-tune request has been rate-limited. "
                    "Your organization has reached the maximum of "
                    f"{limits.jobs_per_day} fine-tuning requests per day for the model '{model}'.",
                    type="invalid_request_error",
                    code="daily_rate_limit_exceeded",
                )
            created.append(now)

    def reset(self, organization: str | None = None) -> None:
        with self._lock:
            if organization is None:
                self._created.clear()
            else:
                for key in [k for k in self._created if k[0] == organization]:
                    del self._created[key]
