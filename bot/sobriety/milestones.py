"""Recovery milestones and their calendar-accurate due dates.

Due dates are computed from the start date every time (never chained from the previous
milestone), counting calendar months, not 30-day blocks. When the target month is shorter than
the start day, the date clamps to that month's last day: Jan 31 + 1 month = Feb 28 (Feb 29 in a
leap year), Aug 31 + 6 months = Feb 28/29, and a Feb 29 start has its yearly milestones on
Feb 28 in common years and on Feb 29 in leap years.
"""

from __future__ import annotations

import calendar
import tomllib
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, timedelta
from functools import cache
from importlib import resources
from itertools import count

from bot.kernel.i18n import Translator

__all__ = [
    "PROGRAMS",
    "Milestone",
    "add_months",
    "all_milestones_until",
    "get_milestone",
    "milestone_meaning",
    "milestones_between",
    "next_milestone",
]

PROGRAMS: tuple[str, ...] = ("general", "NA", "AA", "SMART")


def add_months(d: date, months: int) -> date:
    """`d` plus whole calendar months, clamped to the end of a shorter target month."""
    index = d.year * 12 + (d.month - 1) + months
    year, month0 = divmod(index, 12)
    last_day = calendar.monthrange(year, month0 + 1)[1]
    return date(year, month0 + 1, min(d.day, last_day))


@dataclass(frozen=True, slots=True)
class Milestone:
    key: str  # stable id, safe to store: "24h", "30d", "6m", "1y", "18m", "2y", ...
    label: str  # English label; the message catalog may translate by key
    days: int = 0  # exactly one of days / months is non-zero
    months: int = 0

    def due_date(self, start: date) -> date:
        """The local date the milestone is reached (24 hours = the day after the start)."""
        if self.days:
            return start + timedelta(days=self.days)
        return add_months(start, self.months)


_FIXED: tuple[Milestone, ...] = (
    Milestone("24h", "24 hours", days=1),
    Milestone("30d", "30 days", days=30),
    Milestone("60d", "60 days", days=60),
    Milestone("90d", "90 days", days=90),
    Milestone("6m", "6 months", months=6),
    Milestone("9m", "9 months", months=9),
    Milestone("1y", "1 year", months=12),
    Milestone("18m", "18 months", months=18),
)


def _yearly(years: int) -> Milestone:
    return Milestone(f"{years}y", f"{years} years", months=12 * years)


def _all() -> Iterator[Milestone]:
    """Every milestone in due-date order (unbounded: 2y, 3y, ... follow 18m)."""
    yield from _FIXED
    for years in count(2):
        yield _yearly(years)


def get_milestone(key: str) -> Milestone:
    """The milestone with this key (e.g. read back from storage); KeyError if unknown."""
    for m in _FIXED:
        if m.key == key:
            return m
    number = key.removesuffix("y")
    if key.endswith("y") and number.isdigit() and int(number) >= 2 and number[0] != "0":
        return _yearly(int(number))
    raise KeyError(key)


def milestones_between(start: date, first: date, last: date) -> list[tuple[Milestone, date]]:
    """All milestones whose due dates fall in [first, last], in order."""
    found: list[tuple[Milestone, date]] = []
    for m in _all():
        due = m.due_date(start)
        if due > last:  # due dates strictly increase along _all()
            break
        if due >= first:
            found.append((m, due))
    return found


def all_milestones_until(start: date, until: date) -> list[tuple[Milestone, date]]:
    """Every milestone reached on or before `until`."""
    return milestones_between(start, date.min, until)


def next_milestone(start: date, today: date) -> tuple[Milestone, date]:
    """The first milestone due strictly after `today`: one due today counts as reached."""
    for m in _all():
        due = m.due_date(start)
        if due > today:
            return m, due
    raise AssertionError("unreachable: milestones are unbounded")


@cache
def _meanings() -> dict[str, dict[str, str]]:
    raw = resources.files("bot").joinpath("data/milestones.toml").read_text(encoding="utf-8")
    data = tomllib.loads(raw)
    return {program: dict(data[program]) for program in PROGRAMS}


def packaged_meanings() -> dict[str, str]:
    """The English lines by the catalog key a translation gives them under
    (`milestone.meaning.<program>.<key>`, e.g. milestone.meaning.NA.30d)."""
    return {
        f"milestone.meaning.{program}.{key}": text
        for program, lines in _meanings().items()
        for key, text in lines.items()
    }


def milestone_meaning(m: Milestone, program: str, tr: Translator | None = None) -> str:
    """One short warm line for milestone `m` in the style of `program` (one of PROGRAMS), in
    `tr`'s language when its catalog translates the line, else the packaged English.

    Multi-year milestones share the program's "yearly" line, with {years} filled in.
    """
    if program not in PROGRAMS:
        raise ValueError(f"unknown program {program!r}; expected one of {PROGRAMS}")
    lines = _meanings()[program]
    key = m.key if m.key in lines else "yearly"
    years = m.months // 12
    translated = f"milestone.meaning.{program}.{key}"
    if tr is not None and tr.has(translated):
        return tr(translated, years=years)
    return lines[key].format(years=years) if key == "yearly" else lines[key]
