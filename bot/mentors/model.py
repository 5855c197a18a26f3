"""Mentorship, the pure part: who may mentor (a counter past the community's threshold),
the languages and availability people type, and how Harbor ranks possible mentors for a
request (a shared language first, then overlapping availability, then nearby time zones)."""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from functools import cache
from zoneinfo import ZoneInfo

from babel import Locale, UnknownLocaleError

from bot.common.dates import InputError
from bot.sobriety.milestones import add_months

MAX_INTRO = 500
MAX_AVAILABILITY = 120
MAX_LANGUAGES = 6
MAX_MENTEES = 5  # active or proposed, per mentor

# Words in an availability that matching understands; everything else is for people.
_TAGS: dict[str, tuple[str, ...]] = {
    "mornings": ("morning", "mornings", "am", "breakfast"),
    "afternoons": ("afternoon", "afternoons", "midday", "lunch", "lunchtime"),
    "evenings": ("evening", "evenings", "pm", "after work", "tonight"),
    "nights": ("night", "nights", "late", "overnight"),
    "weekdays": ("weekday", "weekdays", "workdays", "mon-fri", "monday to friday"),
    "weekends": ("weekend", "weekends", "saturday", "saturdays", "sunday", "sundays"),
    "anytime": ("anytime", "any time", "whenever", "flexible", "always"),
}


# -- the threshold --------------------------------------------------------------------------


def reached_on(start: date, months: int) -> date:
    """The local day a counter started on `start` has run `months` calendar months."""
    return add_months(start, months)


def eligible(starts: Iterable[date], months: int, today: date) -> bool:
    """A counter of the member has run at least `months` calendar months by `today`."""
    return any(reached_on(start, months) <= today for start in starts)


def threshold_text(months: int) -> tuple[str, int]:
    """("years", n) when `months` is whole years, else ("months", n): for the catalog."""
    return ("years", months // 12) if months % 12 == 0 and months else ("months", months)


# -- languages --------------------------------------------------------------------------------


@cache
def _language_names() -> dict[str, str]:
    """Language names (English, and each language's own name) and codes -> code."""
    english = Locale.parse("en")
    names: dict[str, str] = {}
    for code, name in english.languages.items():
        if "_" in code or len(code) > 3:
            continue
        names[name.casefold()] = code
        names[code.casefold()] = code
        try:
            own = Locale.parse(code).get_language_name(code)
        except (UnknownLocaleError, ValueError):
            own = None
        if own:
            names.setdefault(own.casefold(), code)
    return names


def parse_languages(text: str) -> tuple[str, ...]:
    """'English, Spanish' or 'en es' -> ('en', 'es'); InputError('mentor.bad_language')
    naming the first word that is not a language."""
    found: list[str] = []
    for word in re.split(r"[,;/]|\s+and\s+|\s+", text.strip()):
        word = word.strip().casefold()
        if not word:
            continue
        code = _language_names().get(word)
        if code is None:
            raise InputError("mentor.bad_language", word)
        if code not in found:
            found.append(code)
    if not found:
        raise InputError("mentor.bad_language", text)
    if len(found) > MAX_LANGUAGES:
        raise InputError("mentor.too_many_languages", text)
    return tuple(found)


def language_names(codes: Sequence[str], lang: str = "en") -> list[str]:
    """Codes as names in the reader's language ('en' -> 'English')."""
    try:
        names = Locale.parse(lang).languages
    except (UnknownLocaleError, ValueError):
        names = Locale.parse("en").languages
    return [names.get(code, code) for code in codes]


# -- availability -----------------------------------------------------------------------------


def availability_tags(text: str) -> frozenset[str]:
    """What matching understands of an availability ('weekday evenings' -> weekdays,
    evenings). Empty when nothing is recognised: then it never rules anyone out."""
    words = " " + re.sub(r"[^\w\s-]", " ", text.casefold()) + " "
    return frozenset(tag for tag, cues in _TAGS.items() if any(f" {cue} " in words for cue in cues))


def _times_overlap(a: frozenset[str], b: frozenset[str]) -> bool | None:
    """True or False when both say something comparable, None when either is silent."""
    if not a or not b or "anytime" in a or "anytime" in b:
        return None
    parts = ({"mornings", "afternoons", "evenings", "nights"}, {"weekdays", "weekends"})
    verdict: bool | None = None
    for group in parts:
        left, right = a & group, b & group
        if left and right:
            if not left & right:
                return False
            verdict = True
    return verdict


# -- matching ---------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Person:
    """What matching knows of someone: their languages, availability and time zone."""

    member_id: int
    languages: tuple[str, ...]
    availability: str
    tz: str


@dataclass(frozen=True, slots=True)
class Match:
    mentor_id: int
    score: float
    shared_languages: tuple[str, ...]
    hours_apart: float


def hours_apart(a: str, b: str, when: datetime) -> float:
    offset_a = when.astimezone(ZoneInfo(a)).utcoffset()
    offset_b = when.astimezone(ZoneInfo(b)).utcoffset()
    assert offset_a is not None and offset_b is not None
    return abs((offset_a - offset_b).total_seconds()) / 3600


def score(mentee: Person, mentor: Person, when: datetime) -> Match | None:
    """How well `mentor` fits `mentee` (higher is better), or None when they can't talk:
    no shared language (when both named theirs), or availabilities that never meet."""
    shared = tuple(code for code in mentee.languages if code in mentor.languages)
    if mentee.languages and mentor.languages and not shared:
        return None
    overlap = _times_overlap(
        availability_tags(mentee.availability), availability_tags(mentor.availability)
    )
    if overlap is False:
        return None
    apart = hours_apart(mentee.tz, mentor.tz, when)
    points = (3.0 if shared else 1.0) + (2.0 if overlap else 1.0) + max(0.0, 2.0 - apart / 3)
    return Match(mentor.member_id, round(points, 2), shared, apart)


def best_matches(
    mentee: Person, mentors: Iterable[Person], when: datetime, limit: int = 3
) -> list[Match]:
    """The mentors who fit, best first (ties: the one who volunteered first)."""
    found = [m for m in (score(mentee, p, when) for p in mentors) if m is not None]
    order = {m.mentor_id: i for i, m in enumerate(found)}
    found.sort(key=lambda m: (-m.score, order[m.mentor_id]))
    return found[:limit]
