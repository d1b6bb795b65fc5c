"""`emulator validate --model`: the model and method are checked as the API would, and each model is
priced at its own training price, named in the output."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from emulator.cli import main

ROW = {"messages": [{"role": "user", "content": "hi"}, {"role": "assistant", "content": "a" + " a" * 987}]}


@pytest.fixture
def data(tmp_path: Path) -> Path:
    """100 examples of 1,000 tokens: 100,000 tokens, which the auto rule trains for 3 epochs."""
    path = tmp_path / "train.jsonl"
    path.write_text((json.dumps(ROW) + "\n") * 100)
    return path


def test_a_model_the_api_refuses_for_fine_tuning_is_invalid(
    data: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["validate", "--model", "gpt-5", str(data)]) == 1
    out = capsys.readouterr().out
    assert "OK: a fine-tuning job would accept" not in out
    assert "The file itself is valid." in out
    assert (
        "INVALID: the API would refuse the job: "
        "Model gpt-5 is not available for fine-tuning or does not exist." in out
    )
    assert "fine-tunable models: babbage-002, davinci-002, gpt-3.5-turbo," in out
    assert "Estimated training cost: unknown (gpt-5 is not a fine-tunable model)" in out


def test_a_method_the_model_does_not_take_is_invalid(data: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["validate", "--model", "o4-mini", str(data)]) == 1
    out = capsys.readouterr().out
    assert (
        "INVALID: the API would refuse the job: Model o4-mini-2025-04-16 does not support the 'supervised' "
        "fine-tuning method.\n  (o4-mini-2025-04-16 accepts method reinforcement)" in out
    )
    assert "Estimated training cost: not token-based for o4-mini-2025-04-16 ($100.00 / training hour)" in out


def test_dpo_on_gpt_3_5_turbo_is_refused_as_the_api_does(
    data: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["validate", "--model", "gpt-3.5-turbo", "--method", "dpo", str(data)]) == 1
    assert (
        "Model gpt-3.5-turbo-0613 does not support the 'dpo' fine-tuning method." in capsys.readouterr().out
    )


def test_each_model_is_priced_at_its_own_training_price(
    data: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["validate", "--model", "gpt-4o-mini", str(data)]) == 0
    out = capsys.readouterr().out
    assert (
        "Estimated training cost: $0.90 at $3.00 / 1M training tokens ($0.003 / 1K), "
        "gpt-4o-mini-2024-07-18's training price" in out
    )
    assert out.rstrip().endswith("OK: a fine-tuning job would accept this file.")


def test_a_fine_tuned_model_is_judged_by_its_base(data: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["validate", "--model", "ft:gpt-4.1-mini-2025-04-14:acme::AbC123", str(data)]) == 0


def test_json_names_the_price_and_the_model_error(data: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["validate", "--model", "gpt-4.1-nano", "--json", str(data)]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["estimated_cost_usd"] == 0.45  # 300,000 trained tokens at $1.50 / 1M
    assert report["training_price"] == {
        "usd": 1.5,
        "per": "1M_training_tokens",
        "label": "$1.50 / 1M training tokens",
        "source": "https://openai.com/api/pricing/",
        "checked": "2025-06-01",
    }
    assert report["valid"] is True and report["model_error"] is None
    assert main(["validate", "--model", "gpt-5", "--json", str(data)]) == 1
    refused = json.loads(capsys.readouterr().out)
    assert refused["valid"] is False
    assert refused["model_error"] == "Model gpt-5 is not available for fine-tuning or does not exist."
    assert (refused["estimated_cost_usd"], refused["training_price"]) == (None, None)
