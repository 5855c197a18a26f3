"""'/meetings now': online meetings starting within the hour or started under 15 minutes ago,
right across DST changes in both hemispheres, for feeds with and without a time zone, in the
member's language."""

from __future__ import annotations

import dataclasses
import datetime as dt
import itertools
from pathlib import Path
from typing import Any

import pytest

from bot.meetings.feed_meeting import FeedMeeting, parse_guide_feed
from bot.meetings.model import MeetingSpec
from bot.meetings.now import NowHit, NowIndex, build_now_index, meetings_now
from bot.meetings.occurrences import next_occurrence, occurrences

FEEDS = Path(__file__).parent / "data" / "feeds"
UTC = dt.UTC
GRACE = dt.timedelta(minutes=15)
AHEAD = dt.timedelta(minutes=60)


def at(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> dt.datetime:
    return dt.datetime(year, month, day, hour, minute, tzinfo=UTC)


def online(default_tz: str = "America/New_York") -> list[FeedMeeting]:
    return parse_guide_feed((FEEDS / "online.json").read_bytes(), default_tz).meetings


@pytest.fixture(scope="module")
def index() -> NowIndex:
    return build_now_index(online(), untagged_language="en")


def starts(hits: list[NowHit]) -> dict[str, dt.datetime]:
    return {key(h): h.start_utc for h in hits}


def key(hit: NowHit) -> str:
    m = hit.meeting
    return m.source_key if isinstance(m, FeedMeeting) else m.slug or m.name


# --- DST, spring ---------------------------------------------------------------------------


def test_us_spring_forward_gap_time_in_the_default_zone(index: NowIndex) -> None:
    # 02:30 on 14 March 2027 does not exist in New York: like the reminders, it is 03:30 EDT.
    now = at(2027, 3, 14, 7, 0)
    got = starts(meetings_now(index, now))
    assert got["spring-gap-insomniacs"] == at(2027, 3, 14, 7, 30)
    spec = next(m.spec for m in online() if m.source_key == "spring-gap-insomniacs")
    occ = next_occurrence(spec, now)
    assert occ is not None and occ.start_utc == got["spring-gap-insomniacs"]
    # The Sunday before, 02:30 EST is also 07:30 UTC.
    assert starts(meetings_now(index, at(2027, 3, 7, 7, 0)))["spring-gap-insomniacs"] == at(
        2027, 3, 7, 7, 30
    )


def test_us_spring_forward_moves_an_evening_meeting_one_hour_earlier_in_utc(
    index: NowIndex,
) -> None:
    assert starts(meetings_now(index, at(2027, 3, 13, 23, 30)))["eastern-evening-speaker"] == at(
        2027, 3, 14, 0, 0
    )  # 19:00 EST
    assert starts(meetings_now(index, at(2027, 3, 14, 22, 30)))["eastern-evening-speaker"] == at(
        2027, 3, 14, 23, 0
    )  # 19:00 EDT


def test_europe_spring(index: NowIndex) -> None:
    assert starts(meetings_now(index, at(2027, 3, 27, 12, 0)))["london-lunchtime"] == at(
        2027, 3, 27, 12, 30
    )  # GMT
    assert starts(meetings_now(index, at(2027, 3, 28, 11, 0)))["london-lunchtime"] == at(
        2027, 3, 28, 11, 30
    )  # BST


def test_southern_spring_sydney(index: NowIndex) -> None:
    # DST starts in Sydney on 4 October 2026.
    assert starts(meetings_now(index, at(2026, 10, 2, 20, 30)))["sydney-sunrise"] == at(
        2026, 10, 2, 21, 0
    )  # 07:00 AEST
    assert starts(meetings_now(index, at(2026, 10, 3, 19, 30)))["sydney-sunrise"] == at(
        2026, 10, 3, 20, 0
    )  # 07:00 AEDT


# --- DST, autumn ---------------------------------------------------------------------------


def test_us_fall_back_ambiguous_time_is_the_first_pass_only(index: NowIndex) -> None:
    # 01:30 on 1 November 2026 happens twice in New York; the meeting is the first (EDT).
    assert starts(meetings_now(index, at(2026, 11, 1, 5, 20)))["fall-back-night-owls"] == at(
        2026, 11, 1, 5, 30
    )
    # At 01:20 EST (the second pass) it is 50 minutes in: not listed again.
    assert "fall-back-night-owls" not in starts(meetings_now(index, at(2026, 11, 1, 6, 20)))


def test_us_fall_back_in_a_feed_without_a_zone(index: NowIndex) -> None:
    # "Night Owls Eastern" has no timezone: the default zone, America/New_York.
    assert starts(meetings_now(index, at(2026, 11, 1, 3, 0)))["night-owls-eastern"] == at(
        2026, 11, 1, 3, 30
    )  # Sat 23:30 EDT
    assert starts(meetings_now(index, at(2026, 11, 2, 4, 0)))["night-owls-eastern"] == at(
        2026, 11, 2, 4, 30
    )  # Sun 23:30 EST


def test_europe_autumn(index: NowIndex) -> None:
    assert starts(meetings_now(index, at(2026, 10, 24, 11, 0)))["london-lunchtime"] == at(
        2026, 10, 24, 11, 30
    )
    assert starts(meetings_now(index, at(2026, 10, 25, 12, 0)))["london-lunchtime"] == at(
        2026, 10, 25, 12, 30
    )


def test_southern_autumn_sydney_and_lord_howe_half_hour(index: NowIndex) -> None:
    # DST ends on 4 April 2027 in Sydney (1 h) and on Lord Howe Island (30 min).
    assert starts(meetings_now(index, at(2027, 4, 2, 19, 30)))["sydney-sunrise"] == at(
        2027, 4, 2, 20, 0
    )
    assert starts(meetings_now(index, at(2027, 4, 3, 20, 30)))["sydney-sunrise"] == at(
        2027, 4, 3, 21, 0
    )
    assert starts(meetings_now(index, at(2027, 3, 27, 21, 30)))["lord-howe-half-hour"] == at(
        2027, 3, 27, 22, 0
    )  # 09:00 +11
    assert starts(meetings_now(index, at(2027, 4, 3, 22, 0)))["lord-howe-half-hour"] == at(
        2027, 4, 3, 22, 30
    )  # 09:00 +10:30


def test_the_default_zone_is_the_callers() -> None:
    london = build_now_index(online("Europe/London"))
    # In London 02:30 on 28 March 2027 exists (the gap is 01:00-02:00): 02:30 BST.
    assert starts(meetings_now(london, at(2027, 3, 28, 1, 0)))["spring-gap-insomniacs"] == at(
        2027, 3, 28, 1, 30
    )
    # Stated zones do not follow the default.
    assert starts(meetings_now(london, at(2027, 3, 28, 11, 0)))["london-lunchtime"] == at(
        2027, 3, 28, 11, 30
    )


# --- language ------------------------------------------------------------------------------

EVENING = at(2026, 12, 2, 1, 50)  # Tuesday 19:50 in Mexico City


def test_language_filter(index: NowIndex) -> None:
    everything = meetings_now(index, EVENING)
    spanish = meetings_now(index, EVENING, language="es")
    english = meetings_now(index, EVENING, language="en")
    assert "grupo-en-linea-esperanza" in starts(spanish)
    assert spanish and all("S" in _spec(h).types for h in spanish)
    assert english and not set(starts(english)) & set(starts(spanish))
    assert set(starts(spanish)) | set(starts(english)) <= set(starts(everything))
    assert "phone-only-lifeline" in starts(english)  # untagged: the feed's language
    assert meetings_now(index, EVENING, language="fr") == []


def test_untagged_meetings_without_a_default_language_show_only_unfiltered() -> None:
    strict = build_now_index(online())
    at_mumbai_morning = at(2026, 12, 2, 1, 20)  # 06:50 in Kolkata
    english = starts(meetings_now(strict, at_mumbai_morning, language="en"))
    assert set(english) == {"mumbai-morning"}  # tagged EN
    assert "night-owls-eastern" in starts(meetings_now(strict, at(2026, 12, 2, 4, 0)))


# --- the window ----------------------------------------------------------------------------

NOW = at(2026, 12, 2, 12, 0)  # a Wednesday


def spec(name: str, hh: int, mm: int, **kw: Any) -> MeetingSpec:
    """A Wednesday online meeting in UTC unless told otherwise."""
    base = MeetingSpec(
        name=name,
        weekdays=(2,),
        start=dt.time(hh, mm),
        tz="UTC",
        url="https://zoom.example/j/1",
        slug=name,
    )
    return dataclasses.replace(base, **kw)


def test_window_edges_and_in_progress() -> None:
    index = build_now_index(
        [
            spec("16-min-ago", 11, 44),
            spec("15-min-ago", 11, 45),
            spec("14-min-ago", 11, 46),
            spec("ended", 11, 50, duration_min=5),
            spec("now", 12, 0),
            spec("b-in-an-hour", 13, 0),
            spec("a-in-an-hour", 13, 0),
            spec("61-min", 13, 1),
            spec("cancelled", 12, 30, skipped=frozenset({dt.date(2026, 12, 2)})),
            spec("in-person", 12, 10, url=None, address="1 Main St"),
        ]
    )
    hits = meetings_now(index, NOW)
    assert [(key(h), h.in_progress) for h in hits] == [
        ("14-min-ago", True),
        ("now", True),
        ("a-in-an-hour", False),  # same start: by name
        ("b-in-an-hour", False),
    ]
    assert all(h.start_utc.tzinfo is UTC for h in hits)
    assert hits[0].end_utc == at(2026, 12, 2, 12, 46)


def test_window_and_grace_are_parameters() -> None:
    index = build_now_index([spec("in-2h", 14, 0), spec("30-min-ago", 11, 30)])
    assert meetings_now(index, NOW) == []
    wide = meetings_now(index, NOW, ahead=dt.timedelta(hours=2), grace=dt.timedelta(minutes=45))
    assert [key(h) for h in wide] == ["30-min-ago", "in-2h"]


def test_window_crosses_the_end_of_the_week() -> None:
    monday = spec("monday-0015", 0, 15, weekdays=(0,))
    hits = meetings_now(build_now_index([monday]), at(2026, 12, 6, 23, 30))  # a Sunday
    assert [h.start_utc for h in hits] == [at(2026, 12, 7, 0, 15)]


def test_in_person_feed_meetings_are_left_out() -> None:
    hybrid_spec = spec("hybrid", 12, 10, address="Hall")
    meetings = [
        FeedMeeting(hybrid_spec, "hybrid", "hybrid"),
        FeedMeeting(spec("room", 12, 20), "room", "in_person"),
    ]
    assert [key(h) for h in meetings_now(build_now_index(meetings), NOW)] == ["hybrid"]


def test_a_zone_tzdata_does_not_know_is_left_out() -> None:
    index = build_now_index([spec("lost", 12, 10, tz="Mars/Olympus_Mons"), spec("ok", 12, 20)])
    assert [key(h) for h in meetings_now(index, NOW)] == ["ok"]


def test_naive_now_is_refused(index: NowIndex) -> None:
    with pytest.raises(ValueError, match="naive"):
        meetings_now(index, dt.datetime(2026, 12, 2, 12))


# --- against a brute-force reference around every kind of transition ------------------------

TRANSITIONS = [
    at(2026, 11, 1, 6, 0),  # New York, fall back
    at(2027, 3, 14, 7, 0),  # New York, spring forward
    at(2026, 10, 25, 1, 0),  # Europe, both London and Antarctica/Troll (2 h)
    at(2027, 3, 28, 1, 0),
    at(2026, 10, 3, 16, 0),  # Sydney
    at(2027, 4, 3, 16, 0),
    at(2026, 10, 3, 15, 30),  # Lord Howe (30 min)
    at(2027, 4, 3, 15, 0),
    at(2026, 9, 6, 4, 0),  # Santiago: the change is at midnight
    at(2027, 4, 4, 3, 0),
]
TRICKY_ZONES = [
    "America/New_York",
    "Europe/London",
    "Antarctica/Troll",
    "Australia/Sydney",
    "Australia/Lord_Howe",
    "America/Santiago",
]


def tricky_meetings() -> list[MeetingSpec]:
    """Weekend meetings every half hour through the night, when zones change."""
    out = []
    for tz, (hh, mm) in itertools.product(TRICKY_ZONES, itertools.product(range(5), (0, 30))):
        name = f"{tz}-{hh:02}{mm:02}"
        out.append(spec(name, hh, mm, tz=tz, weekdays=(5, 6), duration_min=45))
    return out


def reference(
    meetings: list[FeedMeeting | MeetingSpec], now: dt.datetime
) -> list[tuple[dt.datetime, str]]:
    lo, hi = now - GRACE, now + AHEAD
    found = []
    for m in meetings:
        s = m.spec if isinstance(m, FeedMeeting) else m
        for occ in occurrences(s, lo, hi + dt.timedelta(microseconds=1)):
            if lo < occ.start_utc and occ.end_utc > now:
                found.append((occ.start_utc, s.name))
    return sorted(found, key=lambda pair: (pair[0], pair[1].casefold()))


def test_matches_the_occurrence_maths_around_transitions() -> None:
    meetings: list[FeedMeeting | MeetingSpec] = [*online(), *tricky_meetings()]
    index = build_now_index(meetings)
    checked = 0
    for moment in TRANSITIONS:
        for step in range(-16, 17):  # every 15 minutes, 4 hours either side
            now = moment + dt.timedelta(minutes=15 * step)
            got = [(h.start_utc, _name(h)) for h in meetings_now(index, now)]
            assert got == reference(meetings, now), now
            checked += len(got)
    assert checked > 500  # the windows were not empty


def _spec(hit: NowHit) -> MeetingSpec:
    m = hit.meeting
    return m.spec if isinstance(m, FeedMeeting) else m


def _name(hit: NowHit) -> str:
    return _spec(hit).name
