from __future__ import annotations

from datetime import date, time, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.common.dates import ClockInputError, DateInputError, InputError, parse_clock, parse_start

TODAY = date(2026, 3, 20)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2026-03-14", (date(2026, 3, 14), None)),
        ("2026-03-14 18:30", (date(2026, 3, 14), time(18, 30))),
        ("2026-03-14T18:30", (date(2026, 3, 14), time(18, 30))),
        ("2026/3/14", (date(2026, 3, 14), None)),
        ("today", (TODAY, None)),
        ("  Yesterday ", (date(2026, 3, 19), None)),
        ("yesterday at 9pm", (date(2026, 3, 19), time(21))),
        ("14 March", (date(2026, 3, 14), None)),
        ("March 14", (date(2026, 3, 14), None)),
        ("march 14th, 2025", (date(2025, 3, 14), None)),
        ("14th of March", (date(2026, 3, 14), None)),
        ("14 Mar 2025", (date(2025, 3, 14), None)),  # "2025" is a year, not 20:25
        ("14 Mar 2025 20:25", (date(2025, 3, 14), time(20, 25))),
        ("Sept. 3", (date(2025, 9, 3), None)),  # most recent 3 September
        ("14.03.2026", (date(2026, 3, 14), None)),
        ("14.03.", (date(2026, 3, 14), None)),
        ("14-03-2026", (date(2026, 3, 14), None)),
        ("14. März", (date(2026, 3, 14), None)),
        ("gestern", (date(2026, 3, 19), None)),
        ("14 de marzo de 2025", (date(2025, 3, 14), None)),
        ("1 août", (date(2025, 8, 1), None)),
        ("3/14/2026", (date(2026, 3, 14), None)),
        ("3/14/26", (date(2026, 3, 14), None)),
        ("3/14/99", (date(1999, 3, 14), None)),
        ("20 March", (TODAY, None)),  # today is not in the future
        ("21 March", (date(2025, 3, 21), None)),  # tomorrow's date means last year's
    ],
)
def test_parse_start_us(text: str, expected: tuple[date, time | None]) -> None:
    assert parse_start(text, TODAY) == expected


@pytest.mark.parametrize(
    ("text", "locale", "expected"),
    [
        ("3/2/2026", "en_US", date(2026, 3, 2)),
        ("3/2/2026", "en_GB", date(2026, 2, 3)),
        ("3/2/2026", "de_DE", date(2026, 2, 3)),
        ("3/2/2026", "fr", date(2026, 2, 3)),
        ("3/2/2026", "es-US", date(2026, 3, 2)),
        ("14/3/2026", "en_US", date(2026, 3, 14)),  # only one reading is a date
        ("3/14/2026", "en_GB", date(2026, 3, 14)),
        ("12/11", "en_US", date(2025, 12, 11)),
        ("12/11", "en_GB", date(2025, 11, 12)),
        ("14.03.2026", "en_US", date(2026, 3, 14)),  # dots are always day first
    ],
)
def test_parse_start_locale_order(text: str, locale: str, expected: date) -> None:
    assert parse_start(text, TODAY, locale) == (expected, None)


def test_feb_29_without_year_is_most_recent_leap_day() -> None:
    assert parse_start("29 Feb", TODAY) == (date(2024, 2, 29), None)
    assert parse_start("29 Feb", date(2024, 2, 28)) == (date(2020, 2, 29), None)
    assert parse_start("Feb 29", date(1904, 3, 1)) == (date(1904, 2, 29), None)


