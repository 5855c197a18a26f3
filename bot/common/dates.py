"""Parsing the dates and clock times members type.

Errors carry a message-catalog `key` so the caller can answer in the member's language.
Accepted start dates: ISO (2026-03-14, 2026/03/14), today / yesterday (en, de, fr, es),
month names (14 March, March 14th, 14 Mar 2025, 14. März), slashes (3/14/2026: M/D/Y for US
and PH locales, D/M/Y elsewhere; when only one reading is a real date, that one wins), dots and
dashes as D.M.Y (14.03.2026). Two-digit years are read as the most recent such year. Any date
may be followed by a clock time ("2026-03-14 18:30", "yesterday at 9pm").
"""

from __future__ import annotations

import calendar
import re
from collections.abc import Mapping
from datetime import date, time, timedelta

__all__ = [
    "ClockInputError",
    "DateInputError",
    "InputError",
    "parse_clock",
    "parse_start",
]

EARLIEST = date(1900, 1, 1)
_MONTH_FIRST_TERRITORIES = frozenset({"US", "PH"})


class InputError(ValueError):
    """Bad member input; `key` names the message to show."""

    def __init__(self, key: str, text: str = "") -> None:
        super().__init__(f"{key}: {text!r}")
        self.key = key


class DateInputError(InputError):
    """key: date.future, date.too_old, date.impossible, date.unknown_format, time.invalid."""


class ClockInputError(InputError):
    """key: time.invalid."""


# ---- clock times ----------------------------------------------------------------------------

_CLOCK = re.compile(
    r"""^(?:
        (?P<h>\d{1,2})\s*(?:[:.h]\s*(?P<m>\d{2}))?\s*(?P<ampm>[ap])\.?\s*m\.?  # 7pm, 7:30 p.m.
      | (?P<h24>\d{1,2})\s*[:.h]\s*(?P<m24>\d{2})  # 19:30, 19.30, 19h30
      | (?P<hhmm>\d{3,4})  # 0730, 730
    )$""",
    re.VERBOSE,
)
_NAMED_TIMES = {"noon": time(12), "midday": time(12), "midnight": time(0)}


def parse_clock(text: str) -> time:
    """A wall-clock time. Accepts 20:30, 19.30, 19h30, 7pm, 7:30 pm, 7.30 a.m., noon, midnight
    and 3-4 digit military times (0730, 730). A bare 1-2 digit number is rejected: "7" could be
    morning or evening. 12am = 00:00, 12pm = 12:00. Raises ClockInputError("time.invalid").
    """
    cleaned = " ".join(text.strip().lower().split())
    if cleaned in _NAMED_TIMES:
        return _NAMED_TIMES[cleaned]
    match = _CLOCK.match(cleaned)
    if match is None:
        raise ClockInputError("time.invalid", text)
    if match["ampm"]:
        hour, minute = int(match["h"]), int(match["m"] or 0)
        if not 1 <= hour <= 12:
            raise ClockInputError("time.invalid", text)
        hour = hour % 12 + (12 if match["ampm"] == "p" else 0)
    elif match["h24"]:
        hour, minute = int(match["h24"]), int(match["m24"])
    else:
        hour, minute = divmod(int(match["hhmm"]), 100)
    if hour > 23 or minute > 59:
        raise ClockInputError("time.invalid", text)
    return time(hour, minute)


# ---- start dates ----------------------------------------------------------------------------

_RELATIVE = {
    "today": 0, "heute": 0, "aujourd'hui": 0, "hoy": 0,
    "yesterday": 1, "gestern": 1, "hier": 1, "ayer": 1,
}  # fmt: skip
# "today" and "yesterday" in the catalog languages, for commands that take a day (public).
RELATIVE_DAYS: Mapping[str, int] = _RELATIVE

_MONTH_NAMES: dict[str, int] = {}
for _number, _names in enumerate(
    (
        "january jan januar janvier enero ene",
        "february feb februar février fevrier febrero",
        "march mar märz maerz mars marzo",
        "april apr avril abril abr",
        "may mai mayo",
        "june jun juni juin junio",
        "july jul juli juillet julio",
        "august aug août aout agosto ago",
        "september sep sept septembre septiembre setiembre",
        "october oct oktober okt octobre octubre",
        "november nov novembre noviembre",
        "december dec dez dezember décembre decembre diciembre dic",
    ),
    start=1,
):
    for _name in _names.split():
        _MONTH_NAMES[_name] = _number

