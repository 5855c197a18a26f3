"""The circles under each platform's delivery rules, through the console's emulations:
Telegram (a bot can't write first: a member must have opened the private chat) and
Discord (commands are interactions: a private answer is ephemeral, no DM needed). Private
things (codes, searches, mentorship, RSVPs) never land in the group."""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest

from adapters.console import ConsoleAdapter, Said
from bot.kernel.clock import ManualClock
from bot.kernel.runtime import Harbor

Make = Callable[..., ConsoleAdapter]


@pytest.fixture
def make(harbor: Harbor, clock: ManualClock) -> Make:
    def build(**like: bool) -> ConsoleAdapter:
        async def on_time() -> None:
            await harbor.tick()

        adapter = ConsoleAdapter(clock=clock, on_time=on_time, **like)
        harbor.attach(adapter)
        return adapter

    return build


def in_group(said: list[Said]) -> list[str]:
    return [s.text for s in said if s.to.startswith("group")]


async def test_telegram_like_codes_and_searches_stay_private(make: Make, harbor: Harbor) -> None:
    console = make(telegram_like=True)
    await console.start(harbor.core)
    await console.push(":group recovery")
    await console.push(":mod on")
    await console.push("/resources add housing | Hope House | 555 0100")
    await console.push(":dm")
    await console.push("/start")  # Alex opens the private chat
    await console.push(":group recovery")
    said = await console.push("/supporters invite")
    code = re.search(r"[A-Z2-9]{4}-[A-Z2-9]{4}", said[0].text)
    assert code is not None and said[0].to == "Alex (private)"
    assert in_group(said) == ["I've sent you a private message."]
    # Sam never opened a private chat: the group gets a neutral way in, nothing else.
    await console.push(":as Sam")
    await console.push(":group recovery")
    said = await console.push("/resources housing")
    assert len(said) == 1 and said[0].to == "group recovery"
    assert "Hope House" not in said[0].text and said[0].buttons
    assert said[0].buttons[0][0].url is not None


async def test_telegram_like_scheduled_messages_never_fall_back_to_the_group(
    make: Make, harbor: Harbor
) -> None:
    console = make(telegram_like=True)
    await console.start(harbor.core)
    await console.push(":group recovery")
    await console.push(":mod on")
    await console.push(":dm")
    await console.push("/start")  # Alex, the moderator, has a private chat with the bot
    # Sam volunteers from the group and never opens a private chat with the bot.
    await console.push(":as Sam")
    await console.push(":group recovery")
    said = await console.push("/sober 2024-01-01")
    assert in_group(said) and "2024" not in in_group(said)[0]  # only a way in
    await console.push("/mentor volunteer Happy to help. | English | evenings")
    await console.push(":as Kim")
    await console.push(":group recovery")
    await console.push("hi")
    await console.push(":dm")
    await console.push("/mentor request")
    await console.push("English")
    await console.push("evenings")
    await console.push(":as Alex")
    await console.push(":group recovery")
    said = await console.push("/mentor pair 1 Sam")
    assert "I've asked Sam and Kim" in said[0].text
    said = await console.push(":advance 1m")
    assert in_group(said) == []  # Sam's proposal waits for a private chat, never the group
    assert [s.to for s in said] == ["Kim (private)"]


async def test_discord_like_answers_are_ephemeral_and_listings_public(
    make: Make, harbor: Harbor
) -> None:
    console = make(discord_like=True)
    await console.start(harbor.core)
    await console.push(":group recovery")
    await console.push(":mod on")
    await console.push("/community announce")
    said = await console.push("/event add Recovery walk | tomorrow 10:00 | 90")
    assert said[0].to == "Alex (only you, in recovery)" and "Added #1" in said[0].text
    said = await console.push("/events")
    assert said[0].to == "group recovery" and "#1 Recovery walk" in said[0].text
    said = await console.push("/event going 1")
    assert said[0].to == "Alex (only you, in recovery)"
    said = await console.push("/mentor requests")
    assert said[0].to == "Alex (only you, in recovery)" and "Open requests: 0" in said[0].text
    said = await console.push("/service role add greeter | thu | 18:45")
    assert said[0].to == "Alex (only you, in recovery)"
    said = await console.push("/service")
    assert said[0].to == "group recovery" and "greeter" in said[0].text
    said = await console.push("/supporters")
    assert said[0].to == "Alex (only you, in recovery)"
