"""Streamed chunks are encoded with the shared fields prebuilt; every event must still be exactly what
`json.dumps(chunk, ensure_ascii=False, separators=(",", ":"))` of the chunk gives, with its keys in order."""

from __future__ import annotations

import json

import pytest
from starlette.testclient import TestClient

from emulator import Settings, create_app

KEY = {"Authorization": "Bearer sk-stream-encoding"}


@pytest.mark.parametrize(
    "extra",
    [
        {},
        {"n": 2, "stream_options": {"include_usage": True}},
        {"stream_options": {"include_obfuscation": False}},
        {"logprobs": True, "top_logprobs": 2, "stream_options": {"include_usage": True}},
        {"messages": [{"role": "user", "content": 'Schreib über Zürich, 東京 und "Anführungszeichen"'}]},
    ],
)
def test_streamed_events_are_canonical_json(extra: dict[str, object]) -> None:
    messages = [{"role": "user", "content": "Hi there"}]
    body = {"model": "gpt-4o-mini", "stream": True, "messages": messages, **extra}
    with TestClient(create_app(Settings(seed=5))) as http:
        r = http.post("/v1/chat/completions", json=body, headers=KEY)
    assert r.status_code == 200, r.text
    events = [line[len("data: "):] for line in r.text.split("\n\n") if line.startswith("data: ")]
    assert events[-1] == "[DONE]" and len(events) > 3
    for event in events[:-1]:
        chunk = json.loads(event)
        assert event == json.dumps(chunk, ensure_ascii=False, separators=(",", ":"))
        assert list(chunk)[:7] == [
            "id", "object", "created", "model", "service_tier", "system_fingerprint", "choices"
        ]
