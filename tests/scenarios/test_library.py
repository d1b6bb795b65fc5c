"""Each library scenario's effect, seen through the official SDK."""

from __future__ import annotations

import openai
import pytest

from emulator.domain.state import Emulator

from .conftest import MESSAGES, SDK, files_of, upload, use

pytestmark = pytest.mark.usefixtures("fast_retries")


def test_happy_path_changes_nothing(sdk: SDK, emulator: Emulator) -> None:
    use(emulator, "happy_path")
    client = sdk(max_retries=0)
    upload(client)
    assert client.chat.completions.create(model="gpt-4o-mini", messages=MESSAGES).choices[0].message.content
    assert [(e.status, e.rule) for e in emulator.journal.find()] == [(200, None), (200, None)]


def test_flaky_network_sdk_succeeds_on_its_third_attempt(sdk: SDK, emulator: Emulator) -> None:
    use(emulator, "flaky_network")
    created = upload(sdk())  # default: two retries
    entries = emulator.journal.find(path="/v1/files")
    assert [(e.status, e.rule) for e in entries] == [
        (0, "flaky_network:reset"),
        (503, "flaky_network:overloaded"),
        (200, "flaky_network:success"),
    ]
    assert files_of(emulator) == 1 and created.id.startswith("file-")


def test_flaky_network_without_retries_shows_both_failures(sdk: SDK, emulator: Emulator) -> None:
    use(emulator, "flaky_network")
    client = sdk(max_retries=0)
    with pytest.raises(openai.APIConnectionError):
        client.models.list()
    with pytest.raises(openai.InternalServerError) as info:
        client.models.list()
    assert info.value.status_code == 503
    assert info.value.message.startswith("Error code: 503 - That model is currently overloaded")
    assert info.value.request_id is not None and info.value.request_id in info.value.message
    assert client.models.list().data


def test_rate_limited_headers_count_down_then_429(sdk: SDK, emulator: Emulator) -> None:
    use(emulator, "rate_limited")
    client = sdk(max_retries=0)
    remaining = [
        client.models.with_raw_response.list().headers["x-ratelimit-remaining-requests"] for _ in range(3)
    ]
    assert remaining == ["2", "1", "0"]
    with pytest.raises(openai.RateLimitError) as info:
        client.models.list()
    org = emulator.tenants()[0].organization.id
    assert info.value.code == "rate_limit_exceeded" and info.value.type == "requests"
    assert info.value.body["message"] == (  # type: ignore[index]
        f"Rate limit reached in organization {org} on requests per min (RPM): Limit 3, Used 3, Requested 1. "
        "Please try again in 20s. Visit https://platform.openai.com/account/rate-limits to learn more."
    )
    assert info.value.response.headers["retry-after"] == "20"
    assert info.value.response.headers["x-ratelimit-reset-requests"] == "1m0s"
    emulator.clock.advance(20)
    assert client.models.with_raw_response.list().headers["x-ratelimit-remaining-requests"] == "0"
    assert emulator.journal.find(status=429)[0].rule == "rate_limits"


def test_rate_limited_token_bucket_names_the_model(sdk: SDK, emulator: Emulator) -> None:
    use(emulator, "rate_limited")
    client = sdk(max_retries=0)
    raw = client.chat.completions.with_raw_response.create(
        model="gpt-4o-mini", messages=MESSAGES, max_tokens=1500
    )
    left = int(raw.headers["x-ratelimit-remaining-tokens"])
    assert 2000 - 1500 - 30 < left < 2000 - 1500
    with pytest.raises(openai.RateLimitError) as info:
        client.chat.completions.create(model="gpt-4o-mini", messages=MESSAGES, max_tokens=1500)
    assert info.value.type == "tokens"
    assert "Rate limit reached for gpt-4o-mini in organization" in info.value.message
    assert "on tokens per min (TPM): Limit 2000" in info.value.message


def test_quota_exhausted_is_429_insufficient_quota_after_the_sdk_retries(
    sdk: SDK, emulator: Emulator
) -> None:
    use(emulator, "quota_exhausted")
    with pytest.raises(openai.RateLimitError) as info:
        upload(sdk())
    assert (info.value.code, info.value.type) == ("insufficient_quota", "insufficient_quota")
    assert info.value.body["message"].startswith("You exceeded your current quota")  # type: ignore[index]
    assert len(emulator.journal.find(path="/v1/files")) == 3 and files_of(emulator) == 0


def test_outage_fails_for_ten_minutes_of_emulator_time(sdk: SDK, emulator: Emulator) -> None:
    use(emulator, "outage")
    client = sdk()
    with pytest.raises(openai.InternalServerError) as info:
        client.models.list()
    assert [e.status for e in emulator.journal.find()] == [502, 503, 502]
    assert info.value.response.headers["content-type"].startswith("text/html")
    emulator.clock.advance(600)
    assert client.models.list().data


def test_truncated_streams_raise_in_the_client(sdk: SDK, emulator: Emulator) -> None:
    use(emulator, "truncated_streams")
    client = sdk(max_retries=0)
    got = []
    with pytest.raises(openai.APIConnectionError):
        for chunk in client.chat.completions.create(model="gpt-4o-mini", messages=MESSAGES, stream=True):
            got.append(chunk)
    assert len(got) == 2
    assert client.chat.completions.create(
        model="gpt-4o-mini", messages=MESSAGES
    ).choices  # not streamed: fine


def test_commit_then_drop_leaves_two_files_after_the_sdk_retry(sdk: SDK, emulator: Emulator) -> None:
    use(emulator, "commit_then_drop")
    created = upload(sdk())
    assert files_of(emulator) == 2
    entries = emulator.journal.find(path="/v1/files")
    assert [(e.status, e.rule) for e in entries] == [
        (0, "commit_then_drop:drop"),
        (200, "commit_then_drop:deliver"),
    ]
    assert entries[0].extra == {"fault": "commit_then_drop", "handler_status": 200}
    assert created.id in {f.id for t in emulator.tenants() for f in t.files}


def test_slow_network_delays_but_never_fails(sdk: SDK, emulator: Emulator) -> None:
    from emulator.scenarios import parse_yaml

    fast = parse_yaml(
        "name: slow_network\nrules:\n  - match: {path: /v1/**}\n"
        "    delay: {lognormal: {median: 5ms, sigma: 0.3}}\n"
        "    chunk_delay: {uniform: [1ms, 2ms]}\n"
    )
    emulator.scenarios.load(fast)
    client = sdk(max_retries=0)
    text = "".join(
        c.choices[0].delta.content or ""
        for c in client.chat.completions.create(model="gpt-4o-mini", messages=MESSAGES, stream=True)
        if c.choices
    )
    assert (
        text
        == client.chat.completions.create(model="gpt-4o-mini", messages=MESSAGES).choices[0].message.content
    )
