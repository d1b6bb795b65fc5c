from __future__ import annotations

import math
from pathlib import Path

import pytest

from emulator.domain.jobscript import JobFailure, JobScript
from emulator.scenarios import (
    ScenarioError,
    check_files,
    list_library,
    load_scenario,
    parse_scenario,
    parse_yaml,
    scenario,
    uniform,
)
from emulator.scenarios.dsl import Dist, Fault
from emulator.scenarios.middleware import parse_fault_header

LIBRARY = Path(__file__).resolve().parents[2] / "scenarios"
REQUIRED = {
    "happy_path",
    "flaky_network",
    "rate_limited",
    "quota_exhausted",
    "outage",
    "slow_queue",
    "job_fails_midway",
    "moderation_rejected",
    "invalid_training_file",
    "truncated_streams",
    "commit_then_drop",
}


@pytest.mark.parametrize("path", sorted(LIBRARY.glob("*.yaml")), ids=lambda p: p.stem)
def test_library_file_loads_with_a_description(path: Path) -> None:
    loaded = load_scenario(path)
    assert loaded.name == path.stem
    assert len(loaded.description) > 40


def test_library_has_every_required_scenario() -> None:
    assert REQUIRED <= {entry.name for entry in list_library()}
    assert check_files(sorted(LIBRARY.glob("*.yaml"))) == []


def test_bare_name_loads_from_the_library() -> None:
    assert load_scenario("flaky_network").name == "flaky_network"


def error_for(text: str, tmp_path: Path) -> ScenarioError:
    file = tmp_path / "bad.yaml"
    file.write_text(text)
    with pytest.raises(ScenarioError) as info:
        load_scenario(file)
    return info.value


def test_unknown_key_names_file_line_and_key_path(tmp_path: Path) -> None:
    err = error_for(
        "name: x\n"
        "rules:\n"
        "  - match: {method: POST}\n"
        "    respond: {status: 503}\n"
        "  - match: {path: /v1/files}\n"
        "    fault: reset\n"
        "  - match:\n"
        "      paht: /v1/files\n"
        "    fault: reset\n",
        tmp_path,
    )
    assert (err.source, err.line, err.path) == (str(tmp_path / "bad.yaml"), 8, "rules[2].match.paht")
    assert str(err).startswith(f"{tmp_path / 'bad.yaml'}:8: rules[2].match.paht: unknown key 'paht'")


@pytest.mark.parametrize(
    ("body", "line", "path", "words"),
    [
        ("rules:\n  - times: two\n    fault: reset\n", 3, "rules[0].times", "expected an integer"),
        ("rules:\n  - probability: 1.5\n    fault: reset\n", 3, "rules[0].probability", "between 0 and 1"),
        ("rules:\n  - delay: soon\n", 3, "rules[0].delay", "not a duration"),
        ("rules:\n  - fault: explode\n", 3, "rules[0].fault", "unknown fault 'explode'"),
        ("rules:\n  - fault: {reset: {after_chunks: 1}}\n", 3, "rules[0].fault.reset", "takes no parameters"),
        ("rules:\n  - respond: {error: teapot}\n", 3, "rules[0].respond.error", "unknown error 'teapot'"),
        ("rules:\n  - respond: {status: 503}\n    fault: reset\n", 4, "rules[0].fault", "both respond and"),
        (
            "rules:\n  - match: {stream: false}\n    fault: truncate_stream\n",
            4,
            "rules[0].fault",
            "needs a streamed response",
        ),
        ("rules:\n  - respond: {status: 200, message: hi}\n", 3, "rules[0].respond.status", "400 or more"),
        ("rules:\n  - respond: {status: 500, body: oops, code: x}\n", 3, "rules[0].respond.body", "replaces"),
        (
            "rules:\n  - match: {path: v1/files}\n    fault: reset\n",
            3,
            "rules[0].match.path",
            "starts with '/'",
        ),
        (
            "rules:\n  - match: {method: FETCH}\n    fault: reset\n",
            3,
            "rules[0].match.method",
            "unknown HTTP method",
        ),
        ("rules:\n  - match: {path: /v1/files}\n", 3, "rules[0]", "does nothing"),
        (
            "rules:\n  - when_state: broken\n    fault: reset\n",
            3,
            "rules[0].when_state",
            "no rule sets state",
        ),
        (
            "rules:\n  - window: {from: 5m, until: 1m}\n    fault: reset\n",
            3,
            "rules[0].window",
            "before 'until'",
        ),
        ("rules:\n  - delay: {uniform: [2s, 1s]}\n", 3, "rules[0].delay.uniform", "larger than the maximum"),
        ("jobs:\n  - fail: {phase: queued, at_step: 3}\n", 3, "jobs[0].fail.at_step", "only a running job"),
        (
            "jobs:\n  - reject: moderation\n    fail: {phase: running}\n",
            4,
            "jobs[0].fail",
            "choose reject or fail",
        ),
        (
            "jobs:\n  - queued: forever\n    fail: {phase: running}\n",
            4,
            "jobs[0].fail.phase",
            "stuck in the queue",
        ),
        ("jobs:\n  - reject: spam\n", 3, "jobs[0].reject", "moderation or invalid_file"),
        ("jobs:\n  - match: {suffix: x}\n", 3, "jobs[0]", "changes nothing"),
        ("rate_limits: {requests_per_minute: 0}\n", 2, "rate_limits.requests_per_minute", "at least 1"),
        (
            "rules:\n  - name: a\n    fault: reset\n  - name: a\n    fault: reset\n",
            5,
            "rules[1].name",
            "two rules",
        ),
        ("rules: {fault: reset}\n", 2, "rules", "expected a list"),
    ],
)
def test_mistakes_point_at_line_and_key_path(
    tmp_path: Path, body: str, line: int, path: str, words: str
) -> None:
    err = error_for("name: x\n" + body, tmp_path)
    assert (err.line, err.path) == (line, path), str(err)
    assert words in err.problem


