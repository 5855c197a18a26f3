"""Harbor end to end on Telegram: the real core and the real python-telegram-bot against the
fake Bot API server, with a real SQLite file and the injected clock for scheduled work."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path

import pytest

from adapters.telegram_adapter import TelegramAdapter
from bot.app import build
from bot.kernel.clock import ManualClock
from bot.kernel.config import Settings
from bot.kernel.i18n import t
from bot.kernel.outbox import planned, private_to
from bot.kernel.runtime import Harbor
from storage import open_store
from storage.sql.store import SQLStore
from tests.fakes.telegram_api import FakeTelegramAPI, group_chat, private_chat, user
from tests.helpers.fake_calls import buttons, on_telegram, to

ALICE = user(11, "Alice")
MORGAN = user(22, "Morgan")
GROUP = group_chat(-1001234, "Recovery Circle")
WAIT = 5.0


@pytest.fixture
def fake(telegram_fake: FakeTelegramAPI) -> FakeTelegramAPI:
    return telegram_fake


@pytest.fixture
async def tstore(tmp_path: Path) -> AsyncIterator[SQLStore]:
    store = await open_store(tmp_path / "tg.db")
    yield store
    await store.close()


@pytest.fixture
async def bot(fake: FakeTelegramAPI, tstore: SQLStore, clock: ManualClock) -> AsyncIterator[Harbor]:
    async with on_telegram(fake, tstore, clock, {int(GROUP["id"]): [MORGAN]}) as harbor:
        yield harbor


async def test_start_in_private(fake: FakeTelegramAPI, bot: Harbor) -> None:
    fake.push_message(private_chat(ALICE), ALICE, "/start")
    welcome = await fake.wait_for_call("sendMessage", to(11, "Welcome, Alice"), within=WAIT)
    assert welcome.params["chat_id"] in (11, "11")
    ask = await fake.wait_for_call("sendMessage", to(11, "time zone"), within=WAIT)
    assert "set:tz:America/Chicago" in buttons(ask)
    commands = fake.calls_to("setMyCommands")
    assert commands, "the command menus are registered"


async def test_checkin_through_inline_buttons(
    fake: FakeTelegramAPI, bot: Harbor, tstore: SQLStore
) -> None:
    fake.push_message(private_chat(ALICE), ALICE, "/checkin")
    ask = await fake.wait_for_call("sendMessage", to(11, "mood"), within=WAIT)
    mood4 = next(b for b in buttons(ask) if b.endswith(":4"))
    fake.push_callback(private_chat(ALICE), ALICE, mood4, message_id=1)
    cravings = await fake.wait_for_call(
        "editMessageText", lambda c: "cravings" in str(c.params.get("text")), within=WAIT
    )
    fake.push_callback(
        private_chat(ALICE),
        ALICE,
        next(b for b in buttons(cravings) if b.endswith(":2")),
        message_id=1,
    )
    sober = await fake.wait_for_call(
        "editMessageText", lambda c: "Sober today" in str(c.params.get("text")), within=WAIT
    )
    fake.push_callback(
        private_chat(ALICE),
        ALICE,
        next(b for b in buttons(sober) if b.endswith(":yes")),
        message_id=1,
    )
    await fake.wait_for_call(
        "editMessageText",
        lambda c: "Thank you for checking in" in str(c.params.get("text")),
        within=WAIT,
    )
    member = await tstore.members.find("telegram", "11")
    assert member is not None
    row = await tstore.checkins.get(member.id, "2026-11-25")
    assert row is not None and (row.mood, row.cravings, row.sober) == (4, 2, "yes")
    assert len(fake.calls_to("answerCallbackQuery")) == 3


async def test_sober_date(fake: FakeTelegramAPI, bot: Harbor) -> None:
    fake.push_message(private_chat(ALICE), ALICE, "/sober 2026-10-01 alcohol")
    reply = await fake.wait_for_call("sendMessage", to(11, "alcohol: 55 days"), within=WAIT)
    assert "Next milestone: 60 days" in reply.params["text"]


async def test_crisis_in_group_answers_privately_with_numbers(
    fake: FakeTelegramAPI, bot: Harbor
) -> None:
    fake.push_message(GROUP, ALICE, "honestly I want to kill myself tonight")
    private = await fake.wait_for_call("sendMessage", to(11, "988"), within=WAIT)
    text = private.params["text"]
    assert "You're not alone" in text or "not alone" in text
    assert "911" in text and "automated message" in text
    fake.push_message(GROUP, MORGAN, "/help")  # a later message, to know the first was handled
    await fake.wait_for_call("sendMessage", to(GROUP["id"], "Here's what I can do"), within=WAIT)
    group_posts = [
        c for c in fake.calls_to("sendMessage") if str(c.params["chat_id"]) == str(GROUP["id"])
    ]
    assert all("988" not in str(c.params.get("text")) for c in group_posts)
    assert len(group_posts) == 1  # only the /help answer: nothing public about Alice


async def test_moderator_alert_points_to_the_message(fake: FakeTelegramAPI, bot: Harbor) -> None:
    fake.push_message(GROUP, MORGAN, "/community crisis_alerts on")
    await fake.wait_for_call("sendMessage", to(GROUP["id"], "Saved"), within=WAIT)
    sent = fake.push_message(GROUP, ALICE, "i want to end my life")
    alert = await fake.wait_for_call("sendMessage", to(22, "caring check-in"), within=WAIT)
    message_id = sent["message"]["message_id"]
    assert f"https://t.me/c/1234/{message_id}" in alert.params["text"]
    assert "end my life" not in alert.params["text"]


async def test_milestone_post_delivered_to_the_group(
    fake: FakeTelegramAPI, bot: Harbor, clock: ManualClock
) -> None:
    fake.push_message(GROUP, MORGAN, "/community celebrations on")
    fake.push_message(GROUP, MORGAN, "/community announce")
    await fake.wait_for_call("sendMessage", to(GROUP["id"], "announcement channel"), within=WAIT)
    # Celebrations are chosen per group: in the group itself (answered privately).
    fake.push_message(GROUP, ALICE, "/celebrate on")
    await fake.wait_for_call("sendMessage", to(11, "will be celebrated in"), within=WAIT)
    fake.push_message(private_chat(ALICE), ALICE, "/sober 2026-10-01 alcohol")
    await fake.wait_for_call("sendMessage", to(11, "alcohol: 55 days"), within=WAIT)
    clock.set(clock.now() + timedelta(days=5))  # 2026-11-30 12:00 UTC, after 09:00 UTC
    await bot.tick()
    # The post carries its milestone card (#19): a photo, the words as its caption.
    post = await fake.wait_for_call(
        "sendPhoto",
        lambda c: str(c.params.get("chat_id")) == str(GROUP["id"])
        and "celebrates 60 days" in str(c.params.get("caption")),
        within=WAIT,
    )
    assert "alcohol" not in post.params["caption"]


async def test_blocked_member_is_paused(
    fake: FakeTelegramAPI, bot: Harbor, clock: ManualClock, tstore: SQLStore
) -> None:
    fake.push_message(private_chat(ALICE), ALICE, "/checkin on")
    await fake.wait_for_call("sendMessage", to(11, "Daily check-ins are on"), within=WAIT)
    fake.fail_blocked("sendMessage", chat_id=11)
    clock.set(clock.now() + timedelta(days=1))
    stats = await bot.tick()
    assert stats.held == 1
    member = await tstore.members.find("telegram", "11")
    assert member is not None and member.paused


async def test_retry_after_is_obeyed_and_nothing_lost(
    fake: FakeTelegramAPI, bot: Harbor, clock: ManualClock
) -> None:
    fake.push_message(private_chat(ALICE), ALICE, "/checkin on")
    await fake.wait_for_call("sendMessage", to(11, "Daily check-ins are on"), within=WAIT)
    fake.fail_retry_after("sendMessage", 3, chat_id=11)
    clock.set(clock.now() + timedelta(hours=21))  # the 09:00 UTC prompt is due
    first = await bot.tick()
    assert first.deferred == 1 and first.sent == 0  # rescheduled: no attempt used
    clock.set(clock.now() + timedelta(seconds=2))
    assert (await bot.tick()).sent == 0  # still inside "retry after 3 s"
    clock.set(clock.now() + timedelta(seconds=1))
    second = await bot.tick()
    assert second.sent == 1
    await fake.wait_for_call("sendMessage", to(11, "daily check-in"), within=WAIT)


async def test_meeting_reminder_delivered_to_the_group(
    fake: FakeTelegramAPI, bot: Harbor, clock: ManualClock
) -> None:
    # Wednesday 2026-11-25 12:00 UTC; a 19:00 UTC Wednesday meeting, announced 60 min before.
    fake.push_message(GROUP, MORGAN, "/community announce")
    await fake.wait_for_call("sendMessage", to(GROUP["id"], "announcement channel"), within=WAIT)
    fake.push_message(
        GROUP, MORGAN, "/meeting add Evening Circle | wed | 19:00 | UTC | 60 | https://zoom.us/j/1"
    )
    await fake.wait_for_call("sendMessage", to(GROUP["id"], "Saved: Evening Circle"), within=WAIT)
    clock.set(clock.now() + timedelta(hours=6))  # 18:00 UTC
    await bot.tick()
    await bot.tick()  # a repeated sweep sends nothing more
    reminder = await fake.wait_for_call(
        "sendMessage",
        lambda c: to(GROUP["id"], "Evening Circle")(c) and "Saved" not in str(c.params.get("text")),
        within=WAIT,
    )
    assert "https://zoom.us/j/1" in reminder.params["text"]
    posts = [
        c
        for c in fake.calls_to("sendMessage")
        if str(c.params["chat_id"]) == str(GROUP["id"])
        and "Evening Circle" in str(c.params.get("text"))
        and "Saved" not in str(c.params.get("text"))
    ]
    assert len(posts) == 1


async def test_crisis_without_a_private_chat_opens_it_with_the_lines(
    fake: FakeTelegramAPI, bot: Harbor
) -> None:
    fake.fail_cannot_initiate("sendMessage", chat_id=11)
    fake.push_message(GROUP, ALICE, "/crisis")
    public = await fake.wait_for_call(
        "sendMessage", to(GROUP["id"], t("crisis.reach_out_in_group")), within=WAIT
    )
    assert buttons(public) == ["https://t.me/HarborTestBot?start=crisis"]
    assert "988" not in str(public.params["text"])  # no numbers tied to a named person
    # The deep link opens the private chat with /start crisis: the lines come at once.
    fake.push_message(private_chat(ALICE), ALICE, "/start crisis")
    lines = await fake.wait_for_call("sendMessage", to(11, "988"), within=WAIT)
    assert "Welcome" not in str(lines.params["text"])
    texts = [str(c.params.get("text")) for c in fake.calls_to("sendMessage")]
    assert not any("I've sent you a private message" in x for x in texts)


async def test_alerts_never_reach_a_former_moderator(
    fake: FakeTelegramAPI, tstore: SQLStore, clock: ManualClock
) -> None:
    harbor = build(tstore, clock, Settings())
    adapter = TelegramAdapter(
        fake.token, harbor.command_infos(), base_url=fake.root_url, admin_cache_seconds=0
    )
    harbor.attach(adapter)
    await adapter.start(harbor.core)
    try:
        fake.set_admins(int(GROUP["id"]), [MORGAN])
        fake.push_message(GROUP, MORGAN, "/community crisis_alerts on")
        await fake.wait_for_call("sendMessage", to(GROUP["id"], "Saved"), within=WAIT)
        fake.set_admins(int(GROUP["id"]), [user(33, "Olu")])  # Morgan is no longer an admin
        fake.push_message(GROUP, ALICE, "i want to end my life")
        await fake.wait_for_call("sendMessage", to(11, "not alone"), within=WAIT)
        fake.push_message(GROUP, ALICE, "/help")
        await fake.wait_for_call("sendMessage", to(GROUP["id"], "Here's what"), within=WAIT)
        assert not [c for c in fake.calls_to("sendMessage") if str(c.params["chat_id"]) == "22"]
    finally:
        await adapter.stop()


async def test_group_upgraded_to_supergroup_keeps_its_community(
    fake: FakeTelegramAPI, bot: Harbor, tstore: SQLStore
) -> None:
    old = {"id": -4242, "type": "group", "title": "Small Group"}
    fake.set_admins(-4242, [MORGAN])
    fake.push_message(old, MORGAN, "/community announce")
    await fake.wait_for_call("sendMessage", to(-4242, "announcement channel"), within=WAIT)
    fake.push_message(old, MORGAN, "", migrate_to_chat_id=-1009999)
    fake.push_message(GROUP, MORGAN, "/help")  # a later update, to know the move was handled
    await fake.wait_for_call("sendMessage", to(GROUP["id"], "Here's what"), within=WAIT)
    moved = await tstore.communities.find("telegram", "-1009999")
    assert moved is not None and moved.announce_chat_id == "-1009999"
    assert await tstore.communities.find("telegram", "-4242") is None


async def test_a_crisis_reply_refused_with_retry_after_is_sent_when_the_wait_is_over(
    fake: FakeTelegramAPI, bot: Harbor, clock: ManualClock
) -> None:
    fake.fail_retry_after("sendMessage", 1, chat_id=11)
    fake.push_message(private_chat(ALICE), ALICE, "/crisis")
    refused = await fake.wait_for_call("sendMessage", to(11, "988"), within=WAIT)

    async def told_to_wait() -> None:  # the handler never sleeps on it: the pacer holds it
        while True:
            if bot.pacers["telegram"].wait_for("dm:11", False) > 0:
                return
            await asyncio.sleep(0.01)  # polling an observable state, not a timer

    await asyncio.wait_for(told_to_wait(), WAIT)
    clock.advance(timedelta(seconds=1))  # pacing follows the injected monotonic clock
    again = await fake.wait_for_call("sendMessage", lambda c: to(11, "988")(c) and c is not refused,
                                     within=WAIT)  # fmt: skip
    assert again.params == refused.params and "not alone" in again.params["text"]


# --- deep links ------------------------------------------------------------------------


async def test_deep_links_continue_where_the_member_was_sent_from(
    fake: FakeTelegramAPI, bot: Harbor
) -> None:
    fake.push_message(
        GROUP, MORGAN, "/meeting add Evening Circle | wed | 19:00 | UTC | 60 | https://zoom.us/j/1"
    )
    await fake.wait_for_call("sendMessage", to(GROUP["id"], "Saved: Evening Circle"), within=WAIT)
    fake.push_message(GROUP, ALICE, "hello everyone")  # Alice belongs to the group
    fake.push_message(private_chat(ALICE), ALICE, "/start checkin")
    await fake.wait_for_call("sendMessage", to(11, t("checkin.ask_mood")), within=WAIT)
    fake.push_message(private_chat(ALICE), ALICE, "/start meeting-1")
    details = await fake.wait_for_call("sendMessage", to(11, "Evening Circle (#1"), within=WAIT)
    assert "https://zoom.us/j/1" in details.params["text"]
    # A command name resumes that command (what the delivery step sends as `resume`).
    fake.push_message(private_chat(ALICE), ALICE, "/sober 2026-10-01 alcohol")
    await fake.wait_for_call("sendMessage", to(11, "alcohol: 55 days"), within=WAIT)
    fake.push_message(private_chat(ALICE), ALICE, "/start sober")
    await fake.wait_for_call(
        "sendMessage",
        lambda c: (
            len([x for x in fake.calls_to("sendMessage") if to(11, "alcohol: 55 days")(x)]) == 2
        ),
        within=WAIT,
    )
    texts = [str(c.params.get("text")) for c in fake.calls_to("sendMessage")]
    # A new member is welcomed once, then goes straight on to what they asked for.
    assert sum("Welcome" in text for text in texts) <= 1


async def test_a_deep_link_carries_no_other_arguments(
    fake: FakeTelegramAPI, bot: Harbor, tstore: SQLStore
) -> None:
    fake.push_message(private_chat(ALICE), ALICE, "/forget")
    await fake.wait_for_call("sendMessage", to(11, t("forget.confirm")), within=WAIT)
    fake.push_message(private_chat(ALICE), ALICE, "/start forget-yes")  # a crafted link
    fake.push_message(private_chat(ALICE), ALICE, "/start")
    await fake.wait_for_call("sendMessage", to(11, "Welcome, Alice"), within=WAIT)
    assert await tstore.members.find("telegram", "11") is not None  # nothing erased


# --- a group that became a supergroup ---------------------------------------------------


async def test_queued_messages_follow_a_group_to_its_supergroup(
    fake: FakeTelegramAPI, bot: Harbor, clock: ManualClock, tstore: SQLStore
) -> None:
    old = {"id": -4242, "type": "group", "title": "Small Group"}
    fake.set_admins(-4242, [MORGAN])
    fake.push_message(old, MORGAN, "/community announce")
    await fake.wait_for_call("sendMessage", to(-4242, "announcement channel"), within=WAIT)
    fake.push_message(
        old, MORGAN, "/meeting add Evening Circle | wed | 19:00 | UTC | 60 | https://zoom.us/j/1"
    )
    await fake.wait_for_call("sendMessage", to(-4242, "Saved: Evening Circle"), within=WAIT)
    # Telegram upgrades the group; Harbor has not seen the service message yet.
    fake.migrate_chat(-4242, -1009999)
    clock.set(clock.now() + timedelta(hours=6))  # 18:00 UTC: the reminder is due
    stats = await bot.tick()
    # The old id answered ChatMigrated: the row moved to the new id and went out there.
    assert stats.by_status.get("moved") == 1 and stats.sent == 1
    assert (await bot.tick()).sent == 0  # once
    reminder = await fake.wait_for_call("sendMessage", to(-1009999, "Evening Circle"), within=WAIT)
    assert "https://zoom.us/j/1" in reminder.params["text"]
    moved = await tstore.communities.find("telegram", "-1009999")
    assert moved is not None and moved.announce_chat_id == "-1009999"
    # A direct answer in the old chat goes to the new one too.
    fake.push_message(old, MORGAN, "/help")
    await fake.wait_for_call("sendMessage", to(-1009999, "Here's what"), within=WAIT)


# --- blocking and unblocking the bot ------------------------------------------------------


async def paused_becomes(store: SQLStore, user: str, paused: bool) -> None:
    """Until the member's paused flag reads `paused` (the update is handled in its own lane)."""

    async def poll() -> None:
        while True:
            member = await store.members.find("telegram", user)
            if member is not None and member.paused == paused:
                return
            await asyncio.sleep(0.01)  # polling an observable state, not a timer

    await asyncio.wait_for(poll(), WAIT)


