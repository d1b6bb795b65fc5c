from __future__ import annotations

import asyncio
import hashlib
from collections.abc import Callable
from typing import Any

import httpx
import openai
import pytest
from openai.types import Upload

from emulator.domain.state import Emulator
from emulator.domain.uploads import UploadRecord

LINE = b'{"messages": [{"role": "user", "content": "hi"}, {"role": "assistant", "content": "hello"}]}\n'
DATA = LINE * 40


def start(client: openai.OpenAI, size: int = len(DATA), **kwargs: Any) -> Upload:
    params: dict[str, Any] = {"filename": "train.jsonl", "purpose": "fine-tune", "mime_type": "text/jsonl"}
    params.update(kwargs)
    return client.uploads.create(bytes=size, **params)


def record(emulator: Emulator, upload_id: str) -> UploadRecord:
    found = [u for t in emulator.tenants() if (u := t.uploads.get(upload_id)) is not None]
    assert len(found) == 1
    return found[0]


def error(info: pytest.ExceptionInfo[openai.APIStatusError]) -> dict[str, Any]:
    body = info.value.body
    assert isinstance(body, dict)
    return body


# --- create ------------------------------------------------------------------------------------------


def test_create_returns_pending_upload_expiring_in_an_hour(client: openai.OpenAI, emulator: Emulator) -> None:
    upload = start(client)
    assert upload.id.startswith("upload_") and len(upload.id) == len("upload_") + 24
    assert upload.object == "upload"
    assert (upload.bytes, upload.filename, upload.purpose) == (len(DATA), "train.jsonl", "fine-tune")
    assert upload.status == "pending"
    assert upload.created_at == int(emulator.now())
    assert upload.expires_at == upload.created_at + 3600
    assert upload.file is None


def test_create_bytes_over_the_upload_limit_is_400_naming_bytes(
    client: openai.OpenAI, emulator: Emulator
) -> None:
    limit = emulator.settings.max_upload_bytes
    with pytest.raises(openai.BadRequestError) as info:
        start(client, size=limit + 1)
    assert error(info) == {
        "message": f"Invalid 'bytes': integer above maximum value. Expected a value <= {limit}, "
        f"but got {limit + 1} instead.",
        "type": "invalid_request_error",
        "param": "bytes",
        "code": "integer_above_max_value",
    }
    start(client, size=limit)  # exactly 8 GB is allowed


def test_create_negative_bytes_is_400(client: openai.OpenAI) -> None:
    with pytest.raises(openai.BadRequestError) as info:
        start(client, size=-1)
    assert (info.value.param, info.value.code) == ("bytes", "integer_below_min_value")


@pytest.mark.parametrize("missing", ["filename", "purpose", "bytes", "mime_type"])
def test_create_missing_required_parameter_is_400(http: httpx.Client, missing: str) -> None:
    body = {"filename": "a.jsonl", "purpose": "fine-tune", "bytes": 3, "mime_type": "text/jsonl"}
    del body[missing]
    r = http.post("/v1/uploads", json=body)
    assert r.status_code == 400
    assert r.json()["error"] == {
        "message": f"Missing required parameter: '{missing}'.",
        "type": "invalid_request_error",
        "param": missing,
        "code": "missing_required_parameter",
    }


def test_create_wrong_type_and_unknown_argument_are_400(http: httpx.Client) -> None:
    body = {"filename": "a.jsonl", "purpose": "fine-tune", "bytes": "3", "mime_type": "text/jsonl"}
    r = http.post("/v1/uploads", json=body)
    assert r.status_code == 400
    assert r.json()["error"] == {
        "message": "Invalid type for 'bytes': expected an integer, but got a string instead.",
        "type": "invalid_request_error",
        "param": "bytes",
        "code": "invalid_type",
    }
    r = http.post("/v1/uploads", json={**body, "bytes": 3, "size": 3})
    assert r.status_code == 400
    assert r.json()["error"] == {
        "message": "Unrecognized request argument supplied: size",
        "type": "invalid_request_error",
        "param": None,
        "code": None,
    }


