"""Upload the example data, fine-tune, wait for the job, and chat with the new model.

Start the dev server (`emulator serve`), then in another terminal: `python -m emulator.examples.quickstart`.
It reaches the server through OPENAI_BASE_URL / OPENAI_API_KEY when they are set (so the same script runs
against OpenAI), else the dev server's default address.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from collections.abc import Sequence

from openai import OpenAI

from . import QUESTION, SYSTEM, TRAINING_FILE

DEV_SERVER = "http://127.0.0.1:8000/v1"
FINISHED = ("succeeded", "failed", "cancelled")


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m emulator.examples.quickstart", description=__doc__)
    parser.add_argument("--base-url", default=os.environ.get("OPENAI_BASE_URL", DEV_SERVER))
    parser.add_argument("--api-key", default=os.environ.get("OPENAI_API_KEY", "sk-anything"))
    parser.add_argument("--model", default="gpt-4o-mini", help="base model to fine-tune")
    parser.add_argument("--poll", type=float, default=1.0, help="seconds between job reads (default 1)")
    args = parser.parse_args(argv)

    client = OpenAI(base_url=args.base_url, api_key=args.api_key)
    with TRAINING_FILE.open("rb") as data:
        training = client.files.create(file=data, purpose="fine-tune")
    print(f"uploaded {TRAINING_FILE.name} as {training.id}")

    job = client.fine_tuning.jobs.create(model=args.model, training_file=training.id, suffix="marv")
    print(f"created {job.id}: {job.status}")
    while job.status not in FINISHED:  # poll as you would poll OpenAI
        time.sleep(args.poll)
        seen, job = job.status, client.fine_tuning.jobs.retrieve(job.id)
        if job.status != seen:
            print(f"{job.id}: {job.status}")
    if job.status != "succeeded" or job.fine_tuned_model is None:
        print(f"the job {job.status}: {job.error}", file=sys.stderr)
        return 1
    print(f"fine-tuned model: {job.fine_tuned_model} ({job.trained_tokens:,} trained tokens)")

    reply = client.chat.completions.create(
        model=job.fine_tuned_model,
        messages=[{"role": "system", "content": SYSTEM}, {"role": "user", "content": QUESTION}],
    )
    print(f"> {QUESTION}\n{reply.choices[0].message.content}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
