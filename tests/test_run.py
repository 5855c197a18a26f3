"""`harbor run`: adapters, scheduler and storage in one loop, stopping cleanly on SIGTERM."""

from __future__ import annotations

import asyncio
import os
import signal
import sqlite3
import sys
from pathlib import Path

from tests.fakes.telegram_api import FakeTelegramAPI, private_chat, user

ROOT = Path(__file__).resolve().parent.parent
ALICE = user(11, "Alice")


async def test_run_serves_telegram_and_stops_cleanly_on_sigterm(tmp_path: Path) -> None:
    fake = FakeTelegramAPI()
    await fake.start()
    db = tmp_path / "run.db"
    config = tmp_path / "config.toml"
    config.write_text(
        f'[storage]\nurl = "{db}"\n[telegram]\napi_base_url = "{fake.root_url}"\n'
        '[scheduler]\nsweep_seconds = 1\n'
    )
    env = {**os.environ, "HARBOR_TELEGRAM_TOKEN": fake.token, "PTB_TIMEDELTA": "1"}
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot.cli", "run", "--config", str(config),
        cwd=ROOT, env=env, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
    try:
        await fake.wait_for_call("getUpdates", within=30)
        fake.push_message(private_chat(ALICE), ALICE, "/sober 2026-10-01 alcohol")
        await fake.wait_for_call(
            "sendMessage", lambda c: "alcohol" in str(c.params.get("text")), within=30)
        proc.send_signal(signal.SIGTERM)
        code = await asyncio.wait_for(proc.wait(), 30)
    finally:
        if proc.returncode is None:
            proc.kill()
            await proc.wait()
        await fake.stop()
    assert code == 0
    assert proc.stderr is not None
    errors = (await proc.stderr.read()).decode()
    assert "Traceback" not in errors
    assert "stopped cleanly" in errors
    # No lost writes: the counter is in the file, and the file is consistent.
    conn = sqlite3.connect(db)
    assert conn.execute("SELECT name FROM counters").fetchall() == [("alcohol",)]
    assert conn.execute("PRAGMA integrity_check").fetchone() == ("ok",)
    conn.close()
