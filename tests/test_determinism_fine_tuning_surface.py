"""Same seed + same requests => byte-identical stored completions, permissions, grader runs and lenient
objects, in two apps that share nothing."""

from __future__ import annotations

from starlette.testclient import TestClient

from emulator import Settings, create_app

GRADER = {
    "type": "multi",
    "name": "m",
    "graders": {
        "judge": {
            "type": "score_model",
            "name": "judge",
            "model": "gpt-4o-mini",
            "input": [{"role": "user", "content": "Rate: {{sample.output_text}}"}],
        },
        "code": {"type": "python", "name": "code", "source": "def grade(sample, item):\n    return 1.0\n"},
    },
    "calculate_output": "0.5 * judge + 0.5 * code",
}


def _session(seed: int) -> list[bytes]:
    bodies = []
    with TestClient(create_app(Settings(seed=seed, lenient=True))) as http:
        http.headers["Authorization"] = "Bearer sk-admin-determinism"
        messages = [{"role": "user", "content": "Say something."}]
        made = http.post(
            "/v1/chat/completions", json={"model": "gpt-4o-mini", "messages": messages, "store": True}
        )
        calls = [
            ("GET", f"/v1/chat/completions/{made.json()['id']}", None),
            ("GET", "/v1/chat/completions", None),
            ("POST", "/v1/fine_tuning/alpha/graders/run", {"grader": GRADER, "model_sample": "hello"}),
            ("GET", "/v1/fine_tuning/jobs/ftjob-abc123", None),
            ("GET", "/v1/fine_tuning/jobs/ftjob-abc123/events", None),
            ("GET", "/v1/chat/completions/chatcmpl-abc123", None),
        ]
        job = http.get("/v1/fine_tuning/jobs/ftjob-abc123").json()
        calls.append(
            (
                "POST",
                f"/v1/fine_tuning/checkpoints/{job['fine_tuned_model']}/permissions",
                {"project_ids": ["proj_abc"]},
            )
        )
        bodies.append(made.content + made.headers["x-request-id"].encode())
        for method, path, body in calls:
            response = http.request(method, path, json=body)
            assert response.status_code == 200, response.text
            bodies.append(response.content + response.headers["x-request-id"].encode())
    return bodies


def test_same_seed_same_bytes() -> None:
    assert _session(7) == _session(7)


def test_different_seed_different_values() -> None:
    first, second = _session(7), _session(8)
    assert first[0] != second[0] and first[3] != second[3]  # completion ids, simulated grader scores
