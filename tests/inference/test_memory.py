"""The learned-reply memory: exact and nearest examples, bounds, and the cache that reads a file once."""

from __future__ import annotations

import json
from typing import Any

from emulator.domain.inference import memory
from emulator.domain.inference.memory import Reply


def lines(*records: object) -> list[bytes]:
    return [json.dumps(r).encode() + b"\n" for r in records]


def chat(user: str, reply: str, system: str | None = None) -> dict[str, object]:
    messages = [{"role": "system", "content": system}] if system else []
    return {
        "messages": [*messages, {"role": "user", "content": user}, {"role": "assistant", "content": reply}]
    }


def test_every_weighted_assistant_turn_is_an_example() -> None:
    record = {
        "messages": [
            {"role": "user", "content": "one"},
            {"role": "assistant", "content": "1", "weight": 0},
            {"role": "user", "content": "two"},
            {"role": "assistant", "content": "2"},
        ]
    }
    learned = memory.build(lines(record), "chat")
    assert [e.reply.text for e in learned.examples] == ["2"]
    context: Any = record["messages"][:3]  # type: ignore[index,unused-ignore]
    assert learned.exact(memory.chat_key(context)).reply == Reply("2")  # type: ignore[union-attr]


def test_exact_match_ignores_surrounding_whitespace_but_not_roles() -> None:
    learned = memory.build(lines(chat("Hello", "Hi!")), "chat")
    assert learned.exact(memory.chat_key([{"role": "user", "content": " Hello\n"}])) is not None
    assert learned.exact(memory.chat_key([{"role": "system", "content": "Hello"}])) is None


def test_nearest_example_is_the_highest_jaccard_similarity_then_the_earliest() -> None:
    learned = memory.build(
        lines(
            chat("red apple pie", "A"),
            chat("green apple tart", "B"),
            chat("blue sky", "C"),
            chat("green apple pie", "D"),
        ),
        "chat",
    )
    query = [{"role": "user", "content": "green apple"}]
    ranked = learned.rank(memory.chat_key(query), memory.chat_words(query), 3)
    assert [e.reply.text for _, e in ranked] == ["B", "D", "A"]
    assert ranked[0][0] == 2 / 3


def test_malformed_lines_are_skipped_and_dpo_and_legacy_lines_learned() -> None:
    dpo = {
        "input": {"messages": [{"role": "user", "content": "q"}]},
        "preferred_output": [{"role": "assistant", "content": "good"}],
        "non_preferred_output": [{"role": "assistant", "content": "bad"}],
    }
    learned = memory.build([b"not json\n", b"[1]\n", *lines(dpo)], "chat")
    assert [e.reply.text for e in learned.examples] == ["good"]
    legacy = memory.build(lines({"prompt": "p ->", "completion": " c"}), "completion")
    assert legacy.exact("p ->").reply.text == " c"  # type: ignore[union-attr]


def test_tool_call_replies_are_learned() -> None:
    record = {
        "messages": [
            {"role": "user", "content": "w"},
            {
                "role": "assistant",
                "tool_calls": [{"id": "c", "type": "function", "function": {"name": "f", "arguments": "{}"}}],
            },
        ]
    }
    learned = memory.build(lines(record), "chat")
    assert learned.examples[0].reply == Reply(None, (("f", "{}"),))


def test_memory_is_bounded() -> None:
    many = (
        json.dumps(chat(f"question {i}", f"answer {i}")).encode() for i in range(memory.MAX_EXAMPLES + 50)
    )
    learned = memory.build(many, "chat")
    assert len(learned) == memory.MAX_EXAMPLES and learned.truncated
    words = frozenset(f"w{i}" for i in range(1000))
    learned.add(0, "k", words, Reply("x"))
    assert len(learned) == memory.MAX_EXAMPLES
    assert len(memory.chat_words([{"role": "user", "content": " ".join(sorted(words))}])) == memory.MAX_WORDS


class CountingBlob:
    def __init__(self, data: bytes) -> None:
        self.data, self.md5, self.size, self.reads = data, "md5-counting", len(data), 0

    def lines(self) -> list[bytes]:
        self.reads += 1
        return self.data.splitlines(keepends=True)


def test_a_training_file_is_read_once_per_content() -> None:
    class Tenant:
        pass

    tenant = Tenant()
    blob = CountingBlob(b"".join(lines(chat("a", "b"))))
    first = memory.remember(tenant, "ft:x", blob, "chat")
    second = memory.remember(tenant, "ft:y", blob, "chat")
    assert first is second and blob.reads == 1

    class Record:
        id = "ft:x"

    assert memory.memory_for(tenant, Record(), "chat") is first
    assert blob.reads == 1
