"""Fixtures for the dashboard: a real `emulator serve` process and a headless system Chromium.

Outside CI the browser tests skip (saying why) when no Chromium or Playwright can be found; in CI
(`CI=true`) a missing browser fails them instead.
"""

from __future__ import annotations

import os
import queue
import re
import shutil
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import httpx
import pytest

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Page

SCREENSHOTS = Path(__file__).resolve().parents[2] / "artifacts" / "screenshots"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
CANDIDATES = ("/usr/bin/chromium", "/usr/bin/chromium-browser", "/usr/bin/google-chrome")


@dataclass
class Served:
    """A running `emulator serve`: its base URL and the banner it printed."""

    url: str
    banner: str

    def control(self, method: str, path: str, **kwargs: object) -> httpx.Response:
        response = httpx.request(method, f"{self.url}/_emulator{path}", timeout=10, **kwargs)  # type: ignore[arg-type]
        response.raise_for_status()
        return response


def _chromium() -> str | None:
    found = os.environ.get("EMULATOR_CHROMIUM") or shutil.which("chromium")
    return found or next((c for c in CANDIDATES if Path(c).exists()), None)


def _unavailable(reason: str) -> None:
    if os.environ.get("CI") == "true":
        pytest.fail(f"{reason}; CI must run the browser tests (.ci/run installs Debian's chromium)")
    pytest.skip(f"{reason}: install it with `apt-get install -y chromium` to run the dashboard browser tests")


def _read_banner(stream: object, lines: queue.Queue[str]) -> None:
    for line in iter(stream.readline, ""):  # type: ignore[attr-defined]
        lines.put(line)


@pytest.fixture(scope="module")
def served() -> Iterator[Served]:
    """`python -m emulator serve` on a free port with a virtual clock, stopped with Ctrl-C at the end."""
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    command = [
        sys.executable,
        "-m",
        "emulator",
        "serve",
        "--port",
        "0",
        "--clock",
        "virtual",
        "--log-level",
        "warning",
    ]
    with subprocess.Popen(
        command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env
    ) as proc:
        lines: queue.Queue[str] = queue.Queue()
        threading.Thread(target=_read_banner, args=(proc.stdout, lines), daemon=True).start()
        banner, deadline = "", time.monotonic() + 20
        while "Dashboard:" not in banner or "Control API" not in banner:
            try:
                banner += lines.get(timeout=max(0.01, deadline - time.monotonic()))
            except queue.Empty:
                proc.kill()
                pytest.fail(f"emulator serve printed no banner: {banner!r}")
        found = re.search(r"listening on (http://\S+)", banner)
        assert found is not None, banner
        try:
            yield Served(found.group(1), banner)
        finally:
            proc.send_signal(2)
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(timeout=5)


@pytest.fixture
def fresh(served: Served) -> Served:
    """The served emulator with every tenant forgotten and the virtual clock rewound."""
    served.control("POST", "/reset", json={})
    return served


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    """Module-scoped: Playwright's sync API keeps an event loop running while it is open, which async tests
    of other modules on the same worker must not meet."""
    executable = _chromium()
    if executable is None:
        _unavailable("No Chromium found")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        _unavailable("Playwright for Python is not installed")
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
        try:
            yield launched
        finally:
            launched.close()


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    context = browser.new_context(viewport={"width": 1366, "height": 900})
    context.set_default_timeout(15_000)
    opened = context.new_page()
    errors: list[str] = []
    opened.on("pageerror", lambda exc: errors.append(str(exc)))
    try:
        yield opened
    finally:
        context.close()
    assert not errors, f"JavaScript errors on the page: {errors}"


def screenshot(page: Page, name: str) -> None:
    """Save a full-page screenshot where CI keeps artifacts (artifacts/screenshots/NAME.png)."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)
