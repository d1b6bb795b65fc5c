"""`emulator serve` as a user runs it: a real subprocess whose output the tests read."""

from __future__ import annotations

import os
import queue
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Sequence
from types import TracebackType

__all__ = ["ServeProcess"]


class ServeProcess:
    """Starts `python -m emulator serve ARGS`, waits for the complete banner, stops it with Ctrl-C.

    `banner` is stdout up to the banner's last line; `stdout`/`stderr` hold everything once stopped.
    """

    def __init__(self, *args: str, env: dict[str, str] | None = None, timeout: float = 20.0) -> None:
        self.args = args
        self.env = {**os.environ, "PYTHONUNBUFFERED": "1", **(env or {})}
        self.timeout = timeout
        self.url = ""
        self.banner = ""
        self.stdout = ""
        self.stderr = ""
        self.returncode: int | None = None
        self._lines: queue.Queue[str] = queue.Queue()
        self._proc: subprocess.Popen[str] | None = None

    def __enter__(self) -> ServeProcess:
        self._proc = subprocess.Popen(
            [sys.executable, "-m", "emulator", "serve", *self.args],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=self.env,
        )
        self._reader = threading.Thread(target=_pump, args=(self._proc.stdout, self._lines), daemon=True)
        self._reader.start()
        try:
            self._wait_for_banner()
        except BaseException:
            self.stop()
            raise
        return self

    def _wait_for_banner(self) -> None:
        deadline = time.monotonic() + self.timeout
        while time.monotonic() < deadline:
            try:
                line = self._lines.get(timeout=0.1)
            except queue.Empty:
                if self._proc is not None and self._proc.poll() is not None:
                    break
                continue
            self.banner += line
            if "listening on " in line:
                self.url = line.rsplit("listening on ", 1)[1].strip()
            if self.url and "Control API" in line:
                return
        self.stop()
        raise AssertionError(f"the server did not start; stdout:\n{self.stdout}\nstderr:\n{self.stderr}")

    def stop(self) -> None:
        proc = self._proc
        if proc is None:
            return
        self._proc = None
        if proc.poll() is None:
            proc.send_signal(signal.SIGINT)
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(timeout=5)
        self._reader.join(5)
        rest = []
        while not self._lines.empty():
            rest.append(self._lines.get_nowait())
        self.stdout = self.banner + "".join(rest)
        self.stderr = proc.stderr.read() if proc.stderr else ""
        for stream in (proc.stdout, proc.stderr):
            if stream is not None:
                stream.close()
        self.returncode = proc.returncode

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()


def run_serve(
    *args: Sequence[str] | str, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    """Run `emulator serve` expecting it to exit by itself (e.g. it can't bind)."""
    return subprocess.run(
        [sys.executable, "-m", "emulator", "serve", *[str(a) for a in args]],
        capture_output=True,
        text=True,
        env={**os.environ, **(env or {})},
        timeout=30,
    )


def _pump(stream: object, lines: queue.Queue[str]) -> None:
    for line in iter(stream.readline, ""):  # type: ignore[attr-defined]
        lines.put(line)
