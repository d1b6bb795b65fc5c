"""Every fault through the official SDK, asked for in band with X-Emulator-Fault / X-Emulator-Scenario."""

from __future__ import annotations

import json
from collections.abc import Iterator

import httpx
import openai
import pytest

from emulator.domain.state import Emulator
from emulator.scenarios import scenario

from .conftest import MESSAGES, SDK, files_of, journal, upload

pytestmark = pytest.mark.usefixtures("fast_retries")


def fault(value: str) -> dict[str, str]:
    return {"X-Emulator-Fault": value}


def pieces(client: openai.OpenAI, header: str) -> Iterator[str]:
    chunks = client.chat.completions.create(
        model="gpt-4o-mini", messages=MESSAGES, stream=True, extra_headers=fault(header)
    )
    for chunk in chunks:
        if chunk.choices:
            yield chunk.choices[0].delta.content or ""


def stream(client: openai.OpenAI, header: str) -> list[str]:
    return list(pieces(client, header))


@pytest.mark.parametrize(
    ("kind", "cause"),
    [
        ("reset", httpx.ReadError),
        ("empty_response", httpx.RemoteProtocolError),
        ("random_data", httpx.RemoteProtocolError),
        ("truncate_body;after_bytes=20", httpx.RemoteProtocolError),
    ],
)
def test_connection_faults_are_retried_then_raise_connection_error(
    sdk: SDK, emulator: Emulator, kind: str, cause: type[Exception]
) -> None:
    import httpx2

    with pytest.raises(openai.APIConnectionError) as info:
        sdk().models.list(extra_headers=fault(kind))
    assert type(info.value.__cause__).__name__ == cause.__name__
    assert isinstance(info.value.__cause__, httpx2.TransportError)
    entries = emulator.journal.find()
    assert len(entries) == 3  # the first attempt and the SDK's two retries, journaled before each drop
    assert {e.rule for e in entries} == {f"x-emulator-fault:{kind}"}
    assert {e.extra["fault"] for e in entries} == {kind.split(";")[0]}


def test_fault_with_times_lets_the_third_attempt_through(sdk: SDK, emulator: Emulator) -> None:
    assert upload(sdk(), extra_headers=fault("reset;times=2")).id.startswith("file-")
    assert [e.status for e in emulator.journal.find()] == [0, 0, 200]


def test_malformed_body_raises_a_decode_error_without_retrying(sdk: SDK, emulator: Emulator) -> None:
    with pytest.raises(json.JSONDecodeError):
        sdk().models.list(extra_headers=fault("malformed_body"))
    assert [e.status for e in emulator.journal.find()] == [200]


def test_commit_then_drop_commits_every_attempt(sdk: SDK, emulator: Emulator) -> None:
    with pytest.raises(openai.APIConnectionError):
        upload(sdk(max_retries=1), extra_headers=fault("commit_then_drop"))
    assert files_of(emulator) == 2


def test_slow_success_answers_after_the_read_timeout(sdk: SDK, emulator: Emulator) -> None:
    with pytest.raises(openai.APITimeoutError):
        upload(sdk(max_retries=1, timeout=0.2), extra_headers=fault("slow_success"))
    entries = journal(emulator, 2)
    assert files_of(emulator) == 2  # both attempts committed; neither answer arrived in time
    assert [e.extra.get("client_gave_up") for e in entries] == [True, True]


def test_slow_success_within_the_timeout_is_just_slow(sdk: SDK, emulator: Emulator) -> None:
    assert upload(sdk(max_retries=0, timeout=2.0), extra_headers=fault("slow_success;for=20ms")).id


def test_respond_headers_steer_sdk_retries(sdk: SDK, emulator: Emulator) -> None:
    with pytest.raises(openai.InternalServerError):
        sdk().models.list(extra_headers=fault("503;x-should-retry=false"))
    assert len(emulator.journal.find()) == 1
    emulator.journal.clear()
    with pytest.raises(openai.APIStatusError) as info:
        sdk().models.list(extra_headers=fault("400;x-should-retry=true;message=nope;code=bad"))
    assert (info.value.status_code, info.value.code, info.value.body["message"]) == (400, "bad", "nope")  # type: ignore[index]
    assert len(emulator.journal.find()) == 3


def test_delay_header_slows_one_request(sdk: SDK, emulator: Emulator) -> None:
    sdk(max_retries=0).models.list(extra_headers=fault("delay;for=10ms"))
    with pytest.raises(openai.APITimeoutError):
        sdk(max_retries=0, timeout=0.05).models.list(extra_headers=fault("delay;for=300ms"))


