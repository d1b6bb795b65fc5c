"""Azure's checkpoint copy (preview): a succeeded job's checkpoint copied to another Azure OpenAI resource.

`POST /openai/v1/fine_tuning/jobs/{job}/checkpoints/{checkpoint}/copy` with `destinationResourceId` and
`region` starts a long-running copy; `GET` on the same path reports it. Both need the header
`aoai-copy-ft-checkpoints: preview` (https://learn.microsoft.com/azure/ai-foundry/openai/how-to/fine-tuning,
"Copy the model"; https://learn.microsoft.com/azure/ai-foundry/openai/api-version-lifecycle, preview
headers). The answer is Azure's CopyModelResponse: `checkpointedModelName`, `fineTuningJobId` and one
`copiedAccountDetails` entry per destination with its `status`, `InProgress` for `COPY_SECONDS` of emulator
time and `Completed` after. The copy is recorded on the source job only: the emulator does not make the
model appear in the destination resource.
"""

from __future__ import annotations

import re
from typing import Any

from ...errors import InvalidRequestError, NotFoundError
from .job import Job

__all__ = ["COPY_SECONDS", "copy_checkpoint", "copy_status"]

COPY_SECONDS = 300.0
_RESOURCE_ID = re.compile(
    r"^/subscriptions/[^/]+/resourceGroups/[^/]+/providers/Microsoft\.CognitiveServices/accounts/[^/]+$", re.I
)


def _checkpoint_model(job: Job, checkpoint_id: str, now: float) -> str:
    for checkpoint in job.checkpoints(now):
        if checkpoint.id == checkpoint_id:
            return checkpoint.fine_tuned_model_checkpoint
    raise NotFoundError(f"No such checkpoint: {checkpoint_id}", param="fine_tuning_checkpoint_id")


def copy_checkpoint(job: Job, checkpoint_id: str, body: dict[str, Any], now: float) -> dict[str, Any]:
    """Start copying a checkpoint to `destinationResourceId` in `region`."""
    model = _checkpoint_model(job, checkpoint_id, now)
    destination, region = body.get("destinationResourceId"), body.get("region")
    if not isinstance(destination, str) or not _RESOURCE_ID.match(destination):
        raise InvalidRequestError(
            "'destinationResourceId' must be the resource id of an Azure OpenAI account "
            "(/subscriptions/{id}/resourceGroups/{group}/providers/Microsoft.CognitiveServices/accounts/{name}).",
            param="destinationResourceId",
        )
    if not isinstance(region, str) or not region.strip():
        raise InvalidRequestError("Missing required parameter: 'region'.", param="region")
    if job.checkpoint_copies is None:
        job.checkpoint_copies = {}
    copies = job.checkpoint_copies.setdefault(checkpoint_id, {})
    copies.setdefault((destination, region), now)
    return _response(job, checkpoint_id, model, now)


def copy_status(job: Job, checkpoint_id: str, now: float) -> dict[str, Any]:
    model = _checkpoint_model(job, checkpoint_id, now)
    if job.checkpoint_copies is None or checkpoint_id not in job.checkpoint_copies:
        raise NotFoundError(
            f"No copy of checkpoint {checkpoint_id} was requested.", param="fine_tuning_checkpoint_id"
        )
    return _response(job, checkpoint_id, model, now)


def _response(job: Job, checkpoint_id: str, model: str, now: float) -> dict[str, Any]:
    assert job.checkpoint_copies is not None
    details = [
        {"destinationResourceId": destination, "region": region,
         "status": "Completed" if now >= started + COPY_SECONDS else "InProgress"}
        for (destination, region), started in job.checkpoint_copies[checkpoint_id].items()
    ]
    return {"checkpointedModelName": model, "fineTuningJobId": job.id, "copiedAccountDetails": details}
