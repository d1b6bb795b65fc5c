from __future__ import annotations

import openai
import pytest

from emulator.domain.models import ModelRecord
from emulator.domain.state import Emulator


def test_list_includes_fine_tunable_base_models(client: openai.OpenAI) -> None:
    ids = {m.id for m in client.models.list()}
    for expected in (
        "gpt-3.5-turbo-0613", "gpt-3.5-turbo-1106", "gpt-3.5-turbo-0125", "gpt-4o-mini-2024-07-18",
        "gpt-4o-2024-08-06", "gpt-4.1-2025-04-14", "gpt-4.1-mini-2025-04-14", "gpt-4.1-nano-2025-04-14",
        "babbage-002", "davinci-002", "gpt-4o", "gpt-3.5-turbo",
    ):
        assert expected in ids


def test_retrieve_base_model(client: openai.OpenAI) -> None:
    model = client.models.retrieve("davinci-002")
    assert (model.id, model.object, model.owned_by) == ("davinci-002", "model", "system")


def test_unknown_model_is_404(client: openai.OpenAI) -> None:
    with pytest.raises(openai.NotFoundError) as info:
        client.models.retrieve("foobar")
    assert info.value.code == "model_not_found"
    assert info.value.body["message"] == "The model 'foobar' does not exist"


def _register(emulator: Emulator, api_key: str, model_id: str) -> None:
    emulator.tenant(api_key).models.add(ModelRecord(model_id, 1_735_700_000, "user-x", "gpt-4o-mini-2024-07-18"))


def test_fine_tuned_model_ids_with_colons_work_and_delete(client: openai.OpenAI, emulator: Emulator) -> None:
    name = "ft:gpt-4o-mini-2024-07-18:personal:demo:AbCd1234"
    _register(emulator, client.api_key, name)
    assert name in {m.id for m in client.models.list()}
    assert client.models.retrieve(name).id == name
    deleted = client.models.delete(name)
    assert (deleted.id, deleted.deleted, deleted.object) == (name, True, "model")
    assert name not in {m.id for m in client.models.list()}
    with pytest.raises(openai.NotFoundError):
        client.models.delete(name)


def test_other_tenants_models_are_invisible(client: openai.OpenAI, other_client: openai.OpenAI, emulator: Emulator) -> None:
    name = "ft:gpt-4o-mini-2024-07-18:personal::Zz9Yy8Xx"
    _register(emulator, client.api_key, name)
    with pytest.raises(openai.NotFoundError):
        other_client.models.retrieve(name)
    with pytest.raises(openai.NotFoundError):
        other_client.models.delete(name)


def test_base_models_cannot_be_deleted(client: openai.OpenAI) -> None:
    with pytest.raises(openai.PermissionDeniedError) as info:
        client.models.delete("gpt-4o")
    assert info.value.status_code == 403
    assert info.value.param == "model"
