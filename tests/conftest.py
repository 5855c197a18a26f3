"""Shared fixtures: a real SQLite file, a manual clock, and the console adapter as the test
backend (push a line, read the replies). No test may reach the network."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path

import discord
import discord.gateway
import discord.http
import pytest
import yarl

from adapters.console import ConsoleAdapter
from bot.app import build
from bot.kernel.clock import ManualClock
from bot.kernel.config import Settings
from bot.kernel.runtime import Harbor
from storage import open_store
from storage.sql.store import SQLStore
from tests.fakes.discord_api import FakeDiscord
from tests.fakes.netguard import install_network_guard
from tests.fakes.telegram_api import FakeTelegramAPI
from tests.pg import cleanup as drop_postgres_template

os.environ.setdefault("PTB_TIMEDELTA", "1")  # PTB 22: retry_after as a timedelta
install_network_guard()

START = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(START)


@pytest.fixture
def settings() -> Settings:
    return Settings()


@pytest.fixture
async def store(tmp_path: Path) -> AsyncIterator[SQLStore]:
    s = await open_store(tmp_path / "harbor.db")
    yield s
    await s.close()


@pytest.fixture
async def harbor(store: SQLStore, clock: ManualClock, settings: Settings) -> Harbor:
    return build(store, clock, settings)


@pytest.fixture
async def console(harbor: Harbor, clock: ManualClock) -> ConsoleAdapter:
    async def on_time() -> None:
        await harbor.tick()

    adapter = ConsoleAdapter(clock=clock, on_time=on_time)
    harbor.attach(adapter)
    await adapter.start(harbor.core)
    return adapter


@pytest.fixture
async def telegram_fake() -> AsyncIterator[FakeTelegramAPI]:
    """A fake Bot API server on 127.0.0.1 for the real python-telegram-bot."""
    api = FakeTelegramAPI()
    await api.start()
    yield api
    await api.stop()


@pytest.fixture
async def discord_fake(monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[FakeDiscord]:
    """A fake Discord REST API and gateway on 127.0.0.1; discord.py is pointed at it."""
    server = FakeDiscord()
    await server.start()
    monkeypatch.setattr(discord.http.Route, "BASE", server.api_base)
    monkeypatch.setattr(
        discord.gateway.DiscordWebSocket, "DEFAULT_GATEWAY", yarl.URL(server.gateway_url)
    )
    yield server
    await server.close()


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    drop_postgres_template()  # the migrated PostgreSQL template, if a test made one
