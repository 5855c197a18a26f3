"""Planning a re-sync: matched by the source's key, so renamed and moved meetings keep their
ids; only changed rows are written; hand-made meetings are never touched; a feed that
suddenly loses most of its meetings is held for moderators."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
from collections.abc import AsyncIterator, Sequence
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from bot.meetings.bmlt import parse_bmlt
from bot.meetings.feed_meeting import FeedMeeting, parse_guide_feed
from bot.meetings.model import MeetingSpec
from bot.meetings.sync import Stored, key_of, plan_sync
from tests.fakes.feed_server import BMLT_SEARCH_PATH, TSML_PATH, FakeFeedServer

FEEDS = Path(__file__).parent / "data" / "feeds"
SRC = "tsml:aa-harborside"


def tsml(payload: bytes | str | None = None) -> list[FeedMeeting]:
    data = payload if payload is not None else (FEEDS / "tsml.json").read_bytes()
    return parse_guide_feed(data, "America/New_York").meetings


def store(meetings: Sequence[FeedMeeting], source: str = SRC, first_id: int = 1) -> list[Stored]:
    return [Stored(first_id + i, source, m.source_key, m) for i, m in enumerate(meetings)]


def hand_made(id_: int, key: str | None) -> Stored:
    spec = MeetingSpec(name="Our own group", weekdays=(1,), start=dt.time(18), address="Hall")
    return Stored(id_, None, key, spec)


def edited_rows() -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = json.loads((FEEDS / "tsml.json").read_bytes())
    by_slug = {r["slug"]: r for r in rows}
    by_slug["sunrise-serenity"]["name"] = "Sunrise Serenity Group"  # renamed
    by_slug["friday-speaker"]["time"] = "19:30"  # moved in time…
    by_slug["friday-speaker"]["formatted_address"] = (
        "220 Bay St, Easton, MD 21601, USA"  # …and place
    )
    rows.remove(by_slug["early-bird"])  # gone
    rows.append({**by_slug["lunch-bunch"], "slug": "evening-bunch", "name": "Evening Bunch"})
    by_slug["womens-big-book"]["updated"] = "2026-11-30 08:00:00"  # touched, not changed
    return rows


def test_resync_renames_moves_removes_and_keeps_ids() -> None:
    before = store(tsml())
    ids = {s.key: s.id for s in before}
    plan = plan_sync(SRC, before, tsml(json.dumps(edited_rows())))

    assert [key_of(m) for m in plan.creates] == ["evening-bunch"]
    assert {(u.key, u.id) for u in plan.updates} == {
        ("sunrise-serenity", ids["sunrise-serenity"]),
        ("friday-speaker", ids["friday-speaker"]),
    }
    assert [(r.key, r.id) for r in plan.removes] == [("early-bird", ids["early-bird"])]
    assert plan.unchanged == 9  # womens-big-book's new `updated` alone is no change
    assert plan.previous == 12 and not plan.held
    renamed = next(u for u in plan.updates if u.key == "sunrise-serenity")
    assert isinstance(renamed.before, FeedMeeting)
    assert renamed.before.spec.name == "Sunrise Serenity"
    moved = next(u for u in plan.updates if u.key == "friday-speaker").meeting
    assert isinstance(moved, FeedMeeting) and moved.spec.start == dt.time(19, 30)


def test_an_unchanged_resync_writes_nothing() -> None:
    plan = plan_sync(SRC, store(tsml()), tsml())
    assert plan.empty and plan.unchanged == 12 and not plan.held


def test_updates_keep_cancelled_dates_and_reminder_lead() -> None:
    old = tsml()
    first = old[0]
    local = dataclasses.replace(
        first.spec, skipped=frozenset({dt.date(2026, 12, 27)}), remind_before_min=30
    )
    before = store([dataclasses.replace(first, spec=local), *old[1:]])
    plan = plan_sync(SRC, before, tsml(json.dumps(edited_rows())))
    renamed = next(u for u in plan.updates if u.key == "sunrise-serenity").meeting
    assert isinstance(renamed, FeedMeeting)
    assert renamed.spec.name == "Sunrise Serenity Group"
    assert renamed.spec.skipped == frozenset({dt.date(2026, 12, 27)})
    assert renamed.spec.remind_before_min == 30


def test_a_changed_feedback_url_is_an_update() -> None:
    rows = json.loads((FEEDS / "tsml.json").read_bytes())
    rows[0]["feedback_url"] = "https://aa-harborside.example.org/contact/"
    plan = plan_sync(SRC, store(tsml()), tsml(json.dumps(rows)))
    assert [u.key for u in plan.updates] == ["sunrise-serenity"]


def test_hand_made_and_other_sources_never_appear() -> None:
    fresh = tsml()
    before = [
        *store(fresh[:6]),
        hand_made(100, None),
        hand_made(101, "early-bird"),  # a moderator's meeting that happens to share a slug
        *store(fresh[:3], source="bmlt:other", first_id=200),
    ]
    plan = plan_sync(SRC, before, fresh[:5])  # one of ours is gone
    touched = {r.id for r in plan.removes} | {u.id for u in plan.updates}
    assert touched == {6}
    assert not touched & {100, 101, 200, 201, 202}
    assert plan.previous == 6


def test_shrink_guard_holds_a_90_percent_drop() -> None:
    before = store(tsml()[:10])
    plan = plan_sync(SRC, before, tsml()[:1])
    assert plan.held and len(plan.removes) == 9 and plan.drop_share == pytest.approx(0.9)


@pytest.mark.parametrize(
    ("kept", "share", "held"),
    [(10, 0.0, False), (5, 0.5, False), (4, 0.6, True), (0, 1.0, True)],
)
def test_shrink_guard_threshold(kept: int, share: float, held: bool) -> None:
    plan = plan_sync(SRC, store(tsml()[:10]), tsml()[:kept])
    assert plan.drop_share == pytest.approx(share) and plan.held is held
    # The plan is complete even when held, so moderators can be told what it would do.
    assert len(plan.removes) == 10 - kept


def test_the_share_is_configurable() -> None:
    assert not plan_sync(SRC, store(tsml()[:10]), tsml()[:1], max_drop_share=0.95).held
    assert plan_sync(SRC, store(tsml()[:10]), tsml()[:9], max_drop_share=0.05).held


def test_a_first_sync_is_never_held() -> None:
    plan = plan_sync(SRC, [], tsml())
    assert len(plan.creates) == 12 and not plan.held and plan.drop_share == 0.0


def test_a_stored_key_seen_twice_keeps_the_lowest_id() -> None:
    fresh = tsml()[:2]
    before = [*store(fresh, first_id=5), Stored(3, SRC, fresh[0].source_key, fresh[0])]
    plan = plan_sync(SRC, before, fresh)
    assert [r.id for r in plan.removes] == [5] and plan.unchanged == 2


def test_a_fresh_key_twice_is_a_bug() -> None:
    with pytest.raises(ValueError, match="duplicate source key"):
        plan_sync(SRC, [], [tsml()[0], tsml()[0]])


def test_plain_specs_work_too() -> None:
    specs = [m.spec for m in tsml()]
    before = [Stored(i, SRC, s.slug, s) for i, s in enumerate(specs)]
    moved = [dataclasses.replace(specs[0], start=dt.time(8)), *specs[1:]]
    plan = plan_sync(SRC, before, moved)
    assert [(u.id, u.key) for u in plan.updates] == [(0, "sunrise-serenity")]
    with pytest.raises(ValueError, match="source's key"):
        plan_sync(SRC, [], [dataclasses.replace(specs[0], slug=None)])


# --- over the fake feed host ---------------------------------------------------------------


@pytest.fixture
async def feeds() -> AsyncIterator[FakeFeedServer]:
    server = FakeFeedServer()
    await server.start()
    yield server
    await server.stop()


async def fetch(url: str) -> bytes:
    async with aiohttp.ClientSession() as http, http.get(url) as resp:
        assert resp.status == 200
        return await resp.read()


async def test_resync_over_http_keeps_ids(feeds: FakeFeedServer) -> None:
    url = feeds.url(TSML_PATH)
    before = store(tsml(await fetch(url)))
    feeds.set_payload("tsml", edited_rows())
    plan = plan_sync(SRC, before, tsml(await fetch(url)))
    assert len(plan.creates) == 1 and len(plan.updates) == 2 and len(plan.removes) == 1
    kept = {s.key: s.id for s in before if s.key not in {r.key for r in plan.removes}}
    assert {u.key: u.id for u in plan.updates}.items() <= kept.items()


async def test_bmlt_resync_keys_on_id_bigint(feeds: FakeFeedServer) -> None:
    url = feeds.url(BMLT_SEARCH_PATH)
    first = parse_bmlt(await fetch(url), "America/New_York").meetings
    before = store(first, source="bmlt:harborside")
    rows = feeds.json_payload("bmlt_search")
    rows[0]["meeting_name"] = "Clean & Serene"  # renamed
    rows[0]["weekday_tinyint"] = "3"  # and moved to Tuesday
    feeds.set_payload("bmlt_search", rows[:-1])  # the last meeting is gone
    second = parse_bmlt(await fetch(url), "America/New_York").meetings
    plan = plan_sync("bmlt:harborside", before, second)
    assert [(u.key, u.id) for u in plan.updates] == [("bmlt-1001", 1)]
    assert [r.key for r in plan.removes] == ["bmlt-1013"] and not plan.creates

    feeds.set_payload("bmlt_search", rows[:1])  # a broken server: 1 meeting of 10 left
    broken = parse_bmlt(await fetch(url), "America/New_York").meetings
    assert plan_sync("bmlt:harborside", before, broken).held


# -- comparing by digest (what the store keeps, so a re-sync needn't decode every spec) ------


def test_digest_mode_plans_the_same_as_content_mode() -> None:
    from bot.meetings.sync import digest

    by_content = store(tsml())
    by_digest = [
        Stored(s.id, s.source, s.key, None, digest(s.meeting)) for s in by_content if s.meeting
    ]
    fresh = tsml(json.dumps(edited_rows()))
    a = plan_sync(SRC, by_content, fresh)
    b = plan_sync(SRC, by_digest, fresh)
    assert [key_of(m) for m in a.creates] == [key_of(m) for m in b.creates]
    assert [u.id for u in a.updates] == [u.id for u in b.updates] == sorted(u.id for u in b.updates)
    assert [r.id for r in a.removes] == [r.id for r in b.removes]
    assert (a.unchanged, b.unchanged) == (a.unchanged, a.unchanged)
    assert all(u.before is None for u in b.updates)


def test_digest_is_stable_and_ignores_local_fields() -> None:
    from bot.meetings.sync import digest

    meeting = tsml()[0]
    local = dataclasses.replace(
        meeting,
        spec=dataclasses.replace(
            meeting.spec, skipped=frozenset({dt.date(2026, 12, 6)}), remind_before_min=15
        ),
    )
    assert digest(meeting) == digest(local) == digest(tsml()[0])
    renamed = dataclasses.replace(meeting, spec=dataclasses.replace(meeting.spec, name="X"))
    assert digest(renamed) != digest(meeting)
