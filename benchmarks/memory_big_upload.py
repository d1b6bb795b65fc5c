"""Peak memory of the server while a big training file is uploaded and validated (not part of the tests).

    python benchmarks/memory_big_upload.py            # 512 MB
    python benchmarks/memory_big_upload.py --mb 50    # quicker

Starts `emulator serve` as its own process, uploads a generated JSONL file through the Uploads API in
64 MB parts (streamed from disk), creates a job on it and waits, through the control API, until the job has
left `validating_files`. Prints the server's peak resident memory (VmHWM) after start, after the upload and
after validation, and the file size, so the ratio peak/size shows that memory does not grow with the file.
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

MB = 1024 * 1024
PART = 64 * MB


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def _peak_rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def _write_file(path: Path, size: int) -> int:
    written, n = 0, 0
    with path.open("wb") as out:
        while written < size:
            example = {
                "messages": [
                    {"role": "user", "content": f"Question {n}: what is {n} plus {n % 89}?"},
                    {"role": "assistant", "content": f"{n} plus {n % 89} is {n + n % 89}."},
                ]
            }
            line = json.dumps(example).encode() + b"\n"
            out.write(line)
            written += len(line)
            n += 1
    return written


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mb", type=int, default=512, help="training file size in MB (default 512)")
    args = parser.parse_args()
    port = _free_port()
    env = {**os.environ, "EMULATOR_MAX_FILE_BYTES": str(1024 * MB)}
    server = subprocess.Popen(
        [sys.executable, "-m", "emulator", "serve", "--port", str(port), "--clock", "virtual"], env=env
    )
    try:
        base = f"http://127.0.0.1:{port}"
        http = httpx.Client(base_url=base, headers={"Authorization": "Bearer sk-bench"}, timeout=3600)
        for _ in range(100):
            try:
                http.get("/_emulator/health")
                break
            except httpx.TransportError:
                time.sleep(0.1)
        started = _peak_rss_mb(server.pid)
        with tempfile.TemporaryDirectory() as tmp:
            path = Path(tmp) / "train.jsonl"
            size = _write_file(path, args.mb * MB)
            t0 = time.perf_counter()
            upload = http.post(
                "/v1/uploads",
                json={
                    "filename": "train.jsonl",
                    "purpose": "fine-tune",
                    "bytes": size,
                    "mime_type": "text/jsonl",
                },
            ).json()
            parts = []
            with path.open("rb") as source:
                while chunk := source.read(PART):
                    r = http.post(f"/v1/uploads/{upload['id']}/parts", files={"data": ("part", chunk)})
                    r.raise_for_status()
                    parts.append(r.json()["id"])
            done = http.post(f"/v1/uploads/{upload['id']}/complete", json={"part_ids": parts})
            done.raise_for_status()
            uploaded = time.perf_counter()
        after_upload = _peak_rss_mb(server.pid)
        job = http.post(
            "/v1/fine_tuning/jobs",
            json={"model": "gpt-4o-mini-2024-07-18", "training_file": done.json()["file"]["id"]},
        ).json()
        created = time.perf_counter()
        run = http.post(f"/_emulator/jobs/{job['id']}/run", json={"until": "queued"})  # waits for validation
        validated = time.perf_counter()
        after_validation = _peak_rss_mb(server.pid)
        print(f"file: {size / MB:.0f} MB")
        print(
            f"upload: {uploaded - t0:.1f} s; job create answered in {(created - uploaded) * 1e3:.0f} ms "
            f"({job.get('status')}); validation {validated - created:.1f} s -> {run.json().get('status')}"
        )
        print(
            f"server peak RSS: {started:.0f} MB at start, {after_upload:.0f} MB after upload, "
            f"{after_validation:.0f} MB after validation (which loads the tokenizer once, ~70 MB); "
            f"growth / file size = {(after_validation - started) * MB / size:.2f}"
        )
        return 0
    finally:
        server.terminate()
        server.wait(timeout=30)


if __name__ == "__main__":
    raise SystemExit(main())
