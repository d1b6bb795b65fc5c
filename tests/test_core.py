"""Core building blocks without HTTP: settings, clock, ids, durations, params, the paginator."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from emulator.clock import VirtualClock
from emulator.domain.collection import Collection
from emulator.durations import format_go_duration, parse_duration
from emulator.errors import InvalidRequestError
from emulator.ids import ALPHANUMERIC, IdFactory, alphanumerics
from emulator.params import Param, validate
from emulator.settings import Settings


def test_settings_from_env_decodes_values() -> None:
    env = {"EMULATOR_SEED": "5", "EMULATOR_API_KEYS": "a, b", "EMULATOR_SPEED": "2.5", "EMULATOR_HOST": "0.0.0.0"}
    settings = Settings.from_env(environ=env, port=9000)
    assert (settings.seed, settings.api_keys, settings.speed, settings.host, settings.port) == (
        5, ("a", "b"), 2.5, "0.0.0.0", 9000)
    with pytest.raises(ValueError, match="unknown setting"):
        Settings.build(colour="blue")
    with pytest.raises(ValueError, match="clock"):
        Settings(clock="sundial")


def test_virtual_clock_moves_only_when_told() -> None:
    clock = VirtualClock(100.0)
    assert clock.now() == 100.0
    assert clock.advance(5) == 105.0
    with pytest.raises(ValueError):
        clock.advance(-1)


def test_ids_are_seeded_shaped_and_per_namespace() -> None:
    a, b = IdFactory(1, "org-a"), IdFactory(1, "org-a")
    assert [a.new("file-") for _ in range(3)] == [b.new("file-") for _ in range(3)]
    first = IdFactory(1, "org-a").new("file-")
    assert first.startswith("file-") and len(first) == 29 and first[5:].isalnum()
    assert IdFactory(1, "org-b").new("file-") != first
    assert IdFactory(2, "org-a").new("file-") != first
    rid = a.request_id()
    assert rid.startswith("req_") and len(rid) == 36 and int(rid[4:], 16) >= 0


def test_durations_round_trip_human_and_go_forms() -> None:
    assert parse_duration("1h30m") == 5400
    assert parse_duration("250ms") == 0.25
    assert parse_duration(3) == 3.0
    with pytest.raises(ValueError):
        parse_duration("5 parsecs")
    assert [format_go_duration(s) for s in (0.006, 1.5, 360, 72, 3723)] == ["6ms", "1.5s", "6m0s", "1m12s", "1h2m3s"]


def test_params_messages_match_openai() -> None:
    schema = {"n": Param("integer", minimum=1, maximum=128), "name": Param("string", required=True)}
    with pytest.raises(InvalidRequestError) as info:
        validate({"n": 130, "name": "x"}, schema)
    assert info.value.message == "Invalid 'n': integer above maximum value. Expected a value <= 128, but got 130 instead."
    assert (info.value.param, info.value.code) == ("n", "integer_above_max_value")
    with pytest.raises(InvalidRequestError) as info:
        validate({"top_k": 3, "name": "x"}, schema)
    assert info.value.message == "Unrecognized request argument supplied: top_k"
    with pytest.raises(InvalidRequestError) as info:
        validate({"n": "3", "name": "x"}, schema)
    assert info.value.message == "Invalid type for 'n': expected an integer, but got a string instead."
    with pytest.raises(InvalidRequestError) as info:
        validate({}, schema)
    assert (info.value.message, info.value.code) == ("Missing required parameter: 'name'.", "missing_required_parameter")


@dataclass
class _Item:
    id: str


def test_collection_pages_in_both_orders_and_survives_removal() -> None:
    items: Collection[_Item] = Collection()
    for n in range(50):
        items.add(_Item(f"i{n}"))
    for n in range(0, 50, 2):
        items.remove(f"i{n}")
    page = items.page(limit=3)
    assert [i.id for i in page.data] == ["i49", "i47", "i45"] and page.has_more
    page = items.page(limit=3, after="i5", newest_first=False)
    assert [i.id for i in page.data] == ["i7", "i9", "i11"]
    last = items.page(limit=10, after="i3")
    assert [i.id for i in last.data] == ["i1"] and not last.has_more
    assert items.page(limit=5, after="unknown").data == []


def test_alphanumerics_spell_the_least_significant_digits_first() -> None:
    def one_at_a_time(value: int, length: int) -> str:
        chars = []
        for _ in range(length):
            value, digit = divmod(value, len(ALPHANUMERIC))
            chars.append(ALPHANUMERIC[digit])
        return "".join(chars)

    for value in (0, 61, 62, 62**6 - 1, 2**32 + 12345, 2**128 - 1, 2**255 + 7):
        for length in (1, 6, 8, 18, 29):
            assert alphanumerics(value, length) == one_at_a_time(value, length)
