"""Community resources, the pure part: the categories, what an entry may hold, when an
entry is due for a check, searching by area or words, and the CSV the operator imports and
exports (safe to open in a spreadsheet: a cell that would run as a formula is quoted)."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

from bot.common.dates import InputError
from storage.resources_base import ResourceRow

# Category keys (stored) and the words members and moderators may type for them.
CATEGORIES: dict[str, tuple[str, ...]] = {
    "housing": ("housing", "house", "shelter", "home", "homes", "accommodation"),
    "work": ("work", "job", "jobs", "employment", "training"),
    "treatment": ("treatment", "rehab", "detox", "clinic", "clinics", "counselling"),
    "harm_reduction": ("harm_reduction", "harm-reduction", "harm", "naloxone", "needle"),
    "sober_events": ("sober_events", "sober-events", "events", "social", "sober"),
    "recovery_cafes": ("recovery_cafes", "recovery-cafes", "cafe", "cafes", "café", "cafés"),
    "faith": ("faith", "faith-based", "faith_based", "church", "spiritual"),
    "legal": ("legal", "law", "lawyer", "advice", "court"),
    "food": ("food", "meals", "meal", "foodbank", "food-bank", "pantry"),
    "family": ("family", "families", "friends"),
}
FIELDS = ("category", "name", "contact", "area", "hours", "languages")
LIMITS = {"name": 80, "contact": 200, "area": 80, "hours": 80, "languages": 60}
CSV_COLUMNS = ("category", "name", "contact", "area", "hours", "languages", "checked_on")
_FORMULA = ("=", "+", "-", "@", "\t", "\r")
MAX_IMPORT_ROWS = 2000


def category_words() -> str:
    """The categories as members type them: 'housing, work, …, harm-reduction, …'."""
    return ", ".join(words[0].replace("_", "-") for words in CATEGORIES.values())


def parse_category(text: str) -> str | None:
    word = text.strip().casefold()
    return next((key for key, words in CATEGORIES.items() if word in words), None)


def category(text: str, data: Mapping[str, Any] | None = None) -> str:
    """For the guided add: a category key, or InputError('resources.bad_category')."""
    key = parse_category(text)
    if key is None:
        raise InputError("resources.bad_category", text)
    return key


def field_value(name: str, text: str) -> str:
    """A checked field value; InputError for an empty required one or an over-long one."""
    value = " ".join(text.split())
    if name == "category":
        return category(value)
    if name in ("name", "contact") and not value:
        raise InputError(f"resources.missing_{name}", text)
    if len(value) > LIMITS[name]:
        raise InputError("resources.too_long", text)
    return value


def checker(name: str) -> Any:
    """A guided-form parser for one field."""

    def parse(text: str, data: Mapping[str, Any]) -> str:
        return field_value(name, text)

    return parse


def review_at(checked_on: date, review_days: int) -> int:
    """When an entry checked on `checked_on` goes back to moderators."""
    at = datetime.combine(checked_on + timedelta(days=review_days), datetime.min.time(), UTC)
    return int(at.timestamp())


def is_old(row: ResourceRow, today: date, review_days: int) -> bool:
    return (today - date.fromisoformat(row.checked_on)).days >= review_days


def near(rows: Iterable[ResourceRow], area: str) -> list[ResourceRow]:
    """Entries whose area (or name) mentions `area`, ignoring case and accents' case."""
    wanted = " ".join(area.split()).casefold()
    return [
        r for r in rows if wanted and (wanted in r.area.casefold() or wanted in r.name.casefold())
    ]


# -- CSV ------------------------------------------------------------------------------------------


class ResourceCsvError(ValueError):
    """A file that can't be read as a resources CSV: nothing is imported."""


@dataclass(frozen=True, slots=True)
class ImportRow:
    values: dict[str, str]  # every CSV column
    checked_on: date


def _safe(cell: str) -> str:
    return "'" + cell if cell.startswith(_FORMULA) else cell


def _unsafe(cell: str) -> str:
    return cell[1:] if cell.startswith("'") and cell[1:].startswith(_FORMULA) else cell


def export_csv(rows: Sequence[ResourceRow]) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    for r in rows:
        writer.writerow(
            [_safe(str(v)) for v in (r.category, r.name, r.contact, r.area, r.hours, r.languages)]
            + [r.checked_on]
        )
    return out.getvalue().encode("utf-8")


def parse_csv(data: bytes, today: date) -> tuple[list[ImportRow], list[str]]:
    """The rows to import, and a line per row skipped (with its line number and why).
    Raises ResourceCsvError when the file as a whole is unusable."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise ResourceCsvError("the file is not UTF-8 text") from None
    reader = csv.DictReader(io.StringIO(text))
    missing = [c for c in ("category", "name", "contact") if c not in (reader.fieldnames or [])]
    if missing:
        raise ResourceCsvError(f"the header lacks {', '.join(missing)}")
    rows: list[ImportRow] = []
    skipped: list[str] = []
    seen: set[tuple[str, str]] = set()
    for line, raw in enumerate(reader, start=2):
        if len(rows) + len(skipped) >= MAX_IMPORT_ROWS:
            raise ResourceCsvError(f"more than {MAX_IMPORT_ROWS} rows")
        try:
            values = {name: field_value(name, _unsafe(str(raw.get(name) or ""))) for name in FIELDS}
            checked_text = str(raw.get("checked_on") or "").strip()
            checked = date.fromisoformat(checked_text) if checked_text else today
        except InputError as exc:
            skipped.append(f"line {line}: {exc.key.removeprefix('resources.')}")
            continue
        except ValueError:
            skipped.append(f"line {line}: checked_on is not a date (YYYY-MM-DD)")
            continue
        if checked > today:
            skipped.append(f"line {line}: checked_on is in the future")
            continue
        key = (values["category"], values["name"])
        if key in seen:
            skipped.append(f"line {line}: a second '{values['name']}' in {values['category']}")
            continue
        seen.add(key)
        rows.append(ImportRow(values, checked))
    return rows, skipped
