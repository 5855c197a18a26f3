"""`harbor migrate`, `harbor run` refusing an unmigrated PostgreSQL database, roles that need
PostgreSQL, and `harbor db copy` between engines (ids kept, sequences moved on, checksums)."""

from __future__ import annotations

import io
import os
import subprocess
import sys
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import pytest

from bot.app import build
from bot.dbcli import copy
from bot.kernel.clock import ManualClock
from bot.kernel.config import Settings
from storage import open_store
from storage.errors import StorageError
from tests.conftest import START
from tests.fakes.console_helpers import console_for
from tests.pg import fresh_database

ROOT = Path(__file__).resolve().parent.parent


def harbor(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "bot.cli", *args], cwd=ROOT, capture_output=True, text=True,
        timeout=60, env={**os.environ, **(env or {})}, stdin=subprocess.DEVNULL)


def test_migrate_then_run_refuses_nothing_but_an_unmigrated_database(tmp_path: Path) -> None:
    with fresh_database(migrated=False) as url:
        env = {"HARBOR_DATABASE": url, "HARBOR_TELEGRAM_TOKEN": "1:x"}
        refused = harbor("run", env=env)
        assert refused.returncode == 3
        lines = refused.stderr.strip().splitlines()
        assert len(lines) == 1 and "run `harbor migrate` first" in lines[0], refused.stderr
        done = harbor("migrate", env=env)
        assert done.returncode == 0, done.stderr
        assert "migrated the database from schema version 0 to" in done.stdout
        again = harbor("migrate", "--database", url)
        assert again.returncode == 0 and "up to date" in again.stdout


def with_password(url: str, password: str) -> str:
    parts = urlsplit(url)
    if parts.username is None or parts.password is not None:
        return url
    host = parts.netloc.rsplit("@", 1)[1]
    return urlunsplit(parts._replace(netloc=f"{parts.username}:{password}@{host}"))


def test_run_without_a_token_refuses_an_unmigrated_database_like_with_one() -> None:
    """The console fallback (no token) and `harbor console` leave PostgreSQL's schema to
    `harbor migrate` too: an operator's database changes only when they ask for it."""
    with fresh_database(migrated=False) as plain:
        url = with_password(plain, "Sekret4")  # trust auth (as here and in CI) ignores it
        env = {"HARBOR_DATABASE": url, "HARBOR_TELEGRAM_TOKEN": "", "HARBOR_DISCORD_TOKEN": ""}
        for refused in (harbor("run", env=env), harbor("console", "--db", url, env=env)):
            assert refused.returncode == 3, refused.stderr
            last = refused.stderr.strip().splitlines()[-1]
            assert last.startswith("storage:") and "run `harbor migrate` first" in last
            assert "Sekret4" not in refused.stderr  # the notice names the database only
        done = harbor("migrate", env=env)  # nothing was migrated behind the operator's back
        assert "migrated the database from schema version 0 to" in done.stdout, done.stderr
        ran = harbor("run", env=env)
        assert ran.returncode == 0, ran.stderr


def test_run_without_a_token_on_a_new_sqlite_file_migrates_it(tmp_path: Path) -> None:
    path = tmp_path / "h.db"
    env = {"HARBOR_DATABASE": str(path), "HARBOR_TELEGRAM_TOKEN": "", "HARBOR_DISCORD_TOKEN": ""}
    ran = harbor("run", env=env)
    assert ran.returncode == 0, ran.stderr
    done = harbor("migrate", "--database", str(path))
    assert done.returncode == 0 and "up to date" in done.stdout


def test_roles_other_than_all_need_postgresql(tmp_path: Path) -> None:
    env = {"HARBOR_DATABASE": str(tmp_path / "h.db"), "HARBOR_TELEGRAM_TOKEN": "1:x"}
    out = harbor("run", "--role", "worker", env=env)
    assert out.returncode == 2
    assert out.stderr.strip() == (
        "--role worker needs PostgreSQL: SQLite runs one process (use --role all)")


async def _community(path: Path) -> None:
    store = await open_store(path)
    clock = ManualClock(START)
    console = await console_for(build(store, clock, Settings()), clock)
    for line in [":group recovery", ":mod on", "/community announce",
                 "/meeting add Tuesday Night | tue | 19:00 | | 90 | https://zoom.us/j/123 | O,D |",
                 ":as Sam", ":dm", "/checkin on", "/sober 2026-10-01 alcohol", "/reset",
                 ":press Start again from today", ":group recovery", "/remind 1 30m",
                 ":as Alex", ":dm", "/settings tz Europe/London", "/checkin", ":press 4",
                 ":time 2026-11-26T09:30+00:00"]:
        await console.push(line)
    await store.close()


async def test_db_copy_sqlite_to_postgresql_and_back(tmp_path: Path) -> None:
    src = tmp_path / "community.db"
    await _community(src)
    with fresh_database(migrated=False) as url:
        out = io.StringIO()
        assert await copy(f"sqlite:///{src}", url, False, out) == 0
        report = out.getvalue()
        assert "every checksum matches" in report
        for table in ("members", "communities", "counters", "outbox", "meetings"):
            assert f"\n{table} " in report
        lite, pg = await open_store(src), await open_store(url)
        try:
            for table in ("members", "memberships", "counters", "streaks", "checkins",
                          "meetings", "meeting_subscriptions", "outbox"):
                q = f"SELECT * FROM {table} ORDER BY 1, 2"
                assert [tuple(r) for r in await pg.db.fetch(q)] == [
                    tuple(r) for r in await lite.db.fetch(q)], table
            # Ids were kept, and new rows get fresh ones past them.
            newest = await pg.members.touch("telegram", "new", "New", 1, True)
            assert newest.id == int(await lite.db.fetchval("SELECT MAX(id) FROM members")) + 1
        finally:
            await pg.close()
            await lite.close()
        # Non-empty: refused, unless --force.
        with pytest.raises(StorageError, match="already holds data"):
            await copy(f"sqlite:///{src}", url, False, io.StringIO())
        assert await copy(f"sqlite:///{src}", url, True, io.StringIO()) == 0
        # And back to a new SQLite file: the same checksums.
        back = io.StringIO()
        assert await copy(url, f"sqlite:///{tmp_path / 'back.db'}", False, back) == 0
        sums = {line.split()[0]: line.split()[1:] for line in report.splitlines()[1:-1]}
        again = {line.split()[0]: line.split()[1:] for line in back.getvalue().splitlines()[1:-1]}
        assert again == sums


def test_db_copy_cli_prints_counts_and_checksums(tmp_path: Path) -> None:
    src = tmp_path / "a.db"
    import asyncio

    asyncio.run(_community(src))
    out = harbor("db", "copy", f"sqlite:///{src}", f"sqlite:///{tmp_path / 'b.db'}")
    assert out.returncode == 0, out.stderr
    assert out.stdout.splitlines()[0].split() == ["table", "rows", "checksum"]
    assert "every checksum matches" in out.stdout
    refused = harbor("db", "copy", f"sqlite:///{src}", f"sqlite:///{tmp_path / 'b.db'}")
    assert refused.returncode == 3 and "already holds data" in refused.stderr
