"""Azure's published v1 contract (the excerpt shipped in emulator/contract/azure_v1.json) is what the suite
checks Azure answers against: each operation of the excerpt is exercised here through the GA v1 API, and
the check itself catches OpenAI's shapes where Azure's differ."""

from __future__ import annotations

import httpx2
import openai
import pytest

from emulator.contract.azure import load_azure
from emulator.testing import EmulatorHandle

from .conftest import BASE, TRAINING, AzureContractLog

pytestmark = pytest.mark.emulator(mode="live")
COPY = {"aoai-copy-ft-checkpoints": "preview"}
DESTINATION = "/subscriptions/0000/resourceGroups/rg/providers/Microsoft.CognitiveServices/accounts/other"


def test_every_schema_of_the_excerpt_is_checked(openai_emulator: EmulatorHandle,
                                                azure_contract: AzureContractLog) -> None:
    client = openai_emulator.azure_client(api_version="v1")
    made = client.files.create(file=("train.jsonl", TRAINING), purpose="fine-tune")
    client.files.retrieve(made.id)
    client.files.list()
    client.post("/files/import", body={"purpose": "fine-tune", "filename": "a.jsonl",
                                       "content_url": "file:///nonexistent/a.jsonl"}, cast_to=httpx2.Response)
    job = client.fine_tuning.jobs.create(model=BASE, training_file=made.id)
    client.fine_tuning.jobs.list()
    openai_emulator.run_job(job.id)
    client.fine_tuning.jobs.retrieve(job.id)
    checkpoint = client.fine_tuning.jobs.checkpoints.list(job.id).data[0]
    path = f"/fine_tuning/jobs/{job.id}/checkpoints/{checkpoint.id}/copy"
    client.post(path, body={"destinationResourceId": DESTINATION, "region": "eastus"}, cast_to=object,
                options={"headers": COPY})
    client.get(path, cast_to=object, options={"headers": COPY})
    other = client.fine_tuning.jobs.create(model=BASE, training_file=made.id)
    client.fine_tuning.jobs.cancel(other.id)
    client.files.delete(made.id)
    with pytest.raises(openai.NotFoundError):
        client.fine_tuning.jobs.retrieve("ftjob-missing")
    operations = load_azure().document["operations"]
    assert azure_contract.schemas == {op[3] for op in operations} | {"AzureErrorResponse"}


def test_the_check_catches_openai_shapes() -> None:
    contract = load_azure()
    openai_error = {"error": {"message": "No such job", "type": "invalid_request_error", "param": None,
                              "code": None}}
    assert len(contract.check("GET", "/openai/v1/fine_tuning/jobs/x", 404, openai_error)) == 3
    assert contract.check("GET", "/openai/v1/files/x", 200, {"id": "f", "object": "file", "bytes": 1,
                                                             "created_at": 1, "filename": "a.jsonl",
                                                             "purpose": "fine-tune", "status": "odd"})
    assert contract.check("GET", "/openai/v1/unknown", 200, {}) == []
