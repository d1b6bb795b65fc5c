"""What `--data-dir` costs: requests per second and per-test reset time, in memory vs durable.

Run: `python benchmarks/store_overhead.py [--requests 600] [--resets 200]`. Prints absolute numbers and the
ratios (durable / in-memory); every durable request is one fsynced SQLite commit, so the ratio depends on
the disk far more than on the emulator.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from collections.abc import Callable

from emulator import Settings
from emulator.testing import EmulatorHandle

KEY = "sk-bench-000000000000000000000000000"


def _requests_per_second(settings: Settings, count: int) -> float:
    handle = EmulatorHandle(settings, mode="live", api_key=KEY).start()
    try:
        with handle.http_client(headers={"Authorization": f"Bearer {KEY}"}) as http:
            made = http.post(
                "/v1/files", files={"file": ("a.txt", b"x" * 1024)}, data={"purpose": "user_data"}
            )
            file_id = made.json()["id"]
            calls: list[Callable[[], object]] = [
                lambda: http.post(
                    "/v1/files", files={"file": ("a.txt", b"x" * 1024)}, data={"purpose": "user_data"}
                ),
                lambda: http.get(f"/v1/files/{file_id}"),
                lambda: http.get("/v1/models"),
                lambda: http.get("/v1/files", params={"limit": 5}),
            ]
            started = time.perf_counter()
            for i in range(count):
                calls[i % len(calls)]()
            return count / (time.perf_counter() - started)
    finally:
        handle.close()


def _reset_seconds(settings: Settings, count: int) -> float:
    handle = EmulatorHandle(settings, api_key=KEY).start()
    try:
        client = handle.client()
        total = 0.0
        for _ in range(count):
            client.files.create(file=("a.txt", b"one test's file"), purpose="user_data")
            started = time.perf_counter()
            handle.reset()
            total += time.perf_counter() - started
        return total / count
    finally:
        handle.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--requests", type=int, default=600)
    parser.add_argument("--resets", type=int, default=200)
    args = parser.parse_args()
    memory = Settings(host="127.0.0.1", port=0)
    with tempfile.TemporaryDirectory() as one, tempfile.TemporaryDirectory() as two:
        rows = [
            (
                "requests/s",
                _requests_per_second(memory, args.requests),
                _requests_per_second(Settings(host="127.0.0.1", port=0, data_dir=one), args.requests),
            ),
            (
                "reset ms",
                _reset_seconds(memory, args.resets) * 1000,
                _reset_seconds(Settings(host="127.0.0.1", port=0, data_dir=two), args.resets) * 1000,
            ),
        ]
    print(f"{'':12} {'in memory':>12} {'--data-dir':>12} {'ratio':>8}")
    for name, plain, durable in rows:
        print(f"{name:12} {plain:12.2f} {durable:12.2f} {durable / plain:8.2f}x")


if __name__ == "__main__":
    main()
