"""When a moderator's scheduled post goes out, in the community's own time zone.

Schedules as moderators type them: "daily 08:00", "weekdays 07:30", "weekends 10am",
"weekly mon,thu 19:00", "every tuesday 7pm", "mon-fri 7:30", "monthly 15 10:00",
"monthly on the 15th at 10am", "monthly last 18:00".

Wall times are resolved once per local date, so each occurrence is posted exactly once:
- a time inside a spring-forward gap (02:30 on a US spring-forward day) is posted at the first
  minute that exists after the gap (03:00). Unlike meetings (see bot.meetings.occurrences),
  a post has no length to keep, so the earliest real moment is the least surprising one;
- an ambiguous time on a fall-back day (01:30 twice) is posted at the first of the two;
- "monthly 29/30/31" in a shorter month is posted on that month's last day (so February still
  gets its post, and never two). "monthly 31" and "monthly last" therefore always agree.

Errors are ScheduleInputError with a message-catalog `key` and a short `detail`:
announce.bad_schedule, announce.missing_time, announce.bad_time, announce.missing_days,
announce.bad_weekday, announce.bad_day_of_month.
"""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from enum import StrEnum
from zoneinfo import ZoneInfo

from bot.common.dates import ClockInputError, InputError, parse_clock

__all__ = [
    "ERROR_KEYS",
    "LAST_DAY",
    "Frequency",
    "Occurrence",
    "Schedule",
    "ScheduleInputError",
    "due_between",
    "next_occurrence",
    "occurrence_key",
    "parse_schedule",
    "resolve_wall_time",
]

LAST_DAY = -1  # Schedule.day_of_month for "monthly last"
ERROR_KEYS = (
    "announce.bad_schedule",
    "announce.missing_time",
    "announce.bad_time",
    "announce.missing_days",
    "announce.bad_weekday",
    "announce.bad_day_of_month",
)
_MAX_INPUT = 100
_WEEKDAY_NAMES = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_FULL_NAMES = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")


class ScheduleInputError(InputError):
    """Bad moderator input; `key` names the message, `detail` is short and safe to echo."""

    def __init__(self, key: str, detail: str = "") -> None:
        super().__init__(key, detail)
        self.detail = detail


class Frequency(StrEnum):
    DAILY = "daily"
    WEEKLY = "weekly"
    MONTHLY = "monthly"


@dataclass(frozen=True, slots=True)
class Schedule:
    frequency: Frequency
    at: time  # local wall time in the community's zone, whole minutes
    weekdays: tuple[int, ...] = ()  # WEEKLY: sorted, unique, 0 = Monday
    day_of_month: int = 0  # MONTHLY: 1-31, or LAST_DAY

    def __post_init__(self) -> None:
        if self.at.tzinfo is not None or self.at.second or self.at.microsecond:
            raise ValueError("at must be a naive wall time in whole minutes")
        weekly = self.frequency is Frequency.WEEKLY
        if weekly != bool(self.weekdays) or tuple(sorted(set(self.weekdays))) != self.weekdays:
            raise ValueError("weekdays: a sorted, non-empty set for WEEKLY, empty otherwise")
        if any(not 0 <= d <= 6 for d in self.weekdays):
            raise ValueError("weekdays are 0 (Monday) to 6 (Sunday)")
        monthly = self.frequency is Frequency.MONTHLY
        valid_day = self.day_of_month == LAST_DAY or 1 <= self.day_of_month <= 31
        if monthly != (self.day_of_month != 0) or (monthly and not valid_day):
            raise ValueError("day_of_month: 1-31 or LAST_DAY for MONTHLY, 0 otherwise")

    def matches(self, d: date) -> bool:
        """Whether a post goes out on local date `d`."""
        if self.frequency is Frequency.DAILY:
            return True
        if self.frequency is Frequency.WEEKLY:
            return d.weekday() in self.weekdays
        last = calendar.monthrange(d.year, d.month)[1]
        wanted = last if self.day_of_month == LAST_DAY else min(self.day_of_month, last)
        return d.day == wanted

    def canonical(self) -> str:
        """E.g. "weekly mon,thu 19:00"; parse_schedule reads it back equal: safe to store."""
        at = f"{self.at:%H:%M}"
        if self.frequency is Frequency.DAILY:
            return f"daily {at}"
        if self.frequency is Frequency.WEEKLY:
            return f"weekly {','.join(_WEEKDAY_NAMES[d] for d in self.weekdays)} {at}"
        day = "last" if self.day_of_month == LAST_DAY else str(self.day_of_month)
        return f"monthly {day} {at}"


