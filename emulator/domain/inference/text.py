"""Plausible deterministic text for base models: Faker's English word list, seeded by the request."""

from __future__ import annotations

import random
import threading
from typing import Any

__all__ = ["continuation", "prose", "value_for", "words_like"]

_FAKER: Any = None
_LOCK = threading.Lock()


def _faker() -> Any:
    global _FAKER
    if _FAKER is None:
        from faker import Faker

        _FAKER = Faker("en_US")
    return _FAKER


def prose(rng: random.Random, sentences: tuple[int, int] = (2, 5)) -> str:
    """A few sentences of English-looking text; the same `rng` state gives the same text."""
    count = rng.randint(*sentences)
    with _LOCK:  # one Faker per process, reseeded for every use
        fake = _faker()
        fake.seed_instance(rng.getrandbits(64))
        return " ".join(fake.sentence(nb_words=rng.randint(6, 14)) for _ in range(count))


def continuation(rng: random.Random, length: int = 40) -> str:
    """Text that continues a prompt: leading space, no capital, may run past `max_tokens`."""
    with _LOCK:
        fake = _faker()
        fake.seed_instance(rng.getrandbits(64))
        text = str(
            fake.paragraph(nb_sentences=min(500, max(3, length // 8 + 1)), variable_nb_sentences=False)
        )
    return " " + text[0].lower() + text[1:]


def words_like(rng: random.Random, count: int) -> str:
    with _LOCK:
        fake = _faker()
        fake.seed_instance(rng.getrandbits(64))
        return " ".join(fake.words(nb=count))


def value_for(name: str, rng: random.Random) -> str:
    """A string that suits a field called `name` (an email for `email`, a city for `city`...)."""
    lowered = name.lower()
    with _LOCK:
        fake = _faker()
        fake.seed_instance(rng.getrandbits(64))
        for hint, make in _HINTS:
            if hint in lowered:
                return str(make(fake))
        return str(fake.word())


_HINTS: tuple[tuple[str, Any], ...] = (
    ("email", lambda f: f.email()),
    ("url", lambda f: f.url()),
    ("phone", lambda f: f.phone_number()),
    ("city", lambda f: f.city()),
    ("country", lambda f: f.country()),
    ("location", lambda f: f.city()),
    ("address", lambda f: f.street_address()),
    ("company", lambda f: f.company()),
    ("first", lambda f: f.first_name()),
    ("last", lambda f: f.last_name()),
    ("name", lambda f: f.name()),
    ("title", lambda f: f.sentence(nb_words=4).rstrip(".")),
    ("date", lambda f: f.date()),
    ("time", lambda f: f.time()),
    ("color", lambda f: f.color_name()),
    ("colour", lambda f: f.color_name()),
    ("unit", lambda f: f.random_element(["celsius", "fahrenheit"])),
    ("description", lambda f: f.sentence()),
    ("summary", lambda f: f.sentence()),
    ("text", lambda f: f.sentence()),
    ("answer", lambda f: f.sentence()),
    ("reason", lambda f: f.sentence()),
    ("id", lambda f: f.bothify("??-####")),
)
