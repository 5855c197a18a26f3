"""What a scheduled post says: a moderator's text, or the built-in "this week's milestones".

`/announce add <schedule> | <text>`; a text of just "milestones" (or "this week's milestones")
asks for the built-in post instead. Errors are ScheduleInputError (see schedule.py) with
announce.missing_text or announce.text_too_long (detail: the limit), besides the schedule's.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta
from enum import StrEnum

from bot.announcements.schedule import Schedule, ScheduleInputError, parse_schedule
from bot.sobriety.milestones import Milestone, milestones_between

__all__ = [
    "ERROR_KEYS",
    "MAX_TEXT",
    "Announcement",
    "PostKind",
    "WeeklyMilestone",
    "milestones_this_week",
    "parse_announce_add",
    "parse_text",
    "week_of",
]

MAX_TEXT = 1500  # under Discord's 2000 with room for a header; Telegram allows 4096
ERROR_KEYS = ("announce.missing_text", "announce.text_too_long")
_BUILTIN_WORDS = {"milestones", "this week's milestones", "this weeks milestones"}


class PostKind(StrEnum):
    TEXT = "text"
    WEEKLY_MILESTONES = "milestones"


@dataclass(frozen=True, slots=True)
class Announcement:
    schedule: Schedule
    kind: PostKind
    text: str = ""  # TEXT only; newlines kept, other whitespace as typed


def parse_announce_add(text: str) -> Announcement:
    """Everything after `/announce add`: "<schedule> | <text>"."""
    schedule_part, bar, body = text.partition("|")
    schedule = parse_schedule(schedule_part)
    if not bar:
        raise ScheduleInputError("announce.missing_text")
    kind, body = parse_text(body)
    return Announcement(schedule, kind, body)


def parse_text(text: str) -> tuple[PostKind, str]:
    """What a post says: (TEXT, the text) or (WEEKLY_MILESTONES, "") for "milestones"."""
    body = text.strip()
    if not body:
        raise ScheduleInputError("announce.missing_text")
    if " ".join(body.split()).casefold().replace("’", "'") in _BUILTIN_WORDS:
        return PostKind.WEEKLY_MILESTONES, ""
    if len(body) > MAX_TEXT:
        raise ScheduleInputError("announce.text_too_long", str(MAX_TEXT))
    return PostKind.TEXT, body


@dataclass(frozen=True, slots=True)
class WeeklyMilestone:
    name: str  # as the member chose to share it
    milestone: Milestone
    due: date


def week_of(day: date, first_weekday: int = 0) -> tuple[date, date]:
    """The first and last date of the week holding `day` (weeks start on Monday = 0)."""
    start = day - timedelta(days=(day.weekday() - first_weekday) % 7)
    return start, start + timedelta(days=6)


def milestones_this_week(
    sharers: Iterable[tuple[str, date]], today: date, first_weekday: int = 0
) -> list[WeeklyMilestone]:
    """Milestones due this week (the community's local week holding `today`) for members who
    chose to share them: (display name, counter start date) pairs, one per shared counter.
    Ordered by date, then name, then the smaller milestone first."""
    first, last = week_of(today, first_weekday)
    found = [
        WeeklyMilestone(name, milestone, due)
        for name, start in sharers
        for milestone, due in milestones_between(start, first, last)
    ]
    found.sort(key=lambda w: (w.due, w.name.casefold(), w.milestone.months * 31 + w.milestone.days))
    return found
