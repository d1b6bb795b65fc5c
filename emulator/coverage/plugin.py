"""The pytest side of the coverage report: collect each test's observations (also from xdist workers),
write the JSON at the end of the session and print a short summary."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from .observe import Observation
from .report import Coverage, summary_lines

__all__ = ["OPTION", "CoverageSession"]

OPTION = "--openai-emulator-report"
_WORKER_KEY = "openai_emulator_coverage"


class CoverageSession:
    """Registered as a plugin when the report is asked for."""

    def __init__(self, config: pytest.Config, path: Path) -> None:
        self.config = config
        self.path = path
        self.coverage = Coverage()
        self.report: dict[str, Any] | None = None

    def add(self, test: str, observations: list[Observation]) -> None:
        self.coverage.add(test, observations)

    @property
    def _worker(self) -> bool:
        return hasattr(self.config, "workerinput")

    def pytest_sessionfinish(self, session: pytest.Session) -> None:
        if self._worker:
            groups = {test: [o.to_dict() for o in obs] for test, obs in self.coverage.groups.items()}
            self.config.workeroutput[_WORKER_KEY] = json.dumps(groups)  # type: ignore[attr-defined]
            return
        self.report = self.coverage.write(self.path)

    @pytest.hookimpl(optionalhook=True)
    def pytest_testnodedown(self, node: Any, error: Any) -> None:
        """xdist: fold a finished worker's observations into the session's."""
        data = getattr(node, "workeroutput", {}).get(_WORKER_KEY)
        for test, items in json.loads(data or "{}").items():
            self.coverage.add(test, [Observation(**item) for item in items])

    def pytest_terminal_summary(self, terminalreporter: Any) -> None:
        if self.report is None:
            return
        terminalreporter.section("OpenAI emulator coverage")
        for line in summary_lines(self.report):
            terminalreporter.write_line(line)
        terminalreporter.write_line(f"full report: {self.path}")
