"""Family and friends, the pure part: one-time invitation codes (only their hash is stored),
the packaged family resources (`bot/data/family_resources.csv`, each row with its source and
check month, uncertain rows marked unverified), and what a supporter's daily look finds:
milestones reached today, and a gap in check-ins long enough for a gentle heads-up."""

from __future__ import annotations

import csv
import hashlib
import io
import secrets
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from functools import cache
from importlib import resources

from bot.kernel.i18n import Translator
from bot.sobriety.milestones import Milestone, milestones_between

# No 0/O, 1/I/L: a code read aloud or copied by hand still works.
ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
CODE_LENGTH = 8
INTERNATIONAL = "INTL"


# -- invitation codes ---------------------------------------------------------------------------


def new_code() -> str:
    """A fresh code such as 'K7QM-3XRT' (about 40 bits: with an expiry, ample)."""
    raw = "".join(secrets.choice(ALPHABET) for _ in range(CODE_LENGTH))
    return f"{raw[:4]}-{raw[4:]}"


def normalize_code(text: str) -> str | None:
    """What a person typed or pasted ('k7qm 3xrt', 'K7QM-3XRT') as the bare code, or None
    when it cannot be one."""
    cleaned = "".join(ch for ch in text.upper() if ch.isalnum())
    if len(cleaned) != CODE_LENGTH or any(ch not in ALPHABET for ch in cleaned):
        return None
    return cleaned


def code_hash(code: str) -> str:
    """What is stored: the code itself never is (a database copy can't be used to join)."""
    bare = normalize_code(code)
    if bare is None:
        raise ValueError("not an invitation code")
    return hashlib.sha256(f"harbor-supporter:{bare}".encode()).hexdigest()


# -- the daily look -----------------------------------------------------------------------------


def milestones_on(start: date, day: date) -> list[Milestone]:
    """Milestones a counter started on `start` reaches on `day`."""
    return [m for m, _ in milestones_between(start, day, day)]


def days_missed(last_checkin: date | None, today: date) -> int:
    """Whole days without a check-in before today (today may still come)."""
    if last_checkin is None:
        return 0
    return max((today - last_checkin).days - 1, 0)


# -- family resources ---------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class FamilyResource:
    country: str  # ISO code, or INTERNATIONAL
    country_name: str
    name: str
    kind: str
    for_whom: str
    contact_type: str
    contact: str
    hours: str
    languages: tuple[str, ...]
    notes: str
    source: str
    checked: str  # "YYYY-MM"
    unverified: bool


def _row(raw: dict[str, str]) -> FamilyResource:
    return FamilyResource(
        country=raw["country_iso2"].strip().upper(),
        country_name=raw["country"].strip(),
        name=raw["name"].strip(),
        kind=raw["kind"].strip(),
        for_whom=raw["for_whom"].strip(),
        contact_type=raw["contact_type"].strip(),
        contact=raw["contact"].strip(),
        hours=raw["hours"].strip(),
        languages=tuple(raw["languages"].split()),
        notes=raw["notes"].strip(),
        source=raw["source"].strip(),
        checked=raw["checked"].strip(),
        unverified=raw["unverified"].strip().lower() in ("true", "1", "yes"),
    )


def parse_family_resources(text: str) -> list[FamilyResource]:
    rows = [_row(r) for r in csv.DictReader(io.StringIO(text))]
    for r in rows:
        if not (r.name and r.contact and r.source and len(r.checked) == 7):
            raise ValueError(f"family resource {r.name!r} lacks a contact, source or check month")
    return rows


@cache
def family_resources() -> tuple[FamilyResource, ...]:
    raw = resources.files("bot").joinpath("data/family_resources.csv").read_text("utf-8")
    return tuple(parse_family_resources(raw))


def for_country(
    country: str | None, rows: Iterable[FamilyResource] | None = None
) -> tuple[list[FamilyResource], list[FamilyResource]]:
    """(the country's own resources, the international ones)."""
    every = list(family_resources() if rows is None else rows)
    code = (country or "").upper()
    own = [r for r in every if code and r.country == code]
    return own, [r for r in every if r.country == INTERNATIONAL]


def countries(rows: Sequence[FamilyResource] | None = None) -> list[str]:
    every = family_resources() if rows is None else rows
    return sorted({r.country for r in every if r.country != INTERNATIONAL})


def _resource_line(tr: Translator, r: FamilyResource) -> str:
    flag = " " + tr("supporters.unverified") if r.unverified else ""
    hours = f" ({r.hours})" if r.hours else ""
    line = f"• {r.name}: {r.contact}{hours}{flag}\n  {r.for_whom}."
    return line + (f" {r.notes}" if r.notes else "")


def family_text(tr: Translator, country: str | None) -> str:
    """Support for the supporter themselves, from the packaged data: their country's
    resources first, then those that help anywhere, with the month they were checked."""
    own, everywhere = for_country(country)
    parts = []
    if own:
        parts.append(tr("supporters.family_country", country=own[0].country_name))
        parts.extend(_resource_line(tr, r) for r in own)
    parts.append(tr("supporters.family_everywhere"))
    parts.extend(_resource_line(tr, r) for r in everywhere)
    checked = max(r.checked for r in (*own, *everywhere))
    footer = tr("supporters.family_checked", month=checked)
    if not own:
        footer += "\n" + tr("supporters.family_countries", countries=", ".join(countries()))
    return "\n".join([tr("supporters.family_header"), *parts, "", footer])
