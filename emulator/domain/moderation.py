"""A deterministic, documented safety classifier shaped like OpenAI's moderation results.

It backs `/v1/moderations` and the safety screening of fine-tuning training files. It is a word-list
classifier, not a model: every category has a list of words and phrases, each with a weight in (0, 1).

* Text is lower-cased; a term matches on word boundaries (a phrase matches its words in order, separated by
  whitespace). Each distinct term counts once.
* A category's score is `1 - Π(1 - weight)` over its matched terms (so two 0.4 words give 0.64), capped at
  0.9999. A category with no match gets a tiny score derived from a hash of the text (below 1e-4), so scores
  look like the real ones and are stable for the same text.
* A category is flagged when its score is at least 0.5; `flagged` is true when any category is.
* A sub-category (`hate/threatening`, `self-harm/intent`, ...) also raises its parent category to at least
  0.9 × its own score, as the real classifier's parents tend to follow their children.
* `sexual/minors` is flagged only when a sexual term and a term about minors occur in the same text.
* Test hook: the literal marker `[moderation:<category>]` (e.g. `[moderation:violence]`) anywhere in the
  text flags that category with score 0.99, for tests and scenarios that need a flagged input without
  writing offensive text.

Single everyday words ("kill", "attack", "hate") carry weights below 0.5, so "kill the process" is not
flagged while "I will kill you" is (the phrase "kill you" weighs 0.85).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from ..ids import derive_seed

__all__ = ["CATEGORIES", "THRESHOLD", "ModerationResult", "classify", "flagged_categories"]

CATEGORIES: tuple[str, ...] = (
    "hate",
    "hate/threatening",
    "harassment",
    "harassment/threatening",
    "illicit",
    "illicit/violent",
    "self-harm",
    "self-harm/intent",
    "self-harm/instructions",
    "sexual",
    "sexual/minors",
    "violence",
    "violence/graphic",
)

THRESHOLD = 0.5

# category -> {term: weight}. Terms are lower-case words or phrases.
_LEXICON: dict[str, dict[str, float]] = {
    "hate": {
        "hate": 0.2,
        "hateful": 0.3,
        "inferior race": 0.8,
        "subhuman": 0.7,
        "racial purity": 0.75,
        "go back to your country": 0.7,
        "those people are vermin": 0.85,
        "ethnic cleansing": 0.6,
        "hate speech": 0.35,
    },
    "hate/threatening": {
        "exterminate them all": 0.9,
        "wipe out their race": 0.9,
        "ethnic cleansing now": 0.85,
    },
    "harassment": {
        "idiot": 0.35,
        "stupid": 0.2,
        "loser": 0.3,
        "moron": 0.4,
        "worthless": 0.35,
        "you are worthless": 0.75,
        "you are pathetic": 0.7,
        "nobody likes you": 0.7,
        "shut up": 0.3,
        "you disgust me": 0.7,
    },
    "harassment/threatening": {
        "i will hurt you": 0.9,
        "i will find you": 0.8,
        "watch your back": 0.6,
        "kill you": 0.85,
        "you will regret this": 0.55,
    },
    "illicit": {
        "buy cocaine": 0.85,
        "sell drugs": 0.8,
        "launder money": 0.85,
        "money laundering": 0.5,
        "counterfeit money": 0.8,
        "steal a car": 0.75,
        "hotwire a car": 0.7,
        "shoplift": 0.6,
        "evade taxes": 0.6,
        "phishing kit": 0.7,
        "cocaine": 0.3,
        "heroin": 0.3,
    },
    "illicit/violent": {
        "build a bomb": 0.9,
        "make a pipe bomb": 0.95,
        "make a bomb": 0.9,
        "untraceable gun": 0.85,
        "poison someone": 0.9,
        "hire a hitman": 0.9,
    },
    "self-harm": {
        "self-harm": 0.55,
        "self harm": 0.55,
        "suicide": 0.4,
        "suicidal": 0.55,
        "cut myself": 0.8,
        "hurt myself": 0.75,
    },
    "self-harm/intent": {
        "i want to die": 0.85,
        "kill myself": 0.9,
        "end my life": 0.9,
        "i am going to end it": 0.7,
    },
    "self-harm/instructions": {
        "how to kill myself": 0.95,
        "painless way to die": 0.9,
        "how to overdose": 0.85,
    },
    "sexual": {
        "porn": 0.6,
        "pornography": 0.6,
        "explicit sex": 0.85,
        "sex scene": 0.6,
        "nude": 0.4,
        "naked": 0.3,
        "erotic": 0.55,
        "orgasm": 0.7,
    },
    "violence": {
        "kill": 0.25,
        "murder": 0.4,
        "stab": 0.35,
        "shoot": 0.25,
        "attack": 0.15,
        "beat him up": 0.7,
        "beat her up": 0.7,
        "torture": 0.5,
        "massacre": 0.55,
        "kill you": 0.85,
        "kill them all": 0.9,
        "burn the building down": 0.8,
    },
    "violence/graphic": {
        "gore": 0.5,
        "dismember": 0.8,
        "dismembered": 0.8,
        "mutilated": 0.75,
        "blood everywhere": 0.7,
        "entrails": 0.8,
        "disembowel": 0.85,
    },
}

_MINOR_TERMS = (
    "child",
    "children",
    "kid",
    "kids",
    "minor",
    "minors",
    "underage",
    "teenager",
    "schoolgirl",
    "schoolboy",
)
_MARKER = re.compile(r"\[moderation:([a-z/\-]+)\]")


def _compile(terms: Mapping[str, float]) -> re.Pattern[str]:
    alternatives = sorted(terms, key=len, reverse=True)
    body = "|".join(r"\s+".join(re.escape(word) for word in term.split()) for term in alternatives)
    return re.compile(rf"(?<![a-z0-9])(?:{body})(?![a-z0-9])")


_PATTERNS = {category: _compile(terms) for category, terms in _LEXICON.items()}
_MINORS = _compile({term: 1.0 for term in _MINOR_TERMS})
_SPACES = re.compile(r"\s+")
# Any term of any category, or a marker: text without one has every score below 1e-4.
_ANY = re.compile("|".join([*(p.pattern for p in _PATTERNS.values()), _MARKER.pattern]))


@dataclass(frozen=True)
class ModerationResult:
    """One input's verdict, as an item of `results` in a `/v1/moderations` response."""

    flagged: bool
    categories: dict[str, bool]
    category_scores: dict[str, float]
    # The matched terms per category: why something was flagged (not part of OpenAI's shape).
    matches: dict[str, tuple[str, ...]]

    @property
    def flagged_categories(self) -> tuple[str, ...]:
        return tuple(c for c in CATEGORIES if self.categories[c])

    def to_dict(self) -> dict[str, Any]:
        return {
            "flagged": self.flagged,
            "categories": dict(self.categories),
            "category_scores": dict(self.category_scores),
            "category_applied_input_types": {c: ["text"] for c in CATEGORIES},
        }


