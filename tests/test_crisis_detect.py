"""Crisis-language detector (rules + classifier): labelled-set quality, hard cases,
adversarial input, bounded work. The classifier's own behaviour, languages and long
messages: tests/test_crisis_classifier.py."""

from __future__ import annotations

import dataclasses
import sys
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.crisis.detect import NO_CRISIS, Detection, detect, detect_full, prefilter_passes

DATA = Path(__file__).parent / "data" / "crisis_labelled.tsv"


def _load() -> tuple[list[tuple[bool, str, str]], list[tuple[bool, str, str]]]:
    """(tuning rows, holdout rows). Lines after the "# holdout" comment were written
    before the detector was ever run on them."""
    tune: list[tuple[bool, str, str]] = []
    holdout: list[tuple[bool, str, str]] = []
    target = tune
    lines = DATA.read_text("utf-8").splitlines()
    assert lines[0] == "label\tlang\ttext"
    for line in lines[1:]:
        if line.startswith("# holdout"):
            target = holdout
            continue
        if not line.strip() or line.startswith("#"):
            continue
        label, lang, text = line.split("\t", 2)
        target.append((label == "1", lang, text))
    return tune, holdout


def _scores(rows: list[tuple[bool, str, str]]) -> tuple[float, float, list[str]]:
    tp = fp = fn = 0
    errors = []
    for label, _lang, text in rows:
        got = detect(text).crisis
        tp += got and label
        fp += got and not label
        fn += label and not got
        if got != label:
            errors.append(f"{'FN' if label else 'FP'}: {text}")
    precision = tp / (tp + fp) if tp + fp else 1.0
    recall = tp / (tp + fn) if tp + fn else 1.0
    return precision, recall, errors


def test_labelled_set_is_big_and_balanced() -> None:
    tune, holdout = _load()
    rows = tune + holdout
    assert len(rows) >= 400
    assert sum(r[0] for r in rows) >= 150 and sum(not r[0] for r in rows) >= 150
    assert {r[1] for r in rows} == {"en", "es"}
    assert len(holdout) >= 80


@pytest.mark.parametrize("part", ["all", "holdout"])
def test_precision_and_recall(part: str) -> None:
    tune, holdout = _load()
    rows = tune + holdout if part == "all" else holdout
    precision, recall, errors = _scores(rows)
    print(f"\n[{part}] n={len(rows)} precision={precision:.3f} recall={recall:.3f}")
    for e in errors:
        print("  ", e)
    assert recall >= 0.95
    assert precision >= 0.90


def test_prefilter_never_changes_the_verdict() -> None:
    tune, holdout = _load()
    for label, _lang, text in tune + holdout:
        if label:
            assert prefilter_passes(text), text
        assert detect(text) == detect_full(text), text


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        ("I want to die", "suicide"),
        ("I'm going to kill myself", "suicide"),
        ("I don't want to be here anymore", "suicide"),
        ("thinking about ending it all", "suicide"),
        ("no reason to live", "suicide"),
        ("kms", "suicide"),
        ("i want to unalive myself", "suicide"),
        ("sewerslide", "suicide"),
        ("I want to off myself", "suicide"),
        ("I've been cutting again", "self_harm"),
        ("I want to hurt myself", "self_harm"),
        ("I took too many pills", "overdose"),
    ],
)
def test_first_person_crisis(text: str, kind: str) -> None:
    d = detect(text)
    assert d.crisis and d.kind == kind and d.lang == "en" and not d.third_party
    assert 0.5 <= d.score <= 1.0


@pytest.mark.parametrize(
    "text",
    [
        "my friend overdosed and isn't breathing",
        "he's turning blue",
        "my brother is overdosing",
        "she won't wake up, I think she took something",
        "mi hermano tuvo una sobredosis y no respira",
    ],
)
def test_someone_elses_overdose_is_third_party(text: str) -> None:
    d = detect(text)
    assert d.crisis and d.kind == "overdose" and d.third_party


@pytest.mark.parametrize(
    "text",
    [
        "killing it", "dying to see you", "this heat is killing me", "I'd kill for a coffee",
        "my feet are killing me", "I nearly died laughing",
        "I'm not suicidal", "I don't want to die", "I would never hurt myself",
        "two years ago I wanted to die; today I'm grateful", "I used to cut",
        "overdose deaths rose 10%", "Narcan training on Tuesday", "the suicide prevention walk",
        "I relapsed yesterday", 'There\'s a song called "I Want to Die"',
        "kys is not okay to say here",
    ],
)
def test_no_false_alarm(text: str) -> None:
    assert not detect(text).crisis


