"""Both platforms and the scheduler in one asyncio loop: Harbor.run_forever with the real
python-telegram-bot and discord.py, each against its local fake, then a clean stop."""

from __future__ import annotations

import asyncio

from adapters.discord_adapter import DiscordAdapter
from adapters.telegram_adapter import TelegramAdapter
from bot.app import build
from bot.kernel.clock import ManualClock
from bot.kernel.config import Settings
from storage import open_store
from storage.sql.store import SQLStore
from tests.fakes import discord_api as fd
from tests.fakes.discord_api import FakeDiscord
from tests.fakes.telegram_api import FakeTelegramAPI, private_chat, user

CALLBACK = r"^/interactions/\d+/[^/]+/callback$"


async def test_one_loop_serves_telegram_and_discord_then_stops(
    discord_fake: FakeDiscord, store: SQLStore, clock: ManualClock,
    telegram_fake: FakeTelegramAPI,
) -> None:
    settings = Settings.model_validate({"scheduler": {"sweep_seconds": 3600}})
    harbor = build(store, clock, settings)
    infos = harbor.command_infos()
    harbor.attach(TelegramAdapter(telegram_fake.token, infos, base_url=telegram_fake.root_url))
    harbor.attach(DiscordAdapter(fd.TOKEN, infos, guild_ready_timeout=0.05, ready_timeout=5))
    stop = asyncio.Event()
    running = asyncio.create_task(harbor.run_forever(stop))
    try:
        alice = user(11, "Alice")
        telegram_fake.push_message(private_chat(alice), alice, "/sober 2026-10-01 alcohol")
        await telegram_fake.wait_for_call(
            "sendMessage", lambda c: "alcohol: 55 days" in str(c.params.get("text")), within=10)
        await discord_fake.wait_connected(within=10)
        await discord_fake.dispatch("INTERACTION_CREATE",
                                    fd.slash_command(discord_fake, "sober", "2026-11-01 nicotine"))
        answer = (await discord_fake.wait_for_request("POST", CALLBACK, within=10))[0]
        assert "nicotine: 24 days" in str(answer.body)
    finally:
        stop.set()
        await asyncio.wait_for(running, 30)
    assert running.exception() is None
    # One store for both platforms; run_forever closed it on the way out.
    reopened = await open_store(store.db.path)
    assert await reopened.db.fetchval("SELECT COUNT(*) FROM counters") == 2
    await reopened.close()