@dataclass(frozen=True, slots=True)
class Occurrence:
    at_utc: datetime  # when to post (aware, UTC)
    local_date: date  # the local date it belongs to: the dedupe key's date


# ---- parsing ---------------------------------------------------------------------------------

_DAILY = re.compile(r"^(?:daily|every ?day|each day)\b")
_GROUPS = {
    "weekdays": (0, 1, 2, 3, 4),
    "weekday": (0, 1, 2, 3, 4),
    "weekends": (5, 6),
    "weekend": (5, 6),
}
_GROUP = re.compile(r"^(?:every |on )?(?P<group>weekdays?|weekends?)\b")
_WEEKLY = re.compile(r"^(?:weekly|every|each|on)\b")
_MONTHLY = re.compile(r"^(?:monthly|every month|each month)\b")
_DAY_OF_MONTH = re.compile(
    r"^(?:on )?(?:the )?(?:(?P<n>\d{1,2})(?:st|nd|rd|th)?|(?P<last>last))(?: day)?(?![\w:.])"
)


def parse_schedule(text: str) -> Schedule:
    """The schedule part of `/announce add`; raises ScheduleInputError."""
    cleaned = " ".join(text.replace(",", ", ").split()).casefold()
    cleaned = re.sub(r"\s+,", ",", cleaned)
    if not cleaned or len(cleaned) > _MAX_INPUT:
        raise ScheduleInputError("announce.bad_schedule", text.strip()[:30])
    if match := _DAILY.match(cleaned):
        return Schedule(Frequency.DAILY, _parse_at(cleaned[match.end() :]))
    if match := _GROUP.match(cleaned):
        days = _GROUPS[match["group"]]
        return Schedule(Frequency.WEEKLY, _parse_at(cleaned[match.end() :]), weekdays=days)
    if match := _MONTHLY.match(cleaned):
        rest = cleaned[match.end() :].strip()
        day = _DAY_OF_MONTH.match(rest)
        if day is None:
            raise ScheduleInputError("announce.bad_day_of_month", rest.split(" ")[0][:10])
        number = LAST_DAY if day["last"] else int(day["n"])
        if number != LAST_DAY and not 1 <= number <= 31:
            raise ScheduleInputError("announce.bad_day_of_month", day["n"])
        at = _parse_at(rest[day.end() :])
        return Schedule(Frequency.MONTHLY, at, day_of_month=number)
    match = _WEEKLY.match(cleaned)
    rest = cleaned[match.end() :].strip() if match else cleaned
    if not match and not _starts_with_weekday(rest):
        raise ScheduleInputError("announce.bad_schedule", text.strip()[:30])
    days_text, at = _split_time(rest)
    return Schedule(Frequency.WEEKLY, at, weekdays=_parse_weekdays(days_text))


def _parse_at(text: str) -> time:
    text = text.strip().removeprefix("at ").strip()
    if not text:
        raise ScheduleInputError("announce.missing_time")
    try:
        return parse_clock(text)
    except ClockInputError:
        raise ScheduleInputError("announce.bad_time", text[:20]) from None


def _split_time(text: str) -> tuple[str, time]:
    """("mon, thu", 19:00) from "mon, thu at 7 pm": the time is the last one to three words."""
    words = text.split(" ") if text else []
    for size in (1, 2, 3):
        if size > len(words):
            break
        try:
            at = parse_clock(" ".join(words[-size:]))
        except ClockInputError:
            continue
        head_words = words[:-size]
        if head_words and head_words[-1] == "at":
            head_words = head_words[:-1]
        head = " ".join(head_words).strip(" ,")
        if not head:
            raise ScheduleInputError("announce.missing_days")
        return head, at
    if not words:
        raise ScheduleInputError("announce.missing_days")
    if all(_is_weekday_list_word(w) for w in words):
        raise ScheduleInputError("announce.missing_time")
    raise ScheduleInputError("announce.bad_time", words[-1][:20])


def _weekday(token: str) -> int | None:
    t = token.rstrip(".")
    # Any prefix of two letters or more is unambiguous ("tu", "tue", "tues", "thurs").
    for candidate in (t, t.removesuffix("s")):
        if len(candidate) >= 2:
            for number, full in enumerate(_FULL_NAMES):
                if full.startswith(candidate):
                    return number
    return None


