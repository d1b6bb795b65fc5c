"""The catalog: one sourced table covering the spec's and the SDK's chat models, methods and prices."""

from __future__ import annotations

import datetime as dt
import re
import typing
from pathlib import Path

import openai
import pytest
import yaml
from openai.types.shared.chat_model import ChatModel

from emulator.domain.catalog import METHODS
from emulator.domain.catalog_table import FINE_TUNING_ALIASES, MODELS, SOURCES, WIND_DOWN
from emulator.domain.jobs.catalog import model_kind
from emulator.domain.models import BASE_MODELS

from .conftest import HI

SPEC = Path(__file__).resolve().parents[3] / "shared" / "contract" / "openapi.yaml"


def _spec_chat_models() -> list[str]:
    """The enum of `ModelIdsShared` (the chat completions `model`), read from its YAML block alone: loading
    the whole spec would take seconds."""
    if not SPEC.exists():
        pytest.skip("the OpenAPI contract is not beside the worktree")
    text = SPEC.read_text()
    start = text.index("\n    ModelIdsShared:\n")
    end = re.compile(r"\n    \S").search(text, start + 1)
    block = yaml.safe_load(text[start : end.start() if end else None])
    ids: list[str] = block["ModelIdsShared"]["anyOf"][1]["enum"]
    assert len(ids) > 50
    return ids


def test_catalog_covers_every_chat_model_the_sdk_names() -> None:
    missing = sorted(set(typing.get_args(ChatModel)) - set(BASE_MODELS))
    assert missing == []


def test_catalog_covers_every_chat_model_the_spec_names() -> None:
    missing = sorted(set(_spec_chat_models()) - set(BASE_MODELS))
    assert missing == []


def test_every_fact_cites_a_known_source_with_a_checked_date() -> None:
    for source in SOURCES.values():
        dt.date.fromisoformat(source.checked)
        assert source.url.startswith("https://")
    for model in MODELS:
        assert model.source in SOURCES, model.id
        for dated in (model.shutdown, model.fine_tuned_shutdown):
            if dated is not None:
                assert dated.source in SOURCES, model.id
                dt.date.fromisoformat(dated.date)
        if model.tuning is not None:
            assert model.tuning.price_source in SOURCES and model.tuning.methods_source in SOURCES
    for dated in WIND_DOWN.values():
        assert dated.source in SOURCES


def test_ids_are_unique_and_aliases_point_into_the_catalog() -> None:
    assert len({m.id for m in MODELS}) == len(MODELS)
    for model in MODELS:
        if model.alias_of is not None:
            assert model.alias_of in BASE_MODELS, model.id
    for alias, snapshots in FINE_TUNING_ALIASES.items():
        assert alias in BASE_MODELS
        assert all(BASE_MODELS[s].fine_tunable for s in snapshots), alias


def test_fine_tunable_snapshots_and_their_methods() -> None:
    methods = {m.id: m.tuning.methods for m in MODELS if m.tuning is not None}
    assert methods == {
        "gpt-3.5-turbo-0125": ("supervised",),
        "gpt-3.5-turbo-1106": ("supervised",),
        "gpt-3.5-turbo-0613": ("supervised",),
        "babbage-002": ("supervised",),
        "davinci-002": ("supervised",),
        "gpt-4-0613": ("supervised",),
        "gpt-4o-2024-08-06": ("supervised", "dpo"),
        "gpt-4o-mini-2024-07-18": ("supervised", "dpo"),
        "gpt-4.1-2025-04-14": ("supervised", "dpo"),
        "gpt-4.1-mini-2025-04-14": ("supervised", "dpo"),
        "gpt-4.1-nano-2025-04-14": ("supervised", "dpo"),
        "o4-mini-2025-04-16": ("reinforcement",),
    }
    assert all(set(m) <= set(METHODS) for m in methods.values())


def test_model_kind_still_names_the_reinforcement_only_models() -> None:
    assert model_kind("o4-mini-2025-04-16") == "reasoning"
    assert model_kind("babbage-002") == "completion"
    assert model_kind("gpt-4.1-mini-2025-04-14") == "chat"


def test_training_prices_per_model() -> None:
    prices = {m.id: (m.tuning.price, m.tuning.unit) for m in MODELS if m.tuning is not None}
    assert prices["gpt-3.5-turbo-0613"] == (8.00, "token")  # the launch post's $0.008 / 1K tokens
    assert prices["gpt-4o-mini-2024-07-18"] == (3.00, "token")
    assert prices["gpt-4.1-nano-2025-04-14"] == (1.50, "token")
    assert prices["o4-mini-2025-04-16"] == (100.00, "hour")
    assert prices["gpt-4-0613"] == (None, "token")


@pytest.mark.parametrize(
    ("model", "date"),
    [
        ("gpt-3.5-turbo-0613", "2024-09-13"),
        ("gpt-3.5-turbo-16k-0613", "2024-09-13"),
        ("gpt-3.5-turbo-0301", "2024-09-13"),
        ("babbage-002", "2026-09-28"),
        ("davinci-002", "2026-09-28"),
        ("gpt-3.5-turbo-1106", "2026-09-28"),
        ("gpt-3.5-turbo-instruct", "2026-09-28"),
        ("gpt-3.5-turbo", "2026-10-23"),
        ("gpt-3.5-turbo-0125", "2026-10-23"),
        ("gpt-4.1-nano-2025-04-14", "2026-10-23"),
        ("o4-mini-2025-04-16", "2026-10-23"),
        ("gpt-4o-2024-08-06", "2027-01-14"),
        ("gpt-4o-mini-2024-07-18", "2027-01-14"),
        ("gpt-4.1-2025-04-14", "2027-01-14"),
        ("gpt-4.1-mini-2025-04-14", "2027-01-14"),
        ("gpt-5.5", None),
    ],
)
def test_published_shutdown_dates(client: openai.OpenAI, model: str, date: str | None) -> None:
    assert client.models.retrieve(model).shutdown_date == date


def test_every_model_is_listed_with_its_shutdown_date(client: openai.OpenAI) -> None:
    listed = {m.id: m.shutdown_date for m in client.models.list()}
    assert {k: v for k, v in listed.items() if k in BASE_MODELS} == {m.id: m.shutdown_date for m in MODELS}


def test_every_chat_model_of_the_sdk_answers(client: openai.OpenAI) -> None:
    for model in typing.get_args(ChatModel):
        reply = client.chat.completions.create(model=model, messages=HI)
        assert reply.choices[0].message.role == "assistant", model
        assert reply.model == (BASE_MODELS[model].alias_of or model)


def test_gpt5_is_a_reasoning_model(client: openai.OpenAI) -> None:
    with pytest.raises(openai.BadRequestError) as info:
        client.chat.completions.create(model="gpt-5.4", messages=HI, temperature=0.2)
    assert info.value.param == "temperature"
