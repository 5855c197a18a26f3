"""Daily check-ins through the console, with the injected clock driving the sweep."""

from __future__ import annotations

from adapters.console import ConsoleAdapter
from bot.kernel.runtime import Harbor
from storage.sql.store import SQLStore


async def opt_in(console: ConsoleAdapter, tz: str = "America/Chicago", at: str = "09:00") -> None:
    await console.push(f"/settings tz {tz}")
    await console.push("/checkin on")
    if at != "09:00":
        await console.push(f"/checkin time {at}")


def prompts(said: list) -> list:  # type: ignore[type-arg]
    return [s for s in said if "daily check-in" in s.text or "since your last" in s.text]


async def test_start_offers_daily_checkins(console: ConsoleAdapter, store: SQLStore) -> None:
    await console.push("/start")
    await console.push(":press Chicago")
    said = await console.push(":press US")
    assert "daily check-in at 09:00" in said[-1].text
    said = await console.push(":press Yes, please")
    assert "09:00 (America/Chicago)" in said[0].text
    member = await store.members.find("console", "alex")
    assert member is not None
    plan = await store.checkins.plan(member.id)
    assert plan is not None and plan.enabled and plan.local_time == "09:00"


async def test_full_checkin_with_buttons(console: ConsoleAdapter, store: SQLStore) -> None:
    await opt_in(console)
    said = await console.push(":time 2026-11-25T09:00-06:00")
    assert len(prompts(said)) == 1
    await console.push(":press 4")
    said = await console.push(":press 7")
    assert "Sober today?" in said[0].text
    said = await console.push(":press Yes")
    assert "Thank you for checking in" in said[0].text
    said = await console.push("Went to a meeting, felt good.")
    assert "note is saved" in said[0].text
    member = await store.members.find("console", "alex")
    assert member is not None
    row = await store.checkins.get(member.id, "2026-11-25")
    assert row is not None
    assert (row.mood, row.cravings, row.sober, row.note) == (
        4,
        7,
        "yes",
        "Went to a meeting, felt good.",
    )


async def test_second_checkin_same_day_updates(console: ConsoleAdapter, store: SQLStore) -> None:
    await opt_in(console)
    for mood in ("2", "5"):
        await console.push("/checkin")
        await console.push(f":press {mood}")
    member = await store.members.find("console", "alex")
    assert member is not None
    rows = await store.checkins.since(member.id, "2026-01-01")
    assert [(r.day, r.mood) for r in rows] == [("2026-11-25", 5)]


async def test_yesterdays_button_records_nothing(
    console: ConsoleAdapter, store: SQLStore
) -> None:
    await opt_in(console)
    await console.push("/checkin")  # 06:00 Chicago, 2026-11-25
    await console.push(":advance 1d")
    said = await console.push(":press 3")
    assert "earlier day" in said[0].text
    member = await store.members.find("console", "alex")
    assert member is not None
    assert await store.checkins.since(member.id, "2026-01-01") == []


async def test_note_over_the_cap_is_refused(console: ConsoleAdapter, store: SQLStore) -> None:
    await opt_in(console)
    await console.push("/checkin")
    await console.push(":press 3")
    await console.push(":press 2")
    await console.push(":press Prefer")
    said = await console.push("x" * 1001)
    assert "over 1000 characters" in said[0].text
    member = await store.members.find("console", "alex")
    assert member is not None
    row = await store.checkins.get(member.id, "2026-11-25")
    assert row is not None and row.note is None and row.sober == "skip"


async def test_checkin_time_parsing(console: ConsoleAdapter, store: SQLStore) -> None:
    await opt_in(console)
    said = await console.push("/checkin time 25:00")
    assert "couldn't read that time" in said[0].text
    for typed, stored in (("7pm", "19:00"), ("19.30", "19:30"), ("7:30 pm", "19:30")):
        said = await console.push(f"/checkin time {typed}")
        assert stored in said[0].text
    member = await store.members.find("console", "alex")
    assert member is not None
    plan = await store.checkins.plan(member.id)
    assert plan is not None and plan.local_time == "19:30"


