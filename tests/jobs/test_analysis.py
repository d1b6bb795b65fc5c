"""The shared training-file analysis (jobs and the CLI's `validate`): errors, tokens, epochs, cost."""

from __future__ import annotations

import json
from collections.abc import Iterator

import openai
import pytest

from emulator.domain import tokens
from emulator.domain.jobs import analyze
from emulator.domain.jobs.hyperparameters import auto_batch_size, auto_n_epochs
from emulator.domain.jobs.validation import FileAnalysis
from emulator.domain.state import Emulator

from .conftest import FOREVER, chat_file, create, example, job_of, jsonl


@pytest.mark.parametrize(
    ("n", "epochs"), [(5, 20), (12, 8), (33, 3), (34, 3), (100, 3), (8_333, 3), (8_334, 2), (30_000, 1)]
)
def test_auto_epochs_follow_the_cookbook_rule(n: int, epochs: int) -> None:
    assert auto_n_epochs(n) == epochs


@pytest.mark.parametrize(("n", "batch"), [(10, 1), (100, 1), (750, 2), (30_000, 60), (1_000_000, 256)])
def test_auto_batch_size(n: int, batch: int) -> None:
    assert auto_batch_size(n) == batch


@pytest.mark.parametrize(("n", "epochs"), [(12, 8), (100, 3), (30_000, 1)])
def test_jobs_resolve_auto_epochs(client: openai.OpenAI, emulator: Emulator, n: int, epochs: int) -> None:
    job = create(client, chat_file(n))
    emulator.clock.advance(FOREVER)
    job = client.fine_tuning.jobs.retrieve(job.id)
    assert job.status == "succeeded"
    assert job.hyperparameters.n_epochs == epochs
    assert job.hyperparameters.batch_size == auto_batch_size(n)


def test_five_examples_resolve_to_twenty_epochs_but_fail_validation(
    client: openai.OpenAI, emulator: Emulator
) -> None:
    report = analyze(chat_file(5).splitlines(keepends=True), "gpt-4o-mini")
    assert report.n_epochs == 20
    job = create(client, chat_file(5))
    emulator.clock.advance(FOREVER)
    job = client.fine_tuning.jobs.retrieve(job.id)
    assert job.error is not None and job.error.code == "invalid_n_examples"


def test_report_counts_tokens_and_estimates_the_cost() -> None:
    rows = [example(i) for i in range(20)]
    report = analyze(jsonl(rows).splitlines(keepends=True), "gpt-3.5-turbo")
    counts = [tokens.count_chat_example(r["messages"], "cl100k_base") for r in rows]
    assert (report.model, report.n_examples, report.n_lines) == ("gpt-3.5-turbo-0613", 20, 20)
    assert report.total_tokens == report.billable_tokens == sum(counts)
    stats = report.token_stats()
    assert (stats["min"], stats["max"]) == (min(counts), max(counts))
    assert report.n_epochs == 5 and report.trained_tokens == sum(counts) * 5
    assert report.estimated_cost == pytest.approx(sum(counts) * 5 / 1000 * 0.008)
    assert report.job_error("file-x") is None
    body = report.to_dict()
    assert report.estimated_cost is not None
    assert body["estimated_cost_usd"] == round(report.estimated_cost, 4) and body["errors"] == []


def test_the_seed_worked_example_costs_two_dollars_forty() -> None:
    report = FileAnalysis(
        "gpt-3.5-turbo-0613",
        "supervised",
        "fine-tune-chat",
        4096,
        n_examples=500,
        billable_tokens=100_000,
        requested_epochs=3,
    )
    assert report.trained_tokens == 300_000
    assert report.estimated_cost == pytest.approx(2.40)


def test_errors_carry_line_numbers() -> None:
    lines = [
        json.dumps(example(0)),
        "",
        "[1, 2]",
        json.dumps({"messages": [{"content": "x"}]}),
        json.dumps(example(1)),
    ]
    report = analyze([line + "\n" for line in lines], "gpt-4o-mini")
    assert [(p.line, p.example, p.code) for p in report.problems] == [
        (3, 2, "invalid_file_format"),
        (4, 3, "invalid_training_file"),
    ]
    assert report.problems[1].detail.endswith("Example 3, message 1 Discriminator 'role' is missing in value")
    assert report.n_examples == 4 and report.n_lines == 5


def test_truncation_is_reported_and_billed_at_the_limit() -> None:
    long = {"messages": [{"role": "user", "content": "word " * 6000}, {"role": "assistant", "content": "ok"}]}
    report = analyze(jsonl([long, example(0)]).splitlines(keepends=True), "gpt-3.5-turbo-0613")
    assert report.n_truncated == 1 and report.truncated[0][0] == 1
    assert report.billable_tokens == 4096 + tokens.count_chat_example(example(0)["messages"], "cl100k_base")
    assert report.total_tokens > report.billable_tokens


def test_analysis_streams_from_any_iterator() -> None:
    consumed = []

    def lines() -> Iterator[bytes]:
        for n in range(50):
            consumed.append(n)
            yield json.dumps(example(n)).encode() + b"\n"

    report = analyze(lines(), "gpt-4o-mini", n_epochs=2)
    assert report.n_examples == 50 and report.n_epochs == 2 and len(consumed) == 50


def test_the_job_fails_with_what_the_analysis_says(client: openai.OpenAI, emulator: Emulator) -> None:
    data = jsonl([*[example(i) for i in range(11)], {"messages": [{"role": "user", "content": "q"}]}])
    expected = analyze(data.splitlines(keepends=True), "gpt-4o-mini").job_error("FILE")
    job = create(client, data)
    emulator.clock.advance(FOREVER)
    job = client.fine_tuning.jobs.retrieve(job.id)
    assert expected is not None and job.error is not None
    assert (job.error.code, job.error.message) == (expected.code, expected.message)
    assert job_of(emulator, job.id).plan.outcome == expected
