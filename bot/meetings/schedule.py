"""Decoded schedules, kept in memory under tokens the store changes with every write.

A community's meetings (made by hand, imported, or synced from a source of 10,000) are
decoded and indexed once per change, not once per `/meetings`: the store hands out a token
per community (`generations`) and per source (`version`) that changes whenever what they
hold does, and the cache is keyed by it. The tokens are random, so two databases (tests, a
CLI beside the bot) can never share an entry by accident. The cache is bounded by the
number of meetings it holds (LRU).
"""

from __future__ import annotations

import asyncio
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from bot.meetings.feed_meeting import FeedMeeting, from_stored
from bot.meetings.now import AHEAD, GRACE, NowHit, NowIndex, build_now_index, meetings_now
from bot.meetings.occurrences import next_occurrence
from storage.base import Store
from storage.meetings_base import MeetingRow, SourceRow

CACHE_MEETINGS = 40_000  # meetings held decoded (~2-3 KB each), over every cached schedule
LISTING_GRACE = timedelta(hours=24)  # a meeting in progress is listed (durations <= 24 h)
LISTING_WINDOWS = (timedelta(days=1), timedelta(days=8))
EXACT_MAX = 1_000  # up to this many meetings, one further away than a week is still listed


@dataclass
class Schedule:
    """One community's meetings (with their rows), or one online source's."""

    meetings: list[FeedMeeting]
    untagged: str | None  # the language of meetings that state none
    rows: dict[int, MeetingRow] = field(default_factory=dict)  # id(meeting) -> its row
    _all: NowIndex | None = None
    _online: NowIndex | None = None

    def row_of(self, meeting: object) -> MeetingRow | None:
        return self.rows.get(id(meeting))

    async def all_index(self) -> NowIndex:
        if self._all is None:
            self._all = await asyncio.to_thread(
                build_now_index, self.meetings, self.untagged, False
            )
        return self._all

    async def online_index(self) -> NowIndex:
        if self._online is None:
            self._online = await asyncio.to_thread(
                build_now_index, self.meetings, self.untagged, True
            )
        return self._online


class _Cache:
    def __init__(self, limit: int = CACHE_MEETINGS) -> None:
        self.limit = limit
        self.entries: OrderedDict[str, Schedule] = OrderedDict()
        self.size = 0

    def get(self, key: str) -> Schedule | None:
        found = self.entries.get(key)
        if found is not None:
            self.entries.move_to_end(key)
        return found

    def put(self, key: str, schedule: Schedule) -> None:
        old = self.entries.pop(key, None)
        if old is not None:
            self.size -= len(old.meetings)
        self.entries[key] = schedule
        self.size += len(schedule.meetings)
        while self.size > self.limit and len(self.entries) > 1:
            _, gone = self.entries.popitem(last=False)
            self.size -= len(gone.meetings)

    def clear(self) -> None:
        self.entries.clear()
        self.size = 0


CACHE = _Cache()


def _decode(rows: Sequence[MeetingRow], untagged: str | None) -> Schedule:
    schedule = Schedule([], untagged)
    for row in rows:
        meeting = from_stored(row.spec)
        schedule.meetings.append(meeting)
        schedule.rows[id(meeting)] = row
    return schedule


async def community_schedule(store: Store, community_id: int, untagged: str | None) -> Schedule:
    token = (await store.meetings.generations([community_id])).get(community_id)
    key = f"c:{token}:{untagged}"
    found = CACHE.get(key) if token else None
    if found is not None:
        return found
    rows = await store.meetings.of_communities([community_id])
    schedule = await asyncio.to_thread(_decode, rows, untagged)
    if token:  # meetings written before tokens existed: not cached until the next change
        CACHE.put(key, schedule)
    return schedule


async def source_schedule(store: Store, source: SourceRow, untagged: str | None) -> Schedule:
    """An online source's meetings (the installation's feed, a community's online feed)."""
    key = f"s:{source.version}:{untagged}"
    found = CACHE.get(key)
    if found is not None:
        return found
    specs = await store.meetings.online_specs(source.id)
    schedule = Schedule(await asyncio.to_thread(lambda: [from_stored(s) for s in specs]), untagged)
    CACHE.put(key, schedule)
    return schedule


def upcoming(index: NowIndex, now: datetime, limit: int) -> list[NowHit]:
    """The next occurrence of each meeting (in progress included), soonest first: the first
    day's when that fills `limit`, else the next week's."""
    hits: list[NowHit] = []
    for window in LISTING_WINDOWS:
        hits = _firsts(meetings_now(index, now, None, ahead=window, grace=LISTING_GRACE))
        if len(hits) >= limit:
            break
    return hits


async def schedule_upcoming(schedule: Schedule, now: datetime, limit: int) -> list[NowHit]:
    """upcoming() over a schedule; a small one also gets the meetings whose next date is
    further than a week away (a cancelled week), computed one by one."""
    hits = upcoming(await schedule.all_index(), now, limit)
    if len(hits) < limit and len(schedule.meetings) <= EXACT_MAX:
        seen = {id(h.meeting) for h in hits}
        for meeting in schedule.meetings:
            if id(meeting) in seen:
                continue
            occ = next_occurrence(meeting.spec, now, include_in_progress=True)
            if occ is not None:
                hits.append(NowHit(occ.start_utc, occ.end_utc, meeting, occ.start_utc <= now))
        hits.sort(key=lambda h: (h.start_utc, _spec_name(h)))
    return hits


def _firsts(hits: Sequence[NowHit]) -> list[NowHit]:
    seen: set[int] = set()
    firsts = []
    for hit in hits:
        if id(hit.meeting) not in seen:
            seen.add(id(hit.meeting))
            firsts.append(hit)
    return firsts


def starting_soon(indexes: Sequence[NowIndex], now: datetime, language: str | None) -> list[NowHit]:
    """Online meetings starting within the hour or in progress under 15 minutes, over
    several indexes, soonest first, each meeting once (a feed and a community may both
    list it)."""
    seen: set[tuple[datetime, str]] = set()
    out: list[NowHit] = []
    merged = [h for index in indexes for h in meetings_now(index, now, language, AHEAD, GRACE)]
    merged.sort(key=lambda h: (h.start_utc, _spec_name(h)))
    for hit in merged:
        spec = hit.meeting.spec if isinstance(hit.meeting, FeedMeeting) else hit.meeting
        key = (hit.start_utc, spec.url or spec.phone or spec.name.casefold())
        if key not in seen:
            seen.add(key)
            out.append(hit)
    return out


def _spec_name(hit: NowHit) -> str:
    spec = hit.meeting.spec if isinstance(hit.meeting, FeedMeeting) else hit.meeting
    return spec.name.casefold()
