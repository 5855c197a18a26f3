"""Members, communities, memberships, conversations and community helplines: the same
behaviour on SQLite and PostgreSQL."""

from __future__ import annotations

from storage.rows import CommunityLine, CommunityUpdate, MemberUpdate
from storage.sql.store import SQLStore


async def test_touch_creates_once_and_keeps_name_fresh(any_store: SQLStore) -> None:
    members = any_store.members
    first = await members.touch("telegram", "11", "Alice", 100, False, lang="es")
    again = await members.touch("telegram", "11", "Alice B", 200, True, lang="de")
    assert again.id == first.id
    assert again.display_name == "Alice B"
    assert again.has_private_chat and again.lang == "es"  # the first language stays
    later = await members.touch("telegram", "11", "Alice B", 300, False)
    assert later.has_private_chat  # a group message never forgets the private chat
    assert await members.count() == 1
    assert await members.get(first.id) == later
    assert await members.find("telegram", "11") == later
    assert await members.find("discord", "11") is None
    assert await members.get(999_999) is None


async def test_member_update_and_pause(any_store: SQLStore) -> None:
    m = await any_store.members.touch("discord", "7", "Sam", 100, True)
    await any_store.members.update(
        m.id, MemberUpdate(tz="Europe/London", country="GB", date_locale="en_GB",
                           lang="en", dm_channel_id="555")
    )
    await any_store.members.update(m.id, MemberUpdate())  # nothing to change
    await any_store.members.set_paused(m.id, True)
    got = await any_store.members.get(m.id)
    assert got is not None
    assert (got.tz, got.country, got.date_locale, got.lang, got.dm_channel_id) == (
        "Europe/London", "GB", "en_GB", "en", "555")
    assert got.paused
    await any_store.members.update(m.id, MemberUpdate(tz=None))
    got = await any_store.members.get(m.id)
    assert got is not None and got.tz is None


async def test_find_by_name_within_a_community(any_store: SQLStore) -> None:
    c = await any_store.communities.ensure("telegram", "-1", "Circle", 100)
    other = await any_store.communities.ensure("telegram", "-2", "Elsewhere", 100)
    sam = await any_store.members.touch("telegram", "1", "Sam Lee", 100, False)
    sam2 = await any_store.members.touch("telegram", "2", "sam lee", 100, False)
    far = await any_store.members.touch("telegram", "3", "Sam Lee", 100, False)
    for m in (sam, sam2):
        await any_store.communities.note_member(m.id, c.id, False, 100)
    await any_store.communities.note_member(far.id, other.id, False, 100)
    found = await any_store.members.find_by_name("telegram", c.id, "@SAM LEE")
    assert sorted(m.id for m in found) == [sam.id, sam2.id]
    assert [m.id for m in await any_store.members.find_by_name("telegram", c.id, "2")] == [
        sam2.id]
    assert await any_store.members.find_by_name("telegram", c.id, "  ") == []


async def test_communities(any_store: SQLStore) -> None:
    cs = any_store.communities
    c = await cs.ensure("telegram", "-100", "Circle", 100)
    assert (c.title, c.program, c.active, c.escalate_minutes) == ("Circle", "general", True, 10)
    same = await cs.ensure("telegram", "-100", "", 200)
    assert same.id == c.id and same.title == "Circle"  # an empty title keeps the old one
    await cs.update(c.id, CommunityUpdate(
        tz="America/Chicago", country="US", program="NA", allow_celebrations=True,
        announce_chat_id="-100", announce_thread_id="7", leaderboard=True,
        crisis_public_line=True, crisis_alerts=True, checkin_time="08:30", nudge_after_days=4,
        escalate_minutes=5, moderator_role_id="r1", reads_messages=False, active=False))
    got = await cs.get(c.id)
    assert got is not None
    assert (got.tz, got.country, got.program, got.allow_celebrations, got.announce_thread_id,
            got.leaderboard, got.crisis_public_line, got.crisis_alerts, got.checkin_time,
            got.nudge_after_days, got.escalate_minutes, got.moderator_role_id,
            got.reads_messages, got.active) == (
        "America/Chicago", "US", "NA", True, "7", True, True, True, "08:30", 4, 5, "r1",
        False, False)
    revived = await cs.ensure("telegram", "-100", "Circle 2", 300)
    assert revived.active and revived.title == "Circle 2" and revived.program == "NA"
    await cs.ensure("discord", "g1", "Guild", 100)
    assert [x.platform for x in await cs.all()] == ["telegram", "discord"]
    assert [x.chat_id for x in await cs.all("discord")] == ["g1"]
    assert await cs.find("telegram", "-100") == await cs.get(c.id)
    assert await cs.find("telegram", "nope") is None