@pytest.mark.parametrize(
    ("text", "crisis"),
    [
        ("quiero morirme", True), ("me quiero suicidar", True), ("me voy a matar", True),
        ("no quiero vivir", True), ("me corté", True), ("tomé demasiadas pastillas", True),
        ("no quiero morir", False), ("no me voy a matar", False), ("me muero de risa", False),
        ("me corté el pelo", False), ("hace años quería morirme, hoy estoy bien", False),
    ],
)
def test_spanish(text: str, crisis: bool) -> None:
    d = detect(text)
    assert d.crisis is crisis
    if crisis:
        assert d.lang == "es"


@pytest.mark.parametrize(
    "text",
    [
        "k1ll mys3lf", "k i l l myself", "K I L L  M Y S E L F", "i w a n t t o d i e",
        "I want to kіll mysеlf",  # Cyrillic і and е
        "I want to k\u200bi\u200bl\u200bl myself", "I want to ｋｉｌｌ ｍｙｓｅｌｆ",
        "I want to 𝐤𝐢𝐥𝐥 𝐦𝐲𝐬𝐞𝐥𝐟", "I want to diiiiie", "||i want to die||",
        "i want to **kill** myself 😭", "su1c1dal", "$uicidal thoughts again",
        "k.i.l.l m.y.s.e.l.f", "I want to d\u0336i\u0336e\u0336",
    ],
)
def test_adversarial_forms(text: str) -> None:
    assert detect(text).crisis, text


def test_negation_and_scope() -> None:
    assert not detect("I'm not going to kill myself").crisis
    assert detect("I'm not okay, I want to die").crisis  # negation ends at the comma
    assert detect("I don't drink but I want to die").crisis
    assert detect("I can't stop thinking about killing myself").crisis
    assert detect("not gonna lie, I want to die").crisis


def test_api_shape() -> None:
    assert Detection(False, None, 0.0, None, False) == NO_CRISIS
    assert Detection(False, None, 0.0, None, False, None) == NO_CRISIS
    assert detect("") == NO_CRISIS
    calm = detect("hello everyone")
    assert not calm.crisis and calm.kind is None and calm.lang is None and not calm.third_party
    assert calm.stage is None and 0.0 <= calm.score < 0.5
    with pytest.raises(dataclasses.FrozenInstanceError):
        NO_CRISIS.crisis = True  # type: ignore[misc]
    for lang in ("auto", "en", "es", "pt", "fr", "de", "??"):
        assert detect("quiero morirme", lang=lang).crisis


ADVERSARIAL_100K = [
    "a" * 100_000,
    "k i l l " * 12_500,
    "k.i.l.l." * 12_500,
    "i dont want to die. " * 5_000,
    "i want to die " * 7_200,
    "\u200b" * 100_000,
    "😭" * 100_000,
    "кіll mуsеlf " * 9_000,
    "diiiiiiiiie " * 9_000,
    '"i want to die" ' * 6_000,
    "1" * 100_000,
    "a1" * 50_000,
    "a " * 50_000,
    "my friend " * 10_000,
    "killing it at work " * 5_300,
    "x" * 99_990 + " kill myself",
]


def _python_calls(text: str) -> int:
    """Python-level calls made by one detect(): deterministic, unlike a stopwatch."""
    calls = 0

    def count(frame: object, event: str, arg: object) -> None:
        nonlocal calls
        if event in ("call", "c_call"):
            calls += 1

    sys.setprofile(count)
    try:
        detect(text)
    finally:
        sys.setprofile(None)
    return calls


@pytest.mark.parametrize("text", ADVERSARIAL_100K, ids=range(len(ADVERSARIAL_100K)))
def test_100kb_adversarial_input_is_bounded_work(text: str) -> None:
    # Work grows at most linearly with the input: ten times the text costs at most about
    # ten times the calls (a quadratic path would cost a hundred). Time budgets are in
    # bench/crisis.py, not here: CI runs on a loaded machine.
    small, large = _python_calls(text[:10_000]), _python_calls(text)
    assert large <= 12 * max(small, 50)


@settings(max_examples=400, deadline=None)
@given(st.text())
def test_never_raises_on_arbitrary_text(text: str) -> None:
    d = detect(text)
    assert isinstance(d, Detection) and 0.0 <= d.score <= 1.0
    assert d.kind in (None, "suicide", "self_harm", "overdose")
    assert d.crisis == (d.kind is not None)


@settings(max_examples=200, deadline=None)
@given(st.text(alphabet=st.sampled_from(list("kilmysef dw@013!|.-\u200b\u0430\u0435")),
               max_size=300))
def test_never_raises_on_confusable_soup(text: str) -> None:
    assert 0.0 <= detect(text).score <= 1.0
