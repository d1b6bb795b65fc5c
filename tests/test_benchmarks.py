"""A smoke run of the benchmark suite's in-process figures: they run and report sane shapes. No timing is
asserted (speed is measured by `python -m benchmarks`, never by tests)."""

from __future__ import annotations

import json

import pytest

from benchmarks.__main__ import _summary
from benchmarks.inprocess import app_only, growth


def test_app_only_reports_each_endpoint() -> None:
    figures = app_only(5)
    assert set(figures) == {"bare_us", "get_file_us", "get_job_us"}
    assert all(value > 0 for value in figures.values())


def test_growth_reports_each_size_and_memory() -> None:
    data = growth([5, 12], probes=2)
    assert [row["stored"] for row in data["rows"]] == [5, 12]
    assert data["jobs"] == 12 + 2 * 3 and data["files"] == 12 + 2 * 3  # fills, then the probes' creations
    assert data["rss_full_mb"] > 0
    data["growth"] = {k: data["rows"][-1][k] / data["rows"][0][k] for k in data["rows"][0] if k != "stored"}
    lines = _summary("growth", json.loads(json.dumps(data)))
    assert lines[0].startswith("5 -> 12 stored: create job") and "RSS with 18 jobs + 18 files" in lines[1]


def test_the_peer_figure_says_why_it_is_skipped(monkeypatch: pytest.MonkeyPatch) -> None:
    from benchmarks import peer

    monkeypatch.delenv("AIMOCK_CLI", raising=False)
    monkeypatch.setenv("PATH", "/nonexistent")
    command, why = peer.aimock_command()
    assert command is None and "aimock" in why
    assert _summary("peer", {"skipped": why}) == [f"skipped: {why}"]


def test_a_baseline_run_is_printed_beside_this_one() -> None:
    from benchmarks.compare import side_by_side

    before = {"bare_us": 20.0, "get_file_us": 80.0, "get_job_us": 100.0, "get_job_ratio": 5.0}
    now = {"bare_us": 20.0, "get_file_us": 60.0, "get_job_us": 50.0, "get_job_ratio": 2.5}
    assert side_by_side("app_only", before, now) == [
        "GET job in process: 100.00 -> 50.00 us (x0.50)",
        "GET file in process: 80.00 -> 60.00 us (x0.75)",
        "GET job vs bare: 5.00 -> 2.50 x (x0.50)",
    ]
    assert side_by_side("app_only", None, now) == []  # no baseline for this figure: nothing beside it
    assert side_by_side("peer", {"skipped": "no aimock"}, {"skipped": "no aimock"}) == []
