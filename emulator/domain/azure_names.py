"""Azure OpenAI's names for fine-tuning objects, next to OpenAI's `ft:` ones.

Azure (https://learn.microsoft.com/azure/ai-foundry/openai/how-to/fine-tuning, checkpoint examples) names
a job `ftjob-` + 32 hex digits, its model `<base snapshot>.ft-<the same 32 hex>` (the suffix, when given,
appended as `-<suffix>`), a checkpoint `ftchkpt-` + 32 hex, and a checkpoint's model
`<fine-tuned model>:ckpt-step-<N>`. Both dialects' model names are recognised everywhere a fine-tuned model
is resolved, so one resolver serves both.
"""

from __future__ import annotations

import re

from ..ids import derive_seed

__all__ = ["AZURE_MODEL", "azure_model_name", "fine_tuned_base", "hex_token", "is_fine_tuned"]

AZURE_MODEL = re.compile(
    r"^(?P<base>[A-Za-z0-9][\w.-]*?)\.ft-(?P<hex>[0-9a-f]{32})(?:-(?P<suffix>[\w-]+))?(?::ckpt-step-\d+)?$"
)


def hex_token(*labels: object) -> str:
    """32 lowercase hex digits fixed by `labels` (Azure's job, model and checkpoint ids)."""
    return f"{derive_seed(*labels, 'hi'):016x}{derive_seed(*labels, 'lo'):016x}"


def azure_model_name(snapshot: str, job_id: str, suffix: str | None) -> str:
    return f"{snapshot}.ft-{job_id.removeprefix('ftjob-')}" + (f"-{suffix}" if suffix else "")


def fine_tuned_base(model_id: str) -> str | None:
    """The base snapshot named in a fine-tuned model id of either dialect (None: not a fine-tuned id)."""
    if model_id.startswith("ft:"):
        parts = model_id.split(":")
        return parts[1] if len(parts) >= 3 else None
    match = AZURE_MODEL.match(model_id)
    return match.group("base") if match else None


def is_fine_tuned(model_id: str) -> bool:
    return fine_tuned_base(model_id) is not None
