"""The recovery tools on both platform fakes, end to end (the real discord.py and
python-telegram-bot against the fake servers, a real SQLite file, the manual clock):
private notes and reasons in a Discord modal (never typed in a channel) and asked in the
private chat on Telegram; /urge and its follow-up; savings in /sober; milestone cards as
attachments; scheduled posts in the chosen channel or topic, once."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from bot.kernel.clock import ManualClock
from bot.kernel.runtime import Harbor
from storage import open_store
from storage.sql.store import SQLStore
from tests.fakes import discord_api as fd
from tests.fakes.discord_api import FakeDiscord
from tests.fakes.telegram_api import FakeTelegramAPI, group_chat, private_chat, user
from tests.helpers.fake_calls import (
    ANNOUNCE_POST,
    CHANNEL_POST,
    DM_POST,
    MODERATOR,
    WAIT,
    buttons,
    content,
    custom_ids,
    flags,
    interact,
    on_discord,
    on_telegram,
    settled,
    to,
)

TODAY = "2026-11-25"


# --- Discord ---------------------------------------------------------------------------


@pytest.fixture
async def discord_bot(
    discord_fake: FakeDiscord, store: SQLStore, clock: ManualClock
) -> AsyncIterator[Harbor]:
    async with on_discord(store, clock) as harbor:
        yield harbor


async def member_id(store: SQLStore, platform: str, user_id: str) -> int:
    member = await store.members.find(platform, user_id)
    assert member is not None
    return member.id


@pytest.mark.parametrize("layout", ["row", "label"])
async def test_discord_reasons_add_opens_a_modal_and_its_answer_is_kept(
    discord_fake: FakeDiscord, discord_bot: Harbor, store: SQLStore, layout: str
) -> None:
    fake = discord_fake
    opened = await interact(fake, fd.slash_command(fake, "reasons", "add"))
    assert opened.body["type"] == 9  # a modal
    modal = opened.body["data"]
    assert modal["custom_id"] == "rsn:add" and modal["title"] == "A reason of your own"
    field = modal["components"][0]["components"][0]
    assert field["type"] == 4 and field["max_length"] == 280
    answer = await interact(
        fake, fd.modal_submit(fake, "rsn:add", "waking up clear for my kids", layout=layout)
    )
    assert answer.body["type"] == 4 and flags(answer) & 64  # ephemeral in the server
    assert "Kept" in content(answer)
    reasons = await store.recovery.reasons(await member_id(store, "discord", fd.MEMBER_ID))
    assert [r.text for r in reasons] == ["waking up clear for my kids"]
    await settled(discord_bot)
    assert not fake.requests_to("POST", CHANNEL_POST)  # nothing in the channel


async def test_discord_a_2000_character_reason_is_refused(
    discord_fake: FakeDiscord, discord_bot: Harbor, store: SQLStore
) -> None:
    fake = discord_fake
    answer = await interact(fake, fd.modal_submit(fake, "rsn:add", "x" * 2000))
    assert "280 characters or fewer" in content(answer) and flags(answer) & 64
    assert await store.db.fetchval("SELECT COUNT(*) FROM recovery_reasons") == 0


async def test_discord_checkin_note_in_a_modal(
    discord_fake: FakeDiscord, discord_bot: Harbor, store: SQLStore
) -> None:
    fake = discord_fake
    for data in (f"ci:mood:{TODAY}:3", f"ci:crav:{TODAY}:2"):
        await interact(fake, fd.button_press(fake, data))
    done = await interact(fake, fd.button_press(fake, f"ci:sober:{TODAY}:yes"))
    assert f"ci:noteform:{TODAY}:-" in custom_ids(done) and "urg:start" in custom_ids(done)
    assert "Just type it" not in content(done)  # never asked to type it in the channel
    opened = await interact(fake, fd.button_press(fake, f"ci:noteform:{TODAY}:-"))
    assert opened.body["type"] == 9
    assert opened.body["data"]["custom_id"] == f"ci:note:{TODAY}:-"
    saved = await interact(fake, fd.modal_submit(fake, f"ci:note:{TODAY}:-", "a hard morning"))
    assert "note is saved" in content(saved) and flags(saved) & 64
    row = await store.checkins.get(await member_id(store, "discord", fd.MEMBER_ID), TODAY)
    assert row is not None and row.note == "a hard morning"
    await settled(discord_bot)
    assert not fake.requests_to("POST", CHANNEL_POST)


async def test_discord_crisis_words_in_a_modal_get_the_crisis_reply(
    discord_fake: FakeDiscord, discord_bot: Harbor, store: SQLStore
) -> None:
    fake = discord_fake
    answer = await interact(
        fake, fd.modal_submit(fake, "rsn:add", "honestly I want to kill myself tonight")
    )
    assert "116 123" in content(answer)  # the guard answered first
    assert await store.db.fetchval("SELECT COUNT(*) FROM recovery_reasons") == 0


async def test_discord_urge_and_its_follow_up_by_dm(
    discord_fake: FakeDiscord, discord_bot: Harbor, clock: ManualClock, store: SQLStore
) -> None:
    fake = discord_fake
    shown = await interact(fake, fd.slash_command(fake, "urge"))
    assert flags(shown) & 64 and "One thing to try now" in content(shown)
    check = next(i for i in custom_ids(shown) if i.startswith("urg:check:"))
    assert "crisis:show" in custom_ids(shown)
    set_ = await interact(fake, fd.button_press(fake, check))
    assert "20 minutes" in content(set_)
    clock.set(clock.now() + timedelta(minutes=21))
    assert (await discord_bot.tick()).sent == 1
    [ask] = fake.requests_to("POST", DM_POST)
    assert "craving now" in content(ask)
    level = next(i for i in custom_ids(ask) if i.endswith(":1"))
    eased = await interact(fake, fd.button_press(fake, level, guild=False))
    assert "eased" in content(eased)
    row = await store.db.fetchone("SELECT level_after FROM urges")
    assert row is not None and row["level_after"] == 1


async def test_discord_sober_money_in_the_channel_is_answered_only_to_the_member(
    discord_fake: FakeDiscord, discord_bot: Harbor, store: SQLStore
) -> None:
    fake = discord_fake
    started = await interact(fake, fd.slash_command(fake, "sober", "2026-10-27"))
    assert flags(started) & 64 and "29 days" in content(started)
    money = await interact(fake, fd.slash_command(fake, "sober", "money 10/day"))
    assert flags(money) & 64 and "£290.00" in content(money)  # GB: pounds, from the locale
    shown = await interact(fake, fd.slash_command(fake, "sober"))
    assert flags(shown) & 64 and "29 days" in content(shown) and "£290.00" in content(shown)
    refused = await interact(fake, fd.slash_command(fake, "sober", "money -5/day"))
    assert flags(refused) & 64 and "can't be negative" in content(refused)
    await settled(discord_bot)
    rate = await store.db.fetchval("SELECT money_rate FROM counter_savings")
    assert rate is not None and "10" in str(rate)  # the refused -5 changed nothing
    # Nothing reached the channel (or a DM): only the interaction answers, seen by her alone.
    assert not fake.requests_to("POST", CHANNEL_POST)
    assert not fake.requests_to("POST", DM_POST)
    assert all(flags(c) & 64 for c in fake.requests_to("POST", r"^/webhooks/"))


async def test_discord_card_is_an_attachment_with_alt_text(
    discord_fake: FakeDiscord, discord_bot: Harbor, clock: ManualClock
) -> None:
    fake = discord_fake
    await interact(fake, fd.slash_command(fake, "sober", "2026-10-27", guild=False))
    await interact(fake, fd.slash_command(fake, "sober", "money 10/day", guild=False))
    clock.set(datetime(2026, 11, 26, 9, 30, tzinfo=UTC))
    assert (await discord_bot.tick()).sent == 1
    [note] = fake.requests_to("POST", DM_POST)
    assert "Congratulations" in content(note) and "£300.00" in content(note)
    assert [name for name, _ in note.files] == ["image.png"]
    assert note.files[0][1].startswith(b"\x89PNG")
    (attachment,) = note.body["attachments"]
    assert attachment["description"].startswith("A milestone card: 30 days")


async def test_discord_scheduled_posts_go_to_the_chosen_channel_once(
    discord_fake: FakeDiscord, discord_bot: Harbor, clock: ManualClock
) -> None:
    fake = discord_fake

    def as_moderator(args: str, channel: str = fd.CHANNEL_ID) -> dict[str, Any]:
        payload = fd.slash_command(
            fake, "announce", args, user_id=fd.MODERATOR_ID, permissions=MODERATOR
        )
        return {**payload, "channel_id": channel, "channel": {**payload["channel"], "id": channel}}

    announce = fd.slash_command(
        fake, "community", "announce", user_id=fd.MODERATOR_ID, permissions=MODERATOR
    )
    await interact(fake, {**announce, "channel_id": fd.ANNOUNCE_ID,
                          "channel": {**announce["channel"], "id": fd.ANNOUNCE_ID}})  # fmt: skip
    added = await interact(fake, as_moderator("add daily 13:00 | Today's topic: hope"))
    assert "to the announcement channel" in content(added) and flags(added) & 64
    here = await interact(fake, as_moderator("add here daily 13:00 | Coffee after the meeting"))
    assert ", here." in content(here)
    denied = await interact(
        fake,
        fd.slash_command(fake, "announce", "add daily 13:00 | spam"),  # not a moderator
    )
    assert "moderators" in content(denied).casefold()
    clock.set(datetime(2026, 11, 25, 13, 0, tzinfo=UTC))
    assert (await discord_bot.tick()).sent == 2
    clock.set(clock.now() + timedelta(minutes=5))
    assert (await discord_bot.tick()).sent == 0
    [to_announcements] = fake.requests_to("POST", ANNOUNCE_POST)
    assert content(to_announcements) == "Today's topic: hope"
    [to_general] = fake.requests_to("POST", CHANNEL_POST)
    assert content(to_general) == "Coffee after the meeting"


# --- Telegram --------------------------------------------------------------------------

ALICE = user(11, "Alice")
MORGAN = user(22, "Morgan")
GROUP = group_chat(-1001234, "Recovery Circle")
TOPIC_ID = 77


@pytest.fixture
async def tstore(tmp_path: Path) -> AsyncIterator[SQLStore]:
    s = await open_store(tmp_path / "tg.db")
    yield s
    await s.close()


@pytest.fixture
async def telegram_bot(
    telegram_fake: FakeTelegramAPI, tstore: SQLStore, clock: ManualClock
) -> AsyncIterator[Harbor]:
    async with on_telegram(telegram_fake, tstore, clock, {int(GROUP["id"]): [MORGAN]}) as harbor:
        yield harbor


async def test_telegram_reasons_are_asked_in_the_private_chat(
    telegram_fake: FakeTelegramAPI, telegram_bot: Harbor, tstore: SQLStore
) -> None:
    fake = telegram_fake
    fake.push_message(private_chat(ALICE), ALICE, "/start")
    await fake.wait_for_call("sendMessage", to(11, "Welcome"), within=WAIT)
    fake.push_message(GROUP, ALICE, "/reasons add")
    await fake.wait_for_call("sendMessage", to(11, "only you will see it"), within=WAIT)
    fake.push_message(private_chat(ALICE), ALICE, "being present for my son")
    await fake.wait_for_call("sendMessage", to(11, "Kept"), within=WAIT)
    reasons = await tstore.recovery.reasons(await member_id(tstore, "telegram", "11"))
    assert [r.text for r in reasons] == ["being present for my son"]
    group_posts = [c for c in fake.calls_to("sendMessage") if to(GROUP["id"])(c)]
    assert all("son" not in str(c.params.get("text")) for c in group_posts)


async def test_telegram_urge_savings_and_the_card(
    telegram_fake: FakeTelegramAPI, telegram_bot: Harbor, clock: ManualClock
) -> None:
    fake = telegram_fake
    fake.push_message(private_chat(ALICE), ALICE, "/sober 2026-10-27")
    await fake.wait_for_call("sendMessage", to(11, "29 days"), within=WAIT)
    fake.push_message(private_chat(ALICE), ALICE, "/sober money 10/day")
    await fake.wait_for_call("sendMessage", to(11, "$290.00"), within=WAIT)
    fake.push_message(private_chat(ALICE), ALICE, "/urge")
    shown = await fake.wait_for_call("sendMessage", to(11, "One thing to try now"), within=WAIT)
    assert "crisis:show" in buttons(shown)
    fake.push_callback(private_chat(ALICE), ALICE, "crisis:show", message_id=1)
    await fake.wait_for_call("sendMessage", to(11, "988"), within=WAIT)
    clock.set(datetime(2026, 11, 26, 9, 30, tzinfo=UTC))
    await telegram_bot.tick()
    card = await fake.wait_for_call("sendPhoto", to(11, "Congratulations"), within=WAIT)
    assert "$300.00" in str(card.params.get("caption"))


async def test_telegram_scheduled_post_in_a_forum_topic(
    telegram_fake: FakeTelegramAPI, telegram_bot: Harbor, clock: ManualClock
) -> None:
    fake = telegram_fake
    fake.push_message(GROUP, MORGAN, "/start")  # a private chat, for the answers
    fake.push_message(private_chat(MORGAN), MORGAN, "/start")
    await fake.wait_for_call("sendMessage", to(22, "Welcome"), within=WAIT)
    fake.push_message(
        GROUP, MORGAN, "/announce add here daily 13:00 | Topic of the day: patience",
        message_thread_id=TOPIC_ID, is_topic_message=True,
    )  # fmt: skip
    await fake.wait_for_call("sendMessage", to(22, "Scheduled #1"), within=WAIT)
    clock.set(datetime(2026, 11, 25, 13, 0, tzinfo=UTC))
    await telegram_bot.tick()
    post = await fake.wait_for_call("sendMessage", to(GROUP["id"], "patience"), within=WAIT)
    assert int(post.params["message_thread_id"]) == TOPIC_ID
    clock.set(clock.now() + timedelta(minutes=5))
    await telegram_bot.tick()
    assert len([c for c in fake.calls_to("sendMessage") if to(GROUP["id"], "patience")(c)]) == 1
