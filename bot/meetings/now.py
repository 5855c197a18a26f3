"""'A meeting right now': online meetings starting within the next hour, or started a few
minutes ago, across every time zone, in the member's language.

Build the index once per feed load (`build_now_index`) and query it per request
(`meetings_now`). The index groups weekly start times by zone, as minutes of the local week,
sorted; a query turns its UTC window into each zone's local window and bisects. Wall times are
resolved exactly as occurrences.py does (gap times move forward, ambiguous ones take the first
pass), so "now" and reminders never disagree about when a meeting starts.
"""

from __future__ import annotations

import datetime
from bisect import bisect_left, bisect_right
from collections.abc import Iterable
from dataclasses import dataclass
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from bot.meetings.feed_meeting import FeedMeeting
from bot.meetings.languages import languages_of
from bot.meetings.model import MeetingSpec
from bot.meetings.model import zone as load_zone
from bot.meetings.occurrences import resolve_local

UTC = datetime.UTC
AHEAD = datetime.timedelta(minutes=60)
GRACE = datetime.timedelta(minutes=15)  # still worth joining this long after the start
_DAY = datetime.timedelta(days=1)
# Beyond the largest DST shift in tzdata (2 h, Antarctica/Troll): a probe this far outside the
# window sees any transition that can bend the local window.
_PROBE = datetime.timedelta(hours=2)

Meeting = FeedMeeting | MeetingSpec


@dataclass(frozen=True, slots=True)
class NowHit:
    start_utc: datetime.datetime  # aware UTC; the caller shows it in the member's zone
    end_utc: datetime.datetime
    meeting: Meeting  # as given to build_now_index
    in_progress: bool


@dataclass(frozen=True, slots=True)
class _Entry:
    spec: MeetingSpec
    meeting: Meeting
    languages: frozenset[str]  # empty: matches only unfiltered queries


@dataclass(frozen=True, slots=True)
class _Zone:
    tz: ZoneInfo
    keys: list[int]  # local minute of the week, Monday 00:00 = 0; sorted
    entries: list[_Entry]  # parallel to keys


@dataclass(frozen=True, slots=True)
class NowIndex:
    zones: tuple[_Zone, ...]
    size: int  # weekly slots indexed (a meeting on three days counts three)


def _spec(meeting: Meeting) -> MeetingSpec:
    return meeting.spec if isinstance(meeting, FeedMeeting) else meeting


def is_online(meeting: Meeting) -> bool:
    """A URL or phone to join, and not marked in person by its source."""
    spec = _spec(meeting)
    return spec.online and not (isinstance(meeting, FeedMeeting) and meeting.venue == "in_person")


def build_now_index(
    meetings: Iterable[Meeting], untagged_language: str | None = None, online_only: bool = True
) -> NowIndex:
    """Index the online meetings among `meetings` (see is_online), or every meeting with
    `online_only=False` (a week's listing uses the same index). A meeting states its languages
    by FeedMeeting.languages or by its language types ("S" Spanish…); one that states none is
    taken to be in `untagged_language` (the source's or community's), or, when that is None,
    is shown only without a filter."""
    slots: dict[str, list[tuple[int, _Entry]]] = {}
    for meeting in meetings:
        spec = _spec(meeting)
        if online_only and not is_online(meeting):
            continue
        stated = meeting.languages if isinstance(meeting, FeedMeeting) else ()
        langs = set(stated or languages_of(spec.types))
        if not langs and untagged_language:
            langs.add(untagged_language)
        entry = _Entry(spec, meeting, frozenset(langs))
        minute = spec.start.hour * 60 + spec.start.minute
        bucket = slots.setdefault(spec.tz, [])
        bucket.extend((day * 1440 + minute, entry) for day in spec.weekdays)
    zones: list[_Zone] = []
    size = 0
    for tz_name, bucket in slots.items():
        try:
            tz = load_zone(tz_name)
        except (ZoneInfoNotFoundError, ValueError):
            continue  # a zone tzdata no longer knows: those meetings can't be placed
        bucket.sort(key=lambda pair: pair[0])
        zones.append(_Zone(tz, [k for k, _ in bucket], [e for _, e in bucket]))
        size += len(bucket)
    return NowIndex(tuple(zones), size)


def _local_window(
    zone: _Zone, lo: datetime.datetime, hi: datetime.datetime
) -> tuple[datetime.datetime, datetime.datetime]:
    """Naive local wall times bracketing every wall time that resolves into [lo, hi]."""
    lo_local = lo.astimezone(zone.tz)
    hi_local = hi.astimezone(zone.tz)
    before = (lo - _PROBE).astimezone(zone.tz).utcoffset()
    after = (hi + _PROBE).astimezone(zone.tz).utcoffset()
    # Near a transition the wall clock jumps: a fall-back repeats wall times past hi, and a
    # gap time (02:30 on spring-forward day) resolves to after its own wall time. Widening
    # by the shift covers both; the exact check below drops the extras.
    widen = abs(after - before) if before is not None and after is not None else _PROBE
    return lo_local.replace(tzinfo=None) - widen, hi_local.replace(tzinfo=None) + widen


def meetings_now(
    index: NowIndex,
    now: datetime.datetime,
    language: str | None = None,
    ahead: datetime.timedelta = AHEAD,
    grace: datetime.timedelta = GRACE,
) -> list[NowHit]:
    """Online meetings with `now - grace < start <= now + ahead` that have not ended, sorted
    by start then name. `now` must be aware; `language` is an ISO 639-1 code (None: all).
    Cancelled local dates (spec.skipped) are left out."""
    if now.tzinfo is None or now.utcoffset() is None:
        raise ValueError("naive datetime: pass an aware (preferably UTC) datetime")
    now = now.astimezone(UTC)
    lo, hi = now - grace, now + ahead
    hits: list[NowHit] = []
    for zone in index.zones:
        local_lo, local_hi = _local_window(zone, lo, hi)
        day = local_lo.date()
        while day <= local_hi.date():
            midnight = datetime.datetime.combine(day, datetime.time())
            first = max(local_lo, midnight) - midnight
            last = min(local_hi, midnight + _DAY - datetime.timedelta(minutes=1)) - midnight
            base = day.weekday() * 1440
            start_key = base + int(first.total_seconds() // 60)
            end_key = base + int(last.total_seconds() // 60)
            i = bisect_left(zone.keys, start_key)
            j = bisect_right(zone.keys, end_key)
            for entry in zone.entries[i:j]:
                if language is not None and language not in entry.languages:
                    continue
                spec = entry.spec
                if day in spec.skipped:
                    continue
                start = resolve_local(day, spec.start, zone.tz).astimezone(UTC)
                end = start + datetime.timedelta(minutes=spec.duration_min)
                if lo < start <= hi and end > now:
                    hits.append(NowHit(start, end, entry.meeting, start <= now))
            day += _DAY
    hits.sort(key=lambda h: (h.start_utc, _spec(h.meeting).name.casefold()))
    return hits
