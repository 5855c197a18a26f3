from __future__ import annotations

from datetime import date, time

import pytest

from bot.announcements.post import (
    MAX_TEXT,
    Announcement,
    PostKind,
    milestones_this_week,
    parse_announce_add,
    week_of,
)
from bot.announcements.schedule import Frequency, Schedule, ScheduleInputError


def test_text_post() -> None:
    got = parse_announce_add("daily 08:00 | Today's topic: gratitude\nSee you there | really")
    assert got == Announcement(
        Schedule(Frequency.DAILY, time(8)),
        PostKind.TEXT,
        "Today's topic: gratitude\nSee you there | really",  # later bars belong to the text
    )


@pytest.mark.parametrize(
    "body", ["milestones", "  This week's Milestones ", "this week’s milestones"]
)
def test_builtin_weekly_milestones(body: str) -> None:
    got = parse_announce_add(f"weekly mon 09:00 | {body}")
    assert got.kind is PostKind.WEEKLY_MILESTONES and got.text == ""


@pytest.mark.parametrize(
    ("text", "key"),
    [
        ("daily 08:00", "announce.missing_text"),
        ("daily 08:00 |   ", "announce.missing_text"),
        (f"daily 08:00 | {'x' * (MAX_TEXT + 1)}", "announce.text_too_long"),
        ("daily 2am-ish | hello", "announce.bad_time"),
        ("| hello", "announce.bad_schedule"),
    ],
)
def test_errors(text: str, key: str) -> None:
    with pytest.raises(ScheduleInputError) as err:
        parse_announce_add(text)
    assert err.value.key == key


def test_week_of() -> None:
    assert week_of(date(2026, 3, 12)) == (date(2026, 3, 9), date(2026, 3, 15))  # Mon-Sun
    assert week_of(date(2026, 3, 9)) == (date(2026, 3, 9), date(2026, 3, 15))
    assert week_of(date(2026, 3, 15), first_weekday=6) == (date(2026, 3, 15), date(2026, 3, 21))


def test_milestones_this_week() -> None:
    today = date(2028, 2, 28)  # Monday; the week runs to Sunday 5 March
    sharers = [
        ("Sam", date(2027, 8, 29)),  # 6 months: 29 Feb 2028 (a leap day)
        ("ana", date(2028, 1, 30)),  # 30 days: 29 Feb
        ("Bo", date(2027, 2, 28)),  # 1 year: 28 Feb
        ("Cy", date(2028, 2, 20)),  # nothing this week (30 days is 21 March)
        ("Di", date(2028, 3, 4)),  # 24 hours: 5 March
    ]
    got = [(w.name, w.milestone.key, w.due) for w in milestones_this_week(sharers, today)]
    assert got == [
        ("Bo", "1y", date(2028, 2, 28)),
        ("ana", "30d", date(2028, 2, 29)),
        ("Sam", "6m", date(2028, 2, 29)),
        ("Di", "24h", date(2028, 3, 5)),
    ]
    assert milestones_this_week([], today) == []