async def test_blocking_holds_and_unblocking_resumes_at_once(
    fake: FakeTelegramAPI, bot: Harbor, clock: ManualClock, tstore: SQLStore
) -> None:
    fake.push_message(private_chat(ALICE), ALICE, "/start")
    await fake.wait_for_call("sendMessage", to(11, "Welcome, Alice"), within=WAIT)
    member = await tstore.members.find("telegram", "11")
    assert member is not None
    due = int(clock.now().timestamp()) + 600
    note = private_to(member, "A note for later")
    await tstore.outbox.enqueue([planned(note, key="note:1", kind="note", due=due,
                                         recipient_id=member.id)])  # fmt: skip
    fake.push_my_chat_member(private_chat(ALICE), ALICE, old="member", new="kicked")
    # Updates of different chats run side by side, so wait for the block itself.
    await paused_becomes(tstore, "11", True)
    clock.set(clock.now() + timedelta(minutes=20))
    assert (await bot.tick()).sent == 0
    assert (await tstore.outbox.stats()).get("held") == 1
    assert not fake.calls_to("sendMessage") or not any(
        to(11, "A note for later")(c) for c in fake.calls_to("sendMessage")
    )
    # Unblocked: no need to write first, the held message goes out.
    fake.push_my_chat_member(private_chat(ALICE), ALICE, old="kicked", new="member")
    await paused_becomes(tstore, "11", False)
    assert (await bot.tick()).sent == 1
    await fake.wait_for_call("sendMessage", to(11, "A note for later"), within=WAIT)


