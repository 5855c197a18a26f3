"""The meeting-source store: a sync is written linearly in bounded transactions, never
touches a hand-made meeting or another source's, and changes the community's generation
token (the cache key of decoded schedules) with every write."""

from __future__ import annotations

from storage.meetings_base import (
    PURPOSE_MEETINGS,
    MeetingPlan,
    NewMeeting,
    NewSource,
    SourcedMeeting,
    SourceUpdate,
    SyncChanges,
)
from storage.sql.meetings import SYNC_CHUNK
from storage.sql.store import SQLStore


def sourced(i: int, name: str | None = None) -> SourcedMeeting:
    spec = {
        "name": name or f"M {i}",
        "weekdays": [1],
        "start": "19:00",
        "duration_min": 60,
        "tz": "UTC",
        "address": "1 Main St",
    }
    return SourcedMeeting(f"k{i}", f"d{i}", f"m-{i}", spec["name"], spec, MeetingPlan())


async def setup(store: SQLStore) -> tuple[int, int]:
    community = await store.communities.ensure("console", "recovery", "recovery", 0)
    hand = await store.meetings.add(
        community.id,
        NewMeeting(
            "m-1",
            "Hand Made",
            {
                "name": "Hand Made",
                "weekdays": [1],
                "start": "18:00",
                "duration_min": 60,
                "tz": "UTC",
            },
            MeetingPlan(),
        ),
        0,
    )
    return community.id, hand.id


async def test_a_big_sync_is_chunked_and_never_touches_hand_made(store: SQLStore) -> None:
    community_id, hand_id = await setup(store)
    source = await store.meetings.add_source(NewSource(community_id, "https://x/f", "tsml"), 0)
    assert source is not None
    token = (await store.meetings.generations([community_id]))[community_id]
    n = SYNC_CHUNK * 2 + 7
    await store.meetings.apply_sync(
        source,
        SyncChanges(creates=[sourced(i) for i in range(n)]),
        SourceUpdate(last_synced=5, body_digest="b"),
        5,
    )
    assert int(await store.db.fetchval("SELECT COUNT(*) FROM meetings")) == n + 1
    # The hand-made meeting had slug m-1: the source's m-1 got a slug of its own.
    hand = await store.meetings.get(hand_id)
    assert hand is not None and hand.name == "Hand Made" and hand.source_id is None
    assert (await store.meetings.by_slug(community_id, "m-1-2")) is not None
    index = await store.meetings.source_index(source.id)
    assert len(index) == n and index["k3"][1] == "d3"
    after = await store.meetings.source(source.id)
    assert after is not None and after.meetings == n and after.last_synced == 5
    assert after.version != source.version
    assert (await store.meetings.generations([community_id]))[community_id] != token
    # Updates and removes aimed at the hand-made meeting are ignored.
    await store.meetings.apply_sync(
        source,
        SyncChanges(updates=[(hand_id, sourced(0, "Hijacked"))], removes=[hand_id]),
        SourceUpdate(),
        6,
    )
    hand = await store.meetings.get(hand_id)
    assert hand is not None and hand.name == "Hand Made"


async def test_sources_are_per_community_and_removed_with_their_meetings(store: SQLStore) -> None:
    community_id, _ = await setup(store)
    a = await store.meetings.add_source(NewSource(community_id, "https://x/a", "tsml"), 0)
    assert a is not None
    assert (
        await store.meetings.add_source(NewSource(community_id, "https://x/a", "tsml"), 0) is None
    )
    assert await store.meetings.add_source(NewSource(None, "https://x/a", "tsml", "online"), 0)
    assert (
        await store.meetings.add_source(NewSource(None, "https://x/a", "tsml", "online"), 0) is None
    )
    await store.meetings.apply_sync(
        a, SyncChanges(creates=[sourced(i) for i in range(3)]), SourceUpdate(), 1
    )
    assert [s.purpose for s in await store.meetings.sources(community_id)] == [PURPOSE_MEETINGS]
    assert await store.meetings.remove_source(a.id) == 3
    assert int(await store.db.fetchval("SELECT COUNT(*) FROM meetings")) == 1


async def test_due_sources_skip_inactive_communities(store: SQLStore) -> None:
    from storage.rows import CommunityUpdate

    community_id, _ = await setup(store)
    await store.meetings.add_source(
        NewSource(community_id, "https://x/a", "tsml", next_sync_at=10), 0
    )
    await store.meetings.add_source(NewSource(None, "https://x/b", "", "online", 10), 0)
    assert len(await store.meetings.due_sources(10, 10)) == 2
    await store.communities.update(community_id, CommunityUpdate(active=False))
    assert [s.url for s in await store.meetings.due_sources(10, 10)] == ["https://x/b"]
