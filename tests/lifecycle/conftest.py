"""Helpers for the real-calendar tests: move the virtual clock to a date, set the tenant's lifecycle."""

from __future__ import annotations

from typing import Any

import httpx
import openai
from openai.types.chat import ChatCompletionMessageParam

from emulator.domain.catalog import day
from emulator.domain.state import Emulator

from ..conftest import API_KEY
from ..jobs.conftest import chat_file, upload

__all__ = ["HI", "TRAINING_NOT_AVAILABLE", "at", "deprecated", "lifecycle", "new_job", "succeeded_model"]

HI: list[ChatCompletionMessageParam] = [{"role": "user", "content": "Hi"}]

TRAINING_NOT_AVAILABLE = {
    "message": "OpenAI is winding down the fine-tuning platform and your organization is no longer able to "
    "create new fine-tuning training jobs. Learn more "
    "https://developers.openai.com/api/docs/deprecations#update-to-openais-self-serve-fine-tuning",
    "type": "invalid_request_error",
    "param": None,
    "code": "training_not_available",
}


def deprecated(model: str) -> dict[str, Any]:
    return {
        "message": f"The model `{model}` has been deprecated, learn more here: "
        "https://platform.openai.com/docs/deprecations",
        "type": "invalid_request_error",
        "param": None,
        "code": "model_not_found",
    }


def at(http: httpx.Client, date: str, hour: float = 12.0) -> float:
    """Advance the virtual clock to `hour` o'clock UTC on `date` (never backwards)."""
    target = day(date) + hour * 3600
    now = http.get("/_emulator/clock").json()["now"]
    assert target >= now, f"the clock is already past {date} {hour}h"
    body = http.post("/_emulator/clock/advance", json={"seconds": target - now}).json()
    return float(body["now"])


def lifecycle(http: httpx.Client, **body: Any) -> dict[str, Any]:
    """POST /_emulator/lifecycle for the bearer's tenant (the `client` fixture's)."""
    response = http.post("/_emulator/lifecycle", json=body)
    assert response.status_code == 200, response.text
    result: dict[str, Any] = response.json()
    return result


def new_job(client: openai.OpenAI, model: str = "gpt-4o-mini", **kwargs: Any) -> Any:
    return client.fine_tuning.jobs.create(model=model, training_file=upload(client, chat_file(12)), **kwargs)


def succeeded_model(client: openai.OpenAI, http: httpx.Client, model: str = "gpt-4o-mini") -> str:
    """A fine-tuned model trained now (the job is run to the end without moving the clock)."""
    job = new_job(client, model)
    run = http.post(f"/_emulator/jobs/{job.id}/run", json={"api_key": API_KEY}).json()
    assert run["status"] == "succeeded", run
    name: str = run["fine_tuned_model"]
    return name


def tenant_of(emulator: Emulator) -> Any:
    return emulator.tenant(API_KEY)
