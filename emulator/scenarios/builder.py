"""A small Python builder for scenarios; it writes the same data as YAML and validates it the same way.

sc = (scenario("flaky-uploads", "The first two uploads fail with 503")
      .on("POST", "/v1/files").times(2).respond(503, headers={"retry-after-ms": "10"})
      .on(path="/v1/chat/completions", stream=True).probability(0.2).fault("truncate_stream", after_chunks=3)
      .job(suffix="doomed").fail(phase="running", at_step=40)
      .build())
"""

from __future__ import annotations

from typing import Any, Self

from .dsl import Scenario, parse_scenario

__all__ = ["JobRuleBuilder", "RuleBuilder", "ScenarioBuilder", "lognormal", "scenario", "uniform"]

Duration = str | float | int


def uniform(low: Duration, high: Duration) -> dict[str, Any]:
    return {"uniform": [low, high]}


def lognormal(median: Duration, sigma: float) -> dict[str, Any]:
    return {"lognormal": {"median": median, "sigma": sigma}}


def _clean(values: dict[str, Any]) -> dict[str, Any]:
    return {k.rstrip("_"): v for k, v in values.items() if v is not None}


class ScenarioBuilder:
    def __init__(self, name: str, description: str = "", *, seed: int | None = None) -> None:
        self._doc: dict[str, Any] = _clean({"name": name, "description": description, "seed": seed})
        self._rules: list[RuleBuilder] = []
        self._jobs: list[JobRuleBuilder] = []

    def on(
        self, method: str | list[str] | None = None, path: str | list[str] | None = None, **match: Any
    ) -> RuleBuilder:
        """A new request rule matching `method`, `path` and any other match key (model, stream...)."""
        rule = RuleBuilder(self, _clean({"method": method, "path": path, **match}))
        self._rules.append(rule)
        return rule

    def job(self, **match: Any) -> JobRuleBuilder:
        """A new lifecycle rule for jobs matching suffix, model, metadata or organization."""
        rule = JobRuleBuilder(self, _clean(match))
        self._jobs.append(rule)
        return rule

    def rate_limits(self, **limits: int | None) -> ScenarioBuilder:
        self._doc["rate_limits"] = _clean(limits)
        return self

    def lifecycle(
        self,
        policy: str | None = None,
        access: str | None = None,
        shutdown_dates: dict[str, str | None] | None = None,
    ) -> ScenarioBuilder:
        """The real calendar for this scenario: policy, fine-tuning access, shutdown date overrides."""
        self._doc["lifecycle"] = _clean(
            {"policy": policy, "access": access, "shutdown_dates": shutdown_dates}
        )
        return self

    def to_dict(self) -> dict[str, Any]:
        doc = dict(self._doc)
        if self._rules:
            doc["rules"] = [r.to_dict() for r in self._rules]
        if self._jobs:
            doc["jobs"] = [r.to_dict() for r in self._jobs]
        return doc

    def build(self) -> Scenario:
        """The validated scenario; mistakes raise ScenarioError naming the key path (`rules[1].fault`)."""
        return parse_scenario(self.to_dict(), source=f"<builder {self._doc['name']}>")


class _Child:
    def __init__(self, parent: ScenarioBuilder, match: dict[str, Any]) -> None:
        self._parent = parent
        self._doc: dict[str, Any] = {"match": match} if match else {}

    def _set(self, **values: Any) -> Self:
        self._doc.update(_clean(values))
        return self

    def named(self, name: str) -> Self:
        return self._set(name=name)

    def times(self, n: int) -> Self:
        return self._set(times=n)

    def after(self, n: int) -> Self:
        return self._set(after=n)

    def probability(self, p: float) -> Self:
        return self._set(probability=p)

    def to_dict(self) -> dict[str, Any]:
        return dict(self._doc)

    # Chaining back to the scenario.
    def on(
        self, method: str | list[str] | None = None, path: str | list[str] | None = None, **match: Any
    ) -> RuleBuilder:
        return self._parent.on(method, path, **match)

    def job(self, **match: Any) -> JobRuleBuilder:
        return self._parent.job(**match)

    def rate_limits(self, **limits: int | None) -> ScenarioBuilder:
        return self._parent.rate_limits(**limits)

    def build(self) -> Scenario:
        return self._parent.build()


class RuleBuilder(_Child):
    def window(self, start: Duration | None = None, until: Duration | None = None) -> RuleBuilder:
        return self._set(window=_clean({"from": start, "until": until}))

    def when_state(self, state: str) -> RuleBuilder:
        return self._set(when_state=state)

    def set_state(self, state: str) -> RuleBuilder:
        return self._set(set_state=state)

    def respond(
        self,
        status: int | None = None,
        *,
        error: str | None = None,
        message: str | None = None,
        type: str | None = None,
        code: str | None = None,
        param: str | None = None,
        headers: dict[str, str] | None = None,
        body: Any = None,
        content_type: str | None = None,
    ) -> RuleBuilder:
        return self._set(
            respond=_clean(
                {
                    "status": status,
                    "error": error,
                    "message": message,
                    "type": type,
                    "code": code,
                    "param": param,
                    "headers": headers,
                    "body": body,
                    "content_type": content_type,
                }
            )
        )

    def error(self, name: str, **overrides: Any) -> RuleBuilder:
        """Respond with a canned OpenAI error: server_error, overloaded, bad_gateway, insufficient_quota..."""
        return self.respond(error=name, **overrides)

    def fault(self, kind: str, **params: Any) -> RuleBuilder:
        """A fault such as reset or truncate_stream; write `for_=` for the `for` parameter."""
        cleaned = _clean(params)
        return self._set(fault={kind: cleaned} if cleaned else kind)

    def delay(self, value: Duration | dict[str, Any]) -> RuleBuilder:
        return self._set(delay=value)

    def chunk_delay(self, value: Duration | dict[str, Any]) -> RuleBuilder:
        return self._set(chunk_delay=value)

    def dribble(self, size: int, every: Duration | dict[str, Any]) -> RuleBuilder:
        return self._set(dribble={"bytes": size, "every": every})


class JobRuleBuilder(_Child):
    def validating(self, duration: Duration) -> JobRuleBuilder:
        return self._set(validating=duration)

    def queued(self, duration: Duration) -> JobRuleBuilder:
        """How long the job waits in the queue; "forever" keeps it there."""
        return self._set(queued=duration)

    def step(self, duration: Duration) -> JobRuleBuilder:
        return self._set(step=duration)

    def fail(
        self,
        *,
        phase: str = "running",
        at_step: int | None = None,
        code: str | None = None,
        message: str | None = None,
        param: str | None = None,
    ) -> JobRuleBuilder:
        return self._set(
            fail=_clean(
                {
                    "phase": phase,
                    "at_step": at_step,
                    "code": code,
                    "message": message,
                    "param": param,
                }
            )
        )

    def reject(self, reason: str) -> JobRuleBuilder:
        """Fail validation: "moderation" or "invalid_file"."""
        return self._set(reject=reason)

    def cancel_delay(self, duration: Duration) -> JobRuleBuilder:
        return self._set(cancel_delay=duration)

    def warn(self, message: str, *, phase: str = "running", after: Duration = 0) -> JobRuleBuilder:
        self._doc.setdefault("warn", []).append({"message": message, "phase": phase, "after": after})
        return self

    def stale_reads(self, n: int) -> JobRuleBuilder:
        return self._set(stale_reads=n)


def scenario(name: str, description: str = "", *, seed: int | None = None) -> ScenarioBuilder:
    return ScenarioBuilder(name, description, seed=seed)
