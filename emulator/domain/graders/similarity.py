"""text_similarity's metrics, computed for real on the rendered input and reference (all in [0, 1]).

* fuzzy_match: normalised Indel similarity of the two strings, 2·LCS / (|a| + |b|) (rapidfuzz's `ratio`).
* bleu: sentence BLEU-4 with uniform weights, brevity penalty and sacrebleu's "exp" smoothing.
* gleu: sentence Google-BLEU (min of n-gram precision and recall over 1..4-grams, as nltk's).
* meteor: METEOR over exact word matches (alpha 0.9, beta 3, gamma 0.5); no stemming or synonyms.
* cosine: cosine similarity of word-count vectors (OpenAI embeds the texts; the emulator has no embeddings).
* rouge_1 … rouge_5: F-measure of n-gram overlap; rouge_l: F-measure of the longest common subsequence.

Words are lowercased runs of letters and digits. Strings are capped at MAX_CHARS each before scoring.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Callable, Sequence

__all__ = ["MAX_CHARS", "METRICS", "similarity"]

MAX_CHARS = 100_000
_WORD = re.compile(r"[a-z0-9]+")


def _words(text: str) -> list[str]:
    return _WORD.findall(text.lower())


def _lcs(a: Sequence[object], b: Sequence[object]) -> int:
    """Length of the longest common subsequence, bit-parallel (Allison-Dix): O(|a|·|b| / word size)."""
    if not a or not b:
        return 0
    masks: dict[object, int] = {}
    for i, item in enumerate(a):
        masks[item] = masks.get(item, 0) | (1 << i)
    full = (1 << len(a)) - 1
    v = full
    for item in b:
        u = v & masks.get(item, 0)
        v = ((v + u) | (v - u)) & full
    return len(a) - bin(v).count("1")


def fuzzy_match(a: str, b: str) -> float:
    if not a and not b:
        return 1.0
    return 2 * _lcs(a, b) / (len(a) + len(b))


def _ngrams(tokens: list[str], n: int) -> Counter[tuple[str, ...]]:
    return Counter(tuple(tokens[i : i + n]) for i in range(len(tokens) - n + 1))


def bleu(hypothesis: str, reference: str) -> float:
    hyp, ref = _words(hypothesis), _words(reference)
    if not hyp or not ref:
        return 0.0
    log_sum, smooth = 0.0, 1.0
    for n in range(1, 5):
        h, r = _ngrams(hyp, n), _ngrams(ref, n)
        total = max(0, len(hyp) - n + 1)
        matches = sum((h & r).values())
        if total == 0:
            return 0.0 if n == 1 else _bleu_close(log_sum, n - 1, hyp, ref)
        if matches == 0:
            smooth *= 2  # sacrebleu "exp": 1 / 2^k for the k-th zero-precision order
            precision = 1 / (smooth * total)
        else:
            precision = matches / total
        log_sum += math.log(precision)
    return _bleu_close(log_sum, 4, hyp, ref)


def _bleu_close(log_sum: float, orders: int, hyp: list[str], ref: list[str]) -> float:
    penalty = 1.0 if len(hyp) > len(ref) else math.exp(1 - len(ref) / len(hyp))
    return min(1.0, penalty * math.exp(log_sum / orders))


def gleu(hypothesis: str, reference: str) -> float:
    hyp, ref = _words(hypothesis), _words(reference)
    if not hyp or not ref:
        return 0.0
    matches = total_h = total_r = 0
    for n in range(1, 5):
        h, r = _ngrams(hyp, n), _ngrams(ref, n)
        matches += sum((h & r).values())
        total_h += sum(h.values())
        total_r += sum(r.values())
    if total_h == 0 or total_r == 0:
        return 0.0
    return min(matches / total_h, matches / total_r)


def meteor(hypothesis: str, reference: str) -> float:
    hyp, ref = _words(hypothesis), _words(reference)
    if not hyp or not ref:
        return 0.0
    # Align each hypothesis word to the first unused equal reference word, left to right.
    used: set[int] = set()
    pairs: list[tuple[int, int]] = []
    for i, word in enumerate(hyp):
        for j, other in enumerate(ref):
            if j not in used and other == word:
                used.add(j)
                pairs.append((i, j))
                break
    matches = len(pairs)
    if matches == 0:
        return 0.0
    precision, recall = matches / len(hyp), matches / len(ref)
    fmean = precision * recall / (0.9 * precision + 0.1 * recall)
    chunks = 1 + sum(
        1 for (i, j), (k, m) in zip(pairs, pairs[1:], strict=False) if not (k == i + 1 and m == j + 1)
    )
    penalty = 0.5 * (chunks / matches) ** 3
    return fmean * (1 - penalty)


def cosine(a: str, b: str) -> float:
    x, y = Counter(_words(a)), Counter(_words(b))
    dot = sum(x[w] * y[w] for w in x.keys() & y.keys())
    norm = math.sqrt(sum(v * v for v in x.values())) * math.sqrt(sum(v * v for v in y.values()))
    return dot / norm if norm else 0.0


def _f1(overlap: int, hyp_total: int, ref_total: int) -> float:
    if overlap == 0 or hyp_total == 0 or ref_total == 0:
        return 0.0
    precision, recall = overlap / hyp_total, overlap / ref_total
    return 2 * precision * recall / (precision + recall)


def _rouge_n(n: int) -> Callable[[str, str], float]:
    def score(hypothesis: str, reference: str) -> float:
        h, r = _ngrams(_words(hypothesis), n), _ngrams(_words(reference), n)
        return _f1(sum((h & r).values()), sum(h.values()), sum(r.values()))

    return score


def rouge_l(hypothesis: str, reference: str) -> float:
    hyp, ref = _words(hypothesis), _words(reference)
    return _f1(_lcs(ref, hyp), len(hyp), len(ref))


METRICS: dict[str, Callable[[str, str], float]] = {
    "cosine": cosine,
    "fuzzy_match": fuzzy_match,
    "bleu": bleu,
    "gleu": gleu,
    "meteor": meteor,
    **{f"rouge_{n}": _rouge_n(n) for n in range(1, 6)},
    "rouge_l": rouge_l,
}


def similarity(metric: str, text: str, reference: str) -> float:
    """`metric` of the rendered input against the reference, rounded to 6 places."""
    return round(METRICS[metric](text[:MAX_CHARS], reference[:MAX_CHARS]), 6)
