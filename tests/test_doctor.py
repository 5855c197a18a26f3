"""`harbor doctor` against the fake Telegram and Discord servers and real SQLite files: one
line per finding, `FIX` for what to do, exit 0 only when nothing needs fixing, never a
token in the output, never a change to the database."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

import pytest

from bot.cli import main
from bot.kernel.outbox import planned
from bot.kernel.types import ChatRef, Reply
from storage import open_store
from tests.fakes import discord_api as fd
from tests.fakes.discord_api import FakeDiscord
from tests.fakes.telegram_api import FakeTelegramAPI

SECRET_TG = "777:NOT-the-real-token-at-all-secret"


def write_config(tmp_path: Path, **sections: dict[str, object]) -> Path:
    lines = ['[storage]', f'url = "{tmp_path / "harbor.db"}"']
    for name, values in sections.items():
        lines.append(f"[{name}]")
        for key, value in values.items():
            shown = str(value).lower() if isinstance(value, bool) else f'"{value}"'
            lines.append(f"{key} = {shown}")
    config = tmp_path / "config.toml"
    config.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return config


async def doctor(config: Path, capsys: pytest.CaptureFixture[str]) -> tuple[int, list[str]]:
    """`harbor doctor --config CONFIG`, in a thread of its own (it runs its own event loop,
    while the fake servers keep running in the test's)."""
    code = await asyncio.to_thread(main, ["doctor", "--config", str(config), "--timeout", "5"])
    return code, capsys.readouterr().out.splitlines()


async def make_db(tmp_path: Path, *groups: tuple[str, str], failed: int = 0) -> None:
    store = await open_store(tmp_path / "harbor.db")
    for platform, chat_id in groups:
        await store.communities.ensure(platform, chat_id, f"Circle {chat_id}", 1)
    now = int(time.time())
    for n in range(failed):
        reply = Reply(chat=ChatRef("telegram", "-100500", False), text="Meeting soon")
        await store.outbox.enqueue([planned(reply, key=f"reminder:{n}", kind="reminder", due=now)])
        [row] = await store.outbox.claim("telegram", now, 1, now + 60, "test")
        await store.outbox.retry_later(row.id, now, "failed: sendMessage: Bad Gateway", True)
    await store.close()


def fixes(lines: list[str]) -> list[str]:
    return [line for line in lines if line.startswith("FIX")]


async def test_all_good(
    telegram_fake: FakeTelegramAPI, discord_fake: FakeDiscord, tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:  # fmt: skip
    telegram_fake.set_privacy(reads_all=True)
    await make_db(tmp_path, ("telegram", "-100500"), ("discord", fd.GUILD_ID))
    config = write_config(
        tmp_path,
        community={"country": "US"},
        telegram={"token": telegram_fake.token, "api_base_url": telegram_fake.root_url},
        discord={"token": fd.TOKEN, "api_base_url": discord_fake.api_base, "read_messages": True},
    )
    code, lines = await doctor(config, capsys)
    assert code == 0, lines
    assert fixes(lines) == []
    assert "ok    telegram: token accepted: @HarborTestBot" in lines
    assert "ok    telegram: privacy mode is off: Harbor reads group messages" in lines
    assert "ok    database: quick_check: ok" in lines
    assert "ok    discord: the Message Content intent is on: Harbor reads servers" in lines
    invite = next(line for line in lines if "invite link" in line)
    assert invite.endswith(f"client_id={fd.APP_ID}&scope=bot+applications.commands"
                           "&permissions=277025508352")  # fmt: skip
    assert lines[-1] == "all good"
    assert telegram_fake.token not in "\n".join(lines) and fd.TOKEN not in "\n".join(lines)


async def test_a_rejected_telegram_token_is_named_but_never_shown(
    telegram_fake: FakeTelegramAPI, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = write_config(
        tmp_path, telegram={"token": SECRET_TG, "api_base_url": telegram_fake.root_url}
    )
    code, lines = await doctor(config, capsys)
    assert code == 1
    [fix] = fixes(lines)
    assert fix.startswith("FIX   telegram: Telegram rejected the token 777:…: copy it again")
    assert "NOT-the-real" not in "\n".join(lines)


async def test_privacy_mode_per_known_group(
    telegram_fake: FakeTelegramAPI, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    await make_db(tmp_path, ("telegram", "-100500"), ("telegram", "-100600"))
    telegram_fake.set_bot_status(-100600, "administrator")  # privacy mode is on (default)
    config = write_config(
        tmp_path, telegram={"token": telegram_fake.token, "api_base_url": telegram_fake.root_url}
    )
    code, lines = await doctor(config, capsys)
    assert code == 1
    [fix] = fixes(lines)
    assert fix.startswith("FIX   telegram: group 'Circle -100500' (-100500): Harbor sees only")
    assert "/setprivacy → Disable" in fix and "add it again" in fix
    assert "ok    telegram: group 'Circle -100600' (-100600): Harbor is an admin" in "\n".join(
        lines
    )


async def test_discord_intent_missing_for_read_messages(
    discord_fake: FakeDiscord, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    discord_fake.app_flags = 0  # the Message Content switch is off in the portal
    config = write_config(
        tmp_path,
        discord={"token": fd.TOKEN, "api_base_url": discord_fake.api_base, "read_messages": True},
    )
    code, lines = await doctor(config, capsys)
    assert code == 1
    [fix] = fixes(lines)
    assert "Message Content intent is off" in fix and "4014" in fix


async def test_a_rejected_discord_token(
    discord_fake: FakeDiscord, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = write_config(
        tmp_path, discord={"token": "wrong-discord-secret", "api_base_url": discord_fake.api_base}
    )
    code, lines = await doctor(config, capsys)
    assert code == 1
    assert fixes(lines) == [
        "FIX   discord: Discord rejected the token: Developer Portal → your application → Bot "
        "→ Reset Token, into HARBOR_DISCORD_TOKEN"
    ]
    assert "wrong-discord-secret" not in "\n".join(lines)


async def test_failed_messages_in_the_outbox(
    telegram_fake: FakeTelegramAPI, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    telegram_fake.set_privacy(reads_all=True)
    await make_db(tmp_path, failed=2)
    config = write_config(
        tmp_path, telegram={"token": telegram_fake.token, "api_base_url": telegram_fake.root_url}
    )
    code, lines = await doctor(config, capsys)
    assert code == 1
    assert fixes(lines) == [
        "FIX   outbox: 2 'reminder' messages given up after retries in the last 7 days (last "
        "error: failed: sendMessage: Bad Gateway); see the log around those times"
    ]


async def test_a_damaged_database(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "harbor.db").write_bytes(b"this is not a database" * 100)
    code, lines = await doctor(write_config(tmp_path, telegram={"token": "1:" + "x" * 30}), capsys)
    assert code == 1
    assert any(line.startswith("FIX   database:") and "not a usable SQLite file" in line
               for line in lines)  # fmt: skip


async def test_an_old_schema_is_reported_not_migrated(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    import sqlite3

    path = tmp_path / "harbor.db"
    with sqlite3.connect(path) as conn:
        conn.execute("PRAGMA user_version = 1")
        conn.execute("CREATE TABLE t (x)")
    code, lines = await doctor(write_config(tmp_path), capsys)
    assert code == 1  # no token; the schema is only a note: `harbor run` migrates it
    assert any("schema version 1" in line and line.startswith("note") for line in lines)
    with sqlite3.connect(path) as conn:
        assert conn.execute("PRAGMA user_version").fetchone() == (1,)  # untouched


async def test_no_token_and_no_database(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, lines = await doctor(write_config(tmp_path), capsys)
    assert code == 1
    assert fixes(lines) == [
        "FIX   config: no Telegram or Discord token: `harbor run` only opens the console. Set "
        "HARBOR_TELEGRAM_TOKEN and/or HARBOR_DISCORD_TOKEN"
    ]
    assert any(line.startswith("note  database:") and "does not exist yet" in line
               for line in lines)  # fmt: skip
    assert not (tmp_path / "harbor.db").exists()  # the doctor created nothing


async def test_an_unreachable_api(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    config = write_config(
        tmp_path,
        telegram={"token": "1:" + "x" * 30, "api_base_url": f"http://127.0.0.1:{port}"},
    )
    code, lines = await doctor(config, capsys)
    assert code == 1
    assert any(line.startswith("FIX   telegram: cannot reach 127.0.0.1") for line in lines)


async def test_a_webhook_left_behind_is_mentioned(
    telegram_fake: FakeTelegramAPI, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    telegram_fake.set_privacy(reads_all=True)
    telegram_fake.webhook_url = "https://old.example.org/hook"
    config = write_config(
        tmp_path, telegram={"token": telegram_fake.token, "api_base_url": telegram_fake.root_url}
    )
    code, lines = await doctor(config, capsys)
    assert code == 0
    assert any(line.startswith("note  telegram: a webhook is set") for line in lines)
