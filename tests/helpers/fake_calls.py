"""The platform fakes, in one place for every end-to-end suite: Harbor started on each with
its real adapter; reading what it sent (request paths and the content, flags and buttons of
a Discord call, the chat and buttons of a Telegram call); waiting until the Discord adapter
has finished its events."""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import AsyncIterator, Callable
from typing import Any

from adapters.discord_adapter import DiscordAdapter
from adapters.telegram_adapter import TelegramAdapter
from bot.app import build
from bot.kernel.clock import ManualClock
from bot.kernel.config import Settings
from bot.kernel.runtime import Harbor
from storage.base import Store
from tests.fakes import discord_api as fd
from tests.fakes.discord_api import FakeDiscord, Recorded
from tests.fakes.telegram_api import Call, FakeTelegramAPI, JSONDict

WAIT = 5.0  # a guard against a broken test hanging, never a timing

# -- Discord ------------------------------------------------------------------------------
MODERATOR = fd.MANAGE_GUILD | fd.SEND_MESSAGES_ETC
DM_CHANNEL = str(800_000_000_000_000_000 + int(fd.MEMBER_ID) % 10**15)  # the fake's DM id
CALLBACK = r"^/interactions/\d+/[^/]+/callback$"
DM_POST = rf"^/channels/{DM_CHANNEL}/messages$"
CHANNEL_POST = rf"^/channels/{fd.CHANNEL_ID}/messages$"
ANNOUNCE_POST = rf"^/channels/{fd.ANNOUNCE_ID}/messages$"
PUBLIC = rf"^/channels/({fd.CHANNEL_ID}|{fd.ANNOUNCE_ID})/messages$"


def _message(call: Recorded) -> dict[str, Any]:
    body: dict[str, Any] = call.body or {}
    if "data" in body and "type" in body:  # an interaction callback
        return body["data"] or {}
    return body


def content(call: Recorded) -> str:
    return str(_message(call).get("content") or "")


def flags(call: Recorded) -> int:
    return int(_message(call).get("flags") or 0)


def custom_ids(call: Recorded) -> list[str]:
    return [
        str(button.get("custom_id") or button.get("url"))
        for row in _message(call).get("components") or []
        for button in row.get("components", [])
    ]


async def interact(fake: FakeDiscord, payload: dict[str, Any]) -> Recorded:
    """Dispatch an interaction; return its first answer (the callback)."""
    before = len(fake.requests_to("POST", CALLBACK))
    await fake.dispatch("INTERACTION_CREATE", payload)
    calls = await fake.wait_for_request("POST", CALLBACK, count=before + 1, within=WAIT)
    return calls[before]


def discord_adapter(bot: Harbor) -> DiscordAdapter:
    adapter = bot.adapters["discord"]
    assert isinstance(adapter, DiscordAdapter)
    return adapter


async def settled(bot: Harbor) -> None:
    """Every gateway event the adapter is handling has finished (its replies are out)."""
    adapter = discord_adapter(bot)
    while adapter._tasks:
        _, pending = await asyncio.wait(set(adapter._tasks), timeout=WAIT)
        assert not pending, "the adapter is still handling an event"


# -- Telegram -----------------------------------------------------------------------------
def to(chat_id: int | str, contains: str = "") -> Callable[[Call], bool]:
    """A call to `chat_id` whose text (or a photo's caption) contains `contains`."""

    def match(call: Call) -> bool:
        text = str(call.params.get("text") or call.params.get("caption") or "")
        return str(call.params.get("chat_id")) == str(chat_id) and contains in text

    return match


def buttons(call: Call) -> list[str]:
    markup = call.params.get("reply_markup")
    data = json.loads(markup) if isinstance(markup, str) else markup or {}
    return [
        b.get("callback_data") or b.get("url")
        for row in data.get("inline_keyboard", [])
        for b in row
    ]


# -- Harbor on a fake ----------------------------------------------------------------------
@contextlib.asynccontextmanager
async def on_discord(
    store: Store, clock: ManualClock, settings: Settings | None = None
) -> AsyncIterator[Harbor]:
    """Harbor with the real discord.py adapter on the fake (it reads channel messages, so
    crisis detection works there); country GB unless `settings` say otherwise."""
    settings = settings or Settings.model_validate({"community": {"country": "GB"}})
    harbor = build(store, clock, settings, monotonic=lambda: clock.now().timestamp())
    adapter = DiscordAdapter(
        fd.TOKEN,
        harbor.command_infos(),
        read_messages=True,
        guild_ready_timeout=0.05,
        ready_timeout=WAIT,
    )
    harbor.attach(adapter)
    await adapter.start(harbor.core)
    try:
        yield harbor
    finally:
        await asyncio.wait_for(adapter.stop(), WAIT)


@contextlib.asynccontextmanager
async def on_telegram(
    fake: FakeTelegramAPI, store: Store, clock: ManualClock, admins: dict[int, list[JSONDict]]
) -> AsyncIterator[Harbor]:
    """Harbor with the real python-telegram-bot adapter on the fake, country US; `admins`
    are each group's administrators."""
    settings = Settings.model_validate({"community": {"country": "US"}})
    harbor = build(store, clock, settings, monotonic=lambda: clock.now().timestamp())
    adapter = TelegramAdapter(fake.token, harbor.command_infos(), base_url=fake.root_url)
    harbor.attach(adapter)
    await adapter.start(harbor.core)
    for group_id, users in admins.items():
        fake.set_admins(group_id, users)
    try:
        yield harbor
    finally:
        await adapter.stop()
