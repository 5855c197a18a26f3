"""Crisis support on Telegram (issue #11), end to end: the real core and python-telegram-bot
against the fake Bot API. An edited message is scanned; a member who blocked the bot still
finds the lines; another chat's "retry after" holds nothing up; a crisis reply whose send
timed out is sent again. Assertions are on the calls the fake recorded and on the store,
in order; waits are bounded waits for those, never sleeps or measured times."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import timedelta

import pytest

from adapters.telegram_adapter import TelegramAdapter
from bot.app import build
from bot.kernel.clock import ManualClock
from bot.kernel.config import Settings
from bot.kernel.i18n import t
from bot.kernel.runtime import Harbor
from storage.sql.store import SQLStore
from tests.fakes.telegram_api import Call, FakeTelegramAPI, group_chat, private_chat, user
from tests.helpers.fake_calls import buttons, to

ALICE = user(11, "Alice")
MORGAN = user(22, "Morgan")  # the group's owner
GROUP = group_chat(-1001234, "Recovery Circle")
CRISIS = "honestly I want to kill myself tonight"
WAIT = 5.0


async def start(
    fake: FakeTelegramAPI, store: SQLStore, clock: ManualClock, **adapter: float
) -> tuple[Harbor, TelegramAdapter]:
    settings = Settings.model_validate({"community": {"country": "US"}})
    harbor = build(store, clock, settings, monotonic=lambda: clock.now().timestamp())
    harbor.delivery.crisis_retries = (0.0, 0.0, 0.0)  # resent at once: no real waiting
    telegram = TelegramAdapter(
        fake.token, harbor.command_infos(), base_url=fake.root_url, **adapter
    )
    harbor.attach(telegram)
    await telegram.start(harbor.core)
    fake.set_admins(int(GROUP["id"]), [MORGAN])
    return harbor, telegram


@pytest.fixture
async def bot(
    telegram_fake: FakeTelegramAPI, store: SQLStore, clock: ManualClock
) -> AsyncIterator[Harbor]:
    harbor, telegram = await start(telegram_fake, store, clock)
    yield harbor
    await telegram.stop()


def sent_calls(fake: FakeTelegramAPI, chat_id: int | str) -> list[Call]:
    """The sendMessage calls to one chat, in order (refused ones too)."""
    return [c for c in fake.calls_to("sendMessage") if str(c.params.get("chat_id")) == str(chat_id)]


def sent_to(fake: FakeTelegramAPI, chat_id: int | str) -> list[str]:
    return [str(c.params.get("text", "")) for c in sent_calls(fake, chat_id)]


async def test_an_edited_message_with_crisis_words_gets_the_lines_privately(
    telegram_fake: FakeTelegramAPI, bot: Harbor
) -> None:
    fake = telegram_fake
    posted = fake.push_message(GROUP, ALICE, "hello all")
    edited = {**posted["message"], "text": CRISIS, "edit_date": posted["message"]["date"] + 5}
    fake.push_update({"edited_message": edited})
    lines = await fake.wait_for_call("sendMessage", to(11, "988"), within=WAIT)
    assert "not alone" in lines.params["text"] and "911" in lines.params["text"]
    # A later message of the group, to know the edit was handled: nothing public about it.
    fake.push_message(GROUP, MORGAN, "/help")
    await fake.wait_for_call("sendMessage", to(GROUP["id"], "Here's what"), within=WAIT)
    assert all("988" not in text for text in sent_to(fake, GROUP["id"]))


async def test_an_edited_command_is_not_run_again(
    telegram_fake: FakeTelegramAPI, bot: Harbor
) -> None:
    fake = telegram_fake
    posted = fake.push_message(private_chat(ALICE), ALICE, "/sober 2026-10-01 alcohol")
    await fake.wait_for_call("sendMessage", to(11, "alcohol: 55 days"), within=WAIT)
    edited = {**posted["message"], "text": "/sober 2026-10-02 alcohol", "edit_date": 1}
    fake.push_update({"edited_message": edited})
    fake.push_message(private_chat(ALICE), ALICE, "/privacy")  # handled after the edit
    await fake.wait_for_call("sendMessage", to(11, "keep"), within=WAIT)
    assert not any("54 days" in text for text in sent_to(fake, 11))


async def test_a_member_who_blocked_the_bot_gets_a_neutral_line_with_a_link(
    telegram_fake: FakeTelegramAPI, bot: Harbor, store: SQLStore
) -> None:
    fake = telegram_fake
    fake.push_message(private_chat(ALICE), ALICE, "/start")
    await fake.wait_for_call("sendMessage", to(11, "Which time zone"), within=WAIT)  # the last
    fake.fail_blocked("sendMessage", chat_id=11, count=2)  # Alice blocked the bot
    fake.push_message(GROUP, ALICE, CRISIS)
    offer = await fake.wait_for_call(
        "sendMessage", to(GROUP["id"], t("crisis.reach_out_in_group")), within=WAIT
    )
    # The deep link opens the private chat with the lines; the group sees no numbers and
    # nothing that points at Alice.
    assert buttons(offer) == ["https://t.me/HarborTestBot?start=crisis"]
    assert offer.params["text"] == t("crisis.reach_out_in_group")
    assert "Alice" not in offer.params["text"]
    member = await store.members.find("telegram", "11")
    assert member is not None and member.paused  # her private messages wait for her

    # Only a community that chose the public fallback shows the numbers in the group, and
    # only for /crisis asked there.
    fake.push_message(GROUP, MORGAN, "/community crisis_line on")
    await fake.wait_for_call("sendMessage", to(GROUP["id"], "Saved"), within=WAIT)
    fake.push_message(GROUP, ALICE, "/crisis")
    public = await fake.wait_for_call("sendMessage", to(GROUP["id"], "988"), within=WAIT)
    assert public.params["text"].endswith(t("crisis.reach_out_in_group"))
    assert buttons(public) == ["https://t.me/HarborTestBot?start=crisis"]
    # Opening the link: the lines at once, not the welcome.
    fake.push_message(private_chat(ALICE), ALICE, "/start crisis")
    lines = await fake.wait_for_call("sendMessage", to(11, "988"), within=WAIT)
    assert "Welcome" not in lines.params["text"]


async def held(store: SQLStore, count: int) -> None:
    """Until `count` replies wait in the outbox (a state, polled; no timer is waited for)."""

    async def poll() -> None:
        while True:
            if (await store.outbox.stats()).get("pending", 0) == count:
                return
            await asyncio.sleep(0.01)  # polling an observable state, not a timer

    await asyncio.wait_for(poll(), WAIT)


async def test_a_group_held_by_retry_after_does_not_hold_up_a_private_crisis(
    telegram_fake: FakeTelegramAPI, bot: Harbor, store: SQLStore, clock: ManualClock
) -> None:
    fake = telegram_fake
    fake.fail_retry_after("sendMessage", 8, chat_id=GROUP["id"])
    fake.push_message(GROUP, MORGAN, "/help")
    await fake.wait_for_call("sendMessage", to(GROUP["id"]), within=WAIT)  # refused: 429
    await held(store, 1)  # the group's answer waits for its 8 s, in the outbox
    fake.push_message(private_chat(ALICE), ALICE, "/crisis")
    lines = await fake.wait_for_call("sendMessage", to(11, "988"), within=WAIT)
    assert "not alone" in lines.params["text"]
    # Answered while the group was still held: its answer has not gone out yet, ...
    assert len(sent_to(fake, GROUP["id"])) == 1
    assert (await bot.tick()).sent == 0  # ... and is not due before its wait is over
    clock.advance(timedelta(seconds=8))
    assert (await bot.tick()).sent == 1
    group = str(GROUP["id"])
    order = [
        (str(c.params["chat_id"]), c.params["text"][:12]) for c in fake.calls_to("sendMessage")
    ]
    assert order == [(group, "Here's what "), ("11", "You're not a"), (group, "Here's what ")]


async def test_a_crisis_reply_that_timed_out_is_sent_again(
    telegram_fake: FakeTelegramAPI, store: SQLStore, clock: ManualClock
) -> None:
    fake = telegram_fake
    harbor, telegram = await start(fake, store, clock, read_timeout=0.5)
    try:
        # The request reaches Telegram but the answer comes too late: it may have arrived.
        # For the crisis lines a second copy beats none.
        fake.delay_next("sendMessage", 3.0)
        fake.push_message(private_chat(ALICE), ALICE, "/crisis")
        await fake.wait_for_call("sendMessage", lambda _c: len(lines_sent(fake)) == 2, within=WAIT)
        await harbor.delivery.settle()
        first, again = lines_sent(fake)
        assert first == again  # the same reply, sent again once and then no more
        assert len(sent_to(fake, 11)) == 2
    finally:
        await telegram.stop()


def lines_sent(fake: FakeTelegramAPI) -> list[str]:
    return [text for text in sent_to(fake, 11) if "988" in text]