def test_duplicate_keys_and_yaml_syntax_errors_have_lines(tmp_path: Path) -> None:
    err = error_for("name: x\nname: y\n", tmp_path)
    assert (err.line, err.path, err.problem) == (2, "name", "duplicate key 'name'")
    err = error_for("name: x\nrules: [\n", tmp_path)
    assert err.line == 3 and err.problem.startswith("not valid YAML")


def test_name_is_required_and_checked(tmp_path: Path) -> None:
    assert error_for("description: nameless\n", tmp_path).problem == "missing required key 'name'"
    assert "not a valid name" in error_for("name: 'has space'\n", tmp_path).problem


def test_check_files_reports_every_bad_file(tmp_path: Path) -> None:
    good, bad = tmp_path / "good.yaml", tmp_path / "bad.yaml"
    good.write_text("name: good\nrules: []\n")
    bad.write_text("name: bad\nrules:\n  - fault: nope\n")
    problems = check_files([good, bad, tmp_path / "missing.yaml"])
    assert problems == [
        f"{bad}:3: rules[0].fault: unknown fault 'nope' (known: reset, empty_response, malformed_body, "
        "random_data, truncate_body, truncate_stream, stall_stream, malformed_chunk, error_event, "
        "commit_then_drop, slow_success)",
        f"{tmp_path / 'missing.yaml'}: no such file",
    ]


def test_shorthands_and_distributions() -> None:
    s = parse_yaml(
        "name: x\n"
        "rules:\n"
        "  - match: {path: /v1/chat/completions}\n"
        "    fault: {stall_stream: {after_chunks: 2, for: 1.5s}}\n"
        "    delay: {lognormal: {median: 200ms, sigma: 0.5}}\n"
        "    chunk_delay: {uniform: {min: 10ms, max: 20ms}}\n"
        "    dribble: {bytes: 8, every: 5ms}\n"
    )
    rule = s.rules[0]
    assert rule.match.stream is True  # a stream fault only matches streamed requests
    assert rule.fault == Fault("stall_stream", after_chunks=2, duration=Dist("fixed", 1.5))
    assert rule.delay == Dist("lognormal", 0.2, 0.5)
    assert rule.chunk_delay == Dist("uniform", 0.01, 0.02)
    assert rule.dribble is not None and rule.dribble.size == 8


def test_canned_error_fills_status_type_code_and_message() -> None:
    respond = parse_yaml("name: x\nrules:\n  - respond: {error: insufficient_quota}\n").rules[0].respond
    assert respond is not None
    assert (respond.status, respond.type, respond.code) == (429, "insufficient_quota", "insufficient_quota")
    assert respond.message is not None and respond.message.startswith("You exceeded your current quota")


