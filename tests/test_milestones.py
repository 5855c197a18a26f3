from __future__ import annotations

import re
import tomllib
from datetime import date, timedelta
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.sobriety.milestones import (
    PROGRAMS,
    Milestone,
    add_months,
    all_milestones_until,
    get_milestone,
    milestone_meaning,
    milestones_between,
    next_milestone,
)

TOML = Path(__file__).parent.parent / "bot" / "data" / "milestones.toml"
FIXED_KEYS = ["24h", "30d", "60d", "90d", "6m", "9m", "1y", "18m"]


def keyed(pairs: list[tuple[Milestone, date]]) -> list[tuple[str, date]]:
    return [(m.key, d) for m, d in pairs]


def test_three_year_counter_exact_dates() -> None:
    # Aug 31 start: month-end clamping, and the 6-month mark lands on a leap day.
    start = date(2023, 8, 31)
    assert keyed(all_milestones_until(start, date(2026, 8, 31))) == [
        ("24h", date(2023, 9, 1)),
        ("30d", date(2023, 9, 30)),
        ("60d", date(2023, 10, 30)),
        ("90d", date(2023, 11, 29)),
        ("6m", date(2024, 2, 29)),
        ("9m", date(2024, 5, 31)),
        ("1y", date(2024, 8, 31)),
        ("18m", date(2025, 2, 28)),
        ("2y", date(2025, 8, 31)),
        ("3y", date(2026, 8, 31)),
    ]


def test_labels() -> None:
    labels = [m.label for m, _ in all_milestones_until(date(2020, 1, 1), date(2023, 1, 1))]
    assert labels == [
        "24 hours", "30 days", "60 days", "90 days", "6 months", "9 months", "1 year",
        "18 months", "2 years", "3 years",
    ]  # fmt: skip


def test_jan_31_start_clamps_to_month_end() -> None:
    assert add_months(date(2025, 1, 31), 1) == date(2025, 2, 28)
    assert add_months(date(2024, 1, 31), 1) == date(2024, 2, 29)
    assert add_months(date(2025, 1, 31), 3) == date(2025, 4, 30)
    start = date(2025, 3, 31)
    assert get_milestone("6m").due_date(start) == date(2025, 9, 30)
    assert get_milestone("9m").due_date(start) == date(2025, 12, 31)  # not chained from Sep 30
    assert get_milestone("18m").due_date(start) == date(2026, 9, 30)


def test_feb_29_start() -> None:
    start = date(2024, 2, 29)
    assert keyed(milestones_between(start, date(2024, 8, 1), date(2028, 12, 31))) == [
        ("6m", date(2024, 8, 29)),
        ("9m", date(2024, 11, 29)),
        ("1y", date(2025, 2, 28)),
        ("18m", date(2025, 8, 29)),
        ("2y", date(2026, 2, 28)),
        ("3y", date(2027, 2, 28)),
        ("4y", date(2028, 2, 29)),  # a leap year again: the real anniversary
    ]
    assert get_milestone("24h").due_date(start) == date(2024, 3, 1)
    assert get_milestone("30d").due_date(start) == date(2024, 3, 30)


def test_day_counts_across_leap_february() -> None:
    assert get_milestone("30d").due_date(date(2024, 2, 1)) == date(2024, 3, 2)
    assert get_milestone("30d").due_date(date(2025, 2, 1)) == date(2025, 3, 3)
    assert get_milestone("90d").due_date(date(2023, 12, 31)) == date(2024, 3, 30)


def test_milestones_between_is_inclusive_and_empty_when_reversed() -> None:
    start = date(2026, 1, 1)
    assert keyed(milestones_between(start, date(2026, 1, 31), date(2026, 3, 2))) == [
        ("30d", date(2026, 1, 31)),
        ("60d", date(2026, 3, 2)),
    ]
    assert milestones_between(start, date(2026, 3, 3), date(2026, 3, 1)) == []
    assert all_milestones_until(start, date(2026, 1, 1)) == []


