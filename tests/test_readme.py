"""The README's first example is a test a newcomer copies: it must pass as printed."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.test_pytest_plugin import INI

pytest_plugins = ["pytester"]

README = Path(__file__).resolve().parents[1] / "README.md"


def test_the_first_python_example_passes(pytester: pytest.Pytester) -> None:
    quick_start = README.read_text().split("## Quick start", 1)[1]
    example = re.search(r"```python\n(.*?)```", quick_start, re.S)
    assert example, "the Quick start has no python example"
    assert len(example.group(1).strip().splitlines()) <= 14  # a first screen, not a tutorial
    pytester.makeini(INI)
    pytester.makepyfile(test_readme_example=example.group(1))
    pytester.runpytest().assert_outcomes(passed=1)