def classify(text: str) -> ModerationResult:
    """Score `text` in every category (see the module docstring for the exact rules)."""
    lowered = _SPACES.sub(" ", text.lower())
    scores: dict[str, float] = {}
    matches: dict[str, tuple[str, ...]] = {}
    for category in CATEGORIES:
        found: tuple[str, ...] = ()
        score = 0.0
        pattern = _PATTERNS.get(category)
        if pattern is not None:
            found = tuple(sorted({m.group(0) for m in pattern.finditer(lowered)}))
            keep = 1.0
            for term in found:
                keep *= 1.0 - _LEXICON[category][_SPACES.sub(" ", term)]
            score = 1.0 - keep
        matches[category] = found
        scores[category] = score
    if matches["sexual"] and _MINORS.search(lowered):
        scores["sexual/minors"] = 0.95
        matches["sexual/minors"] = matches["sexual"]
    for marker in _MARKER.findall(lowered):
        if marker in scores:
            scores[marker] = max(scores[marker], 0.99)
            matches[marker] = (*matches[marker], f"[moderation:{marker}]")
    for category in CATEGORIES:
        parent, _, child = category.partition("/")
        if child:
            scores[parent] = max(scores[parent], 0.9 * scores[category])
    rounded: dict[str, float] = {}
    for n, category in enumerate(CATEGORIES):
        if scores[category] > 0:
            rounded[category] = round(min(scores[category], 0.9999), 6)
        else:
            rounded[category] = round((derive_seed("moderation", text, n) % 10_000) / 1e8 + 1e-7, 9)
    flags = {c: rounded[c] >= THRESHOLD for c in CATEGORIES}
    return ModerationResult(any(flags.values()), flags, rounded, matches)


def flagged_categories(text: str) -> tuple[str, ...]:
    """The categories `classify(text)` flags. A training file's screening needs only these, and text with
    no term and no marker (nearly every line) flags none whatever its hash-derived scores: one search."""
    if _ANY.search(_SPACES.sub(" ", text.lower())) is None:
        return ()
    return classify(text).flagged_categories