def test_create_purpose_must_be_in_the_uploads_enum(client: openai.OpenAI) -> None:
    with pytest.raises(openai.BadRequestError) as info:
        start(client, purpose="user_data")
    assert error(info) == {
        "message": "Invalid value: 'user_data'. Supported values are: "
        "'assistants', 'batch', 'fine-tune', and 'vision'.",
        "type": "invalid_request_error",
        "param": "purpose",
        "code": "invalid_value",
    }


def test_create_fine_tune_filename_must_be_jsonl(client: openai.OpenAI) -> None:
    with pytest.raises(openai.BadRequestError) as info:
        start(client, filename="train.csv")
    assert error(info) == {
        "message": "Invalid file format for Fine-Tuning API. Must be .jsonl",
        "type": "invalid_request_error",
        "param": "filename",
        "code": None,
    }
    assert start(client, filename="notes.csv", purpose="assistants", mime_type="text/csv").status == "pending"


def test_create_expires_after_out_of_range_is_400(client: openai.OpenAI) -> None:
    with pytest.raises(openai.BadRequestError) as info:
        start(client, expires_after={"anchor": "created_at", "seconds": 60})
    assert error(info) == {
        "message": "Invalid 'expires_after.seconds': integer below minimum value. Expected a value >= 3600, "
        "but got 60 instead.",
        "type": "invalid_request_error",
        "param": "expires_after.seconds",
        "code": "integer_below_min_value",
    }


def test_create_expires_after_needs_both_fields(http: httpx.Client) -> None:
    body = {"filename": "a.jsonl", "purpose": "fine-tune", "bytes": 3, "mime_type": "text/jsonl"}
    r = http.post("/v1/uploads", json={**body, "expires_after": {"anchor": "created_at"}})
    assert r.status_code == 400
    assert r.json()["error"] == {
        "message": "Missing required parameter: 'expires_after.seconds'.",
        "type": "invalid_request_error",
        "param": "expires_after.seconds",
        "code": "missing_required_parameter",
    }


# --- the whole flow ----------------------------------------------------------------------------------


