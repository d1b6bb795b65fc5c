"""How much the contract check costs: requests per second in-process with --contract off, warn and strict.

    python scripts/bench_contract.py [--requests 400]

Prints each mode's rate and its ratio to `off` (a ratio, never an absolute time, is what to compare).
"""

from __future__ import annotations

import argparse
import io
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from emulator import Settings  # noqa: E402
from emulator.testing import EmulatorHandle  # noqa: E402

TRAINING = b'{"messages": [{"role": "user", "content": "hi"}, {"role": "assistant", "content": "yo"}]}\n' * 10


def rate(mode: str, requests: int) -> float:
    with EmulatorHandle(Settings(contract=mode), mode="inprocess") as emulator:
        client = emulator.client()
        file_id = client.files.create(file=("t.jsonl", io.BytesIO(TRAINING)), purpose="fine-tune").id
        job_id = client.fine_tuning.jobs.create(model="gpt-4o-mini", training_file=file_id).id
        started = time.perf_counter()
        for n in range(requests):
            if n % 3 == 0:
                client.fine_tuning.jobs.retrieve(job_id)
            elif n % 3 == 1:
                client.files.list()
            else:
                client.models.retrieve("gpt-4o-mini")
        return requests / (time.perf_counter() - started)


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--requests", type=int, default=400)
    args = parser.parse_args()
    baseline = rate("off", args.requests)
    for mode in ("off", "warn", "strict"):
        measured = baseline if mode == "off" else rate(mode, args.requests)
        print(f"contract={mode:<6} {measured:8.0f} requests/s  ratio to off: {measured / baseline:.2f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
