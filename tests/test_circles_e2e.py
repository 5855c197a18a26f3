"""The circles of support on both platform fakes, end to end: the real python-telegram-bot
and discord.py against tests/fakes/telegram_api.py and tests/fakes/discord_api.py, a real
SQLite file and the manual clock. What each person actually receives, and where: on
Telegram a supporter joins with a one-time code from another user's private chat and hears
only what the member switched on, and a mentorship starts only once both have said yes
with the buttons, every word of it in private chats; on Discord /resources answers
ephemerally, /events is the group's public listing, and an RSVP is private but counted."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from bot.kernel.clock import ManualClock
from bot.kernel.runtime import Harbor
from storage import open_store
from storage.sql.store import SQLStore
from tests.fakes import discord_api as fd
from tests.fakes.discord_api import FakeDiscord
from tests.fakes.telegram_api import Call, FakeTelegramAPI, group_chat, private_chat, user
from tests.helpers.fake_calls import (
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

EPHEMERAL = 64

# --- Telegram --------------------------------------------------------------------------

ALICE = user(11, "Alice")  # a member of the group
MORGAN = user(22, "Morgan")  # the group's admin, sober since 2025
BOB = user(33, "Bob")  # Alice's brother: not in the group, only a Telegram user
CAROL = user(44, "Carol")
GROUP = group_chat(-1001234, "Recovery Circle")
CODE = re.compile(r"\b[A-Z2-9]{4}-[A-Z2-9]{4}\b")


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


def text_of(call: Call) -> str:
    return str(call.params.get("text") or call.params.get("caption") or "")


def texts_to(fake: FakeTelegramAPI, chat_id: int | str) -> list[str]:
    """Everything the bot sent or edited in one chat, in order."""
    return [
        text_of(c)
        for c in fake.calls
        if c.method in ("sendMessage", "sendPhoto", "editMessageText")
        and str(c.params.get("chat_id")) == str(chat_id)
    ]


async def press(fake: FakeTelegramAPI, who: dict[str, Any], on: Call, data: str) -> Call:
    """`who` presses the button `data` on the message `on` in their private chat; returns
    the answer, an edit of that very message."""
    message_id = await fake.message_id(on)
    fake.push_callback(private_chat(who), who, data, message_id=message_id)

    def edited(call: Call) -> bool:
        return to(who["id"])(call) and int(call.params.get("message_id") or 0) == message_id

    answer = await fake.wait_for_call("editMessageText", edited, within=WAIT)
    await fake.message_id(answer)  # the edit went through: the server answered a Message
    return answer


async def opened_private_chat(fake: FakeTelegramAPI, who: dict[str, Any]) -> None:
    fake.push_message(private_chat(who), who, "/start")
    await fake.wait_for_call("sendMessage", to(who["id"], "Welcome"), within=WAIT)


async def test_telegram_a_supporter_joins_by_code_and_hears_only_what_is_allowed(
    telegram_fake: FakeTelegramAPI, telegram_bot: Harbor, clock: ManualClock
) -> None:
    fake = telegram_fake
    await opened_private_chat(fake, ALICE)
    fake.push_message(GROUP, ALICE, "/supporters invite")  # asked in the group...
    sent = await fake.wait_for_call("sendMessage", to(11, "one-time code"), within=WAIT)
    found = CODE.search(text_of(sent))
    assert found is not None
    code = found.group(0)
    # ...answered in her private chat; the group sees only a neutral pointer.
    await fake.wait_for_call("sendMessage", to(GROUP["id"], "private message"), within=WAIT)

    # Bob, who is in no group, joins from his own private chat with the bot.
    fake.push_message(private_chat(BOB), BOB, f"/supporting {code}")
    joined = await fake.wait_for_call(
        "sendMessage", to(33, "Thank you for being there"), within=WAIT
    )
    assert "Alice" in text_of(joined) and "Nothing is shared yet" in text_of(joined)
    assert "Al-Anon" in text_of(joined)  # family resources for him too (US, packaged)
    await telegram_bot.tick()
    told = await fake.wait_for_call("sendMessage", to(11, "Bob used your code"), within=WAIT)
    toggle = next(b for b in buttons(told) if b.endswith(":milestones:1"))
    assert any(b.startswith("sup:rm:") for b in buttons(told))

    # The code worked once: Carol, who got hold of it, is turned away.
    fake.push_message(private_chat(CAROL), CAROL, f"/supporting {code}")
    await fake.wait_for_call("sendMessage", to(44, "already been used"), within=WAIT)

    # Alice's counter reaches 30 days tomorrow; nothing is switched on yet.
    fake.push_message(private_chat(ALICE), ALICE, "/sober 2026-10-27")
    await fake.wait_for_call("sendMessage", to(11, "29 days"), within=WAIT)
    fake.push_message(private_chat(BOB), BOB, "/supporting")
    listed = await fake.wait_for_call("sendMessage", to(33, "You support:"), within=WAIT)
    assert "Alice, who shares with you: nothing yet" in text_of(listed)

    # She switches milestone congratulations on with the button she was given.
    switched = await press(fake, ALICE, told, toggle)
    assert "Bob will now get milestone congratulations" in text_of(switched)
    clock.set(datetime(2026, 11, 26, 9, 30, tzinfo=UTC))  # the morning look
    await telegram_bot.tick()
    note = await fake.wait_for_call("sendMessage", to(33, "Alice reached 30 days"), within=WAIT)
    assert "kind word" in text_of(note)
    await fake.wait_for_call("sendPhoto", to(11, "Congratulations"), within=WAIT)  # her card

    # Bob heard about Alice three times, all in his private chat: his welcome, his own
    # /supporting, and the one item she allowed.
    assert sum("Alice" in t for t in texts_to(fake, 33)) == 3
    [refused] = texts_to(fake, 44)  # Carol: the refusal, nothing more
    assert refused.startswith("That code has already been used")
    in_group = texts_to(fake, GROUP["id"])
    assert in_group and all(code not in t and "Bob" not in t for t in in_group)
    assert not [t for t in in_group if "30 days" in t or "supporter" in t.casefold()]


async def test_telegram_a_mentorship_starts_when_both_say_yes(
    telegram_fake: FakeTelegramAPI, telegram_bot: Harbor, tstore: SQLStore
) -> None:
    fake = telegram_fake
    for who in (MORGAN, ALICE):
        fake.push_message(GROUP, who, "/start")  # both are members of the group
        await opened_private_chat(fake, who)
    # Morgan, past the one-year threshold, volunteers in her private chat.
    fake.push_message(private_chat(MORGAN), MORGAN, "/sober 2025-01-01")
    await fake.wait_for_call("sendMessage", to(22, "days"), within=WAIT)
    fake.push_message(
        private_chat(MORGAN), MORGAN, "/mentor volunteer Meetings helped me. | English | evenings"
    )
    await fake.wait_for_call("sendMessage", to(22, "You're now a mentor volunteer"), within=WAIT)

    # Alice asks for a mentor: two short questions, in her private chat.
    fake.push_message(private_chat(ALICE), ALICE, "/mentor request")
    await fake.wait_for_call("sendMessage", to(11, "Which languages"), within=WAIT)
    fake.push_message(private_chat(ALICE), ALICE, "English")
    await fake.wait_for_call("sendMessage", to(11, "When are you usually free"), within=WAIT)
    fake.push_message(private_chat(ALICE), ALICE, "weekday evenings")
    await fake.wait_for_call("sendMessage", to(11, "Your request is in"), within=WAIT)
    await telegram_bot.tick()
    heads_up = await fake.wait_for_call("sendMessage", to(22, "asked for a mentor"), within=WAIT)
    assert "Alice" not in text_of(heads_up)  # moderators are told that, not who or what

    # Morgan, as the group's moderator, pairs them from the group; the answer is private.
    fake.push_message(GROUP, MORGAN, "/mentor pair 1")
    await fake.wait_for_call("sendMessage", to(22, "I've asked Morgan and Alice"), within=WAIT)
    await telegram_bot.tick()
    offer = await fake.wait_for_call("sendMessage", to(11, "could be your mentor"), within=WAIT)
    assert "Meetings helped me." in text_of(offer)
    to_mentor = await fake.wait_for_call("sendMessage", to(22, "Alice is looking"), within=WAIT)
    yes = next(b for b in buttons(offer) if b.startswith("mtr:yes:"))
    assert yes in buttons(to_mentor)  # one pairing, the same question to each

    # Alice says yes first: Morgan is not told anything until she answers herself.
    waiting = await press(fake, ALICE, offer, yes)
    assert "as soon as Morgan answers" in text_of(waiting)
    await telegram_bot.tick()
    assert not [t for t in texts_to(fake, 22) if "now connected" in t]
    pair = await tstore.mentors.get(int(yes.rsplit(":", 1)[1]))
    assert pair is not None and pair.status == "proposed"

    # Morgan says yes: now both hear it, each in a private chat; Alice gets the share buttons.
    accepted = await press(fake, MORGAN, to_mentor, yes)
    assert "you're their mentor" in text_of(accepted)
    await telegram_bot.tick()
    started = await fake.wait_for_call("sendMessage", to(11, "Morgan is your mentor"), within=WAIT)
    assert any(b.startswith("mtr:share:") for b in buttons(started))
    pair = await tstore.mentors.get(pair.id)
    assert pair is not None and pair.status == "active" and pair.sharing == frozenset()

    # None of it was said in the group: at most the neutral pointer to the private chat.
    said = [t for t in texts_to(fake, GROUP["id"]) if "! I'm Harbor." not in t]  # the hellos
    assert set(said) <= {"I've sent you a private message."}


# --- Discord ---------------------------------------------------------------------------


@pytest.fixture
async def discord_bot(
    discord_fake: FakeDiscord, store: SQLStore, clock: ManualClock
) -> AsyncIterator[Harbor]:
    async with on_discord(store, clock) as harbor:
        yield harbor


def as_moderator(fake: FakeDiscord, name: str, args: str) -> dict[str, Any]:
    return fd.slash_command(fake, name, args, user_id=fd.MODERATOR_ID, permissions=MODERATOR)


async def test_discord_resources_are_answered_ephemerally(
    discord_fake: FakeDiscord, discord_bot: Harbor
) -> None:
    fake = discord_fake
    added = await interact(
        fake, as_moderator(fake, "resources", "add housing | Hope House | 555 0100 | Northside")
    )
    assert flags(added) & EPHEMERAL and "Added to Housing" in content(added)
    denied = await interact(fake, fd.slash_command(fake, "resources", "add food | X | 1"))
    assert flags(denied) & EPHEMERAL and "moderators" in content(denied).casefold()
    found = await interact(fake, fd.slash_command(fake, "resources", "housing"))
    assert found.body["type"] == 4 and flags(found) & EPHEMERAL  # only the one searching
    assert "#1 Hope House: 555 0100" in content(found) and "Northside" in content(found)
    overview = await interact(fake, fd.slash_command(fake, "resources"))
    assert flags(overview) & EPHEMERAL and "• Housing: 1" in content(overview)
    await settled(discord_bot)
    # Nothing in the channel, nothing by DM: the answers were the interactions' own.
    assert not fake.requests_to("POST", CHANNEL_POST) and not fake.requests_to("POST", DM_POST)
    assert all(flags(c) & EPHEMERAL for c in fake.requests_to("POST", r"^/webhooks/"))


async def test_discord_event_rsvp_is_private_and_counted(
    discord_fake: FakeDiscord, discord_bot: Harbor, store: SQLStore
) -> None:
    fake = discord_fake
    added = await interact(
        fake, as_moderator(fake, "event", "add Recovery walk | tomorrow 10:00 | 90 | Riverside")
    )
    assert flags(added) & EPHEMERAL and "Added #1" in content(added)
    listed = await interact(fake, fd.slash_command(fake, "events"))
    assert not flags(listed) & EPHEMERAL  # the group's listing, for everyone
    assert "#1 Recovery walk" in content(listed) and "0 going" in content(listed)

    going = await interact(fake, fd.slash_command(fake, "event", "going 1"))
    assert flags(going) & EPHEMERAL and "you're going to Recovery walk" in content(going)
    details = await interact(fake, fd.slash_command(fake, "event", "1"))
    assert flags(details) & EPHEMERAL and "1 member is going." in content(details)
    assert "evt:skip:1" in custom_ids(details)  # she's going: the button now offers "not going"
    listed = await interact(fake, fd.slash_command(fake, "events"))
    assert "1 going" in content(listed) and "sam" not in content(listed).casefold()
    assert await store.events.going(1) == 1

    # Changing her mind with the button is private too, and the count follows.
    skipped = await interact(fake, fd.button_press(fake, "evt:skip:1"))
    assert flags(skipped) & EPHEMERAL and await store.events.going(1) == 0
    await settled(discord_bot)
    assert not fake.requests_to("POST", CHANNEL_POST) and not fake.requests_to("POST", DM_POST)