async def test_a_day_of_prompts_across_zones_exactly_once(
    console: ConsoleAdapter, harbor: Harbor
) -> None:
    await opt_in(console, "America/Chicago")
    await console.push(":as Kim")
    await opt_in(console, "Australia/Sydney", "20:30")
    said = await console.push(":time 2026-11-25T09:00-06:00")  # 15:00 UTC
    # Kim's 20:30 Sydney (09:30 UTC on the 26th) has not come yet; Alex's 09:00 has.
    assert [s.to for s in prompts(said)] == ["Alex (private)"]
    await harbor.tick()
    said = await console.push(":time 2026-11-26T09:30+00:00")
    assert [s.to for s in prompts(said)] == ["Kim (private)"]
    said = await console.push(":time 2026-11-26T15:00+00:00")
    assert [s.to for s in prompts(said)] == ["Alex (private)"]


async def test_prompt_stays_at_local_time_across_dst(console: ConsoleAdapter) -> None:
    await opt_in(console, "America/New_York")
    # US DST ended 2026-11-01; try spring 2027: 2027-03-14 is the change.
    said = await console.push(":time 2027-03-13T09:00-05:00")
    assert len(prompts(said)) == 1
    said = await console.push(":time 2027-03-14T08:59-04:00")
    assert prompts(said) == []
    said = await console.push(":time 2027-03-14T09:00-04:00")
    assert len(prompts(said)) == 1


async def test_after_downtime_stale_prompts_are_skipped(
    console: ConsoleAdapter, store: SQLStore
) -> None:
    await opt_in(console)
    # The bot was "down" from before 09:00 until 14:00 Chicago: 5 h late > 3 h stale limit.
    said = await console.push(":time 2026-11-25T14:00-06:00")
    assert prompts(said) == []
    said = await console.push(":time 2026-11-26T09:00-06:00")
    assert len(prompts(said)) == 1


async def test_gentle_nudge_after_missed_days_once_per_gap(console: ConsoleAdapter) -> None:
    await opt_in(console)
    texts = []
    for day in range(26, 31):
        said = await console.push(f":time 2026-11-{day}T09:00-06:00")
        texts += [s.text for s in prompts(said)]
    nudges = [t for t in texts if "since your last check-in" in t]
    assert len(nudges) == 1  # one nudge in the gap, ordinary prompts otherwise
    assert len(texts) == 5


async def test_blocked_member_is_paused_and_resumes(
    console: ConsoleAdapter, store: SQLStore
) -> None:
    await opt_in(console)
    await console.push(":block on")
    said = await console.push(":time 2026-11-25T09:00-06:00")
    assert prompts(said) == []
    member = await store.members.find("console", "alex")
    assert member is not None and member.paused
    said = await console.push(":time 2026-11-26T09:00-06:00")
    assert prompts(said) == []  # no more attempts while paused
    await console.push(":block off")
    await console.push("/help")  # they write again: prompts resume
    member = await store.members.find("console", "alex")
    assert member is not None and not member.paused
    said = await console.push(":time 2026-11-27T09:00-06:00")
    assert len(prompts(said)) == 1


async def test_progress_chart_and_text(console: ConsoleAdapter) -> None:
    await opt_in(console)
    for day in range(25, 31):
        await console.push(f":time 2026-11-{day}T10:00-06:00")
        await console.push("/checkin")
        await console.push(f":press {1 + day % 5}")
        await console.push(f":press {day % 10}")
    said = await console.push("/progress")
    assert said[0].image is not None and said[0].image.startswith(b"\x89PNG")
    assert "Your last 7 days (6 check-ins)" in said[0].text
    said = await console.push("/progress text")
    assert said[0].image is None and "mood" in said[0].text


async def test_buddy_gets_heads_up_only_when_allowed(console: ConsoleAdapter) -> None:
    for name in ("Alex", "Sam"):
        await console.push(f":as {name}")
        await console.push(":group recovery")
        await console.push("hello")
    await console.push(":dm")
    await console.push("/buddy Alex")  # Sam invites Alex
    await console.push(":as Alex")
    await console.push(":dm")
    said = await console.push("/buddy Sam")  # Alex accepts by inviting back
    assert "now buddies" in said[0].text
    await console.push(":as Sam")
    await console.push(":dm")
    await console.push("/checkin")
    await console.push(":press 2")
    said = await console.push(":press 9")
    await console.push(":advance 1m")
    # Not allowed yet: no heads-up.
    assert not any("checked in and is having a hard day" in s.text for s in console.said)
    await console.push("/buddy alerts on")
    await console.push("/checkin")
    await console.push(":press 2")
    await console.push(":press 9")
    said = await console.push(":advance 1m")
    alerts = [s for s in said if "checked in and is having a hard day" in s.text]
    assert [s.to for s in alerts] == ["Alex (private)"]
    assert "9" not in alerts[0].text  # no details shared


