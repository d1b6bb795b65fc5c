from __future__ import annotations

import math

import pytest

from emulator.domain.jobscript import JobFailure
from emulator.errors import RateLimitError
from emulator.scenarios import ScenarioEngine, find_scenario, parse_yaml, scenario
from emulator.scenarios.engine import RequestFacts, glob_match
from emulator.scenarios.ratelimit import Limits, RateLimiter

ORG, OTHER = "org-aaaaaaaaaaaaaaaaaaaaaaaa", "org-bbbbbbbbbbbbbbbbbbbbbbbb"


class Clock:
    def __init__(self) -> None:
        self.now = 1_000.0

    def __call__(self) -> float:
        return self.now


def engine(seed: int = 0, clock: Clock | None = None, **limits: int) -> ScenarioEngine:
    defaults = Limits(
        limits.get("requests", 0),
        limits.get("tokens", 0),
        limits.get("max_active_jobs", 0),
        limits.get("jobs_per_day", 0),
    )
    return ScenarioEngine(seed, clock or Clock(), defaults, library=find_scenario)


def facts(
    method: str = "POST",
    path: str = "/v1/files",
    body: object = None,
    org: str = ORG,
    headers: dict[str, str] | None = None,
) -> RequestFacts:
    return RequestFacts(method, path, {}, headers or {}, body, org, "acme", "sk-key")


def fired(eng: ScenarioEngine, n: int, **kw: object) -> list[str | None]:
    out = []
    for _ in range(n):
        decision = eng.decide(facts(**kw))  # type: ignore[arg-type]
        out.append(decision.label if decision else None)
    return out


def test_globs_keep_star_inside_a_path_segment() -> None:
    assert glob_match("/v1/files/*", "/v1/files/file-1", path=True)
    assert not glob_match("/v1/files/*", "/v1/files/file-1/content", path=True)
    assert glob_match("/v1/**", "/v1/files/file-1/content", path=True)
    assert glob_match("ft:*", "ft:gpt-4o-mini-2024-07-18:org::abc")


def test_times_and_after_count_matching_requests() -> None:
    eng = engine()
    eng.load(scenario("s").on("POST", "/v1/files").after(1).times(2).respond(503).build())
    assert fired(eng, 5) == [None, "s:rules[0]", "s:rules[0]", None, None]
    assert fired(eng, 1, method="GET") == [None]


def test_first_matching_rule_wins_and_exhausted_rules_fall_through() -> None:
    eng = engine()
    eng.load(
        scenario("s")
        .on(path="/v1/**")
        .times(1)
        .fault("reset")
        .named("once")
        .on(path="/v1/**")
        .respond(500)
        .named("always")
        .build()
    )
    assert fired(eng, 3) == ["s:once", "s:always", "s:always"]


def test_named_states_cycle_like_flaky_network() -> None:
    eng = engine()
    eng.load(find_scenario("flaky_network"))
    labels = fired(eng, 6)
    assert labels == ["flaky_network:reset", "flaky_network:overloaded", "flaky_network:success"] * 2


def test_probability_is_deterministic_for_a_seed() -> None:
    probabilistic = scenario("p").on(path="/v1/**").probability(0.3).fault("reset").build()

    def pattern(seed: int) -> list[bool]:
        eng = engine(seed)
        eng.load(probabilistic)
        return [label is not None for label in fired(eng, 200)]

    first = pattern(7)
    assert first == pattern(7)
    assert first != pattern(8)
    assert 40 < sum(first) < 80  # about 30 %


def test_scenario_seed_overrides_the_emulator_seed() -> None:
    seeded = parse_yaml("name: p\nseed: 42\nrules:\n  - probability: 0.5\n    fault: reset\n")
    patterns = []
    for emulator_seed in (1, 2):
        eng = engine(emulator_seed)
        eng.load(seeded)
        patterns.append(fired(eng, 50))
    assert patterns[0] == patterns[1]


def test_window_is_measured_on_the_emulator_clock_from_loading() -> None:
    clock = Clock()
    eng = engine(clock=clock)
    eng.load(scenario("w").on(path="/v1/**").window("1m", "2m").respond(503).build())
    assert fired(eng, 1) == [None]
    clock.now += 60
    assert fired(eng, 1) == ["w:rules[0]"]
    clock.now += 60
    assert fired(eng, 1) == [None]


