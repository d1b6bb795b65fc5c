"""Azure files through the official AzureOpenAI clients against a live emulator: processing on the clock
(pending → running → processed, or error), JSON Lines only, and imports from a URL (201, pending) limited
to file:// and loopback sources."""

from __future__ import annotations

import functools
import http.server
import re
import threading
from collections.abc import Iterator
from pathlib import Path

import httpx2
import openai
import pytest

from emulator.domain.azure_files import check_content_url
from emulator.errors import InvalidRequestError
from emulator.testing import EmulatorHandle

from .conftest import BASE, TRAINING

pytestmark = pytest.mark.emulator(mode="live")


def _import(client: openai.AzureOpenAI, url: str, filename: str = "imported.jsonl") -> httpx2.Response:
    response: httpx2.Response = client.post(
        "/files/import", body={"purpose": "fine-tune", "filename": filename, "content_url": url},
        cast_to=httpx2.Response)
    return response


@pytest.fixture
def served_dir(tmp_path: Path) -> Iterator[str]:
    """A loopback HTTP server for `tmp_path` (what a local blob store would be)."""
    handler = functools.partial(_Quiet, directory=str(tmp_path))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


class _Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:
        return None


@pytest.mark.emulator(mode="live", clock="virtual")
def test_an_upload_is_processed_on_the_clock(openai_emulator: EmulatorHandle, api_version: str) -> None:
    client = openai_emulator.azure_client(api_version=api_version)
    made = client.files.create(file=("train.jsonl", TRAINING), purpose="fine-tune")
    assert re.fullmatch(r"file-[0-9a-f]{32}", made.id)
    assert made.status == "pending"  # type: ignore[comparison-overlap]
    openai_emulator.advance("5s")
    assert client.files.retrieve(made.id).status == "running"
    openai_emulator.advance("5s")
    assert client.files.retrieve(made.id).status == "processed"
    assert [f.status for f in client.files.list().data] == ["processed"]


def test_polling_a_file_on_the_auto_clock_ends(azure_client: openai.AzureOpenAI) -> None:
    made = azure_client.files.create(file=("train.jsonl", TRAINING), purpose="fine-tune")
    seen = [made.status]
    while seen[-1] != "processed":
        seen.append(azure_client.files.retrieve(made.id).status)
        assert len(seen) < 50
    changes = [s for i, s in enumerate(seen) if i == 0 or seen[i - 1] != s]
    assert changes == ["pending", "running", "processed"]


@pytest.mark.emulator(mode="live", clock="virtual")
def test_content_that_is_not_jsonl_ends_in_error(openai_emulator: EmulatorHandle) -> None:
    client = openai_emulator.azure_client()
    bad = client.files.create(file=("train.jsonl", b"{not json}\n"), purpose="fine-tune")
    openai_emulator.advance("10s")
    read = client.files.retrieve(bad.id)
    assert read.status == "error" and read.status_details == "Invalid JSON on line 1."
    with pytest.raises(openai.BadRequestError) as caught:
        client.fine_tuning.jobs.create(model=BASE, training_file=bad.id)
    assert isinstance(caught.value.body, dict) and caught.value.body["param"] == "training_file"


def test_fine_tune_files_must_be_jsonl(azure_client: openai.AzureOpenAI) -> None:
    with pytest.raises(openai.BadRequestError) as caught:
        azure_client.files.create(file=("train.csv", TRAINING), purpose="fine-tune")
    assert isinstance(caught.value.body, dict) and caught.value.body["code"] == "invalidPayload"


@pytest.mark.emulator(mode="live", clock="virtual")
def test_import_from_a_file_url_is_201_pending(openai_emulator: EmulatorHandle, tmp_path: Path,
                                               api_version: str) -> None:
    source = tmp_path / "train.jsonl"
    source.write_bytes(TRAINING)
    client = openai_emulator.azure_client(api_version=api_version)
    response = _import(client, source.as_uri())
    assert response.status_code == 201
    body = response.json()
    assert body["status"] == "pending" and body["bytes"] == len(TRAINING)
    assert body["filename"] == "imported.jsonl"
    openai_emulator.advance("10s")
    assert client.files.retrieve(body["id"]).status == "processed"
    assert client.files.content(body["id"]).content == TRAINING


def test_import_from_a_loopback_http_url(azure_client: openai.AzureOpenAI, tmp_path: Path,
                                         served_dir: str) -> None:
    (tmp_path / "train.jsonl").write_bytes(TRAINING)
    response = _import(azure_client, f"{served_dir}/train.jsonl")
    assert response.status_code == 201
    assert azure_client.files.content(response.json()["id"]).content == TRAINING


@pytest.mark.emulator(mode="live", clock="virtual")
def test_an_unreachable_import_ends_in_error(openai_emulator: EmulatorHandle, tmp_path: Path) -> None:
    client = openai_emulator.azure_client()
    body = _import(client, (tmp_path / "missing.jsonl").as_uri()).json()
    assert body["status"] == "pending"
    openai_emulator.advance("10s")
    assert client.files.retrieve(body["id"]).status == "error"


def test_import_refuses_other_hosts(azure_client: openai.AzureOpenAI) -> None:
    with pytest.raises(openai.BadRequestError) as caught:
        _import(azure_client, "https://example.blob.core.windows.net/data/train.jsonl")
    assert isinstance(caught.value.body, dict) and caught.value.body["param"] == "content_url"


def test_import_is_not_an_openai_endpoint(openai_client: openai.OpenAI, tmp_path: Path) -> None:
    with pytest.raises(openai.NotFoundError):
        openai_client.post("/files/import", body={"purpose": "fine-tune", "filename": "a.jsonl",
                                                  "content_url": tmp_path.as_uri()}, cast_to=httpx2.Response)


@pytest.mark.emulator(mode="live", max_file_bytes=1024)
def test_a_file_over_the_limit_is_refused_in_azures_envelope(openai_emulator: EmulatorHandle) -> None:
    client = openai_emulator.azure_client(max_retries=0)  # 512 MB on Azure; the setting lowers it here
    with pytest.raises(openai.APIStatusError) as caught:
        client.files.create(file=("train.jsonl", TRAINING * 4), purpose="fine-tune")
    assert caught.value.status_code == 413
    assert isinstance(caught.value.body, dict) and caught.value.body["code"] == "invalidPayload"
    assert caught.value.body["type"] == "error"


def test_the_import_setting_allows_named_hosts() -> None:
    url = "https://data.example.com/train.jsonl"
    assert check_content_url(url, ("data.example.com",)) == url
    assert check_content_url(url, ("*",)) == url
    with pytest.raises(InvalidRequestError):
        check_content_url(url, ("other.example.com",))
    assert check_content_url("http://[::1]:8080/a.jsonl", ()) == "http://[::1]:8080/a.jsonl"
