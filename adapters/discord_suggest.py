"""Autocomplete for the slash commands' free-text "args" option: meeting ids, counter names
and time zones, read from the store for the member who is typing.

The matching is pure (tested with plain lists); `suggestions` only reads. Discord shows at
most 25 choices, each label and value at most 100 characters; a choice replaces what the
member typed, so a value carries any words before the part being completed ("tz ...",
"remove ...").
"""

from __future__ import annotations

import zoneinfo
from collections.abc import Iterable, Sequence
from functools import cache

from bot.common.timezones import resolve_timezone
from storage.base import Store
from storage.meetings_base import MeetingRow

MAX_CHOICES = 25
MEETING_COMMANDS = frozenset({"meeting", "remind", "going", "attended"})
COUNTER_COMMANDS = frozenset({"reset", "slip"})
ZONE_COMMANDS = frozenset({"settings", "community"})
ZONE_KEYS = ("tz", "timezone")
PLATFORM = "discord"

Choice = tuple[str, str]  # (label, value)


def suggests(command: str) -> bool:
    return command in MEETING_COMMANDS | COUNTER_COMMANDS | ZONE_COMMANDS | {"sober"}


def _clip(choices: Iterable[Choice]) -> list[Choice]:
    return [(label[:100], value[:100]) for label, value in choices][:MAX_CHOICES]


def match_meetings(rows: Sequence[MeetingRow], current: str) -> list[Choice]:
    """Meetings whose number starts with, or whose name contains, what was typed."""
    typed = current.strip().casefold()
    found = [
        (f"#{row.id} {row.name}", str(row.id))
        for row in sorted(rows, key=lambda r: r.id)
        if not typed or str(row.id).startswith(typed) or typed in row.name.casefold()
    ]
    return _clip(found)


def match_names(names: Iterable[str], current: str, prefix: str = "") -> list[Choice]:
    typed = current.strip().casefold()
    return _clip((name, f"{prefix}{name}") for name in names if typed in name.casefold())


@cache
def _zones() -> tuple[str, ...]:
    return tuple(
        sorted(
            name
            for name in zoneinfo.available_timezones()
            if "/" in name and not name.startswith(("Etc/", "SystemV/", "posix/", "right/"))
        )
    )


def match_zones(current: str, prefix: str = "tz ") -> list[Choice]:
    """Time zones for what was typed: a city Harbor knows first ("new york", "NYC"), then
    every IANA name containing it ("lond" → Europe/London)."""
    typed = " ".join(current.strip().replace("_", " ").split()).casefold()
    found: list[str] = []
    exact = resolve_timezone(current) if typed else None
    if exact is not None:
        found.append(exact)
    if typed:
        found += [z for z in _zones() if typed in z.replace("_", " ").casefold() and z != exact]
    return _clip((zone, f"{prefix}{zone}") for zone in found)


def split_zone_key(current: str) -> tuple[str, str] | None:
    """"tz lond" → ("tz ", "lond"); None when the text is not about a time zone."""
    key, _, rest = current.lstrip().partition(" ")
    if key.casefold() in ZONE_KEYS and (rest or current.endswith(" ")):
        return f"{key} ", rest
    return None


async def suggestions(
    store: Store, command: str, current: str, *, user_id: str, guild_id: str | None
) -> list[Choice]:
    """The choices for `command`'s args as the member types `current`."""
    if command in ZONE_COMMANDS:
        split = split_zone_key(current)
        return match_zones(split[1], split[0]) if split else []
    if command in MEETING_COMMANDS:
        return match_meetings(await _meetings(store, user_id, guild_id), current)
    if command in COUNTER_COMMANDS or command == "sober":
        prefix = ""
        if command == "sober":
            head, _, rest = current.lstrip().partition(" ")
            if head.casefold() != "remove":
                return []  # a date comes first: nothing to offer
            prefix, current = "remove ", rest
        member = await store.members.find(PLATFORM, user_id)
        if member is None:
            return []
        counters = await store.sobriety.counters(member.id)
        return match_names((c.name for c in counters), current, prefix)
    return []


async def _meetings(store: Store, user_id: str, guild_id: str | None) -> list[MeetingRow]:
    if guild_id is not None:
        community = await store.communities.find(PLATFORM, guild_id)
        ids = [community.id] if community is not None else []
    else:
        member = await store.members.find(PLATFORM, user_id)
        ids = [c.id for c in await store.communities.of_member(member.id)] if member else []
    return await store.meetings.of_communities(ids) if ids else []