# A trailing time needs ":" "." "h" or am/pm, so "14 Mar 2025" never loses its year to "20:25".
_TRAILING_TIME = re.compile(
    r"^(?P<date>.+?)(?:\s+(?:at|um|à|a las)|,)?(?:\s+|(?<=\d)t)"
    r"(?P<time>\d{1,2}(?:[:.h]\d{2})?\s*[ap]\.?m\.?|\d{1,2}[:.h]\d{2}|noon|midnight)$"
)
_ISO = re.compile(r"^(?P<y>\d{4})[-/.](?P<m>\d{1,2})[-/.](?P<d>\d{1,2})$")
_SLASH = re.compile(r"^(?P<a>\d{1,2})/(?P<b>\d{1,2})(?:/(?P<y>\d{2}|\d{4}))?$")
_DMY = re.compile(r"^(?P<d>\d{1,2})[.-](?P<m>\d{1,2})(?:[.-](?P<y>\d{2}|\d{4}))?\.?$")
_WORD = r"(?P<name>[^\W\d_][\w'.]*?)\.?"
_DAY = r"(?P<day>\d{1,2})(?:st|nd|rd|th|er|º|\.)?"
_YEAR = r"(?:,?\s+(?:de\s+)?(?P<year>\d{4}))?"
_DAY_NAME = re.compile(rf"^{_DAY}\s+(?:of\s+|de\s+)?{_WORD}{_YEAR}$")
_NAME_DAY = re.compile(rf"^{_WORD}\s+{_DAY},?{_YEAR}$")


def parse_start(
    text: str, today: date, locale: str = "en_US", now_local_time: time | None = None
) -> tuple[date, time | None]:
    """The start date (and time, if typed) of a recovery count, as local values.

    A day and month without a year mean the most recent such date not after `today` (the year
    is chosen by the date alone; a time later today then counts as future). A time later than
    `now_local_time` on `today` is in the future; without `now_local_time` it is not checked.
    """
    cleaned = " ".join(text.strip().lower().split())
    clock: time | None = None
    split = _TRAILING_TIME.match(cleaned)
    if split and cleaned not in _RELATIVE:
        try:
            clock = parse_clock(split["time"])
        except ClockInputError:
            raise DateInputError("time.invalid", text) from None
        cleaned = split["date"].strip().rstrip(",")
    day = _parse_day(cleaned, today, locale, text)
    if day < EARLIEST:
        raise DateInputError("date.too_old", text)
    future_time = clock is not None and now_local_time is not None and clock > now_local_time
    if day > today or (day == today and future_time):
        raise DateInputError("date.future", text)
    return day, clock


def _parse_day(cleaned: str, today: date, locale: str, text: str) -> date:
    if cleaned in _RELATIVE:
        return today - timedelta(days=_RELATIVE[cleaned])
    if match := _ISO.match(cleaned):
        return _make(int(match["y"]), int(match["m"]), int(match["d"]), text)
    if match := _SLASH.match(cleaned):
        a, b = int(match["a"]), int(match["b"])
        first, second = (b, a) if _month_first(locale) else (a, b)  # (day, month)
        if not _valid_day_month(first, second) and _valid_day_month(second, first):
            first, second = second, first  # only one reading is a real date: take it
        return _with_year(first, second, match["y"], today, text)
    if match := _DMY.match(cleaned):
        return _with_year(int(match["d"]), int(match["m"]), match["y"], today, text)
    for pattern in (_DAY_NAME, _NAME_DAY):
        if (match := pattern.match(cleaned)) and match["name"] in _MONTH_NAMES:
            month = _MONTH_NAMES[match["name"]]
            return _with_year(int(match["day"]), month, match["year"], today, text)
    raise DateInputError("date.unknown_format", text)


def _month_first(locale: str) -> bool:
    parts = re.split(r"[_-]", locale)
    return len(parts) > 1 and parts[1].upper() in _MONTH_FIRST_TERRITORIES


def _valid_day_month(day: int, month: int) -> bool:
    # Feb 29 is a real date in some year, which is all a year-less check can ask.
    return 1 <= month <= 12 and 1 <= day <= calendar.monthrange(2000, month)[1]  # leap year


def _make(year: int, month: int, day: int, text: str) -> date:
    try:
        return date(year, month, day)
    except ValueError:
        raise DateInputError("date.impossible", text) from None


def _with_year(day: int, month: int, year_text: str | None, today: date, text: str) -> date:
    if year_text is not None and len(year_text) == 4:
        return _make(int(year_text), month, day, text)
    if year_text is not None:  # two digits: the most recent year ending in them
        year = today.year - (today.year - int(year_text)) % 100
        return _make(year, month, day, text)
    if not _valid_day_month(day, month):
        raise DateInputError("date.impossible", text)
    # Most recent occurrence not after today; Feb 29 may need up to 8 years (1900 was common).
    for year in range(today.year, today.year - 9, -1):
        try:
            candidate = date(year, month, day)
        except ValueError:
            continue
        if candidate <= today:
            return candidate
    raise DateInputError("date.impossible", text)
