"""Service, the pure part: a role's weekly turns in its community's zone (DST-correct),
reading a role from a moderator's line, and the summary of a member's service."""

from __future__ import annotations

import datetime
from collections import Counter
from collections.abc import Iterable, Sequence
from zoneinfo import ZoneInfo

from bot.common.dates import InputError
from bot.common.parsing import parse_int
from bot.meetings.model import MeetingInputError, parse_time, parse_weekdays
from bot.meetings.occurrences import resolve_local
from storage.service_base import NewRole, ServiceRole, ServiceTurn

MAX_NAME = 40
MAX_SLOTS = 10
SIGNUP_AHEAD_DAYS = 90
SUGGESTED = ("greeter", "chair", "tech host", "newcomer welcome")


def parse_role_line(text: str, tz: str) -> NewRole:
    """'greeter | tue,thu | 19:00 [| 2]' -> a role; InputError (service.*) when not."""
    parts = [p.strip() for p in text.split("|")]
    if len(parts) not in (3, 4) or not parts[0]:
        raise InputError("service.role_usage", text)
    name = " ".join(parts[0].split()).casefold()
    if len(name) > MAX_NAME or not all(ch.isalnum() or ch in " -'" for ch in name):
        raise InputError("service.bad_role_name", parts[0])
    try:
        weekdays = parse_weekdays(parts[1])
        at = parse_time(parts[2])
    except MeetingInputError as exc:
        raise InputError("service.bad_schedule", exc.detail) from None
    slots = 1
    if len(parts) == 4:
        found = parse_int(parts[3], 1, MAX_SLOTS)
        if found is None:
            raise InputError("service.bad_slots", parts[3])
        slots = found
    return NewRole(name=name, weekdays=weekdays, at_time=at.strftime("%H:%M"), tz=tz, slots=slots)


def turn_start(role: ServiceRole, day: datetime.date) -> datetime.datetime:
    hours, minutes = role.at_time.split(":")
    return resolve_local(day, datetime.time(int(hours), int(minutes)), ZoneInfo(role.tz))


def next_turns(role: ServiceRole, now: datetime.datetime, count: int) -> list[datetime.date]:
    """The next `count` turn days that have not started yet, in the role's zone."""
    zone = ZoneInfo(role.tz)
    day = now.astimezone(zone).date()
    found: list[datetime.date] = []
    for _ in range(SIGNUP_AHEAD_DAYS + 7):
        if day.weekday() in role.weekdays and turn_start(role, day) > now:
            found.append(day)
            if len(found) == count:
                break
        day += datetime.timedelta(days=1)
    return found


def is_turn(role: ServiceRole, day: datetime.date, now: datetime.datetime) -> bool:
    """A day the role has a turn, still to come and within the sign-up horizon."""
    horizon = now.date() + datetime.timedelta(days=SIGNUP_AHEAD_DAYS)
    return day.weekday() in role.weekdays and now < turn_start(role, day) and day <= horizon


def match_role(roles: Sequence[ServiceRole], text: str) -> tuple[ServiceRole | None, str]:
    """The role whose name starts `text` (the longest such name), and the rest of `text`."""
    words = " ".join(text.split()).casefold()
    best: ServiceRole | None = None
    for role in roles:
        if (words == role.name or words.startswith(role.name + " ")) and (
            best is None or len(role.name) > len(best.name)
        ):
            best = role
    if best is None:
        return None, text
    return best, words[len(best.name) :].strip()


def served(turns: Iterable[ServiceTurn], now: int) -> Counter[str]:
    """Turns already given, by role name."""
    return Counter(t.role.name for t in turns if t.starts_at <= now)
