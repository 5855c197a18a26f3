"""Helpline directory loaded from data, never composed in code.

Outdated numbers have cost lives, so every row carries its source, the month it was last
checked and whether it is unverified; replies show "(unverified)" and "numbers checked
YYYY-MM" straight from here.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache
from importlib import resources
from pathlib import Path

from babel import Locale

__all__ = ["FALLBACK", "CountryLines", "Helpline", "Helplines"]

FALLBACK = "INTL"
_EMERGENCY = "emergency"


@dataclass(frozen=True, slots=True)
class Helpline:
    country: str
    service: str
    focus: str
    contact_type: str
    dial: str
    hours: str
    notes: str
    source: str
    checked: str  # "YYYY-MM"
    unverified: bool

    @property
    def is_emergency(self) -> bool:
        return self.focus == _EMERGENCY

    @property
    def is_drugs(self) -> bool:
        focus = self.focus.lower()
        return "drug" in focus or "alcohol" in focus


@dataclass(frozen=True, slots=True)
class CountryLines:
    country: str  # ISO2 or "INTL"
    country_name: str
    emergency: tuple[Helpline, ...]
    crisis: tuple[Helpline, ...]
    drugs: tuple[Helpline, ...]

    @property
    def checked(self) -> str:
        """Latest "YYYY-MM" among its rows ("" when it has none)."""
        return max((h.checked for h in (*self.emergency, *self.crisis, *self.drugs)), default="")


def _row(raw: dict[str, str]) -> Helpline:
    return Helpline(
        country=raw["country_iso2"].strip().upper(),
        service=raw["service"].strip(),
        focus=raw["focus"].strip(),
        contact_type=raw["contact_type"].strip(),
        dial=raw["dial_string"].strip(),
        hours=raw["hours"].strip(),
        notes=raw["notes"].strip(),
        source=raw["source"].strip(),
        checked=raw["checked"].strip(),
        unverified=raw["unverified"].strip().lower() in ("true", "1", "yes"),
    )


class Helplines:
    """Immutable directory; `with_overrides` returns a new one."""

    def __init__(self, rows: Iterable[Helpline], names: dict[str, str]) -> None:
        self._rows: tuple[Helpline, ...] = tuple(rows)
        self._names = dict(names)
        by_country: dict[str, list[Helpline]] = {}
        for h in self._rows:
            by_country.setdefault(h.country, []).append(h)
        self._by_country = {
            iso: CountryLines(
                country=iso,
                country_name=self._names.get(iso, iso),
                emergency=tuple(h for h in hs if h.is_emergency),
                crisis=tuple(h for h in hs if not h.is_emergency and not h.is_drugs),
                drugs=tuple(h for h in hs if not h.is_emergency and h.is_drugs),
            )
            for iso, hs in by_country.items()
        }
        if FALLBACK not in self._by_country:
            raise ValueError("helpline data has no INTL fallback rows")

    @classmethod
    def load(cls, path: Path | None = None) -> Helplines:
        """Read a helplines CSV; by default the one packaged in bot/data."""
        if path is None:
            text = resources.files("bot").joinpath("data/helplines.csv").read_text("utf-8")
        else:
            text = path.read_text("utf-8")
        rows: list[Helpline] = []
        names: dict[str, str] = {}
        for raw in csv.DictReader(io.StringIO(text)):
            h = _row(raw)
            if not h.dial:
                continue
            rows.append(h)
            names.setdefault(h.country, raw["country"].strip())
        return cls(rows, names)

    def for_country(self, iso2: str | None) -> CountryLines:
        """Lines for a country; unknown or missing country -> the INTL fallback."""
        key = (iso2 or "").strip().upper()
        return self._by_country.get(key) or self._by_country[FALLBACK]

    def countries(self) -> list[str]:
        """ISO2 codes with their own rows (the INTL fallback excluded)."""
        return sorted(c for c in self._by_country if c != FALLBACK)

    def known(self, iso2: str) -> bool:
        key = iso2.strip().upper()
        return key != FALLBACK and key in self._by_country

    def rows(self) -> tuple[Helpline, ...]:
        return self._rows

    @staticmethod
    def is_country(code: str) -> bool:
        upper = code.strip().upper()
        return len(upper) == 2 and upper != "ZZ" and upper in _territories()

    def has_service(self, country: str, service: str) -> bool:
        wanted = service.strip().casefold()
        lines = self._by_country.get(country.strip().upper())
        if lines is None:
            return False
        return any(
            h.service.casefold() == wanted for h in (*lines.emergency, *lines.crisis, *lines.drugs)
        )

    def with_overrides(self, rows: list[Helpline]) -> Helplines:
        """Community-added lines: a row with the same country and service name replaces
        the packaged one, any other row is added."""
        new = {(h.country.upper(), h.service.casefold()): h for h in rows}
        kept = [h for h in self._rows if (h.country, h.service.casefold()) not in new]
        names = dict(self._names)
        for h in new.values():
            names.setdefault(h.country.upper(), h.country.upper())
        merged = kept + [
            h if h.country == h.country.upper() else _with_country(h, h.country.upper())
            for h in new.values()
        ]
        return Helplines(merged, names)


@cache
def _territories() -> frozenset[str]:
    codes = (str(k) for k in Locale.parse("en").territories)
    return frozenset(k for k in codes if len(k) == 2 and k.isalpha())


def _with_country(h: Helpline, country: str) -> Helpline:
    return Helpline(
        country,
        h.service,
        h.focus,
        h.contact_type,
        h.dial,
        h.hours,
        h.notes,
        h.source,
        h.checked,
        h.unverified,
    )
