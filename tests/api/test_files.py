from __future__ import annotations

import io

import httpx
import openai
import pytest

from emulator.domain.state import Emulator

LINES = b'{"messages": [{"role": "user", "content": "hi"}, {"role": "assistant", "content": "hello"}]}\n'


def upload(client: openai.OpenAI, name: str = "train.jsonl", data: bytes = LINES, purpose: str = "fine-tune"):
    return client.files.create(file=(name, io.BytesIO(data)), purpose=purpose)  # type: ignore[arg-type]


def test_upload_returns_processed_file_object(client: openai.OpenAI, emulator: Emulator) -> None:
    created = upload(client)
    assert created.id.startswith("file-") and len(created.id) == len("file-") + 24
    assert created.object == "file"
    assert created.bytes == len(LINES)
    assert created.filename == "train.jsonl"
    assert created.purpose == "fine-tune"
    assert created.status == "processed"
    assert created.created_at == int(emulator.now())
    assert created.expires_at is None


def test_download_returns_exact_bytes(client: openai.OpenAI) -> None:
    data = bytes(range(256)) * 3 + LINES
    created = upload(client, data=data, name="weird.jsonl")
    assert client.files.content(created.id).read() == data


def test_large_file_is_spooled_to_disk_and_round_trips(client: openai.OpenAI, emulator: Emulator) -> None:
    data = LINES * (emulator.settings.spool_threshold // len(LINES) + 10)
    created = upload(client, data=data)
    assert created.bytes == len(data)
    assert emulator.tenants()[0].files.get(created.id).blob.on_disk  # type: ignore[union-attr]
    assert client.files.content(created.id).read() == data


def test_retrieve_and_delete(client: openai.OpenAI) -> None:
    created = upload(client)
    assert client.files.retrieve(created.id) == created
    deleted = client.files.delete(created.id)
    assert (deleted.id, deleted.object, deleted.deleted) == (created.id, "file", True)
    with pytest.raises(openai.NotFoundError) as info:
        client.files.retrieve(created.id)
    assert info.value.body == {
        "message": f"No such File object: {created.id}",
        "type": "invalid_request_error",
        "param": "id",
        "code": None,
    }


@pytest.mark.parametrize("verb", ["retrieve", "delete", "content"])
def test_unknown_file_is_404_naming_the_id(client: openai.OpenAI, verb: str) -> None:
    with pytest.raises(openai.NotFoundError) as info:
        getattr(client.files, verb)("file-doesnotexist")
    assert info.value.status_code == 404
    assert info.value.param == "id"
    assert info.value.body["message"] == "No such File object: file-doesnotexist"


def test_list_auto_paginates_newest_first(client: openai.OpenAI, emulator: Emulator) -> None:
    ids = []
    for n in range(7):
        ids.append(upload(client, name=f"f{n}.jsonl").id)
        emulator.clock.advance(1)
    seen = [f.id for f in client.files.list(limit=3)]
    assert seen == list(reversed(ids))
    ascending = [f.id for f in client.files.list(limit=2, order="asc")]
    assert ascending == ids


def test_list_page_cursors_are_exact(http: httpx.Client) -> None:
    ids = [http.post("/v1/files", data={"purpose": "batch"}, files={"file": (f"b{n}.jsonl", LINES)}).json()["id"]
           for n in range(3)]
    page = http.get("/v1/files", params={"limit": 2}).json()
    assert [f["id"] for f in page["data"]] == [ids[2], ids[1]]
    assert (page["first_id"], page["last_id"], page["has_more"]) == (ids[2], ids[1], True)
    rest = http.get("/v1/files", params={"limit": 2, "after": ids[1]}).json()
    assert [f["id"] for f in rest["data"]] == [ids[0]]
    assert rest["has_more"] is False


def test_list_filters_by_purpose(client: openai.OpenAI) -> None:
    tuned = upload(client)
    upload(client, name="batch.jsonl", purpose="batch")
    assert [f.id for f in client.files.list(purpose="fine-tune")] == [tuned.id]


def test_batch_files_expire_after_30_days(client: openai.OpenAI, emulator: Emulator) -> None:
    created = upload(client, purpose="batch")
    assert created.expires_at == created.created_at + 30 * 86400
    emulator.clock.advance(30 * 86400)
    with pytest.raises(openai.NotFoundError):
        client.files.retrieve(created.id)


def test_expires_after_sets_expires_at(client: openai.OpenAI) -> None:
    created = client.files.create(
        file=("a.jsonl", io.BytesIO(LINES)),
        purpose="fine-tune",
        expires_after={"anchor": "created_at", "seconds": 7200},
    )
    assert created.expires_at == created.created_at + 7200


def test_expires_after_out_of_range_is_400(client: openai.OpenAI) -> None:
    with pytest.raises(openai.BadRequestError) as info:
        client.files.create(
            file=("a.jsonl", io.BytesIO(LINES)), purpose="fine-tune", expires_after={"anchor": "created_at", "seconds": 60}
        )
    assert info.value.code == "integer_below_min_value"
    assert info.value.param == "expires_after.seconds"


def test_bad_purpose_is_400(client: openai.OpenAI, emulator: Emulator) -> None:
    with pytest.raises(openai.BadRequestError) as info:
        upload(client, purpose="training")
    assert info.value.param == "purpose"
    assert info.value.code == "invalid_value"
    assert info.value.body["message"].startswith("Invalid value: 'training'. Supported values are: 'assistants'")
    assert list(client.files.list()) == []


def test_missing_purpose_and_file_are_400(http: httpx.Client) -> None:
    r = http.post("/v1/files", files={"file": ("a.jsonl", LINES)})
    assert r.status_code == 400
    assert r.json()["error"] == {
        "message": "Missing required parameter: 'purpose'.",
        "type": "invalid_request_error",
        "param": "purpose",
        "code": "missing_required_parameter",
    }
    r = http.post("/v1/files", data={"purpose": "fine-tune"}, files={"other": ("a.jsonl", LINES)})
    assert r.status_code == 400
    assert r.json()["error"]["message"] == "Additional properties are not allowed ('other' was unexpected)"
    r = http.post("/v1/files", data={"purpose": "fine-tune"}, files={})
    assert r.json()["error"]["param"] == "file"


def test_fine_tune_file_must_be_jsonl(client: openai.OpenAI) -> None:
    with pytest.raises(openai.BadRequestError) as info:
        upload(client, name="train.csv")
    assert info.value.body["message"] == "Invalid file format for Fine-Tuning API. Must be .jsonl"
    upload(client, name="notes.csv", purpose="user_data")


def test_over_limit_upload_is_refused_and_leaves_nothing(server, http: httpx.Client, emulator: Emulator) -> None:
    limit = emulator.settings.max_file_bytes
    emulator.settings.__dict__["max_file_bytes"] = 1000  # a small limit for this test only
    try:
        r = http.post("/v1/files", data={"purpose": "fine-tune"}, files={"file": ("big.jsonl", b"x" * 5000)})
    finally:
        emulator.settings.__dict__["max_file_bytes"] = limit
    assert r.status_code == 413
    assert r.json()["error"]["message"].startswith("Maximum content size limit (1000) exceeded (")
    assert r.json()["error"]["type"] == "server_error"
    assert http.get("/v1/files").json()["data"] == []