def test_chunked_helper_round_trips_exact_bytes(client: openai.OpenAI, emulator: Emulator) -> None:
    data = bytes(range(256)) * 7 + DATA
    upload = client.uploads.upload_file_chunked(
        file=data,
        filename="weird.jsonl",
        bytes=len(data),
        mime_type="text/jsonl",
        purpose="fine-tune",
        part_size=1000,
    )
    assert upload.status == "completed"
    assert upload.file is not None
    assert upload.file.bytes == len(data)
    assert (upload.file.filename, upload.file.purpose, upload.file.status) == (
        "weird.jsonl",
        "fine-tune",
        "processed",
    )
    assert client.files.retrieve(upload.file.id) == upload.file
    assert client.files.content(upload.file.id).read() == data
    parts = emulator.journal.find(method="POST", path=f"/v1/uploads/{upload.id}/parts", status=200)
    assert len(parts) == -(-len(data) // 1000)


def test_chunked_helper_from_a_path_with_md5(client: openai.OpenAI, tmp_path: Any) -> None:
    path = tmp_path / "from-disk.jsonl"
    path.write_bytes(DATA)
    upload = client.uploads.upload_file_chunked(
        file=path,
        mime_type="text/jsonl",
        purpose="fine-tune",
        part_size=777,
        md5=hashlib.md5(DATA).hexdigest(),
    )
    assert upload.filename == "from-disk.jsonl"
    assert upload.file is not None
    assert client.files.content(upload.file.id).read() == DATA


@pytest.mark.anyio
async def test_async_chunked_helper_round_trips_exact_bytes(async_client: openai.AsyncOpenAI) -> None:
    upload = await async_client.uploads.upload_file_chunked(
        file=DATA,
        filename="train.jsonl",
        bytes=len(DATA),
        mime_type="text/jsonl",
        purpose="fine-tune",
        part_size=999,
    )
    assert upload.status == "completed"
    assert upload.file is not None
    content = await async_client.files.content(upload.file.id)
    assert content.read() == DATA


@pytest.mark.anyio
async def test_async_create_parts_cancel(async_client: openai.AsyncOpenAI) -> None:
    upload = await async_client.uploads.create(
        bytes=3, filename="a.jsonl", purpose="fine-tune", mime_type="text/jsonl"
    )
    part = await async_client.uploads.parts.create(upload.id, data=b"abc")
    assert (part.object, part.upload_id) == ("upload.part", upload.id)
    cancelled = await async_client.uploads.cancel(upload.id)
    assert cancelled.status == "cancelled"


@pytest.mark.anyio
async def test_parts_added_in_parallel_complete_in_the_chosen_order(async_client: openai.AsyncOpenAI) -> None:
    chunks = [bytes([n]) * (1000 + n) for n in range(8)]
    upload = await async_client.uploads.create(
        bytes=sum(map(len, chunks)), filename="p.jsonl", purpose="fine-tune", mime_type="text/jsonl"
    )
    parts = await asyncio.gather(*(async_client.uploads.parts.create(upload.id, data=c) for c in chunks))
    assert len({p.id for p in parts}) == len(chunks)
    done = await async_client.uploads.complete(upload.id, part_ids=[p.id for p in reversed(parts)])
    assert done.file is not None
    content = await async_client.files.content(done.file.id)
    assert content.read() == b"".join(reversed(chunks))


def test_part_object_shape(client: openai.OpenAI, emulator: Emulator) -> None:
    upload = start(client)
    emulator.clock.advance(5)
    part = client.uploads.parts.create(upload.id, data=DATA)
    assert part.id.startswith("part_") and len(part.id) == len("part_") + 24
    assert part.object == "upload.part"
    assert part.upload_id == upload.id
    assert part.created_at == upload.created_at + 5


def test_complete_joins_parts_in_the_order_given(client: openai.OpenAI) -> None:
    upload = start(client, size=9)
    first = client.uploads.parts.create(upload.id, data=b"first")
    last = client.uploads.parts.create(upload.id, data=b"last")
    done = client.uploads.complete(upload.id, part_ids=[last.id, first.id])
    assert done.file is not None
    assert client.files.content(done.file.id).read() == b"lastfirst"


def test_complete_may_leave_parts_out_and_frees_them(client: openai.OpenAI, emulator: Emulator) -> None:
    upload = start(client, size=4)
    keep = client.uploads.parts.create(upload.id, data=b"keep")
    drop = client.uploads.parts.create(upload.id, data=b"drop")
    dropped_blob = record(emulator, upload.id).parts[drop.id].blob
    done = client.uploads.complete(upload.id, part_ids=[keep.id])
    assert done.file is not None
    assert client.files.content(done.file.id).read() == b"keep"
    assert record(emulator, upload.id).parts == {}
    with pytest.raises(FileNotFoundError):  # its bytes are gone, not merely emptied
        dropped_blob.read()


def test_completed_upload_is_the_upload_with_a_nested_file(client: openai.OpenAI, emulator: Emulator) -> None:
    upload = start(client)
    part = client.uploads.parts.create(upload.id, data=DATA)
    emulator.clock.advance(60)
    done = client.uploads.complete(upload.id, part_ids=[part.id])
    assert done.model_dump(exclude={"status", "file"}) == upload.model_dump(exclude={"status", "file"})
    assert done.file is not None
    assert done.file.created_at == upload.created_at + 60
    assert done.file.expires_at is None
    assert [f.id for f in client.files.list()] == [done.file.id]


def test_complete_with_matching_md5(client: openai.OpenAI) -> None:
    upload = start(client)
    part = client.uploads.parts.create(upload.id, data=DATA)
    done = client.uploads.complete(upload.id, part_ids=[part.id], md5=hashlib.md5(DATA).hexdigest().upper())
    assert done.status == "completed"


def test_expires_after_applies_to_the_resulting_file(client: openai.OpenAI, emulator: Emulator) -> None:
    upload = start(client, expires_after={"anchor": "created_at", "seconds": 7200})
    assert upload.expires_at == upload.created_at + 3600
    part = client.uploads.parts.create(upload.id, data=DATA)
    emulator.clock.advance(10)
    done = client.uploads.complete(upload.id, part_ids=[part.id])
    assert done.file is not None
    assert done.file.expires_at == done.file.created_at + 7200


def test_batch_upload_file_expires_after_30_days_by_default(client: openai.OpenAI) -> None:
    upload = start(client, purpose="batch", filename="batch.jsonl")
    part = client.uploads.parts.create(upload.id, data=DATA)
    done = client.uploads.complete(upload.id, part_ids=[part.id])
    assert done.file is not None
    assert done.file.expires_at == done.file.created_at + 30 * 86400


def test_multi_part_upload_larger_than_spool_threshold(client: openai.OpenAI, emulator: Emulator) -> None:
    threshold = emulator.settings.spool_threshold
    data = LINE * (threshold * 5 // 2 // len(LINE) + 1)
    assert len(data) > threshold
    upload = client.uploads.upload_file_chunked(
        file=data,
        filename="big.jsonl",
        bytes=len(data),
        mime_type="text/jsonl",
        purpose="fine-tune",
        part_size=threshold // 2 + 1,
    )
    assert upload.file is not None and upload.file.bytes == len(data)
    stored = emulator.tenants()[0].files.get(upload.file.id)
    assert stored is not None and stored.blob.on_disk
    assert stored.blob.md5 == hashlib.md5(data).hexdigest()
    assert client.files.content(upload.file.id).read() == data


def test_part_sent_as_a_plain_form_field(client: openai.OpenAI, http: httpx.Client) -> None:
    upload = start(client, size=5)
    r = http.post(f"/v1/uploads/{upload.id}/parts", data={"data": "hello"})
    assert r.status_code == 200
    done = client.uploads.complete(upload.id, part_ids=[r.json()["id"]])
    assert done.file is not None
    assert client.files.content(done.file.id).read() == b"hello"


def test_cancel_returns_cancelled_and_frees_parts(client: openai.OpenAI, emulator: Emulator) -> None:
    upload = start(client)
    client.uploads.parts.create(upload.id, data=DATA)
    cancelled = client.uploads.cancel(upload.id)
    assert cancelled.status == "cancelled"
    assert cancelled.file is None
    assert record(emulator, upload.id).parts == {}
    assert list(client.files.list()) == []


def test_reset_frees_part_blobs(client: openai.OpenAI, emulator: Emulator) -> None:
    upload = start(client, size=emulator.settings.spool_threshold * 2)
    client.uploads.parts.create(upload.id, data=b"x" * (emulator.settings.spool_threshold + 1))
    (part,) = record(emulator, upload.id).parts.values()
    assert part.blob.on_disk
    emulator.reset()
    assert not part.blob.on_disk


# --- errors ------------------------------------------------------------------------------------------


def _not_found(upload_id: str) -> dict[str, Any]:
    return {
        "message": f"No such Upload object: {upload_id}",
        "type": "invalid_request_error",
        "param": "id",
        "code": None,
    }


@pytest.mark.parametrize("verb", ["parts", "complete", "cancel"])
def test_unknown_upload_is_404(client: openai.OpenAI, verb: str) -> None:
    calls: dict[str, Callable[[], object]] = {
        "parts": lambda: client.uploads.parts.create("upload_nope", data=b"x"),
        "complete": lambda: client.uploads.complete("upload_nope", part_ids=[]),
        "cancel": lambda: client.uploads.cancel("upload_nope"),
    }
    with pytest.raises(openai.NotFoundError) as info:
        calls[verb]()
    assert info.value.status_code == 404
    assert error(info) == _not_found("upload_nope")


def test_another_tenant_cannot_touch_an_upload(client: openai.OpenAI, other_client: openai.OpenAI) -> None:
    upload = start(client, size=3)
    part = client.uploads.parts.create(upload.id, data=b"abc")
    for call in (
        lambda: other_client.uploads.parts.create(upload.id, data=b"x"),
        lambda: other_client.uploads.complete(upload.id, part_ids=[part.id]),
        lambda: other_client.uploads.cancel(upload.id),
    ):
        with pytest.raises(openai.NotFoundError) as info:
            call()
        assert error(info) == _not_found(upload.id)
    assert client.uploads.complete(upload.id, part_ids=[part.id]).status == "completed"


def _state_error(message: str) -> dict[str, Any]:
    return {"message": message, "type": "invalid_request_error", "param": None, "code": None}


def test_no_parts_complete_or_cancel_after_completion(client: openai.OpenAI) -> None:
    upload = start(client, size=3)
    part = client.uploads.parts.create(upload.id, data=b"abc")
    client.uploads.complete(upload.id, part_ids=[part.id])
    with pytest.raises(openai.BadRequestError) as info:
        client.uploads.parts.create(upload.id, data=b"more")
    assert error(info) == _state_error(
        f"Cannot add Parts to Upload {upload.id} because its status is 'completed'; "
        "Parts can only be added to a pending Upload."
    )
    with pytest.raises(openai.BadRequestError) as info:
        client.uploads.complete(upload.id, part_ids=[part.id])
    assert error(info) == _state_error(
        f"Cannot complete Upload {upload.id} because its status is 'completed'; "
        "only a pending Upload can be completed."
    )
    with pytest.raises(openai.BadRequestError) as info:
        client.uploads.cancel(upload.id)
    assert error(info) == _state_error(
        f"Cannot cancel Upload {upload.id} because its status is 'completed'; "
        "only a pending Upload can be cancelled."
    )
    assert len(list(client.files.list())) == 1


def test_no_parts_or_completion_after_cancel(client: openai.OpenAI) -> None:
    upload = start(client, size=3)
    part = client.uploads.parts.create(upload.id, data=b"abc")
    client.uploads.cancel(upload.id)
    with pytest.raises(openai.BadRequestError) as info:
        client.uploads.parts.create(upload.id, data=b"abc")
    assert error(info)["message"] == (
        f"Cannot add Parts to Upload {upload.id} because its status is 'cancelled'; "
        "Parts can only be added to a pending Upload."
    )
    with pytest.raises(openai.BadRequestError) as info:
        client.uploads.complete(upload.id, part_ids=[part.id])
    assert error(info)["message"] == (
        f"Cannot complete Upload {upload.id} because its status is 'cancelled'; "
        "only a pending Upload can be completed."
    )
    with pytest.raises(openai.BadRequestError) as info:
        client.uploads.cancel(upload.id)
    assert error(info)["message"].endswith(
        "because its status is 'cancelled'; only a pending Upload can be cancelled."
    )


def test_upload_expires_an_hour_after_creation(client: openai.OpenAI, emulator: Emulator) -> None:
    upload = start(client, size=3)
    part = client.uploads.parts.create(upload.id, data=b"abc")
    emulator.clock.advance(3599)
    client.uploads.parts.create(upload.id, data=b"still open")
    emulator.clock.advance(1)
    assert record(emulator, upload.id).to_dict(emulator.now())["status"] == "expired"
    with pytest.raises(openai.BadRequestError) as info:
        client.uploads.parts.create(upload.id, data=b"late")
    assert error(info) == _state_error(
        f"Cannot add Parts to Upload {upload.id} because its status is 'expired'; "
        "Parts can only be added to a pending Upload."
    )
    assert record(emulator, upload.id).parts == {}
    with pytest.raises(openai.BadRequestError) as info:
        client.uploads.complete(upload.id, part_ids=[part.id])
    assert "because its status is 'expired'" in error(info)["message"]
    with pytest.raises(openai.BadRequestError) as info:
        client.uploads.cancel(upload.id)
    assert "because its status is 'expired'" in error(info)["message"]


def test_creating_an_upload_frees_parts_of_expired_ones(client: openai.OpenAI, emulator: Emulator) -> None:
    old = start(client, size=3)
    client.uploads.parts.create(old.id, data=b"abc")
    emulator.clock.advance(3600)
    start(client)
    assert record(emulator, old.id).parts == {}


def test_complete_byte_total_must_match(client: openai.OpenAI) -> None:
    upload = start(client, size=10)
    part = client.uploads.parts.create(upload.id, data=b"abc")
    with pytest.raises(openai.BadRequestError) as info:
        client.uploads.complete(upload.id, part_ids=[part.id])
    assert error(info) == {
        "message": f"The Parts in part_ids add up to 3 bytes, but Upload {upload.id} was created with "
        "bytes=10. The total must match exactly.",
        "type": "invalid_request_error",
        "param": "part_ids",
        "code": None,
    }
    assert client.uploads.cancel(upload.id).status == "cancelled"  # still pending after the refusal


def test_complete_md5_mismatch_is_400_and_can_be_retried(client: openai.OpenAI) -> None:
    upload = start(client, size=3)
    part = client.uploads.parts.create(upload.id, data=b"abc")
    wrong = "0" * 32
    with pytest.raises(openai.BadRequestError) as info:
        client.uploads.complete(upload.id, part_ids=[part.id], md5=wrong)
    assert error(info) == {
        "message": f"The md5 checksum you gave ({wrong}) does not match the md5 checksum of the uploaded "
        f"bytes ({hashlib.md5(b'abc').hexdigest()}).",
        "type": "invalid_request_error",
        "param": "md5",
        "code": None,
    }
    assert list(client.files.list()) == []
    done = client.uploads.complete(upload.id, part_ids=[part.id], md5=hashlib.md5(b"abc").hexdigest())
    assert done.file is not None
    assert client.files.content(done.file.id).read() == b"abc"


def test_complete_unknown_part_is_400(client: openai.OpenAI) -> None:
    upload = start(client, size=3)
    other = start(client, size=3)
    part = client.uploads.parts.create(upload.id, data=b"abc")
    foreign = client.uploads.parts.create(other.id, data=b"abc")
    for bad in ("part_nope", foreign.id):
        with pytest.raises(openai.BadRequestError) as info:
            client.uploads.complete(upload.id, part_ids=[part.id, bad])
        assert error(info) == {
            "message": f"No such Part in Upload {upload.id}: {bad}",
            "type": "invalid_request_error",
            "param": "part_ids[1]",
            "code": None,
        }


def test_complete_repeated_part_is_400(client: openai.OpenAI) -> None:
    upload = start(client, size=6)
    part = client.uploads.parts.create(upload.id, data=b"abc")
    with pytest.raises(openai.BadRequestError) as info:
        client.uploads.complete(upload.id, part_ids=[part.id, part.id])
    assert error(info) == {
        "message": f"Part {part.id} appears more than once in part_ids; each Part can be used only once.",
        "type": "invalid_request_error",
        "param": "part_ids[1]",
        "code": None,
    }


def test_complete_body_is_validated(http: httpx.Client, client: openai.OpenAI) -> None:
    upload = start(client, size=3)
    r = http.post(f"/v1/uploads/{upload.id}/complete", json={})
    assert r.status_code == 400
    assert r.json()["error"] == {
        "message": "Missing required parameter: 'part_ids'.",
        "type": "invalid_request_error",
        "param": "part_ids",
        "code": "missing_required_parameter",
    }
    r = http.post(f"/v1/uploads/{upload.id}/complete", json={"part_ids": [1]})
    assert r.status_code == 400
    assert r.json()["error"] == {
        "message": "Invalid type for 'part_ids[0]': expected a string, but got an integer instead.",
        "type": "invalid_request_error",
        "param": "part_ids[0]",
        "code": "invalid_type",
    }


def test_part_without_data_is_400(client: openai.OpenAI, http: httpx.Client) -> None:
    upload = start(client, size=3)
    r = http.post(f"/v1/uploads/{upload.id}/parts", files={"other": ("x", b"abc")})
    assert r.status_code == 400
    assert r.json()["error"] == {
        "message": "Unrecognized request argument supplied: other",
        "type": "invalid_request_error",
        "param": None,
        "code": None,
    }
    r = http.post(f"/v1/uploads/{upload.id}/parts", files={})
    assert r.status_code == 400
    assert r.json()["error"] == {
        "message": "Missing required parameter: 'data'.",
        "type": "invalid_request_error",
        "param": "data",
        "code": "missing_required_parameter",
    }


def test_part_over_the_part_limit_is_refused_while_streaming(
    client: openai.OpenAI, http: httpx.Client, emulator: Emulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(emulator.settings.__dict__, "max_part_bytes", 1000)
    upload = start(client, size=1000)
    r = http.post(f"/v1/uploads/{upload.id}/parts", files={"data": ("blob", b"x" * 1001)})
    assert r.status_code == 413
    assert r.json()["error"] == {
        "message": r.json()["error"]["message"],
        "type": "server_error",
        "param": None,
        "code": None,
    }
    assert r.json()["error"]["message"].startswith("Maximum content size limit (1000) exceeded (")
    r = http.post(f"/v1/uploads/{upload.id}/parts", files={"data": ("blob", b"x" * 200_000)})
    assert r.status_code == 413  # refused from the stream, well before the whole body is read
    assert record(emulator, upload.id).parts == {}
    part = client.uploads.parts.create(upload.id, data=b"x" * 1000)
    assert client.uploads.complete(upload.id, part_ids=[part.id]).status == "completed"


def test_parts_beyond_the_upload_limit_are_400(
    client: openai.OpenAI, emulator: Emulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(emulator.settings.__dict__, "max_upload_bytes", 10)
    upload = start(client, size=10)
    client.uploads.parts.create(upload.id, data=b"x" * 6)
    with pytest.raises(openai.BadRequestError) as info:
        client.uploads.parts.create(upload.id, data=b"x" * 5)
    assert error(info) == {
        "message": f"Upload {upload.id} already holds 6 bytes; this Part of 5 bytes would exceed the maximum "
        "of 10 bytes for an Upload.",
        "type": "invalid_request_error",
        "param": "data",
        "code": None,
    }
    assert len(record(emulator, upload.id).parts) == 1


def test_errors_leave_no_files_and_are_journaled(client: openai.OpenAI, http: httpx.Client) -> None:
    r = http.post("/v1/uploads/upload_nope/complete", json={"part_ids": []})
    assert r.status_code == 404
    entry = http.get(
        "/_emulator/requests", params={"method": "POST", "path": "/v1/uploads/upload_nope/complete"}
    ).json()["data"][-1]
    assert entry["status"] == 404
    assert entry["request_id"] == r.headers["x-request-id"]
    assert list(client.files.list()) == []


def test_empty_upload_completes_with_no_parts(client: openai.OpenAI) -> None:
    upload = start(client, size=0, purpose="assistants", filename="empty.txt", mime_type="text/plain")
    done = client.uploads.complete(upload.id, part_ids=[])
    assert done.file is not None and done.file.bytes == 0
    assert client.files.content(done.file.id).read() == b""
