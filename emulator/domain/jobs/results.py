"""The results file a succeeded job leaves: `step_metrics.csv`, purpose `fine-tune-results`.

Its content is the CSV (`step,train_loss,train_accuracy,valid_loss,valid_mean_token_accuracy`, one row per
step) base64-encoded, because that is how OpenAI delivers it: the cookbook decodes it with
`base64.b64decode(client.files.content(id).read())` (reference §3.5, §6.6). The real filename is not
documented; `step_metrics.csv` is this emulator's choice.
"""

from __future__ import annotations

import base64
import hashlib
from dataclasses import dataclass

from .metrics import Curve

__all__ = ["RESULTS_FILENAME", "ResultsData", "results_file"]

RESULTS_FILENAME = "step_metrics.csv"


@dataclass(frozen=True)
class ResultsData:
    filename: str
    content: bytes  # base64 of the CSV
    md5: str


def results_file(curve: Curve) -> ResultsData:
    csv = "".join(curve.csv_lines()).encode()
    content = base64.b64encode(csv)
    return ResultsData(RESULTS_FILENAME, content, hashlib.md5(content).hexdigest())
