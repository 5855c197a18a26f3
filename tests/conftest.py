"""Shared fixtures: a real SQLite file, a manual clock, and the console adapter as the test
backend (push a line, read the replies). No test may reach the network."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from adapters.console import ConsoleAdapter
from bot.app import Harbor
from bot.clock import ManualClock
from bot.config import Settings
from storage.sqlite import SQLiteStore, open_sqlite_store
from tests.fakes.netguard import install_network_guard

os.environ.setdefault("PTB_TIMEDELTA", "1")
install_network_guard()

START = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(START)


@pytest.fixture
def settings() -> Settings:
    return Settings()


@pytest.fixture
async def store(tmp_path: Path) -> AsyncIterator[SQLiteStore]:
    s = await open_sqlite_store(tmp_path / "harbor.db")
    yield s
    await s.close()


@pytest.fixture
async def harbor(store: SQLiteStore, clock: ManualClock, settings: Settings) -> Harbor:
    return Harbor.build(store, clock, settings)


@pytest.fixture
async def console(harbor: Harbor, clock: ManualClock) -> ConsoleAdapter:
    async def on_time() -> None:
        await harbor.tick()

    adapter = ConsoleAdapter(clock=clock, on_time=on_time)
    harbor.attach(adapter)
    await adapter.start(harbor.core.handle)
    return adapter