@pytest.mark.parametrize(
    ("text", "key"),
    [
        ("2026-03-21", "date.future"),
        ("3/21/2026", "date.future"),
        ("tomorrow", "date.unknown_format"),
        ("1899-12-31", "date.too_old"),
        ("31/12/1899", "date.too_old"),
        ("2026-02-30", "date.impossible"),
        ("2025-02-29", "date.impossible"),
        ("2026-13-01", "date.impossible"),
        ("30 February", "date.impossible"),
        ("31/04/2025", "date.impossible"),
        ("2/30/2026", "date.impossible"),
        ("13/13/2025", "date.impossible"),
        ("0/5/2025", "date.impossible"),
        ("32 March", "date.impossible"),
        ("2026-03-14 25:00", "time.invalid"),
        ("yesterday 7:75", "time.invalid"),
        ("", "date.unknown_format"),
        ("last spring", "date.unknown_format"),
        ("14 Smarch", "date.unknown_format"),
        ("20260314", "date.unknown_format"),
        ("a while ago", "date.unknown_format"),
    ],
)
def test_parse_start_errors(text: str, key: str) -> None:
    with pytest.raises(DateInputError) as err:
        parse_start(text, TODAY)
    assert err.value.key == key
    assert isinstance(err.value, ValueError)


def test_time_later_today_is_future() -> None:
    now = time(12, 0)
    assert parse_start("today 11:59", TODAY, now_local_time=now) == (TODAY, time(11, 59))
    assert parse_start("today 12:00", TODAY, now_local_time=now) == (TODAY, time(12, 0))
    with pytest.raises(DateInputError) as err:
        parse_start("today 18:30", TODAY, now_local_time=now)
    assert err.value.key == "date.future"
    with pytest.raises(DateInputError):
        parse_start("20 March 6pm", TODAY, now_local_time=now)
    # Without the current time the clock can't be checked; yesterday is never future.
    assert parse_start("today 18:30", TODAY) == (TODAY, time(18, 30))
    assert parse_start("yesterday 23:59", TODAY, now_local_time=time(0, 1))[1] == time(23, 59)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("20:30", time(20, 30)),
        ("7:05", time(7, 5)),
        ("7pm", time(19)),
        ("7 PM", time(19)),
        ("7:30 pm", time(19, 30)),
        ("7.30 a.m.", time(7, 30)),
        ("19.30", time(19, 30)),
        ("19h30", time(19, 30)),
        ("0730", time(7, 30)),
        ("730", time(7, 30)),
        ("2359", time(23, 59)),
        ("00:00", time(0)),
        ("12am", time(0)),
        ("12pm", time(12)),
        ("12:15 am", time(0, 15)),
        ("noon", time(12)),
        ("Midnight", time(0)),
    ],
)
def test_parse_clock(text: str, expected: time) -> None:
    assert parse_clock(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "25:00",
        "7:75",
        "24:00",
        "2400",
        "13pm",
        "0am",
        "7",
        "19",
        "7:5",
        "",
        "soon",
        "-1:00",
        "12345",
    ],
)
def test_parse_clock_rejects(text: str) -> None:
    with pytest.raises(ClockInputError) as err:
        parse_clock(text)
    assert err.value.key == "time.invalid"
    assert isinstance(err.value, InputError)


@given(st.times())
def test_clock_round_trips_24h_and_12h(t: time) -> None:
    whole = t.replace(second=0, microsecond=0)
    assert parse_clock(f"{whole:%H:%M}") == whole
    assert parse_clock(f"{whole:%I:%M %p}") == whole
    assert parse_clock(f"{whole:%H%M}") == whole


@given(st.dates(date(1900, 1, 1), date(2100, 1, 1)), st.integers(0, 3))
def test_iso_dates_round_trip(today: date, back_days: int) -> None:
    d = max(today - timedelta(days=back_days), date(1900, 1, 1))
    assert parse_start(d.isoformat(), today) == (d, None)
    assert parse_start(f"{d:%d.%m.%Y}", today) == (d, None)
    assert parse_start(f"{d.day} {d:%B %Y}", today) == (d, None)


@given(st.dates(date(1901, 1, 1), date(2100, 1, 1)), st.dates(date(1901, 1, 1), date(2100, 1, 1)))
def test_yearless_is_most_recent_not_future(today: date, d: date) -> None:
    result, _ = parse_start(f"{d.day} {d:%B}", today)
    assert result <= today
    assert (result.month, result.day) == (d.month, d.day)
    try:
        later = result.replace(year=result.year + 1)
    except ValueError:  # Feb 29
        return
    assert later > today
