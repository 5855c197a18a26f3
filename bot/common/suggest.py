"""Autocomplete, the pure part: match what a member is typing against names, ids and time
zones. A platform shows at most 25 choices of at most 100 characters each; a choice replaces
what was typed, so its value keeps any words before the part being completed ("tz ...")."""

from __future__ import annotations

import zoneinfo
from collections.abc import Iterable
from functools import cache

from bot.common.timezones import resolve_timezone

MAX_CHOICES = 25
ZONE_KEYS = ("tz", "timezone")

Choice = tuple[str, str]  # (label, value)


def clip(choices: Iterable[Choice]) -> list[Choice]:
    return [(label[:100], value[:100]) for label, value in choices][:MAX_CHOICES]


def match_names(names: Iterable[str], current: str, prefix: str = "") -> list[Choice]:
    typed = current.strip().casefold()
    return clip((name, f"{prefix}{name}") for name in names if typed in name.casefold())


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
    return clip((zone, f"{prefix}{zone}") for zone in found)


def zone_choices(current: str) -> list[Choice]:
    """ "tz lond" → Europe/London and friends; nothing when the text is not about a zone."""
    key, _, rest = current.lstrip().partition(" ")
    if key.casefold() in ZONE_KEYS and (rest or current.endswith(" ")):
        return match_zones(rest, f"{key} ")
    return []


async def suggest_zone(ctx: object, current: str) -> list[Choice]:
    """For /settings and /community: `tz ...` completes a time zone."""
    return zone_choices(current)
