"""Time zones as members type them: an IANA name ("America/Chicago"), a city ("Chicago",
"new york", "NYC"), or an abbreviation ("EST", "GMT", "AEST").

zoneinfo is the source of truth; small data files add city aliases and abbreviations. An
abbreviation becomes a representative zone of its region that follows its daylight saving
time, never a fixed offset: "EST" is New York (an hour off in summer otherwise), "GMT" and
"BST" are London (a Londoner would lose summer time with plain UTC). `resolve_zone` says
when it read an abbreviation, so the reply can name the zone it chose and how to pick
another; some abbreviations are ambiguous (IST: India, Ireland or Israel) and carry the
other zones they may mean.
"""

from __future__ import annotations

import tomllib
import zoneinfo
from dataclasses import dataclass
from datetime import datetime
from functools import cache
from importlib import resources
from typing import Any


@dataclass(frozen=True, slots=True)
class ZoneAnswer:
    name: str  # the IANA zone
    abbreviation: str | None = None  # what the member typed, when it was an abbreviation
    also: tuple[str, ...] = ()  # other zones the abbreviation is often meant for


def _data(name: str) -> dict[str, Any]:
    raw = resources.files("bot").joinpath(f"data/{name}").read_bytes()
    return tomllib.loads(raw.decode("utf-8"))


@cache
def _abbreviations() -> dict[str, ZoneAnswer]:
    names = zoneinfo.available_timezones()
    found: dict[str, ZoneAnswer] = {}
    for abbr, entry in _data("zone_abbreviations.toml")["abbreviations"].items():
        zone = str(entry["zone"])
        also = tuple(str(z) for z in entry.get("also", ()) if z in names)
        if zone in names:
            found[abbr.casefold()] = ZoneAnswer(zone, abbr.upper(), also)
    return found


@cache
def _index() -> dict[str, str]:
    names = zoneinfo.available_timezones()
    index: dict[str, str] = {}
    for name in sorted(names):
        if name.startswith(("Etc/", "SystemV/")) or "/" not in name:
            continue
        city = name.rsplit("/", 1)[1].replace("_", " ").casefold()
        index.setdefault(city, name)
    for name in names:
        if "/" in name:  # legacy names without "/" ("EST", "Japan") come from the data files
            index[name.casefold()] = name
    for legacy, name in _data("zone_abbreviations.toml")["legacy"].items():
        if name in names:
            index[legacy.casefold()] = name
    for alias, name in _data("city_timezones.toml")["aliases"].items():
        if name in names:
            index[alias.casefold()] = name
    return index


def resolve_zone(text: str, *, capitals: bool = False) -> ZoneAnswer | None:
    """What a member typed, as a zone (with the abbreviation it came from, if any), or
    None when it isn't a known zone, city or abbreviation. With `capitals` (free text, not
    a command), an abbreviation counts only in capitals: "EST" is a zone, "eat" a word."""
    key = " ".join(text.strip().replace("_", " ").split()).casefold()
    if not key or len(key) > 64:
        return None
    if key in ("utc", "etc/utc", "coordinated universal time"):
        return ZoneAnswer("UTC")
    if key in _abbreviations() and (not capitals or text.strip().isupper()):
        answer = _abbreviations()[key]
        return ZoneAnswer("UTC") if answer.name == "UTC" else answer
    name = _index().get(key) or _index().get(key.replace(" ", "_"))
    return ZoneAnswer(name) if name else None


def resolve_timezone(text: str) -> str | None:
    """The IANA name for what a member typed, or None when it isn't a known zone or city."""
    found = resolve_zone(text)
    return found.name if found else None


def has_summer_time(zone: str, year: int = 2026) -> bool:
    """Whether the zone's clocks change during the year (daylight saving time)."""
    tz = zoneinfo.ZoneInfo(zone)
    winter = datetime(year, 1, 15, 12, tzinfo=tz).utcoffset()
    summer = datetime(year, 7, 15, 12, tzinfo=tz).utcoffset()
    return winter != summer
