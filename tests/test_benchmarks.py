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