async def test_community_sets_the_nudge_gap(console: ConsoleAdapter) -> None:
    await console.push(":group recovery")
    await console.push(":mod on")
    await console.push("/community nudge 1")
    await console.push(":dm")
    await opt_in(console)
    said = await console.push(":time 2026-11-26T09:00-06:00")
    assert not any("since your last" in s.text for s in said)
    said = await console.push(":time 2026-11-27T09:00-06:00")
    assert any("since your last" in s.text for s in said)  # 2 days > 1


async def join(console: ConsoleAdapter, *names: str) -> None:
    for name in names:
        await console.push(f":as {name}")
        await console.push(":group recovery")
        await console.push("hello")
    await console.push(":dm")


async def test_declined_invite_can_be_sent_again_and_accept_is_announced(
        console: ConsoleAdapter) -> None:
    await join(console, "Alex", "Sam")
    await console.push("/buddy Alex")  # Sam invites
    said = await console.push(":advance 1m")
    assert [s.to for s in said if "check-in buddy" in s.text] == ["Alex (private)"]
    await console.push(":as Alex")
    said = await console.push(":press Not now")
    assert "won't be told" in said[0].text
    await console.push(":as Sam")
    said = await console.push("/buddy Alex")  # a new invite after a decline goes out again
    assert "I've asked Alex" in said[0].text
    said = await console.push(":advance 1m")
    assert [s.to for s in said if "check-in buddy" in s.text] == ["Alex (private)"]
    await console.push(":as Alex")
    await console.push(":press Accept")
    said = await console.push(":advance 1m")
    assert [(s.to, "now buddies" in s.text) for s in said] == [("Sam (private)", True)]


async def test_ambiguous_buddy_name_is_refused(console: ConsoleAdapter,
                                              store: SQLStore) -> None:
    await join(console, "Alex", "Sam")
    community = await store.communities.find("console", "recovery")
    assert community is not None
    other = await store.members.touch("console", "sam-2", "Sam", 0, False)
    await store.communities.note_member(other.id, community.id, False, 0)
    await console.push(":as Alex")
    said = await console.push("/buddy Sam")
    assert "More than one member" in said[0].text


async def test_forget_erases_heads_ups_about_the_member(console: ConsoleAdapter,
                                                        store: SQLStore) -> None:
    await join(console, "Alex", "Sam")
    await console.push("/buddy Alex")
    await console.push(":as Alex")
    await console.push("/buddy Sam")
    await console.push(":as Sam")
    await console.push("/buddy alerts on")
    await console.push("/checkin")
    await console.push(":press 2")
    await console.push(":press 9")  # a heads-up about Sam is queued for Alex
    assert await store.db.fetchval("SELECT COUNT(*) FROM outbox WHERE kind = 'buddy_alert'") == 1
    await console.push("/forget")
    await console.push(":press Yes, erase everything")
    assert await store.db.fetchval("SELECT COUNT(*) FROM outbox WHERE kind = 'buddy_alert'") == 0
    said = await console.push(":advance 1m")
    assert not any("Sam" in s.text for s in said)


async def test_forged_or_odd_buttons_are_answered_kindly(harbor: Harbor,
                                                         console: ConsoleAdapter,
                                                         store: SQLStore) -> None:
    from bot.kernel.types import EventKind, Incoming

    chat = console._chat()
    for data in ("ci:mood:2026-11-25:²", "ci:crav:2026-11-25:99", "bud:yes:²",
                 "bud:yes:99999999999999999999999", "reset:slip:٣", "set", "set:tz",
                 "ci", "ci:mood", "forget", "nonsense:x", "alert:claim:1", "alert:x",
                 "crisis:country:ZZ"):
        replies, _ = await harbor.core.respond(Incoming(member=console._member(), chat=chat,
                                                        kind=EventKind.BUTTON, button=data))
        assert not any(r.text.startswith("Sorry") for r in replies), data
    member = await store.members.find("console", "alex")
    assert member is not None
    assert await store.checkins.since(member.id, "2000-01-01") == []
