"""Time zones as members type them: an IANA name ("America/Chicago") or a city ("Chicago",
"new york", "NYC"). zoneinfo is the source of truth; a small data file adds common aliases."""

from __future__ import annotations

import tomllib
import zoneinfo
from functools import cache
from importlib import resources


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
        index[name.casefold()] = name
    raw = resources.files("bot").joinpath("data/city_timezones.toml").read_bytes()
    for alias, name in tomllib.loads(raw.decode("utf-8"))["aliases"].items():
        if name in names:
            index[alias.casefold()] = name
    return index


def resolve_timezone(text: str) -> str | None:
    """The IANA name for what a member typed, or None when it isn't a known zone or city."""
    key = " ".join(text.strip().replace("_", " ").split()).casefold()
    if not key or len(key) > 64:
        return None
    if key in ("utc", "gmt", "etc/utc"):
        return "UTC"
    return _index().get(key) or _index().get(key.replace(" ", "_"))