def test_truncated_stream_raises_while_iterating(sdk: SDK, emulator: Emulator) -> None:
    got: list[str] = []
    with pytest.raises(openai.APIConnectionError):
        for piece in pieces(sdk(max_retries=0), "truncate_stream;after_chunks=3"):
            got.append(piece)
    assert len(got) == 3
    assert emulator.journal.find()[0].status == 200  # the headers had gone out


def test_stall_stream_times_out_the_reader(sdk: SDK, emulator: Emulator) -> None:
    with pytest.raises(openai.APITimeoutError):
        stream(sdk(max_retries=0, timeout=0.2), "stall_stream;after_chunks=1")
    assert stream(sdk(max_retries=0, timeout=2.0), "stall_stream;after_chunks=1;for=20ms") == stream(
        sdk(max_retries=0), "delay;for=1ms"
    )


def test_malformed_chunk_breaks_json_decoding(sdk: SDK, emulator: Emulator) -> None:
    with pytest.raises(json.JSONDecodeError):
        stream(sdk(max_retries=0), "malformed_chunk;after_chunks=2")


def test_error_event_raises_openai_api_error_mid_stream(sdk: SDK, emulator: Emulator) -> None:
    got: list[str] = []
    with pytest.raises(openai.APIError) as info:
        for piece in pieces(sdk(max_retries=0), "error_event;after_chunks=2"):
            got.append(piece)
    assert len(got) == 2
    assert info.value.message == "The server had an error while processing your request. Sorry about that!"
    assert info.value.body == {
        "message": info.value.message,
        "type": "server_error",
        "param": None,
        "code": None,
    }


def test_chunk_delay_and_dribble_keep_the_content_intact(sdk: SDK, emulator: Emulator) -> None:
    emulator.scenarios.load(
        scenario("shape")
        .on(path="/v1/chat/completions")
        .chunk_delay("1ms")
        .dribble(7, "0ms")
        .on(path="/v1/models")
        .dribble(5, "1ms")
        .build()
    )
    client = sdk(max_retries=0)
    plain = client.chat.completions.create(model="gpt-4o-mini", messages=MESSAGES).choices[0].message.content
    assert (
        "".join(
            c.choices[0].delta.content or ""
            for c in client.chat.completions.create(model="gpt-4o-mini", messages=MESSAGES, stream=True)
            if c.choices
        )
        == plain
    )
    assert client.models.list().data


def test_scenario_header_applies_a_library_scenario_to_those_requests_only(
    sdk: SDK, emulator: Emulator
) -> None:
    client = sdk()
    upload(client, extra_headers={"X-Emulator-Scenario": "flaky_network"})
    upload(client)
    assert [(e.status, e.rule) for e in emulator.journal.find()] == [
        (0, "flaky_network:reset"),
        (503, "flaky_network:overloaded"),
        (200, "flaky_network:success"),
        (200, None),
    ]


def test_bad_inband_headers_are_400s(sdk: SDK, emulator: Emulator) -> None:
    client = sdk(max_retries=0)
    with pytest.raises(openai.BadRequestError) as info:
        client.models.list(extra_headers=fault("explode"))
    assert info.value.message.startswith(
        "Error code: 400 - Invalid X-Emulator-Fault header 'explode': unknown fault"
    )
    with pytest.raises(openai.BadRequestError) as info:
        client.models.list(extra_headers={"X-Emulator-Scenario": "no_such_thing"})
    assert "no scenario named 'no_such_thing'" in info.value.message


def test_default_rate_limit_headers_count_down_truthfully(sdk: SDK, emulator: Emulator) -> None:
    client = sdk(max_retries=0)
    first, second = (client.models.with_raw_response.list().headers for _ in range(2))
    assert (first["x-ratelimit-limit-requests"], first["x-ratelimit-remaining-requests"]) == ("10000", "9999")
    assert second["x-ratelimit-remaining-requests"] == "9998"
    assert (first["x-ratelimit-reset-requests"], second["x-ratelimit-reset-requests"]) == ("6ms", "12ms")
    assert first["x-ratelimit-remaining-tokens"] == "10000000"


def test_probabilistic_faults_repeat_with_the_same_seed(sdk: SDK, emulator: Emulator) -> None:
    coin = (
        scenario("coin")
        .on(path="/v1/models")
        .probability(0.5)
        .respond(503, headers={"x-should-retry": "false"})
    )
    client = sdk(max_retries=0)

    def run() -> list[bool]:
        emulator.reset()
        emulator.scenarios.load(coin.build())
        outcome = []
        for _ in range(24):
            try:
                client.models.list()
                outcome.append(True)
            except openai.InternalServerError:
                outcome.append(False)
        return outcome

    first = run()
    assert first == run() and 4 < first.count(False) < 20
    emulator.reseed(99)
    assert run() != first
