"""The alpha graders API through the SDK: validation of every grader type, real text metrics, seeded
simulated model/python graders, multi-grader formulas, and OpenAI's 400s."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import openai
import pytest

from emulator.domain.graders import similarity

SAMPLE = "the cat sat on the mat"
REFERENCE = "the cat is on the mat"


def string_check(operation: str = "eq", reference: str = "{{item.answer}}") -> dict[str, Any]:
    return {
        "type": "string_check",
        "name": "exact",
        "input": "{{sample.output_text}}",
        "reference": reference,
        "operation": operation,
    }


def text_similarity(metric: str) -> dict[str, Any]:
    return {
        "type": "text_similarity",
        "name": "similar",
        "input": "{{sample.output_text}}",
        "reference": "{{item.answer}}",
        "evaluation_metric": metric,
    }


SCORE_MODEL: dict[str, Any] = {
    "type": "score_model",
    "name": "judge",
    "model": "o4-mini-2025-04-16",
    "input": [
        {"role": "system", "content": "Score the answer from 1 to 5."},
        {"role": "user", "content": "Answer: {{sample.output_text}}\nReference: {{item.answer}}"},
    ],
    "range": [1, 5],
    "sampling_params": {"seed": 1, "temperature": 0},
}
PYTHON: dict[str, Any] = {
    "type": "python",
    "name": "code",
    "source": "def grade(sample, item):\n    return float(sample['output_text'] == item['answer'])\n",
}


def run(client: openai.OpenAI, grader: dict[str, Any], sample: str = SAMPLE, **item: Any) -> Any:
    return client.fine_tuning.alpha.graders.run(
        grader=grader,  # type: ignore[arg-type]
        model_sample=sample,
        item=item or {"answer": REFERENCE},
    )


@pytest.mark.parametrize(
    ("operation", "reference", "reward"),
    [
        ("eq", SAMPLE, 1.0),
        ("eq", REFERENCE, 0.0),
        ("ne", REFERENCE, 1.0),
        ("like", "cat sat", 1.0),
        ("like", "CAT SAT", 0.0),
        ("ilike", "CAT SAT", 1.0),
    ],
)
def test_string_check_operations(
    client: openai.OpenAI, operation: str, reference: str, reward: float
) -> None:
    result = run(client, string_check(operation, reference))
    assert result.reward == reward
    assert result.metadata.type == "string_check" and result.metadata.name == "exact"
    assert result.metadata.scores == {"exact": reward}
    assert not any(v for k, v in result.metadata.errors.model_dump().items() if isinstance(v, bool))


@pytest.mark.parametrize(
    ("metric", "expected"),
    [
        ("fuzzy_match", 2 * 20 / 43),  # LCS of the two strings is 20 characters
        ("bleu", (5 / 6 * 3 / 5 * 1 / 4 * 1 / 6) ** 0.25),  # 4-gram precision smoothed to 1/(2*3)
        ("gleu", 9 / 18),
        ("cosine", 7 / 8),
        ("rouge_1", 5 / 6),
        ("rouge_2", 3 / 5),
        ("rouge_3", 1 / 4),
        ("rouge_4", 0.0),
        ("rouge_5", 0.0),
        ("rouge_l", 5 / 6),
    ],
)
def test_text_similarity_metrics_are_computed(client: openai.OpenAI, metric: str, expected: float) -> None:
    assert run(client, text_similarity(metric)).reward == pytest.approx(expected, abs=1e-6)


def test_meteor_rewards_order_and_overlap() -> None:
    exact = similarity("meteor", REFERENCE, REFERENCE)
    close = similarity("meteor", SAMPLE, REFERENCE)
    shuffled = similarity("meteor", "mat the on is cat the", REFERENCE)
    assert exact > close > shuffled > 0 and similarity("meteor", "dog", REFERENCE) == 0.0


def test_model_and_python_graders_are_seeded_and_in_range(client: openai.OpenAI) -> None:
    first = run(client, SCORE_MODEL)
    assert 1 <= first.reward <= 5
    assert run(client, SCORE_MODEL).reward == first.reward  # deterministic
    assert run(client, SCORE_MODEL, sample="a different answer").reward != first.reward
    assert first.metadata.sampled_model_name == "o4-mini-2025-04-16"
    usage = first.api_model_grader_token_usage_per_model["o4-mini-2025-04-16"]
    assert usage["total_tokens"] == first.metadata.token_usage > 0
    code = run(client, PYTHON)
    assert 0 <= code.reward <= 1 and code.metadata.token_usage is None
    labels = {
        "type": "multi",
        "name": "m",
        "graders": {
            "type": "label_model",
            "name": "label",
            "model": "gpt-4o-mini",
            "input": [{"role": "user", "content": "{{sample.output_text}}"}],
            "labels": ["good", "bad"],
            "passing_labels": ["good"],
        },
        "calculate_output": "label",
    }
    assert run(client, labels).reward in (0.0, 1.0)


def test_multi_grader_combines_named_graders_with_its_formula(client: openai.OpenAI) -> None:
    grader = {
        "type": "multi",
        "name": "combined",
        "graders": {"exact": string_check("like", "cat"), "overlap": text_similarity("rouge_1")},
        "calculate_output": "0.25 * exact + 0.75 * overlap ^ 1",
    }
    result = run(client, grader)
    assert result.sub_rewards == {"exact": 1.0, "overlap": pytest.approx(5 / 6, abs=1e-6)}
    assert result.reward == pytest.approx(0.25 + 0.75 * 5 / 6, abs=1e-6)
    assert result.metadata.type == "multi"


def test_missing_item_variable_is_reported_not_raised(client: openai.OpenAI) -> None:
    result = run(client, string_check("eq", "{{item.nope}}"), other="x")
    assert result.reward == 0.0 and result.metadata.errors.invalid_variable_error
    parsed = run(client, string_check("eq", "{{sample.output_json.answer}}"), sample="not json")
    assert parsed.metadata.errors.sample_parse_error


def test_validate_returns_each_valid_grader(client: openai.OpenAI) -> None:
    for grader in (string_check(), text_similarity("meteor"), SCORE_MODEL, PYTHON):
        validated = client.fine_tuning.alpha.graders.validate(grader=grader)  # type: ignore[arg-type]
        assert validated.grader is not None and validated.grader.type == grader["type"]


@pytest.mark.parametrize(
    ("grader", "param", "fragment"),
    [
        ({**string_check(), "operation": "contains"}, "grader.operation", "contains"),
        ({k: v for k, v in string_check().items() if k != "reference"}, "grader.reference", "Missing"),
        (text_similarity("jaccard"), "grader.evaluation_metric", "jaccard"),
        ({**PYTHON, "source": "def grade(sample, item)\n    return 1"}, "grader.source", "not valid Python"),
        ({**PYTHON, "source": "def score(sample, item):\n    return 1"}, "grader.source", "grade("),
        ({**SCORE_MODEL, "range": [5, 1]}, "grader.range", "min < max"),
        ({**string_check(), "reference": "{{answer}}"}, "grader.reference", "sample."),
        ({"type": "label_model", "name": "x"}, "grader.type", "label_model"),
        ({"type": "bogus", "name": "x"}, "grader.type", "bogus"),
        (
            {"type": "multi", "name": "m", "graders": {"a": string_check()}, "calculate_output": "a + b"},
            "grader.calculate_output",
            "'b'",
        ),
        (
            {
                "type": "multi",
                "name": "m",
                "graders": {"a": string_check()},
                "calculate_output": "__import__('os')",
            },
            "grader.calculate_output",
            "min, max",
        ),
    ],
)
def test_invalid_graders_get_400(
    client: openai.OpenAI, grader: dict[str, Any], param: str, fragment: str
) -> None:
    with pytest.raises(openai.BadRequestError) as caught:
        client.fine_tuning.alpha.graders.validate(grader=grader)  # type: ignore[arg-type]
    assert caught.value.status_code == 400 and caught.value.type == "invalid_request_error"
    assert caught.value.param == param
    assert fragment in caught.value.message
    with pytest.raises(openai.BadRequestError):
        run(client, grader)


def test_run_needs_a_model_sample(client: openai.OpenAI) -> None:
    with pytest.raises(openai.BadRequestError) as caught:
        client.post("/fine_tuning/alpha/graders/run", body={"grader": string_check()}, cast_to=object)
    assert caught.value.code == "missing_required_parameter"


@pytest.mark.anyio
async def test_async_client(async_client: openai.AsyncOpenAI) -> None:
    result = await async_client.fine_tuning.alpha.graders.run(
        grader=string_check("ilike", "CAT"),  # type: ignore[arg-type]
        model_sample=SAMPLE,
    )
    assert result.reward == 1.0
    validated = await async_client.fine_tuning.alpha.graders.validate(grader=PYTHON)  # type: ignore[arg-type]
    assert validated.grader is not None


def test_python_source_is_parsed_never_executed(client: openai.OpenAI, tmp_path: Path) -> None:
    marker = tmp_path / "ran"
    source = (
        f"open({str(marker)!r}, 'w').write('module level')\n"
        "def grade(sample, item):\n"
        f"    open({str(marker)!r}, 'w').write('grade')\n"
        "    raise SystemExit(1)\n"
    )
    grader = {"type": "python", "name": "side_effects", "source": source}
    assert client.fine_tuning.alpha.graders.validate(grader=grader).grader is not None  # type: ignore[arg-type]
    result = run(client, grader)
    assert 0 <= result.reward <= 1 and not result.metadata.errors.python_grader_runtime_error
    assert not marker.exists()
