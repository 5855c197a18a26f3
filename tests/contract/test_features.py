"""Sobriety, check-ins, meetings and crisis alerts on both engines."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from bot.checkins.commands import CheckinSource
from storage.meetings_base import (
    MeetingAdvance,
    MeetingPlan,
    NewMeeting,
    SubscriptionAdvance,
)
from storage.rows import (
    Advance,
    CheckinValues,
    CommunityUpdate,
    NewAlert,
    OutboxItem,
    PromptAdvance,
    SharingUpdate,
)
from storage.sql.store import SQLStore

T = 1_000_000


def outbox_item(key: str, member_id: int | None = None) -> OutboxItem:
    return OutboxItem(dedupe_key=key, kind="test", platform="telegram", chat_id="1",
                      private=True, body="{}", due_at=T, expires_at=T + 86400,
                      member_id=member_id)


# -- sobriety ---------------------------------------------------------------------------------


async def test_counters_history_and_slips(any_store: SQLStore) -> None:
    so = any_store.sobriety
    m = await any_store.members.touch("telegram", "1", "A", T, True)
    c = await so.save_counter(m.id, "alcohol", "2026-01-01", None, "UTC", "d30", T + 10, T)
    await so.save_counter(m.id, "nicotine", "2026-02-01", "08:00", "UTC", None, None, T + 1)
    fixed = await so.save_counter(m.id, "alcohol", "2026-01-02", "09:30", "Europe/Paris", "d60",
                                  T + 20, T + 2)
    assert fixed.id == c.id and (fixed.start_date, fixed.start_time, fixed.tz) == (
        "2026-01-02", "09:30", "Europe/Paris")
    assert [k.name for k in await so.counters(m.id)] == ["alcohol", "nicotine"]
    await so.restart(fixed, "2026-03-01", 58, "2026-03-02", None, "h24", T + 30, T + 3)
    (after,) = [k for k in await so.counters(m.id) if k.name == "alcohol"]
    assert (after.start_date, after.next_key, after.next_at) == ("2026-03-02", "h24", T + 30)
    history = await so.history(m.id)
    assert [(h.name, h.start_date, h.end_date, h.days) for h in history] == [
        ("alcohol", "2026-01-02", "2026-03-01", 58)]
    await so.log_slip(after, "2026-03-05", T + 4)
    assert await so.slips(m.id) == [("alcohol", "2026-03-05")]
    await so.remove_counter(after.id)
    assert [k.name for k in await so.counters(m.id)] == ["nicotine"]
    assert await so.slips(m.id) == [("", "2026-03-05")]  # kept, the counter's name gone
    assert len(await so.history(m.id)) == 1


async def test_sharing_and_sharers(any_store: SQLStore) -> None:
    so = any_store.sobriety
    c = await any_store.communities.ensure("telegram", "-1", "G", T)
    a = await any_store.members.touch("telegram", "1", "A", T, True)
    b = await any_store.members.touch("telegram", "2", "B", T, True)
    for m in (a, b):
        await any_store.communities.note_member(m.id, c.id, False, T)
    assert not (await so.sharing(a.id, c.id)).celebrate
    await so.set_sharing(a.id, c.id, SharingUpdate(celebrate=True))
    await so.set_sharing(a.id, c.id, SharingUpdate(share_days=True))
    await so.set_sharing(a.id, c.id, SharingUpdate())
    got = await so.sharing(a.id, c.id)
    assert (got.celebrate, got.show_substance, got.share_days) == (True, False, True)
    other = await any_store.communities.ensure("telegram", "-2", "H", T)
    assert not (await so.sharing(a.id, other.id)).share_days  # chosen per community
    assert set(await so.sharing_by_community(a.id)) == {c.id}
    await so.save_counter(a.id, "x", "2026-01-01", None, "UTC", None, None, T)
    sharers = await so.sharers(c.id)
    assert [(m.id, [k.name for k in ks]) for m, ks in sharers] == [(a.id, ["x"])]


async def test_due_milestones_and_guarded_plan(any_store: SQLStore) -> None:
    so = any_store.sobriety
    c = await any_store.communities.ensure("telegram", "-1", "G", T)
    m = await any_store.members.touch("telegram", "1", "A", T, True)
    await any_store.communities.note_member(m.id, c.id, False, T)
    k = await so.save_counter(m.id, "x", "2026-01-01", None, "UTC", "d30", T - 5, T)
    await so.save_counter(m.id, "y", "2026-01-01", None, "UTC", "d30", T + 500, T)
    (due,) = await so.due(T, 10)
    assert due.counter.id == k.id and due.member.id == m.id
    assert [x.id for x in due.communities] == [c.id] and due.sharing == {}
    adv = Advance(k.id, "d30", "d60", T + 1000, expected_at=T - 5)
    assert await so.plan([outbox_item("milestone:x")], [adv]) == 1
    assert await so.due(T, 10) == []
    # A second planner with the same stale view changes nothing and plans nothing new.
    assert await so.plan([outbox_item("milestone:x")], [adv]) == 0
    (after,) = [x for x in await so.counters(m.id) if x.id == k.id]
    assert (after.next_key, after.next_at) == ("d60", T + 1000)


async def test_paused_members_milestones_wait_out_of_the_due_range(any_store: SQLStore) -> None:
    """Milestones of a member who blocked the bot wait until they are back (then they are
    due at once), held out of the due index meanwhile so sweeps do not re-read them."""
    so = any_store.sobriety
    a = await any_store.members.touch("telegram", "1", "A", T, True)
    b = await any_store.members.touch("telegram", "2", "B", T, True)
    for m in (a, b):
        await so.save_counter(m.id, "x", "2026-01-01", None, "UTC", "d30", T - 5, T)
    await any_store.members.set_paused(b.id, True)
    assert [d.member.id for d in await so.due(T, 10)] == [a.id]
    held = await any_store.db.fetch("SELECT member_id, held FROM counters ORDER BY member_id")
    assert [(r["member_id"], r["held"]) for r in held] == [(a.id, 0), (b.id, 1)]
    await so.save_counter(b.id, "y", "2026-01-01", None, "UTC", "d30", T - 5, T)  # while paused
    held = await any_store.db.fetch("SELECT held FROM counters WHERE name = 'y'")
    assert [r["held"] for r in held] == [1]
    await any_store.members.set_paused(b.id, False)  # b writes again
    assert sorted(d.member.id for d in await so.due(T, 10)) == [a.id, b.id, b.id]


# -- check-ins --------------------------------------------------------------------------------


async def test_checkin_plans_and_checkins(any_store: SQLStore) -> None:
    ci = any_store.checkins
    m = await any_store.members.touch("telegram", "1", "A", T, True)
    assert await ci.plan(m.id) is None
    p = await ci.save_plan(m.id, enabled=True, local_time="09:00", tz="UTC", next_at=T,
                           last_day="2026-01-01")
    p2 = await ci.save_plan(m.id, enabled=False, local_time="20:30", tz="Asia/Tokyo",
                            next_at=None, last_day="2026-05-05")
    assert p.enabled and not p2.enabled and p2.last_day == "2026-01-01"  # last_day is kept
    await ci.set_buddy_alerts(m.id, True)
    plan = await ci.plan(m.id)
    assert plan is not None and plan.buddy_alerts and plan.local_time == "20:30"
    row = await ci.record(m.id, "2026-01-03", T, CheckinValues(mood=4))
    assert (row.mood, row.cravings) == (4, None)
    row = await ci.record(m.id, "2026-01-03", T + 1, CheckinValues(cravings=2, sober="yes",
                                                                  note="ok"))
    assert (row.mood, row.cravings, row.sober, row.note) == (4, 2, "yes", "ok")
    await ci.record(m.id, "2026-01-05", T, CheckinValues(mood=2))
    assert [r.day for r in await ci.since(m.id, "2026-01-04")] == ["2026-01-05"]
    assert (await ci.get(m.id, "2026-01-03")) == row
    assert await ci.get(m.id, "2026-01-04") is None
    plan = await ci.plan(m.id)
    assert plan is not None and plan.last_day == "2026-01-05"


async def test_due_prompts_and_guarded_advance(any_store: SQLStore) -> None:
    ci = any_store.checkins
    c = await any_store.communities.ensure("telegram", "-1", "G", T)
    await any_store.communities.update(c.id, CommunityUpdate(nudge_after_days=5))
    a = await any_store.members.touch("telegram", "1", "A", T, True)
    b = await any_store.members.touch("telegram", "2", "B", T, True)
    await any_store.communities.note_member(a.id, c.id, False, T)
    for m in (a, b):
        await ci.save_plan(m.id, enabled=True, local_time="09:00", tz="UTC", next_at=T - 1,
                           last_day=None)
    await any_store.members.set_paused(b.id, True)  # blocked the bot: no prompts
    # Paused members' plans are listed too: the sweep moves them on without a prompt.
    due, paused = await ci.due(T, 10)
    assert (paused.member.id, paused.member.paused) == (b.id, True)
    assert due.member.id == a.id and due.nudge_after_days == 5 and not due.member.paused
    adv = PromptAdvance(a.id, T - 1, T + 86400, "2026-01-01")
    assert await ci.advance([outbox_item("prompt:a")], [adv]) == 1
    assert await ci.advance([outbox_item("prompt:a")], [adv]) == 0
    plan = await ci.plan(a.id)
    assert plan is not None and (plan.next_at, plan.nudged_for) == (T + 86400, "2026-01-01")
    assert [d.member.id for d in await ci.due(T, 10)] == [b.id]


async def test_paused_members_plan_moves_on_without_a_prompt(any_store: SQLStore) -> None:
    """A member who blocked the bot gets no prompt, and the plan leaves the due range (else
    every sweep reads it again: 10 % paused made each empty sweep cost 10 ms at 100k)."""
    ci = any_store.checkins
    a = await any_store.members.touch("telegram", "1", "A", T, True)
    b = await any_store.members.touch("telegram", "2", "B", T, True)
    now = datetime(2026, 3, 2, 12, 0, tzinfo=UTC)
    long_ago = int(now.timestamp()) - 5 * 86400  # b's plan stopped when b blocked the bot
    for m, at in ((a, int(now.timestamp()) - 60), (b, long_ago)):
        await ci.save_plan(m.id, enabled=True, local_time="09:00", tz="UTC", next_at=at,
                           last_day=None)
    await any_store.members.set_paused(b.id, True)
    source = CheckinSource(any_store, timedelta(minutes=60), 3)
    assert await source.sweep(now, 10) == 2
    rows = await any_store.db.fetch("SELECT member_id FROM outbox")
    assert [r["member_id"] for r in rows] == [a.id]  # a's prompt only
    plan = await ci.plan(b.id)
    tomorrow_9 = int(datetime(2026, 3, 3, 9, 0, tzinfo=UTC).timestamp())
    assert plan is not None and plan.next_at == tomorrow_9
    assert await ci.due(int(now.timestamp()), 10) == []  # the next sweep reads nothing


async def test_buddies(any_store: SQLStore) -> None:
    ci = any_store.checkins
    a = await any_store.members.touch("telegram", "1", "A", T, True)
    b = await any_store.members.touch("telegram", "2", "B", T, True)
    await ci.invite(a.id, b.id, T)
    await ci.invite(a.id, b.id, T + 1)  # again: nothing new
    assert [(m.id, s) for m, s in await ci.buddies(a.id)] == [(b.id, "invited-out")]
    assert [(m.id, s) for m, s in await ci.buddies(b.id)] == [(a.id, "invited-in")]
    await ci.decline(b.id, a.id)
    assert await ci.buddies(a.id) == []
    await ci.invite(a.id, b.id, T + 2)
    assert await ci.accept(b.id, a.id)
    assert not await ci.accept(b.id, a.id)
    assert [(m.id, s) for m, s in await ci.buddies(b.id)] == [(a.id, "active")]
    assert [m.id for m in await ci.end_buddies(b.id)] == [a.id]
    assert await ci.buddies(a.id) == []


# -- meetings ---------------------------------------------------------------------------------


def meeting(slug: str, name: str = "Morning", occ: str | None = "2026-01-05",
            at: int | None = T + 100, start: int | None = T + 3700) -> NewMeeting:
    return NewMeeting(slug, name, {"name": name, "weekday": 1},
                      MeetingPlan(occurrence=occ, reminder_at=at, start_at=start))


async def test_meetings_slugs_updates_and_imports(any_store: SQLStore) -> None:
    mt = any_store.meetings
    c = await any_store.communities.ensure("telegram", "-1", "G", T)
    first = await mt.add(c.id, meeting("morning"), T)
    second = await mt.add(c.id, meeting("morning", "Morning two"), T)
    assert (first.slug, second.slug) == ("morning", "morning-2")
    assert second.spec["slug"] == "morning-2"
    assert await mt.by_slug(c.id, "morning-2") == second
    await mt.update(first.id, "Evening", {"name": "Evening"}, MeetingPlan("2026-01-06", T + 200),
                    T + 1)
    got = await mt.get(first.id)
    assert got is not None and (got.name, got.next_occurrence, got.next_reminder_at) == (
        "Evening", "2026-01-06", T + 200)
    assert [m.name for m in await mt.of_communities([c.id])] == ["Evening", "Morning two"]
    assert await mt.of_communities([]) == []
    # A feed import: a new slug colliding with a hand-made one gets its own slug.
    new, moved = await mt.import_many(c.id, [meeting("morning", "Feed A"), meeting("b", "B")], T)
    assert (new, moved) == (2, 0)
    imported = await mt.imported(c.id)
    assert sorted(imported) == ["b", "morning"] and imported["morning"].slug == "morning-3"
    new, moved = await mt.import_many(c.id, [meeting("morning", "Feed A2")], T + 5)
    assert (new, moved) == (0, 1)
    assert (await mt.imported(c.id))["morning"].name == "Feed A2"
    await mt.remove(second.id)
    assert await mt.get(second.id) is None


async def test_subscriptions_rsvps_and_attendance(any_store: SQLStore) -> None:
    mt = any_store.meetings
    c = await any_store.communities.ensure("telegram", "-1", "G", T)
    m = await any_store.members.touch("telegram", "1", "A", T, True)
    row = await mt.add(c.id, meeting("m"), T)
    await mt.subscribe(row.id, m.id, 30, "2026-01-05", T + 1900, T)
    await mt.subscribe(row.id, m.id, 60, "2026-01-05", T + 100, T)  # changes the lead time
    (sub,) = await mt.subscriptions(m.id)
    assert (sub.before_min, sub.next_at) == (60, T + 100)
    assert await mt.subscriber_count(row.id) == 1
    # An edit re-plans each subscription with its own lead time (never in the past).
    await mt.update(row.id, "M", {"name": "M"}, MeetingPlan("2026-01-07", T + 9000, T + 10000),
                    T + 50)
    (sub,) = await mt.subscriptions(m.id)
    assert (sub.occurrence, sub.next_at) == ("2026-01-07", T + 10000 - 3600)
    assert await mt.rsvp(row.id, m.id, "2026-01-07", T)
    assert not await mt.rsvp(row.id, m.id, "2026-01-07", T)
    assert await mt.rsvp_count(row.id, "2026-01-07") == 1
    assert await mt.cancel_rsvp(row.id, m.id, "2026-01-07")
    assert not await mt.cancel_rsvp(row.id, m.id, "2026-01-07")
    assert await mt.log_attendance(m.id, row.id, "M", "2026-01-07", T)
    assert not await mt.log_attendance(m.id, row.id, "M", "2026-01-07", T)
    assert await mt.unsubscribe(row.id, m.id)
    assert not await mt.unsubscribe(row.id, m.id)
    await mt.remove(row.id)
    (att,) = await mt.attendance(m.id)
    assert (att.day, att.meeting_name, att.meeting_id) == ("2026-01-07", "M", None)


async def test_meeting_sweep_rows_and_guarded_advance(any_store: SQLStore) -> None:
    mt = any_store.meetings
    c = await any_store.communities.ensure("telegram", "-1", "G", T)
    m = await any_store.members.touch("telegram", "1", "A", T, True)
    row = await mt.add(c.id, meeting("m", at=T - 10), T)
    await mt.subscribe(row.id, m.id, 30, "2026-01-05", T - 5, T)
    (dm,) = await mt.due_meetings(T, 10)
    assert dm.meeting.id == row.id and dm.community.id == c.id
    (ds,) = await mt.due_subscriptions(T, 10)
    assert ds.member.id == m.id and ds.community_tz is None
    madv = MeetingAdvance(row.id, T - 10, "2026-01-12", T + 7 * 86400)
    sadv = SubscriptionAdvance(row.id, m.id, T - 5, "2026-01-12", T + 7 * 86400)
    assert await mt.advance([outbox_item("reminder:1"), outbox_item("reminder:1:m1")],
                            [madv], [sadv]) == 2
    assert await mt.advance([outbox_item("reminder:1")], [madv], [sadv]) == 0
    assert await mt.due_meetings(T, 10) == [] and await mt.due_subscriptions(T, 10) == []
    # A skipped occurrence drops its pending reminders.
    await any_store.outbox.enqueue([outbox_item(f"reminder:{row.id}:2026-01-12"),
                                    outbox_item(f"reminder:{row.id}:2026-01-12:m{m.id}")])
    await mt.update(row.id, "M", {"name": "M"}, MeetingPlan(), T, cancel_dates=["2026-01-12"])
    assert await any_store.outbox.count(status="skipped") == 2
    await any_store.communities.update(c.id, CommunityUpdate(active=False))
    await mt.update(row.id, "M", {}, MeetingPlan("2026-01-19", T - 1, T + 10), T)
    assert await mt.due_meetings(T, 10) == []  # a community that left has no reminders


# -- crisis alerts ----------------------------------------------------------------------------


async def test_crisis_alerts_claim_resolve_escalate(any_store: SQLStore) -> None:
    cr = any_store.crisis
    c = await any_store.communities.ensure("telegram", "-1", "G", T)
    who = await any_store.members.touch("telegram", "1", "A", T, True)
    mod = await any_store.members.touch("telegram", "2", "Mo", T, True)
    mod2 = await any_store.members.touch("telegram", "3", "Max", T, True)
    new = NewAlert(community_id=c.id, subject_id=who.id, outcome="lines sent privately",
                   permalink=None, chat_title="G", created_at=T, escalate_at=T + 600)
    a1 = await cr.create_alert(new)
    a2 = await cr.create_alert(new)
    alert = await cr.alert(a1)
    assert alert is not None and (alert.subject_id, alert.claimed_by) == (who.id, None)
    assert await cr.claim(a1, mod.id, T + 1) == mod.id
    assert await cr.claim(a1, mod2.id, T + 2) == mod.id  # first one holds it
    assert await cr.claim(999_999, mod.id, T) is None
    assert [a.id for a in await cr.due_escalations(T + 600, 10)] == [a2]
    assert await cr.mark_escalated(a2, T + 600)
    assert not await cr.mark_escalated(a2, T + 601)
    assert await cr.due_escalations(T + 700, 10) == []
    assert await cr.resolve(a2, T + 800)
    assert not await cr.resolve(a2, T + 801)
    resolved = await cr.alert(a2)
    assert resolved is not None and resolved.claimed_at == T + 800
    await cr.set_supporter(mod.id, c.id, True, T)
    await cr.set_supporter(mod.id, c.id, True, T + 5)
    await cr.set_supporter(mod2.id, c.id, True, T + 1)
    assert [m.id for m in await cr.supporters(c.id)] == [mod.id, mod2.id]
    await cr.set_supporter(mod.id, c.id, False, T)
    assert [m.id for m in await cr.supporters(c.id)] == [mod2.id]
