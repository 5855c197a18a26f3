from __future__ import annotations

import itertools
import re
from collections import Counter
from datetime import date, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.common.dates import InputError
from bot.urges.coping import CATEGORIES, MAX_TEXT, CopingStep, coping_steps, parse_steps, pick_step
from bot.urges.reasons import (
    MAX_REASON_CHARS,
    MAX_REASONS,
    ReasonInputError,
    add_reason,
    clean_reason,
)

DAY = date(2026, 3, 14)
# Safe messaging and the issue: warm, no lecturing, no substance names, no links.
LECTURING = re.compile(r"\b(should|must|never|stupid|weak|fail\w*|relapse)\b", re.IGNORECASE)
SUBSTANCES = re.compile(
    r"\b(alcohol|booze|beer|wine|vodka|drunk|drug\w*|cocaine|heroin|meth|opioid\w*|pills?|"
    r"weed|cannabis|smok\w*|cigarette\w*|vap\w*|gambl\w*|bet\w*)\b",
    re.IGNORECASE,
)


# ---- the packaged set ------------------------------------------------------------------------


def test_packaged_set_is_small_sourced_and_covers_every_category() -> None:
    steps = coping_steps()
    assert 8 <= len(steps) <= 12
    assert {s.category for s in steps} == CATEGORIES
    assert len({s.id for s in steps}) == len(steps)
    for step in steps:
        assert re.fullmatch(r"[a-z][a-z-]*", step.id)
        assert 0 < len(step.text) <= MAX_TEXT
        assert step.source and "http" not in step.source and "://" not in step.text
        assert not LECTURING.search(step.text), step.id
        assert not SUBSTANCES.search(step.text), step.id
        assert step.text_key == f"coping.{step.id}"


def test_urge_surfing_says_cravings_peak_and_pass() -> None:
    surf = next(s for s in coping_steps() if s.id == "urge-surf")
    assert "peak and pass" in surf.text and "20–30 minutes" in surf.text
    assert "Marlatt" in surf.source


@pytest.mark.parametrize(
    ("toml", "problem"),
    [
        ('[[step]]\nid="a"\ncategory="body"\ntext="x"\nsource="s"', "at least two"),
        (
            '[[step]]\nid="a"\ncategory="body"\ntext="x"\nsource="s"\n'
            '[[step]]\nid="a"\ncategory="body"\ntext="y"\nsource="s"',
            "repeated",
        ),
        ('[[step]]\nid="a"\ncategory="dance"\ntext="x"\nsource="s"', "unknown category"),
        (f'[[step]]\nid="a"\ncategory="body"\ntext="{"x" * 281}"\nsource="s"', "1-280"),
        ('[[step]]\nid="a"\ncategory="body"\ntext="x"\nsource="https://e.org"', "source"),
        ('[[step]]\nid="a"\ncategory="body"\ntext="x"\nsource=""', "source"),
    ],
)
def test_bad_data_is_refused(toml: str, problem: str) -> None:
    with pytest.raises(ValueError, match=problem):
        parse_steps(toml)


# ---- picking ---------------------------------------------------------------------------------


def test_pick_is_deterministic() -> None:
    assert pick_step(42, DAY) == pick_step(42, DAY)
    assert pick_step(42, DAY, last="halt") == pick_step(42, DAY, last="halt")


def test_pick_varies_across_members_and_days() -> None:
    by_member = {pick_step(member, DAY).id for member in range(200)}
    by_day = {pick_step(42, DAY + timedelta(days=n)).id for n in range(200)}
    assert len(by_member) == len(coping_steps())
    assert len(by_day) == len(coping_steps())


def test_pick_spreads_fairly() -> None:
    counts = Counter(pick_step(member, DAY).id for member in range(6000))
    expected = 6000 / len(coping_steps())
    assert all(0.7 * expected < n < 1.3 * expected for n in counts.values())


@given(member=st.integers(0, 2**63 - 1), offset=st.integers(0, 3650), chain=st.integers(1, 30))
def test_never_repeats_the_last_one(member: int, offset: int, chain: int) -> None:
    day = DAY + timedelta(days=offset)
    last: str | None = None
    for _ in range(chain):  # "something else", again and again
        step = pick_step(member, day, last=last)
        assert step.id != last
        last = step.id


def test_pick_with_a_custom_set_and_an_unknown_last() -> None:
    steps = [CopingStep("a", "body", "x", "s"), CopingStep("b", "body", "y", "s")]
    assert pick_step(1, DAY, last="a", steps=steps).id == "b"
    assert pick_step(1, DAY, last="b", steps=steps).id == "a"
    assert pick_step(1, DAY, last="gone-from-the-file", steps=steps) in steps
    with pytest.raises(ValueError):
        pick_step(1, DAY, last="a", steps=steps[:1])


# ---- the member's own reasons ----------------------------------------------------------------


def test_reason_is_cleaned_to_one_safe_line() -> None:
    assert clean_reason("  My kids,\n\tand  waking up clear  ") == "My kids, and waking up clear"
    assert clean_reason("my\u202e kids\x00") == "my kids"  # bidi override and NUL gone
    joined = "خانواده\u200cام 👨\u200d👩\u200d👧"  # ZWNJ in Persian, ZWJ in an emoji family
    assert clean_reason(joined) == joined


def test_a_2000_character_reason_is_refused_not_cut() -> None:
    with pytest.raises(ReasonInputError) as err:
        clean_reason("because " * 250)
    assert (err.value.key, err.value.detail) == ("urge.reason_too_long", str(MAX_REASON_CHARS))
    assert isinstance(err.value, InputError)
    assert clean_reason("x" * MAX_REASON_CHARS) == "x" * MAX_REASON_CHARS


@pytest.mark.parametrize("text", ["", "   ", "\n\n", "\u202e\u200b"])
def test_empty_reason(text: str) -> None:
    with pytest.raises(ReasonInputError, match=r"urge\.reason_empty"):
        clean_reason(text)


def test_add_reason() -> None:
    reasons = add_reason((), "my kids")
    reasons = add_reason(reasons, "my health")
    assert reasons == ("my kids", "my health")
    with pytest.raises(ReasonInputError, match=r"urge\.reason_duplicate"):
        add_reason(reasons, "  My Kids ")
    full = tuple(f"reason {n}" for n in range(MAX_REASONS))
    with pytest.raises(ReasonInputError) as err:
        add_reason(full, "one more")
    assert (err.value.key, err.value.detail) == ("urge.too_many_reasons", str(MAX_REASONS))


def test_each_turn_draws_afresh_so_another_idea_walks_on() -> None:
    day = date(2026, 11, 25)
    shown = [pick_step(3, day)]
    for turn in range(1, 12):
        shown.append(pick_step(3, day, last=shown[-1].id, turn=turn))
    assert all(a.id != b.id for a, b in itertools.pairwise(shown))
    assert len({s.id for s in shown}) >= 5  # not two steps taking turns
    assert pick_step(3, day, turn=0) == pick_step(3, day)  # turn 0: the day's first pick
