"""The README's Azure example runs as written, in a user's pytest with the emulator plugin."""

from __future__ import annotations

import re
from pathlib import Path

import httpcore2  # noqa: F401  (one copy across pytester's inner runs; see tests/test_pytest_plugin.py)
import pytest

from tests.test_pytest_plugin import INI

pytest_plugins = ["pytester"]

README = Path(__file__).resolve().parents[2] / "README.md"


def test_readme_azure_example_passes(pytester: pytest.Pytester) -> None:
    match = re.search(r"<!-- example: azure -->\n```python\n(.*?)```", README.read_text(), re.S)
    assert match is not None, "the README lost its Azure example"
    pytester.makeini(INI)  # a user's strictest settings (warnings are errors)
    pytester.makepyfile(test_azure=match.group(1))
    pytester.runpytest().assert_outcomes(passed=1)