def test_matching_on_body_model_stream_and_headers() -> None:
    eng = engine()
    eng.load(
        scenario("m")
        .on(
            "POST",
            "/v1/chat/completions",
            model="ft:*",
            stream=True,
            headers={"x-team": "ml*"},
            body={"metadata.run": "nightly"},
        )
        .respond(500)
        .build()
    )
    body = {"model": "ft:gpt-4o-mini:acme::x", "stream": True, "metadata": {"run": "nightly"}}
    hit = dict(method="POST", path="/v1/chat/completions", headers={"x-team": "ml-infra"})
    assert fired(eng, 1, body=body, **hit) == ["m:rules[0]"]
    assert fired(eng, 1, body={**body, "stream": False}, **hit) == [None]
    assert fired(eng, 1, body={**body, "model": "gpt-4o-mini"}, **hit) == [None]
    assert fired(eng, 1, body=body, method="POST", path="/v1/chat/completions") == [None]


def test_tenant_scenarios_apply_only_to_their_tenant_and_come_first() -> None:
    eng = engine()
    eng.load(scenario("global").on(path="/v1/**").respond(500).build())
    eng.load(scenario("mine").on(path="/v1/**").respond(503).build(), organization=ORG)
    assert fired(eng, 1) == ["mine:rules[0]"]
    assert fired(eng, 1, org=OTHER) == ["global:rules[0]"]
    assert eng.unload("mine", ORG)
    assert fired(eng, 1) == ["global:rules[0]"]


def test_reset_keeps_startup_scenarios_with_fresh_counters_and_drops_loaded_ones() -> None:
    eng = engine()
    eng.add_startup(scenario("boot").on(path="/v1/**").times(1).respond(500).build())
    eng.load(scenario("later").on(path="/v1/**").respond(503).build())
    assert fired(eng, 2) == ["boot:rules[0]", "later:rules[0]"]
    eng.reset()
    assert fired(eng, 2) == ["boot:rules[0]", None]
    assert [d["name"] for d in eng.describe()] == ["boot"]


def test_inband_instances_keep_counting_across_requests() -> None:
    eng = engine()
    flaky = scenario("h").on(path="/v1/**").times(2).fault("reset").build()
    labels = [eng.decide(facts(), eng.inband(flaky, ORG, key="fault:x")) for _ in range(3)]
    assert [d is not None for d in labels] == [True, True, False]
    assert eng.decide(facts()) is None  # nothing active outside the header


@pytest.mark.parametrize(
    ("name", "check"),
    [
        ("slow_queue", lambda s: (s.validating_seconds, s.queued_seconds) == (120, 7200)),
        (
            "job_fails_midway",
            lambda s: (
                s.failure
                == JobFailure(
                    "running",
                    "server_error",
                    "The fine-tuning job failed due to an internal error.",
                    at_step=10,
                )
            ),
        ),
        ("moderation_rejected", lambda s: s.reject_moderation and not s.reject_invalid_file),
        ("invalid_training_file", lambda s: s.reject_invalid_file and not s.reject_moderation),
        ("eventual_consistency", lambda s: (s.stale_reads, s.cancel_seconds) == (1, 30)),
    ],
)
def test_library_lifecycle_scenarios_script_every_job(name: str, check: object) -> None:
    eng = engine()
    eng.load(find_scenario(name))
    script = eng.job_script(ORG, "acme", {"model": "gpt-4o-mini-2024-07-18", "training_file": "file-x"})
    assert script is not None and check(script)  # type: ignore[operator]
    assert script.rule is not None and script.rule.startswith(f"{name}:")


def test_job_rules_match_suffix_model_and_metadata() -> None:
    eng = engine()
    eng.load(
        scenario("j")
        .job(suffix="doomed*", model="gpt-4o-mini*", metadata={"team": "ml"})
        .queued("forever")
        .build()
    )
    base = {"model": "gpt-4o-mini-2024-07-18", "suffix": "doomed-1", "metadata": {"team": "ml"}}
    script = eng.job_script(ORG, "acme", base)
    assert script is not None and script.queued_seconds == math.inf and script.rule == "j:jobs[0]"
    assert eng.job_script(ORG, "acme", {**base, "suffix": "fine"}) is None
    assert eng.job_script(ORG, "acme", {**base, "metadata": None}) is None
    assert eng.job_script(ORG, "acme", {**base, "model": "gpt-3.5-turbo"}) is None


