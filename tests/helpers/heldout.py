"""The crisis held-out set (tests/data/crisis_heldout/): written blind before any training,
used once for the first-run figures and kept since as the regression set. Never tune on it.

Columns: label (1 = should get the crisis reply), kind (suicide, self_harm, overdose, none),
about (self, other, none), style (plain, indirect, slang, plan, symptoms, long, ordinary,
hard_negative), lang, text."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

HELDOUT = Path(__file__).resolve().parents[1] / "data" / "crisis_heldout"


@dataclass(frozen=True, slots=True)
class Line:
    crisis: bool
    kind: str
    about: str
    style: str
    lang: str
    text: str


@dataclass(frozen=True, slots=True)
class Score:
    """Counts for one slice: recall over crisis lines, false alarms over the others."""

    found: int
    crisis: int
    alarms: int
    calm: int

    @property
    def recall(self) -> float:
        return self.found / self.crisis if self.crisis else float("nan")

    @property
    def false_alarms(self) -> float:
        return self.alarms / self.calm if self.calm else float("nan")

    @property
    def precision(self) -> float:
        flagged = self.found + self.alarms
        return self.found / flagged if flagged else float("nan")


def load() -> list[Line]:
    lines = []
    for path in sorted(HELDOUT.glob("*.tsv")):
        rows = [r for r in path.read_text("utf-8").splitlines() if r and not r.startswith("#")]
        assert rows[0].startswith("label\tkind"), path
        for row in rows[1:]:
            label, kind, about, style, lang, text = row.split("\t", 5)
            lines.append(Line(label == "1", kind, about, style, lang, text))
    return lines


def folded(text: str) -> str:
    """Case and punctuation folded away: how two lines are compared for "the same words"."""
    return " ".join(re.sub(r"[^\w ]", " ", text.lower()).split())


def unseen(lines: list[Line], training: Iterable[str]) -> list[Line]:
    """The held-out lines that no training line repeats word for word (common phrases such as
    "I want to kill myself" were written by both sets' writers)."""
    seen = {folded(text) for text in training}
    return [x for x in lines if folded(x.text) not in seen]


def score(lines: Iterable[Line], flagged: Callable[[str], bool]) -> Score:
    found = crisis = alarms = calm = 0
    for line in lines:
        hit = flagged(line.text)
        if line.crisis:
            crisis += 1
            found += hit
        else:
            calm += 1
            alarms += hit
    return Score(found, crisis, alarms, calm)


def slices(lines: list[Line]) -> dict[str, list[Line]]:
    """The slices issue 12 sets targets on, plus per language and per kind.
    A crisis slice keeps every calm line of its language, so its false-alarm rate is there."""
    calm_en = [x for x in lines if not x.crisis and x.lang == "en"]
    out: dict[str, list[Line]] = {"all": lines}
    for lang in ("en", "es", "pt", "fr", "de"):
        out[f"lang {lang}"] = [x for x in lines if x.lang == lang]
    for kind in ("suicide", "self_harm", "overdose"):
        out[f"kind {kind}"] = [x for x in lines if x.kind == kind] + [
            x for x in lines if not x.crisis]
    out["about another person"] = [x for x in lines if x.about == "other"]
    for style in ("plain", "indirect", "slang", "plan", "symptoms", "long"):
        out[f"en {style}"] = [x for x in lines if x.lang == "en" and x.style == style] + calm_en
    out["en ordinary chat"] = [x for x in calm_en if x.style == "ordinary"]
    out["en hard negatives"] = [x for x in calm_en if x.style == "hard_negative"]
    return out
