"""Many clients with several keys doing mixed work at once: no 5xx, no lost or duplicated ids, and no tenant
ever sees another's objects."""

from __future__ import annotations

import random
import threading
from concurrent.futures import ThreadPoolExecutor

import httpx

from emulator import EmulatorServer
from emulator.domain.state import Emulator

from .helpers import training_jsonl

KEYS = [f"sk-concurrency-tenant-{n}-000000000000" for n in range(4)]
WORKERS_PER_KEY = 4
OPS_PER_WORKER = 12
MODEL = "gpt-4o-mini-2024-07-18"


class Ledger:
    """What each tenant created and deleted, as the clients saw it."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.files: dict[str, set[str]] = {key: set() for key in KEYS}
        self.deleted: dict[str, set[str]] = {key: set() for key in KEYS}
        self.jobs: dict[str, set[str]] = {key: set() for key in KEYS}
        self.failures: list[str] = []

    def check(self, r: httpx.Response, *allowed: int) -> bool:
        ok = r.status_code in allowed
        if not ok or r.status_code >= 500:
            with self.lock:
                self.failures.append(
                    f"{r.request.method} {r.request.url.path} -> {r.status_code}: {r.text[:200]}"
                )
        return ok


def _worker(server: EmulatorServer, key: str, seed: int, ledger: Ledger) -> None:
    rng = random.Random(seed)
    content = training_jsonl(rng.randrange(1000, 6000))
    mine: list[str] = []
    with httpx.Client(base_url=server.url, headers={"Authorization": f"Bearer {key}"}, timeout=60) as http:
        for _ in range(OPS_PER_WORKER):
            op = rng.choice(["upload", "upload", "list", "job", "chat", "delete", "content"])
            if op == "upload" or not mine:
                r = http.post(
                    "/v1/files", data={"purpose": "fine-tune"}, files={"file": ("t.jsonl", content)}
                )
                if ledger.check(r, 200):
                    mine.append(r.json()["id"])
                    with ledger.lock:
                        assert r.json()["id"] not in ledger.files[key], "duplicated file id"
                        ledger.files[key].add(r.json()["id"])
            elif op == "list":
                r = http.get("/v1/files")
                if ledger.check(r, 200):
                    with ledger.lock:
                        others = set().union(*(ledger.files[k] for k in KEYS if k != key))
                    leaked = {f["id"] for f in r.json()["data"]} & others
                    if leaked:
                        ledger.failures.append(f"{key} sees other tenants' files {leaked}")
            elif op == "job":
                r = http.post(
                    "/v1/fine_tuning/jobs", json={"model": MODEL, "training_file": rng.choice(mine)}
                )
                if ledger.check(r, 200, 400):  # 400: the file was deleted by a sibling worker of this key
                    if r.status_code == 200:
                        with ledger.lock:
                            ledger.jobs[key].add(r.json()["id"])
                        ledger.check(http.get(f"/v1/fine_tuning/jobs/{r.json()['id']}"), 200)
            elif op == "chat":
                r = http.post(
                    "/v1/chat/completions",
                    json={"model": "gpt-4o-mini", "messages": [{"role": "user", "content": f"hi {seed}"}]},
                )
                ledger.check(r, 200)
            elif op == "delete":
                file_id = mine.pop(rng.randrange(len(mine)))
                if ledger.check(http.delete(f"/v1/files/{file_id}"), 200):
                    with ledger.lock:
                        ledger.deleted[key].add(file_id)
            else:
                file_id = rng.choice(mine)
                r = http.get(f"/v1/files/{file_id}/content")
                if ledger.check(r, 200):
                    assert r.content == content, "a download must be whole"


def test_many_clients_many_keys_mixed_work(server: EmulatorServer, emulator: Emulator) -> None:
    ledger = Ledger()
    tasks = [(key, n * 100 + k) for k, key in enumerate(KEYS) for n in range(WORKERS_PER_KEY)]
    with ThreadPoolExecutor(len(tasks)) as pool:
        for future in [pool.submit(_worker, server, key, seed, ledger) for key, seed in tasks]:
            future.result()
    assert not ledger.failures, "\n".join(ledger.failures)
    all_files = [f for key in KEYS for f in ledger.files[key]]
    assert len(all_files) == len(set(all_files)), "a file id was given to two tenants"
    for key in KEYS:
        with httpx.Client(base_url=server.url, headers={"Authorization": f"Bearer {key}"}) as http:
            listed = {f["id"] for f in http.get("/v1/files").json()["data"]}
            jobs = {j["id"] for j in http.get("/v1/fine_tuning/jobs", params={"limit": 1000}).json()["data"]}
        assert listed == ledger.files[key] - ledger.deleted[key], "files lost or leaked"
        assert jobs == ledger.jobs[key], "jobs lost or leaked"