def _starts_with_weekday(text: str) -> bool:
    first = re.split(r"[\s,&/-]", text, maxsplit=1)[0]
    return _weekday(first) is not None


def _is_weekday_list_word(word: str) -> bool:
    return all(
        _weekday(part) is not None or part in ("", "and", "&", "at")
        for part in re.split(r"[,/-]", word)
    )


def _parse_weekdays(text: str) -> tuple[int, ...]:
    """Sorted weekdays from "mon,thu", "monday and thursday", "tue & thu", "mon-fri"."""
    text = re.sub(r"\s*(?:-|–|\bto\b|\bthrough\b)\s*", "-", text)
    days: set[int] = set()
    for token in re.split(r"[,/&\s]+|\band\b", text):
        if not token:
            continue
        first, dash, last = token.partition("-")
        a, b = _weekday(first), _weekday(last) if dash else None
        if a is None or (dash and b is None):
            bad = first if a is None else last
            raise ScheduleInputError("announce.bad_weekday", (bad or token)[:20])
        if b is None:
            days.add(a)
        else:  # "fri-mon" wraps through the weekend
            days.update((a + i) % 7 for i in range((b - a) % 7 + 1))
    if not days:
        raise ScheduleInputError("announce.missing_days")
    return tuple(sorted(days))


# ---- occurrences -----------------------------------------------------------------------------


def resolve_wall_time(d: date, at: time, tz: ZoneInfo) -> datetime:
    """The UTC instant a post for local date `d` at wall time `at` goes out (module doc)."""
    wanted = datetime.combine(d, at.replace(tzinfo=None, fold=0))
    if _exists(wanted, tz):
        return wanted.replace(tzinfo=tz).astimezone(UTC)  # fold=0: the first of two
    # In a gap. Its length is the jump in UTC offset across it; step minute by minute to the
    # first wall time that exists (at most the gap's length, normally 60 or 30 steps).
    before = wanted.replace(tzinfo=tz, fold=1).utcoffset() or timedelta()
    after = wanted.replace(tzinfo=tz, fold=0).utcoffset() or timedelta()
    gap_minutes = max(1, int(abs(before - after).total_seconds() // 60))
    for step in range(1, gap_minutes + 1):
        candidate = wanted + timedelta(minutes=step)
        if _exists(candidate, tz):
            return candidate.replace(tzinfo=tz).astimezone(UTC)
    raise AssertionError(f"no wall time after a gap at {wanted} in {tz}")  # pragma: no cover


def _exists(wall: datetime, tz: ZoneInfo) -> bool:
    round_trip = wall.replace(tzinfo=tz).astimezone(UTC).astimezone(tz)
    return round_trip.replace(tzinfo=None) == wall


def _zone(tz: str | ZoneInfo) -> ZoneInfo:
    return tz if isinstance(tz, ZoneInfo) else ZoneInfo(tz)


def _require_aware(*instants: datetime) -> None:
    for instant in instants:
        if instant.tzinfo is None or instant.utcoffset() is None:
            raise ValueError("naive datetime: pass an aware (preferably UTC) datetime")


def next_occurrence(schedule: Schedule, after: datetime, tz: str | ZoneInfo) -> Occurrence:
    """The first post strictly after the aware instant `after`, in zone `tz` (IANA name)."""
    _require_aware(after)
    zone = _zone(tz)
    # A local date can post up to a day before or after its UTC date: start a day early.
    day = after.astimezone(zone).date() - timedelta(days=1)
    for _ in range(400):  # every schedule posts at least once every 31 days
        if schedule.matches(day):
            at_utc = resolve_wall_time(day, schedule.at, zone)
            if at_utc > after:
                return Occurrence(at_utc, day)
        day += timedelta(days=1)
    raise AssertionError(f"no occurrence within 400 days for {schedule}")  # pragma: no cover


def due_between(
    schedule: Schedule, after: datetime, until: datetime, tz: str | ZoneInfo
) -> list[Occurrence]:
    """Every post with `after < at_utc <= until`, in order: what a sweep that last ran at
    `after` must send now (after downtime too); dedupe with occurrence_key."""
    _require_aware(after, until)
    found: list[Occurrence] = []
    cursor = after
    while (nxt := next_occurrence(schedule, cursor, tz)).at_utc <= until:
        found.append(nxt)
        cursor = nxt.at_utc
    return found


def occurrence_key(post_id: int | str, local_date: date) -> str:
    """`<post id>:<local date>`: the same occurrence always gets the same key."""
    return f"{post_id}:{local_date.isoformat()}"