async def test_memberships_and_moderators(any_store: SQLStore) -> None:
    cs = any_store.communities
    a = await cs.ensure("telegram", "-1", "A", 100)
    b = await cs.ensure("telegram", "-2", "B", 100)
    m = await any_store.members.touch("telegram", "1", "Mo", 100, True)
    await cs.note_member(m.id, a.id, True, 100)
    await cs.note_member(m.id, b.id, False, 200)
    assert [c.id for c in await cs.of_member(m.id)] == [b.id, a.id]  # most recent first
    assert [x.id for x in await cs.moderators(a.id)] == [m.id]
    assert await cs.moderators(b.id) == []
    await cs.note_member(m.id, a.id, False, 300)  # no longer a moderator
    assert await cs.moderators(a.id) == []
    await cs.update(b.id, CommunityUpdate(active=False))
    assert [c.id for c in await cs.of_member(m.id)] == [a.id]


async def test_a_group_that_moves_keeps_its_settings(any_store: SQLStore) -> None:
    cs = any_store.communities
    old = await cs.ensure("telegram", "-1", "Old", 100)
    await cs.update(old.id, CommunityUpdate(announce_chat_id="-1", tz="Europe/Paris"))
    await cs.ensure("telegram", "-1009", "New", 101)  # its first message came early
    await cs.move("telegram", "-1", "-1009")
    moved = await cs.find("telegram", "-1009")
    assert moved is not None and moved.id == old.id
    assert (moved.announce_chat_id, moved.tz) == ("-1009", "Europe/Paris")
    assert await cs.find("telegram", "-1") is None
    await cs.move("telegram", "-404", "-405")  # unknown: nothing happens
    await cs.move("telegram", "-1009", "")
    assert await cs.find("telegram", "-1009") is not None


async def test_conversations_expire(any_store: SQLStore) -> None:
    m = await any_store.members.touch("telegram", "1", "A", 100, True)
    conv = any_store.conversations
    await conv.set(m.id, "forget:confirm", {"n": 1, "text": "ü"}, expires_at=200)
    got = await conv.get(m.id, 150)
    assert got is not None and (got.state, got.data) == ("forget:confirm", {"n": 1, "text": "ü"})
    assert await conv.get(m.id, 200) is None  # expired
    await conv.set(m.id, "checkin:note", {}, expires_at=500)
    got = await conv.get(m.id, 150)
    assert got is not None and got.state == "checkin:note"
    await conv.clear(m.id)
    assert await conv.get(m.id, 150) is None


async def test_community_helplines(any_store: SQLStore) -> None:
    c = await any_store.communities.ensure("telegram", "-1", "A", 100)
    lines = any_store.helplines
    line = CommunityLine("Local Line", "crisis", "phone", "555-0100", 100, "US", "Mo")
    await lines.add_line(c.id, line)
    await lines.add_line(c.id, CommunityLine("Other", "drugs", "text", "741741", 50))
    assert [x.service for x in await lines.lines(c.id)] == ["Other", "Local Line"]
    await lines.add_line(c.id, CommunityLine("Local Line", "crisis", "phone", "555-0199", 200))
    assert (await lines.lines(c.id))[1].dial == "555-0199"
    assert await lines.remove_line(c.id, "LOCAL LINE")
    assert not await lines.remove_line(c.id, "local line")
    assert [x.service for x in await lines.lines(c.id)] == ["Other"]
