"""`harbor run` and the runtime with the real discord.py against the fake Discord: a refused
token ends the process with one line (exit 4); a fatal gateway close after start-up (4014:
the Message Content intent switched off) stops Harbor cleanly instead of leaving it deaf."""

from __future__ import annotations

import asyncio
import logging
import os
import sys
from pathlib import Path

import pytest

from adapters.discord_adapter import DiscordAdapter
from bot.app import build
from bot.kernel.clock import ManualClock
from bot.kernel.config import Settings
from bot.kernel.runtime import AdapterError
from storage.sql.store import SQLStore
from tests.fakes import discord_api as fd
from tests.fakes.discord_api import FakeDiscord

ROOT = Path(__file__).resolve().parent.parent


def leftovers(db: Path) -> list[str]:
    """The write-ahead log and shared-memory files a database left open leaves behind."""
    return [p.name for p in (Path(f"{db}-wal"), Path(f"{db}-shm")) if p.exists()]
WAIT = 10.0


async def test_a_refused_token_ends_harbor_run_with_one_line(
    discord_fake: FakeDiscord, tmp_path: Path
) -> None:
    db = tmp_path / "run.db"
    config = tmp_path / "config.toml"
    config.write_text(
        f'[harbor]\nlog_level = "WARNING"\n[storage]\nurl = "{db}"\n'
        f'[discord]\napi_base_url = "{discord_fake.api_base}"\n'
        f'commands_hash_file = "{tmp_path / "hash"}"\n'
    )
    env = {**os.environ, "HARBOR_DISCORD_TOKEN": "not-the-token-secret"}
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot.cli", "run", "--config", str(config),
        cwd=ROOT, env=env, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    try:
        code = await asyncio.wait_for(proc.wait(), 60)
    finally:
        if proc.returncode is None:
            proc.kill()
            await proc.wait()
    assert proc.stderr is not None
    errors = (await proc.stderr.read()).decode()
    assert code == 4
    assert "Traceback" not in errors and "not-the-token-secret" not in errors
    assert [line for line in errors.splitlines() if line.strip()] == [
        "harbor: Discord rejected the bot token (check HARBOR_DISCORD_TOKEN or [discord] token)"
    ]
    assert leftovers(db) == []


async def test_a_fatal_gateway_close_after_start_stops_harbor(
    discord_fake: FakeDiscord, store: SQLStore, clock: ManualClock
) -> None:
    harbor = build(store, clock, Settings())
    harbor.attach(DiscordAdapter(fd.TOKEN, harbor.command_infos(), read_messages=True,
                                 guild_ready_timeout=0.05, ready_timeout=WAIT))  # fmt: skip
    running = asyncio.create_task(harbor.run_forever(asyncio.Event()))
    await discord_fake.wait_connected(within=WAIT)
    discord_fake.message_content_enabled = False  # someone switched the intent off
    await discord_fake.close_gateway(4014)
    with pytest.raises(AdapterError) as info:
        await asyncio.wait_for(running, WAIT)
    assert info.value.fatal and "Message Content intent" in str(info.value)


async def test_a_clean_stop_is_not_taken_for_a_failure(
    discord_fake: FakeDiscord, store: SQLStore, clock: ManualClock,
    caplog: pytest.LogCaptureFixture,
) -> None:  # fmt: skip
    caplog.set_level(logging.INFO)
    harbor = build(store, clock, Settings())
    harbor.attach(DiscordAdapter(fd.TOKEN, harbor.command_infos(), guild_ready_timeout=0.05,
                                 ready_timeout=WAIT))  # fmt: skip
    stop = asyncio.Event()
    running = asyncio.create_task(harbor.run_forever(stop))
    await discord_fake.wait_connected(within=WAIT)
    stop.set()
    await asyncio.wait_for(running, WAIT)
    assert running.exception() is None
    errors = [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR]
    assert errors == []
    assert "stopped cleanly" in caplog.text
