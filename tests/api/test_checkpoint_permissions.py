"""Checkpoint permissions through the SDK: admin keys only, grant/list/revoke, and what a grant lets another
organization's project do (chat with the model, fine-tune it further)."""

from __future__ import annotations

from collections.abc import Iterator

import openai
import pytest

from emulator import EmulatorServer, Settings
from emulator.domain import jobs
from emulator.domain.state import Emulator

from ..conftest import API_KEY, ContractLog, make_client
from ..jobs.conftest import chat_file, upload

ADMIN_KEY = "sk-admin-0123456789abcdefghijklmnop"
ORG = "acme"  # the user key and its admin key belong to one organization
GRANTEE_KEY = "sk-grantee-key-00000000000000000000000"
LISTED_ADMIN = "sk-proj-configured-admin-000000000000"
HI = [{"role": "user", "content": "What is 3 plus 3?"}]


@pytest.fixture(scope="module")
def server() -> Iterator[EmulatorServer]:
    """This module's own server: the user key and its admin key belong to one organization; one more key is
    an admin key by configuration; the grantee key is an organization of its own."""
    settings = Settings(
        port=0,
        organizations={API_KEY: ORG, ADMIN_KEY: ORG, LISTED_ADMIN: ORG},
        admin_keys=(LISTED_ADMIN,),
    )
    with EmulatorServer(settings) as live:
        yield live


@pytest.fixture
def orgs(emulator: Emulator) -> Emulator:
    return emulator


@pytest.fixture
def admin(server: EmulatorServer, orgs: Emulator, contract_log: ContractLog) -> Iterator[openai.OpenAI]:
    with make_client(server, contract_log, api_key=ADMIN_KEY) as sdk:
        yield sdk


@pytest.fixture
def grantee(server: EmulatorServer, orgs: Emulator, contract_log: ContractLog) -> Iterator[openai.OpenAI]:
    with make_client(server, contract_log, api_key=GRANTEE_KEY) as sdk:
        yield sdk


@pytest.fixture
def trained(client: openai.OpenAI, orgs: Emulator) -> tuple[str, str]:
    """(fine-tuned model, an intermediate checkpoint model) of a finished job of the user's organization."""
    job = client.fine_tuning.jobs.create(model="gpt-4o-mini", training_file=upload(client, chat_file(12)))
    tenant = orgs.tenant(API_KEY)
    jobs.run_until(orgs, tenant, job.id, "succeeded")
    model = client.fine_tuning.jobs.retrieve(job.id).fine_tuned_model
    assert model is not None
    steps = [c.fine_tuned_model_checkpoint for c in client.fine_tuning.jobs.checkpoints.list(job.id)]
    return model, next(s for s in steps if s != model)


def _project_of(http_client: openai.OpenAI) -> str:
    raw = http_client.models.with_raw_response.list()
    return raw.headers["openai-project"]


def test_ordinary_key_is_refused_with_openai_401(client: openai.OpenAI, trained: tuple[str, str]) -> None:
    model, _ = trained
    for call in (
        lambda: client.fine_tuning.checkpoints.permissions.create(model, project_ids=["proj_x"]),
        lambda: list(client.fine_tuning.checkpoints.permissions.list(model)),
        lambda: client.fine_tuning.checkpoints.permissions.delete("cp_x", fine_tuned_model_checkpoint=model),
    ):
        with pytest.raises(openai.AuthenticationError) as caught:
            call()
        assert caught.value.status_code == 401
        assert caught.value.type == "invalid_request_error"
        assert "insufficient permissions" in caught.value.message
        assert "api.fine_tuning.checkpoints.permissions." in caught.value.message


def test_admin_keys_by_prefix_and_by_setting(
    server: EmulatorServer, orgs: Emulator, contract_log: ContractLog, trained: tuple[str, str]
) -> None:
    model, _ = trained
    with make_client(server, contract_log, api_key=LISTED_ADMIN) as sdk:
        assert list(sdk.fine_tuning.checkpoints.permissions.list(model)) == []


def test_grant_list_and_revoke(admin: openai.OpenAI, trained: tuple[str, str]) -> None:
    model, step = trained
    made = admin.fine_tuning.checkpoints.permissions.create(model, project_ids=["proj_a", "proj_b"])
    assert [p.project_id for p in made.data] == ["proj_a", "proj_b"]
    assert all(
        p.id.startswith("cp_") and len(p.id) == 27 and p.object == "checkpoint.permission" for p in made
    )
    again = admin.fine_tuning.checkpoints.permissions.create(model, project_ids=["proj_a"])
    assert [p.id for p in again.data] == [made.data[0].id]  # granting twice does not double
    admin.fine_tuning.checkpoints.permissions.create(step, project_ids=["proj_a"])
    newest_first = [p.id for p in admin.fine_tuning.checkpoints.permissions.list(model)]
    assert newest_first == [made.data[1].id, made.data[0].id]
    oldest_first = admin.fine_tuning.checkpoints.permissions.list(model, order="ascending", limit=1)
    assert [p.id for p in oldest_first] == [made.data[0].id, made.data[1].id]  # auto-paginated by cursor
    only_b = admin.fine_tuning.checkpoints.permissions.list(model, project_id="proj_b")
    assert [p.project_id for p in only_b] == ["proj_b"]
    gone = admin.fine_tuning.checkpoints.permissions.delete(
        made.data[1].id, fine_tuned_model_checkpoint=model
    )
    assert (gone.id, gone.deleted, gone.object) == (made.data[1].id, True, "checkpoint.permission")
    assert [p.project_id for p in admin.fine_tuning.checkpoints.permissions.list(model)] == ["proj_a"]
    with pytest.raises(openai.NotFoundError) as caught:
        admin.fine_tuning.checkpoints.permissions.delete(made.data[1].id, fine_tuned_model_checkpoint=model)
    assert caught.value.body["param"] == "permission_id"  # type: ignore[index]


