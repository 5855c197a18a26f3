"""Crisis support on Discord (issue #11), end to end: the real core and discord.py against the
fake gateway and REST API. An edited message is scanned (once per edit); with DMs closed the
channel sees a neutral line whose button answers only the presser; slash /crisis answers
ephemerally in the interaction's language. Assertions are on the requests the fake recorded;
waits are bounded waits for them, never sleeps or measured times."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest

from bot.kernel.clock import ManualClock
from bot.kernel.i18n import t
from bot.kernel.runtime import Harbor
from storage.sql.store import SQLStore
from tests.fakes import discord_api as fd
from tests.fakes.discord_api import FakeDiscord
from tests.helpers.fake_calls import (
    CALLBACK,
    DM_POST,
    PUBLIC,
    WAIT,
    content,
    custom_ids,
    flags,
    on_discord,
    settled,
)

CRISIS = "honestly I want to kill myself tonight"
EMBED = {"type": "article", "url": "https://example.org", "title": "a link's preview"}


@pytest.fixture
async def bot(
    discord_fake: FakeDiscord, store: SQLStore, clock: ManualClock
) -> AsyncIterator[Harbor]:
    async with on_discord(store, clock) as harbor:
        yield harbor


def edit(message: dict[str, Any], content: str, when: str | None, **extra: Any) -> dict[str, Any]:
    """The MESSAGE_UPDATE Discord sends: the whole message, `edited_timestamp` set when its
    author edited it (None when Discord only added a link's preview)."""
    return {**message, "content": content, "edited_timestamp": when, **extra}


async def test_an_edited_message_with_crisis_words_gets_the_lines_by_dm_once(
    discord_fake: FakeDiscord, bot: Harbor
) -> None:
    fake = discord_fake
    # Written as "hello all" (before Harbor was running), then edited.
    first = fd.message_create(fake, "hello all")
    await fake.dispatch("MESSAGE_UPDATE", edit(first, CRISIS, "2026-11-25T12:01:00+00:00"))
    [lines] = await fake.wait_for_request("POST", DM_POST, within=WAIT)
    assert "116 123" in content(lines) and "not alone" in content(lines)
    # Discord then adds the link previews to the same edit: scanned once, not answered again.
    again = edit(first, CRISIS, "2026-11-25T12:01:00+00:00", embeds=[EMBED])
    await fake.dispatch("MESSAGE_UPDATE", again)
    # A preview added to a message nobody edited is no edit either, nor a bot's edit.
    other = fd.message_create(fake, CRISIS)
    await fake.dispatch("MESSAGE_UPDATE", edit(other, CRISIS, None, embeds=[EMBED]))
    bots = {**fd.message_create(fake, "x"), "author": fd.user("950000000000000001", bot=True)}
    await fake.dispatch("MESSAGE_UPDATE", edit(bots, CRISIS, "2026-11-25T12:02:00+00:00"))
    # A second edit of the first message is scanned: within the window, the short reply.
    await fake.dispatch(
        "MESSAGE_UPDATE",
        edit(first, "I really mean it, I want to die", "2026-11-25T12:03:00+00:00"),
    )
    sent = await fake.wait_for_request("POST", DM_POST, count=2, within=WAIT)
    await settled(bot)
    assert len(fake.requests_to("POST", DM_POST)) == 2
    assert t("crisis.still_here") in content(sent[1]) and "116 123" in content(sent[1])
    assert not fake.requests_to("POST", PUBLIC)  # nothing in the channel


async def test_dms_closed_a_neutral_line_whose_button_answers_only_the_member(
    discord_fake: FakeDiscord, bot: Harbor
) -> None:
    fake = discord_fake
    fake.fail_dm_closed()
    await fake.dispatch("MESSAGE_CREATE", fd.message_create(fake, CRISIS))
    [public] = await fake.wait_for_request("POST", PUBLIC, within=WAIT)
    assert content(public) == t("crisis.reach_out_in_group")  # no numbers, no @mention
    assert "<@" not in content(public) and "116 123" not in content(public)
    [button] = custom_ids(public)
    assert button == "crisis:show"
    await fake.dispatch("INTERACTION_CREATE", fd.button_press(fake, button))
    [answer] = await fake.wait_for_request("POST", CALLBACK, within=WAIT)
    assert flags(answer) & 64  # ephemeral: only the one who pressed sees it
    assert "116 123" in content(answer) and "999" in content(answer)
    await settled(bot)
    assert len(fake.requests_to("POST", PUBLIC)) == 1  # the lines never went public


async def test_slash_crisis_answers_ephemerally_in_the_interactions_language(
    discord_fake: FakeDiscord, bot: Harbor
) -> None:
    fake = discord_fake
    await fake.dispatch(
        "INTERACTION_CREATE", {**fd.slash_command(fake, "crisis"), "locale": "es-ES"}
    )
    [answer] = await fake.wait_for_request("POST", CALLBACK, within=WAIT)
    assert flags(answer) & 64
    text = content(answer)
    assert "Líneas de crisis (Reino Unido)" in text and "116 123" in text
    assert "United Kingdom" not in text and "call" not in text
    await settled(bot)
    assert not fake.requests_to("POST", DM_POST) and not fake.requests_to("POST", PUBLIC)