def test_yearly_milestones_are_unbounded() -> None:
    start = date(1990, 6, 15)
    found = all_milestones_until(start, date(2030, 6, 15))
    assert keyed(found[-2:]) == [("39y", date(2029, 6, 15)), ("40y", date(2030, 6, 15))]
    assert len(found) == 8 + 39


def test_next_milestone_due_today_counts_as_reached() -> None:
    start = date(2026, 1, 1)
    assert keyed([next_milestone(start, date(2026, 1, 1))]) == [("24h", date(2026, 1, 2))]
    assert keyed([next_milestone(start, date(2026, 1, 31))]) == [("60d", date(2026, 3, 2))]
    assert keyed([next_milestone(start, date(2026, 1, 30))]) == [("30d", date(2026, 1, 31))]
    assert keyed([next_milestone(start, date(2036, 1, 1))]) == [("11y", date(2037, 1, 1))]


def test_get_milestone() -> None:
    assert get_milestone("18m") == Milestone("18m", "18 months", months=18)
    assert get_milestone("12y").due_date(date(2000, 2, 29)) == date(2012, 2, 29)
    for bad in ["1y0", "0y", "1.5y", "07y", "y", "31d", ""]:
        with pytest.raises(KeyError):
            get_milestone(bad)
    assert get_milestone("1y").key == "1y"


def test_meanings_cover_every_program_and_milestone() -> None:
    data = tomllib.loads(TOML.read_text(encoding="utf-8"))
    assert set(data) == set(PROGRAMS)
    for program in PROGRAMS:
        assert set(data[program]) == {*FIXED_KEYS, "yearly"}
        for key in FIXED_KEYS:
            assert milestone_meaning(get_milestone(key), program) == data[program][key]


def test_meaning_content() -> None:
    assert "orange" in milestone_meaning(get_milestone("30d"), "NA")
    assert "glow-in-the-dark" in milestone_meaning(get_milestone("1y"), "NA")
    assert "grey" in milestone_meaning(get_milestone("18m"), "NA")
    assert "black" in milestone_meaning(get_milestone("5y"), "NA")
    assert "chip" in milestone_meaning(get_milestone("30d"), "AA")
    assert milestone_meaning(get_milestone("7y"), "general").startswith("7 years")
    with pytest.raises(ValueError):
        milestone_meaning(get_milestone("1y"), "XA")


# Lines must stay short, kind and free of substance names.
_BANNED = re.compile(
    r"\b(alcohol|drink|drunk|sober|drugs?|heroin|cocaine|meth|opioids?|pills?|beer|wine"
    r"|fail\w*|relapse)\b",
    re.IGNORECASE,
)


@pytest.mark.parametrize("program", PROGRAMS)
def test_meanings_are_short_and_neutral(program: str) -> None:
    for m, _ in all_milestones_until(date(2000, 1, 1), date(2005, 1, 1)):
        line = milestone_meaning(m, program)
        assert 10 < len(line) <= 120, line
        assert not _BANNED.search(line), line
        assert "{" not in line
        if program == "SMART":
            assert "chip" not in line and "keytag" not in line


@given(st.dates(date(1900, 1, 1), date(2100, 1, 1)), st.integers(0, 1200))
def test_add_months_properties(d: date, months: int) -> None:
    result = add_months(d, months)
    assert (result.year - d.year) * 12 + result.month - d.month == months
    assert result.day == d.day or (result.day < d.day and (result + timedelta(1)).day == 1)


@given(st.dates(date(1900, 1, 1), date(2100, 1, 1)), st.dates(date(1900, 1, 1), date(2110, 1, 1)))
def test_due_dates_increase_and_next_is_consistent(start: date, today: date) -> None:
    reached = all_milestones_until(start, today)
    dues = [d for _, d in reached]
    assert dues == sorted(set(dues))
    assert all(start < d <= today for d in dues)
    m, due = next_milestone(start, today)
    assert due > today
    assert due > (dues[-1] if dues else start)
    assert milestones_between(start, today + timedelta(1), due) == [(m, due)]
