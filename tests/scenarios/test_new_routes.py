"""Scenario rules target the stored-completion, checkpoint-permission and grader routes like any other."""

from __future__ import annotations

from typing import Any, cast

import openai
import pytest

from emulator.domain.state import Emulator
from emulator.scenarios import scenario

from .conftest import MESSAGES, SDK

pytestmark = pytest.mark.usefixtures("fast_retries")

GRADER: dict[str, Any] = {
    "type": "string_check",
    "name": "g",
    "input": "{{sample.output_text}}",
    "reference": "x",
    "operation": "eq",
}


def test_rule_on_grader_run_fails_only_that_route(sdk: SDK, emulator: Emulator) -> None:
    emulator.scenarios.load(
        scenario("graders").on(path="/v1/fine_tuning/alpha/graders/run").error("server_error").build()
    )
    client = sdk(max_retries=0)
    with pytest.raises(openai.InternalServerError):
        client.fine_tuning.alpha.graders.run(grader=cast(Any, GRADER), model_sample="x")
    assert client.fine_tuning.alpha.graders.validate(grader=cast(Any, GRADER)).grader is not None


def test_glob_rule_on_stored_completion_reads(sdk: SDK, emulator: Emulator) -> None:
    emulator.scenarios.load(
        scenario("stored")
        .on(method="GET", path="/v1/chat/completions/*")
        .respond(404, message="Not yet", type="invalid_request_error")
        .times(1)
        .build()
    )
    client = sdk(max_retries=0)
    made = client.chat.completions.create(model="gpt-4o-mini", messages=MESSAGES, store=True)
    with pytest.raises(openai.NotFoundError):  # the scenario's stale read
        client.chat.completions.retrieve(made.id)
    assert client.chat.completions.retrieve(made.id).id == made.id  # the rule fired once


def test_rule_on_checkpoint_permissions(sdk: SDK, emulator: Emulator) -> None:
    emulator.scenarios.load(
        scenario("perms").on(path="/v1/fine_tuning/checkpoints/**").error("rate_limit_exceeded").build()
    )
    client = sdk(max_retries=0, api_key="sk-admin-scenario-key-0000000000")
    with pytest.raises(openai.RateLimitError):
        client.fine_tuning.checkpoints.permissions.create(
            "ft:gpt-4o-mini-2024-07-18:x::y", project_ids=["proj_a"]
        )