def test_bound_inband_scenario_scripts_the_job_it_creates() -> None:
    eng = engine()
    instance = eng.inband(find_scenario("moderation_rejected"), ORG)
    with eng.bound(instance):
        script = eng.job_script(ORG, "acme", {"model": "gpt-4o-mini"})
    assert script is not None and script.reject_moderation
    assert eng.job_script(ORG, "acme", {"model": "gpt-4o-mini"}) is None


def test_active_job_cap_and_daily_cap() -> None:
    clock = Clock()
    eng = engine(clock=clock, max_active_jobs=2)
    eng.job_script(ORG, "acme", {"model": "m"}, active_jobs=1)
    with pytest.raises(RateLimitError) as info:
        eng.job_script(ORG, "acme", {"model": "m"}, active_jobs=2)
    assert (info.value.status_code, info.value.code) == (429, "rate_limit_exceeded")
    eng.load(scenario("daily").rate_limits(jobs_per_day=2).build())
    eng.job_script(ORG, "acme", {"model": "m"})
    with pytest.raises(RateLimitError) as info:
        eng.job_script(ORG, "acme", {"model": "m"})
    assert info.value.code == "daily_rate_limit_exceeded" and info.value.type == "invalid_request_error"
    assert info.value.message == (
        "This fine-tune request has been rate-limited. Your organization has reached "
        "the maximum of 2 fine-tuning requests per day for the model 'm'."
    )
    eng.job_script(ORG, "acme", {"model": "other"})  # the daily cap is per model
    clock.now += 86_400
    eng.job_script(ORG, "acme", {"model": "m"})


def test_request_bucket_counts_down_and_refills_on_the_clock() -> None:
    limiter = RateLimiter()
    limits = Limits(requests=3, tokens=0)
    seen = [limiter.admit(ORG, limits, 0, "gpt-4o-mini", 0.0) for _ in range(3)]
    assert [h["x-ratelimit-remaining-requests"] for h in seen] == ["2", "1", "0"]
    assert [h["x-ratelimit-reset-requests"] for h in seen] == ["20s", "40s", "1m0s"]
    with pytest.raises(RateLimitError) as info:
        limiter.admit(ORG, limits, 0, "gpt-4o-mini", 0.0)
    assert info.value.message == (
        f"Rate limit reached for gpt-4o-mini in organization {ORG} on requests per min (RPM): "
        "Limit 3, Used 3, Requested 1. Please try again in 20s. "
        "Visit https://platform.openai.com/account/rate-limits to learn more."
    )
    assert (info.value.type, info.value.code, info.value.headers["retry-after"]) == (
        "requests",
        "rate_limit_exceeded",
        "20",
    )
    assert limiter.admit(ORG, limits, 0, None, 20.0)["x-ratelimit-remaining-requests"] == "0"
    assert limiter.admit(OTHER, limits, 0, None, 0.0)["x-ratelimit-remaining-requests"] == "2"


def test_token_bucket_charges_estimates_and_rejects_oversized_requests() -> None:
    limiter = RateLimiter()
    limits = Limits(requests=100, tokens=1000)
    assert limiter.admit(ORG, limits, 600, "gpt-4", 0.0)["x-ratelimit-remaining-tokens"] == "400"
    with pytest.raises(RateLimitError) as info:
        limiter.admit(ORG, limits, 500, "gpt-4", 0.0)
    assert info.value.type == "tokens"
    assert (
        "on tokens per min (TPM): Limit 1000, Used 600, Requested 500. Please try again in 6s."
        in info.value.message
    )
    with pytest.raises(RateLimitError) as info:
        limiter.admit(ORG, limits, 5000, "gpt-4", 0.0)
    assert info.value.message.startswith(
        f"Request too large for gpt-4 in organization {ORG} on tokens per min"
    )
    # a rejected request costs nothing
    assert limiter.admit(ORG, limits, 0, "gpt-4", 0.0)["x-ratelimit-remaining-requests"] == "98"


def test_scenario_limits_override_settings_per_tenant() -> None:
    eng = engine(requests=10_000, tokens=10_000_000)
    eng.load(find_scenario("rate_limited"), organization=ORG)
    assert eng.limits(ORG) == Limits(3, 2000, 0, 0)
    assert eng.limits(OTHER) == Limits(10_000, 10_000_000, 0, 0)