def test_unknown_checkpoint_is_404(admin: openai.OpenAI) -> None:
    with pytest.raises(openai.NotFoundError) as caught:
        admin.fine_tuning.checkpoints.permissions.create("ft:gpt-4o-mini:x::nope", project_ids=["proj_a"])
    assert caught.value.body["param"] == "fine_tuned_model_checkpoint"  # type: ignore[index]
    with pytest.raises(openai.NotFoundError):
        list(admin.fine_tuning.checkpoints.permissions.list("ft-AF1WoRqd3aJAHsqc9NY7iL8F"))


def test_create_checks_its_body(admin: openai.OpenAI, trained: tuple[str, str]) -> None:
    model, _ = trained
    with pytest.raises(openai.BadRequestError) as missing:
        admin.fine_tuning.checkpoints.permissions.create(model, project_ids=openai.omit)  # type: ignore[arg-type]
    assert missing.value.code == "missing_required_parameter"
    with pytest.raises(openai.BadRequestError) as wrong:
        admin.fine_tuning.checkpoints.permissions.create(model, project_ids=["org-notaproject"])
    assert wrong.value.body["param"] == "project_ids"  # type: ignore[index]
    assert list(admin.fine_tuning.checkpoints.permissions.list(model)) == []


def test_grant_lets_another_organizations_project_use_the_model(
    admin: openai.OpenAI, grantee: openai.OpenAI, trained: tuple[str, str]
) -> None:
    model, step = trained
    with pytest.raises(openai.NotFoundError) as caught:
        grantee.chat.completions.create(model=model, messages=HI)  # type: ignore[arg-type]
    assert caught.value.code == "model_not_found"
    project = _project_of(grantee)
    assert project.startswith("proj_") and len(project) == 29
    grant = admin.fine_tuning.checkpoints.permissions.create(model, project_ids=[project]).data[0]
    answer = grantee.chat.completions.create(model=model, messages=HI)  # type: ignore[arg-type]
    assert answer.model == model
    with pytest.raises(openai.NotFoundError):  # the grant covers that model only, not its checkpoints
        grantee.chat.completions.create(model=step, messages=HI)  # type: ignore[arg-type]
    further = grantee.fine_tuning.jobs.create(model=model, training_file=upload(grantee, chat_file(12)))
    assert further.model == model
    admin.fine_tuning.checkpoints.permissions.delete(grant.id, fine_tuned_model_checkpoint=model)
    with pytest.raises(openai.NotFoundError):
        grantee.chat.completions.create(model=model, messages=HI)  # type: ignore[arg-type]
    with pytest.raises(openai.BadRequestError) as refused:
        grantee.fine_tuning.jobs.create(model=model, training_file=upload(grantee, chat_file(12)))
    assert refused.value.code == "model_not_available"


def test_grant_follows_the_openai_project_header(
    server: EmulatorServer, admin: openai.OpenAI, contract_log: ContractLog, trained: tuple[str, str]
) -> None:
    model, _ = trained
    admin.fine_tuning.checkpoints.permissions.create(model, project_ids=["proj_shared"])
    with make_client(server, contract_log, api_key=GRANTEE_KEY, project="proj_shared") as in_project:
        assert in_project.chat.completions.create(model=model, messages=HI).model == model  # type: ignore[arg-type]
        assert _project_of(in_project) == "proj_shared"
    with make_client(server, contract_log, api_key=GRANTEE_KEY, project="proj_other") as outside:
        with pytest.raises(openai.NotFoundError):
            outside.chat.completions.create(model=model, messages=HI)  # type: ignore[arg-type]


@pytest.mark.anyio
async def test_async_admin_client(
    server: EmulatorServer, orgs: Emulator, contract_log: ContractLog, trained: tuple[str, str]
) -> None:
    import httpx2

    model, _ = trained
    http = httpx2.AsyncClient(event_hooks={"response": [contract_log.async_hook]})
    async with openai.AsyncOpenAI(
        base_url=server.base_url, api_key=ADMIN_KEY, http_client=http, _strict_response_validation=True
    ) as sdk:
        made = await sdk.fine_tuning.checkpoints.permissions.create(model, project_ids=["proj_async"])
        ids = [p.id async for p in sdk.fine_tuning.checkpoints.permissions.list(model)]
        assert ids == [made.data[0].id]
        deleted = await sdk.fine_tuning.checkpoints.permissions.delete(
            ids[0], fine_tuned_model_checkpoint=model
        )
        assert deleted.deleted
