"""The timeline's edits only touch the future; the moderation classifier is deterministic and documented."""

from __future__ import annotations

import pytest

from emulator.domain.jobs.records import Note
from emulator.domain.jobs.timeline import INF, Segment, Terminal, Timeline
from emulator.domain.moderation import CATEGORIES, classify, flagged_categories


def timeline() -> Timeline:
    """validating [0, 10), queued [10, 20), running [20, 40] with 10 steps of 2 s, succeeded at 40."""
    return Timeline(
        [
            Segment("validating_files", 0, 10, (Note("created"),)),
            Segment("queued", 10, 20, (Note("validated"),)),
            Segment("running", 20, 40, (Note("started"),), 0, 10, 20, 2.0),
        ],
        Terminal("succeeded", 40, (Note("done"),)),
    )


def test_reading_a_timeline() -> None:
    t = timeline()
    assert [t.status(x) for x in (0, 9.9, 10, 20, 39.9, 40)] == [
        "validating_files",
        "validating_files",
        "queued",
        "running",
        "running",
        "succeeded",
    ]
    assert [t.steps_done(x) for x in (20, 21.9, 22, 31, 40)] == [0, 0, 1, 5, 10]
    assert [t.visible_count(x) for x in (0, 10, 20, 22, 40)] == [1, 2, 3, 4, 14]
    assert t.next_milestone(5) == 10 and t.next_milestone(25) == 40 and t.next_milestone(40) is None


def test_shift_delays_only_the_future() -> None:
    t = timeline()
    t.shift(25, 100)
    assert t.steps_done(25) == 2 and t.steps_done(124) == 2 and t.steps_done(126) == 3
    assert t.terminal is not None and t.terminal.at == 140
    assert t.visible_count(25) == 5


def test_compress_brings_the_next_milestone_to_now() -> None:
    t = timeline()
    t.compress(5, 10)
    assert t.status(5) == "queued" and t.when("running") == 15
    t.compress(5, 15)
    assert t.status(5) == "running"
    t.compress(5, t.terminal.at if t.terminal else 0)
    assert t.status(5) == "succeeded" and t.steps_done(5) == 10 and t.visible_count(5) == 14


def test_compress_in_the_middle_of_running() -> None:
    t = timeline()
    t.compress(25, 40)
    assert t.steps_done(25) == 10 and t.status(25) == "succeeded"


def test_cut_keeps_the_past() -> None:
    t = timeline()
    t.cut(31)
    t.extend([Segment("paused", 31, INF, (Note("paused"),), 5, 5, 31)], None)
    assert t.status(10_000) == "paused" and t.steps_done(10_000) == 5
    assert t.visible_count(10_000) == 3 + 5 + 1


@pytest.mark.parametrize("now", [0, 10, 21, 31, 40, 10_000])
def test_located_walks_a_page_as_locate_finds_each_event(now: float) -> None:
    t = timeline()
    t.cut(31)
    t.extend([Segment("paused", 31, INF, (Note("paused"),), 5, 5, 31)], None)
    total = t.visible_count(now)
    for start, stop in ((total - 1, -1), (total - 1, max(-1, total - 4)), (total - 3, 0)):
        page = [(index, kind, block, offset) for index, kind, block, offset in t.located(start, stop, now)]
        assert [entry[0] for entry in page] == list(range(start, stop, -1))
        assert [entry[1:] for entry in page] == [t.locate(index, now) for index in range(start, stop, -1)]


def test_moderation_classifier_is_deterministic_and_shaped_like_openai() -> None:
    first, second = classify("I will hurt you"), classify("I will hurt you")
    assert first == second and first.flagged
    assert first.flagged_categories == ("harassment", "harassment/threatening")
    body = first.to_dict()
    assert list(body["categories"]) == list(CATEGORIES) == list(body["category_scores"])
    assert all(0 < s < 1 for s in body["category_scores"].values())


@pytest.mark.parametrize(
    ("text", "flagged"),
    [
        ("How do I kill a stuck process?", ()),
        ("The sunset was lovely.", ()),
        ("[moderation:violence/graphic] a test hook", ("violence", "violence/graphic")),
        ("how to kill myself", ("self-harm", "self-harm/intent", "self-harm/instructions")),
    ],
)
def test_moderation_classifier_verdicts(text: str, flagged: tuple[str, ...]) -> None:
    assert classify(text).flagged_categories == flagged


def test_flagged_categories_are_classify_s_flags() -> None:
    texts = [
        "How do I kill a stuck process?",
        "I will KILL   YOU",
        "[moderation:violence/graphic] and [moderation:unknown]",
        "children and explicit sex",
        "subhuman\nkill them all",
        "What is 2 plus 2?",
        "",
    ]
    for text in texts:
        assert flagged_categories(text) == classify(text).flagged_categories
