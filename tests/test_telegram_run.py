"""`harbor run` and the runtime's supervision with the real python-telegram-bot against the
fake Bot API: a refused token ends the process with one line (exit 4, the token redacted,
the database closed); a platform that can't be reached at first is retried while the others
run; a token revoked while running stops Harbor cleanly; a dead updater is restarted."""

from __future__ import annotations

import asyncio
import os
import sys
from pathlib import Path

import pytest

from adapters.console import ConsoleAdapter
from adapters.telegram_adapter import TelegramAdapter
from bot.app import build
from bot.kernel.clock import ManualClock
from bot.kernel.config import Settings
from bot.kernel.runtime import AdapterError
from storage import open_store
from storage.sql.store import SQLStore
from tests.fakes.telegram_api import FakeTelegramAPI, private_chat, user

ROOT = Path(__file__).resolve().parent.parent


def leftovers(db: Path) -> list[str]:
    """The write-ahead log and shared-memory files a database left open leaves behind."""
    return [p.name for p in (Path(f"{db}-wal"), Path(f"{db}-shm")) if p.exists()]
ALICE = user(11, "Alice")
WAIT = 10.0
SECRET = "424242:AAH-very-secret-part-of-the-token"


async def run_harbor(config: Path, token: str) -> tuple[int, str]:
    env = {**os.environ, "HARBOR_TELEGRAM_TOKEN": token, "PTB_TIMEDELTA": "1"}
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot.cli", "run", "--config", str(config),
        cwd=ROOT, env=env, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    try:
        code = await asyncio.wait_for(proc.wait(), 60)  # a hang fails here
    finally:
        if proc.returncode is None:
            proc.kill()
            await proc.wait()
    assert proc.stderr is not None
    return code, (await proc.stderr.read()).decode()


async def test_a_refused_token_ends_harbor_run_with_one_line(
    telegram_fake: FakeTelegramAPI, tmp_path: Path
) -> None:
    db = tmp_path / "run.db"
    config = tmp_path / "config.toml"
    config.write_text(
        f'[harbor]\nlog_level = "WARNING"\n[storage]\nurl = "{db}"\n'
        f'[telegram]\napi_base_url = "{telegram_fake.root_url}"\n'
    )
    code, errors = await run_harbor(config, SECRET)
    assert code == 4
    assert "Traceback" not in errors
    assert "very-secret" not in errors
    lines = [line for line in errors.splitlines() if line.strip()]
    assert lines == [
        "harbor: Telegram rejected the bot token 424242:… (check HARBOR_TELEGRAM_TOKEN or "
        "[telegram] token; @BotFather /token shows it)"
    ]
    # The database was closed: no write-ahead log or shared-memory file is left behind.
    assert db.exists()
    assert leftovers(db) == []


@pytest.fixture
async def tstore(tmp_path: Path) -> SQLStore:
    return await open_store(tmp_path / "sup.db")


async def test_a_platform_down_at_boot_is_retried_while_the_others_run(
    telegram_fake: FakeTelegramAPI, tstore: SQLStore, clock: ManualClock
) -> None:
    harbor = build(tstore, clock, Settings())
    harbor.start_retries = (0.05,)
    console = ConsoleAdapter(clock=clock)
    harbor.attach(console)
    telegram_fake.fail_next("getMe", status=502, description="Bad Gateway", count=3)
    tg = TelegramAdapter(telegram_fake.token, harbor.command_infos(),
                         base_url=telegram_fake.root_url, bootstrap_retries=0)  # fmt: skip
    harbor.attach(tg)
    stop = asyncio.Event()
    running = asyncio.create_task(harbor.run_forever(stop))
    try:
        # The console answers while Telegram is still failing to start.
        await telegram_fake.wait_for_call("getMe", within=WAIT)  # the console started first
        said = await asyncio.wait_for(console.push("/sober 2026-10-01 alcohol"), WAIT)
        assert any("alcohol: 55 days" in s.text for s in said)
        # Telegram comes up on a later attempt and serves its members.
        telegram_fake.push_message(private_chat(ALICE), ALICE, "/sober 2026-11-01 nicotine")
        await telegram_fake.wait_for_call(
            "sendMessage", lambda c: "nicotine: 24 days" in str(c.params.get("text")),
            within=WAIT,
        )  # fmt: skip
        assert len(telegram_fake.calls_to("getMe")) == 4
    finally:
        stop.set()
        await asyncio.wait_for(running, WAIT)
    assert running.exception() is None


async def test_a_token_revoked_while_running_stops_harbor_cleanly(
    telegram_fake: FakeTelegramAPI, tstore: SQLStore, clock: ManualClock
) -> None:
    harbor = build(tstore, clock, Settings())
    tg = TelegramAdapter(telegram_fake.token, harbor.command_infos(),
                         base_url=telegram_fake.root_url, watch_interval=0.05)  # fmt: skip
    harbor.attach(tg)
    running = asyncio.create_task(harbor.run_forever(asyncio.Event()))
    await telegram_fake.wait_for_call("getUpdates", within=WAIT)
    telegram_fake.revoke_token()
    with pytest.raises(AdapterError) as info:
        await asyncio.wait_for(running, WAIT)
    assert info.value.fatal and "while running" in str(info.value)
    assert tg.application is None  # stopped
    with pytest.raises(Exception, match="closed"):
        await tstore.members.count()  # run_forever closed the store on the way out


async def test_an_updater_that_cannot_be_restarted_restarts_the_adapter(
    telegram_fake: FakeTelegramAPI, tstore: SQLStore, clock: ManualClock
) -> None:
    harbor = build(tstore, clock, Settings())
    harbor.start_retries = (0.05,)
    tg = TelegramAdapter(telegram_fake.token, harbor.command_infos(),
                         base_url=telegram_fake.root_url, watch_interval=0.05,
                         bootstrap_retries=0)  # fmt: skip
    harbor.attach(tg)
    stop = asyncio.Event()
    running = asyncio.create_task(harbor.run_forever(stop))
    try:
        await telegram_fake.wait_for_call("getUpdates", within=WAIT)
        first = tg.application
        assert first is not None and first.updater is not None
        # Polling dies, and restarting it alone fails once (deleteWebhook refused): the
        # runtime stops the whole adapter and starts it again.
        telegram_fake.fail_next("deleteWebhook", status=502, description="Bad Gateway")
        await first.updater.stop()
        telegram_fake.push_message(private_chat(ALICE), ALICE, "/sober 2026-10-01 alcohol")
        await telegram_fake.wait_for_call(
            "sendMessage", lambda c: "alcohol: 55 days" in str(c.params.get("text")),
            within=WAIT,
        )  # fmt: skip
        assert tg.application is not first
    finally:
        stop.set()
        await asyncio.wait_for(running, WAIT)
