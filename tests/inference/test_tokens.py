"""The offline tokenizer: OpenAI's real encodings, counts from the cookbook, no network."""

from __future__ import annotations

from emulator.domain import tokens

# openai-cookbook How_to_count_tokens_with_tiktoken: the API reported 129 prompt tokens for these messages on
# gpt-3.5-turbo-0613 / gpt-4-0613 and 124 on gpt-4o / gpt-4o-mini.
COOKBOOK_MESSAGES = [
    {
        "role": "system",
        "content": "You are a helpful, pattern-following assistant that translates corporate jargon "
        "into plain "
        "English.",
    },
    {"role": "system", "name": "example_user", "content": "New synergies will help drive top-line growth."},
    {
        "role": "system",
        "name": "example_assistant",
        "content": "Things working well together will increase revenue.",
    },
    {
        "role": "system",
        "name": "example_user",
        "content": "Let's circle back when we have more bandwidth to touch base on opportunities "
        "for increased "
        "leverage.",
    },
    {
        "role": "system",
        "name": "example_assistant",
        "content": "Let's talk later when we're less busy about how to do better.",
    },
    {
        "role": "user",
        "content": "This late pivot means we don't have time to boil the ocean for the client deliverable.",
    },
]


def test_cl100k_known_ids() -> None:
    assert tokens.encode("hello world") == [15339, 1917]
    assert tokens.count_tokens("tiktoken is great!") == 6
    assert tokens.is_exact("cl100k_base")


def test_o200k_known_ids() -> None:
    assert tokens.encode("tiktoken is great!", "o200k_base") == [83, 8251, 2488, 382, 2212, 0]
    assert tokens.is_exact("o200k_base")


def test_decode_round_trips_unicode() -> None:
    text = "Grüße, 世界! 😀 don't\n\n  tabs\there"
    for encoding in ("cl100k_base", "o200k_base"):
        assert tokens.decode(tokens.encode(text, encoding), encoding) == text
        assert (
            b"".join(tokens.token_bytes(t, encoding) for t in tokens.encode(text, encoding)) == text.encode()
        )


def test_special_token_text_is_ordinary_text() -> None:
    assert 100257 not in tokens.encode("<|endoftext|>")


def test_chat_prompt_matches_the_api_counts_from_the_cookbook() -> None:
    assert tokens.count_chat_prompt(COOKBOOK_MESSAGES, "cl100k_base") == 129
    assert tokens.count_chat_prompt(COOKBOOK_MESSAGES, "o200k_base") == 124
    assert tokens.count_chat_example(COOKBOOK_MESSAGES, "cl100k_base") == 129


def test_encoding_for_model() -> None:
    assert tokens.encoding_for_model("gpt-3.5-turbo-0125") == "cl100k_base"
    assert tokens.encoding_for_model("davinci-002") == "cl100k_base"
    assert tokens.encoding_for_model("ft:gpt-4o-mini-2024-07-18:personal::abcdefgh") == "o200k_base"


def test_unknown_encoding_falls_back_to_the_documented_estimate() -> None:
    assert not tokens.is_exact("p50k_base")
    assert (
        tokens.count_tokens("hello world, again", "p50k_base")
        == tokens.estimate_tokens("hello world, again")
        == 4
    )
    assert tokens.decode(tokens.encode("a b", "p50k_base"), "p50k_base") == "a b"