def test_job_rules_become_job_scripts() -> None:
    s = parse_yaml(
        "name: x\n"
        "jobs:\n"
        "  - match: {suffix: 'doomed*', metadata: {team: ml}}\n"
        "    validating: 30s\n"
        "    queued: forever\n"
        "    fail: {phase: validating_files, code: invalid_n_examples, message: too few}\n"
        "    warn: [careful, {phase: queued, message: slow, after: 1m}]\n"
        "    stale_reads: 2\n"
    )
    script = s.jobs[0].script
    assert script.validating_seconds == 30 and script.queued_seconds == math.inf
    assert script.failure == JobFailure("validating_files", "invalid_n_examples", "too few")
    assert [(w.phase, w.message, w.after_seconds) for w in script.warnings] == [
        ("running", "careful", 0.0),
        ("queued", "slow", 60.0),
    ]
    assert script.stale_reads == 2


def test_builder_writes_what_yaml_writes() -> None:
    built = (
        scenario("flaky-uploads", "first two uploads fail")
        .on("POST", "/v1/files")
        .times(2)
        .respond(503, headers={"retry-after-ms": "20"})
        .on(path="/v1/chat/completions", stream=True)
        .probability(0.2)
        .fault("truncate_stream", after_chunks=3)
        .on(path="/v1/**")
        .delay(uniform("10ms", "20ms"))
        .named("jitter")
        .job(suffix="doomed")
        .fail(phase="running", at_step=40, code="server_error", message="boom")
        .rate_limits(requests_per_minute=3)
        .build()
    )
    written = parse_yaml(
        "name: flaky-uploads\n"
        "description: first two uploads fail\n"
        "rules:\n"
        "  - match: {method: POST, path: /v1/files}\n"
        "    times: 2\n"
        "    respond: {status: 503, headers: {retry-after-ms: '20'}}\n"
        "  - match: {path: /v1/chat/completions, stream: true}\n"
        "    probability: 0.2\n"
        "    fault: {truncate_stream: {after_chunks: 3}}\n"
        "  - {name: jitter, match: {path: /v1/**}, delay: {uniform: [10ms, 20ms]}}\n"
        "jobs:\n"
        "  - match: {suffix: doomed}\n"
        "    fail: {phase: running, at_step: 40, code: server_error, message: boom}\n"
        "rate_limits: {requests_per_minute: 3}\n"
    )
    assert (built.rules, built.jobs, built.rate_limits) == (written.rules, written.jobs, written.rate_limits)
    assert parse_scenario(built.to_dict()).rules == built.rules
    assert built.jobs[0].script == JobScript(
        failure=JobFailure("running", "server_error", "boom", at_step=40)
    )


def test_builder_mistakes_name_the_key_path() -> None:
    with pytest.raises(ScenarioError) as info:
        scenario("x").on("POST", "/v1/files").respond(200).on("GET").fault(
            "truncate_stream", after_chunks=-1
        ).build()
    assert info.value.path == "rules[1].fault.truncate_stream.after_chunks"
    assert info.value.source == "<builder x>"


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ("reset", {"fault": "reset"}),
        ("reset;times=2", {"fault": "reset", "times": 2}),
        ("truncate_stream;after_chunks=3", {"fault": "truncate_stream", "after_chunks": 3}),
        ("slow_success;for=2s", {"fault": "slow_success", "duration": Dist("fixed", 2.0)}),
        ("overloaded;retry-after-ms=10", {"status": 503, "headers": (("retry-after-ms", "10"),)}),
        ("503;x-should-retry=false", {"status": 503, "headers": (("x-should-retry", "false"),)}),
        ("delay;for=250ms;times=1", {"delay": Dist("fixed", 0.25), "times": 1}),
    ],
)
def test_fault_header_grammar(header: str, expected: dict[str, object]) -> None:
    rule = parse_fault_header(header).rules[0]
    assert rule.label == header
    for key, value in expected.items():
        if key == "fault":
            assert rule.fault is not None and rule.fault.kind == value
        elif key in ("after_chunks", "duration"):
            assert getattr(rule.fault, key) == value
        elif key in ("status", "headers"):
            assert getattr(rule.respond, key) == value
        else:
            assert getattr(rule, key) == value


@pytest.mark.parametrize(
    ("header", "words"),
    [
        ("explode", "unknown fault 'explode'"),
        ("reset;after_chunks=2", "takes no parameters"),
        ("truncate_stream;after_chunks", "expected key=value"),
        ("delay", "needs for="),
    ],
)
def test_fault_header_mistakes(header: str, words: str) -> None:
    with pytest.raises(ScenarioError) as info:
        parse_fault_header(header)
    assert words in info.value.problem
