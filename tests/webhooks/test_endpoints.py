"""/v1/webhook_endpoints through the official SDK: create, read, update, rotate, delete, event types."""

from __future__ import annotations

import openai
import pytest

from emulator.domain.state import Emulator

from .conftest import FT_EVENTS, Receiver, subscribe


def test_create_returns_secret_once_then_hints_it(client: openai.OpenAI, receiver: Receiver) -> None:
    created = subscribe(client, receiver.url, name="ft")
    assert created.id.startswith("we_") and created.signing_secret.startswith("whsec_")
    assert created.signing_secret_hint == "whsec_****" + created.signing_secret[-4:]
    fetched = client.webhooks.retrieve(created.id)
    assert fetched.model_dump(exclude_none=True) == created.model_dump(
        exclude={"signing_secret"}, exclude_none=True
    )
    assert "signing_secret" not in client.webhooks.with_raw_response.retrieve(created.id).http_response.json()


def test_list_is_newest_first_and_paginates(client: openai.OpenAI, receiver: Receiver) -> None:
    ids = [subscribe(client, receiver.url, name=f"e{i}").id for i in range(3)]
    first = client.webhooks.list(limit=2)
    assert [e.id for e in first.data] == ids[::-1][:2] and first.has_more
    assert [e.id for e in client.webhooks.list(limit=2)] == ids[::-1]


def test_update_changes_fields_and_updated_at_only_when_something_changed(
    client: openai.OpenAI, receiver: Receiver, emulator: Emulator
) -> None:
    created = subscribe(client, receiver.url, name="ft")
    emulator.clock.advance(60)
    same = client.webhooks.update(created.id, name="ft")
    assert same.updated_at == created.updated_at
    renamed = client.webhooks.update(created.id, name="renamed", event_types=["fine_tuning.job.failed"])
    assert renamed.name == "renamed" and renamed.event_types == ["fine_tuning.job.failed"]
    assert renamed.updated_at == created.created_at + 60


def test_rotate_secret_returns_a_new_secret(client: openai.OpenAI, receiver: Receiver) -> None:
    created = subscribe(client, receiver.url, name="ft")
    rotated = client.webhooks.rotate_secret(created.id, keep_old_secret_active_for_24_hours=True)
    assert rotated.signing_secret.startswith("whsec_") and rotated.signing_secret != created.signing_secret


def test_delete_then_retrieve_is_404(client: openai.OpenAI, receiver: Receiver) -> None:
    created = subscribe(client, receiver.url, name="ft")
    deleted = client.webhooks.delete(created.id)
    assert deleted.deleted and deleted.object == "webhook_endpoint.deleted" and deleted.id == created.id
    with pytest.raises(openai.NotFoundError) as caught:
        client.webhooks.retrieve(created.id)
    assert caught.value.code is None and caught.value.type == "invalid_request_error"
    assert caught.value.param == "webhook_endpoint_id"


def test_unknown_event_type_is_invalid_value(client: openai.OpenAI, receiver: Receiver) -> None:
    with pytest.raises(openai.BadRequestError) as caught:
        subscribe(client, receiver.url, ["fine_tuning.job.exploded"], name="ft")
    assert caught.value.code == "invalid_value" and caught.value.param == "event_types[0]"


def test_non_loopback_url_is_refused_with_the_setting_to_change(client: openai.OpenAI) -> None:
    with pytest.raises(openai.BadRequestError) as caught:
        subscribe(client, "https://hooks.example.com/openai", name="ft")
    assert caught.value.param == "url" and "webhook_allow_hosts" in caught.value.message


def test_event_types_lists_the_fine_tuning_events(client: openai.OpenAI) -> None:
    listed = client.webhooks.event_types.list()
    assert set(FT_EVENTS) <= set(listed.data)


def test_test_delivery_reports_the_receivers_status(client: openai.OpenAI, receiver: Receiver) -> None:
    created = subscribe(client, receiver.url, name="ft")
    receiver.statuses.append(418)
    result = client.webhooks.test(created.id, event_type="fine_tuning.job.succeeded")
    assert result.status_code == 418 and result.success and result.webhook_endpoint_id == created.id
    headers, body = receiver.received[-1]
    event = client.webhooks.unwrap(body, headers, secret=created.signing_secret)
    assert event.type == "fine_tuning.job.succeeded"


@pytest.mark.anyio
async def test_async_client_manages_endpoints(async_client: openai.AsyncOpenAI, receiver: Receiver) -> None:
    created = await async_client.webhooks.create(
        name="async", url=receiver.url, event_types=["fine_tuning.job.succeeded"]
    )
    page = await async_client.webhooks.list()
    assert [e.id for e in page.data] == [created.id]
    assert (await async_client.webhooks.delete(created.id)).deleted


def test_an_endpoint_needs_at_least_one_event_type(client: openai.OpenAI, receiver: Receiver) -> None:
    with pytest.raises(openai.BadRequestError) as caught:
        subscribe(client, receiver.url, [])
    assert caught.value.code == "empty_array" and caught.value.param == "event_types"
