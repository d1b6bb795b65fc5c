"""Log output for the dev server: plain lines for people, or one JSON object per line for machines."""

from __future__ import annotations

import json
import logging
import threading
import time
from typing import IO, Any

__all__ = ["BatchedStreamHandler", "JsonFormatter", "TextFormatter", "formatter", "uvicorn_log_config"]

# LogRecord attributes that are not extra fields.
_STANDARD = frozenset(vars(logging.LogRecord("", 0, "", 0, "", None, None))) | {"message", "asctime"}


class JsonFormatter(logging.Formatter):
    """`{"time", "level", "logger", "message", ...extra fields}`, one object per line."""

    def format(self, record: logging.LogRecord) -> str:
        data: dict[str, Any] = {
            "time": round(record.created, 3),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
        }
        data.update({k: v for k, v in vars(record).items() if k not in _STANDARD and not k.startswith("_")})
        if record.exc_info:
            data["exception"] = self.formatException(record.exc_info)
        return json.dumps(data, default=str)


class TextFormatter(logging.Formatter):
    """`HH:MM:SS message`; the time is formatted once per second, not once per line."""

    _shown: tuple[int, str] = (-1, "")

    def formatTime(self, record: logging.LogRecord, datefmt: str | None = None) -> str:  # noqa: N802
        return self.shown_time(record.created)

    def shown_time(self, created: float) -> str:
        second = int(created)
        shown = self._shown
        if shown[0] != second:
            text = time.strftime(self.datefmt or "%H:%M:%S", self.converter(created))
            shown = self._shown = (second, text)
        return shown[1]


_GATHER_SECONDS = 0.01


class BatchedStreamHandler(logging.StreamHandler):  # type: ignore[type-arg]
    """Writes every line as it comes, but flushes on a thread of its own instead of after every line: with
    one access-log line per request, a flush per line (a write system call on a pipe) cost more than the
    rest of the request's logging, and so did waking the thread for every line. A written line wakes the
    thread unless it is awake already; it waits `_GATHER_SECONDS` for the lines that follow, then writes
    them all: a busy server flushes once per batch, an idle one within that moment. Closing flushes what
    is left (logging does at exit)."""

    def __init__(self, stream: IO[str]) -> None:
        super().__init__(stream)
        self._written = threading.Event()
        threading.Thread(target=self._flushing, name="emulator-log-flush", daemon=True).start()

    def flush(self) -> None:
        if not self._written.is_set():  # called after each line: the flushing thread does it next
            self._written.set()

    def flush_now(self) -> None:
        self._written.clear()
        with self.lock:  # type: ignore[union-attr]
            if self.stream and hasattr(self.stream, "flush"):
                self.stream.flush()

    def close(self) -> None:
        self.flush_now()
        super().close()

    def write_text(self, message: str) -> bool:
        """Write `message` as a record of level INFO made now would come out of this handler, without
        making the record; False (nothing written) unless the text format and no filter are in use."""
        formatter = self.formatter
        if type(formatter) is not TextFormatter or self.filters or self.level > logging.INFO:
            return False
        shown = formatter.shown_time(time.time())
        with self.lock:  # type: ignore[union-attr]
            self.stream.write(f"{shown} {message}{self.terminator}")
        self.flush()
        return True

    def _flushing(self) -> None:
        while True:
            self._written.wait()
            time.sleep(_GATHER_SECONDS)  # the next moments' lines join this flush (close flushes itself)
            try:
                self.flush_now()
            except (OSError, ValueError):  # the stream went away (closed pipe, interpreter exit)
                return


def formatter(log_format: str) -> logging.Formatter:
    if log_format == "json":
        return JsonFormatter()
    return TextFormatter("%(asctime)s %(message)s", "%H:%M:%S")


def uvicorn_log_config(log_format: str) -> dict[str, Any]:
    """uvicorn's own loggers (startup, errors) in the same format (text: uvicorn's default)."""
    if log_format != "json":
        from uvicorn.config import LOGGING_CONFIG

        return LOGGING_CONFIG
    handler = {"class": "logging.StreamHandler", "formatter": "json", "stream": "ext://sys.stdout"}
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {"json": {"()": "emulator.logs.JsonFormatter"}},
        "handlers": {"default": handler},
        "loggers": {
            "uvicorn": {"handlers": ["default"], "level": "INFO", "propagate": False},
            "uvicorn.error": {"level": "INFO"},
            "uvicorn.access": {"handlers": ["default"], "level": "INFO", "propagate": False},
        },
    }