# --- posts that are nobody speaking -------------------------------------------------------


async def test_linked_channel_posts_are_ignored(fake: FakeTelegramAPI, bot: Harbor) -> None:
    channel = {"id": -100888, "type": "channel", "title": "Harbor News"}
    service = {"id": 777000, "is_bot": False, "first_name": "Telegram"}
    # The channel's post, forwarded into its discussion group: nobody asked for /help.
    fake.push_message(GROUP, service, "/help is what our new bot answers to",
                      sender_chat=channel, is_automatic_forward=True)  # fmt: skip
    # A later message of the same group: handled after the post (one lane per chat).
    fake.push_message(GROUP, MORGAN, "/community")
    await fake.wait_for_call("sendMessage", to(GROUP["id"], "Recovery Circle"), within=WAIT)
    texts = [str(c.params.get("text")) for c in fake.calls_to("sendMessage")]
    assert not any("Here's what" in text for text in texts)
    assert len(texts) == 1


async def test_a_direct_answer_that_timed_out_is_not_sent_again(
    fake: FakeTelegramAPI, tstore: SQLStore, clock: ManualClock
) -> None:
    harbor = build(tstore, clock, Settings(), monotonic=lambda: clock.now().timestamp())
    adapter = TelegramAdapter(fake.token, harbor.command_infos(), base_url=fake.root_url,
                              read_timeout=0.5)  # fmt: skip
    harbor.attach(adapter)
    await adapter.start(harbor.core)
    try:
        fake.delay_next("sendMessage", 3.0)
        fake.push_message(private_chat(ALICE), ALICE, "/sober 2026-10-01 alcohol")
        await fake.wait_for_call("sendMessage", to(11, "alcohol: 55 days"), within=WAIT)
        fake.push_message(private_chat(ALICE), ALICE, "/privacy")  # after the first answer
        await fake.wait_for_call("sendMessage", to(11, "keep"), within=WAIT)
        clock.set(clock.now() + timedelta(minutes=5))
        await harbor.tick()  # nothing was queued for a retry
        sent = [c for c in fake.calls_to("sendMessage") if to(11, "alcohol: 55 days")(c)]
        assert len(sent) == 1
    finally:
        await adapter.stop()
