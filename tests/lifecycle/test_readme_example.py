"""The README's lifecycle example runs as written, in a user's pytest with the emulator plugin."""

from __future__ import annotations

import re
from pathlib import Path

import httpcore2  # noqa: F401  (one copy across pytester's inner runs; see tests/test_pytest_plugin.py)
import pytest

from tests.test_pytest_plugin import INI

pytest_plugins = ["pytester"]

README = Path(__file__).resolve().parents[2] / "README.md"


def _example() -> str:
    match = re.search(r"<!-- example: lifecycle -->\n```python\n(.*?)```", README.read_text(), re.S)
    assert match is not None, "the README lost its lifecycle example"
    return match.group(1)


def test_readme_lifecycle_example_passes(pytester: pytest.Pytester) -> None:
    pytester.makeini(INI)  # a user's strictest settings (warnings are errors)
    pytester.makepyfile(test_app=_example())
    pytester.runpytest().assert_outcomes(passed=1)


CALENDAR_TEST = """
import openai
import pytest

def test_policy(openai_client, openai_emulator):
    answered = True
    try:
        question = [{"role": "user", "content": "Hi"}]
        openai_client.chat.completions.create(model="gpt-3.5-turbo-0613", messages=question)
    except openai.NotFoundError:
        answered = False
    assert openai_emulator.state.settings.lifecycle == "{policy}"
    assert answered == ("{policy}" == "unrestricted")
"""


@pytest.mark.parametrize(
    ("args", "policy"),
    [
        ([], "unrestricted"),
        (["--emulator-lifecycle=openai"], "openai"),
        (["-o", "emulator_lifecycle=openai"], "openai"),
    ],
)
def test_suite_wide_lifecycle_option(pytester: pytest.Pytester, args: list[str], policy: str) -> None:
    pytester.makeini(INI)
    pytester.makepyfile(test_calendar=CALENDAR_TEST.replace("{policy}", policy))
    pytester.runpytest(*args).assert_outcomes(passed=1)
