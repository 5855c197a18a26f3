"""PostgreSQL for the tests: a fresh database per test, dropped after.

The server is `HARBOR_TEST_POSTGRES_URL` (CI creates a database for the run and passes its
URL) or, outside CI, the local server at 127.0.0.1:5432. A migrated template database is
made once per test session; each test gets `CREATE DATABASE harbor_test_<random> TEMPLATE
...`, which is much quicker than migrating every time. PostgreSQL cases are skipped only when
no server answers AND `CI` is not set: in CI a missing server is a failure."""

from __future__ import annotations

import asyncio
import os
import secrets
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from urllib.parse import urlsplit, urlunsplit

import asyncpg
import pytest

DEFAULT_SERVER = "postgresql://postgres@127.0.0.1:5432/postgres"
_state: dict[str, str | None] = {}


def server_url() -> str:
    return os.environ.get("HARBOR_TEST_POSTGRES_URL") or DEFAULT_SERVER


def with_database(url: str, name: str) -> str:
    """The same server URL pointing at database `name`."""
    parts = urlsplit(url)
    return urlunsplit((parts.scheme, parts.netloc, f"/{name}", parts.query, parts.fragment))


async def _admin(sql: str) -> None:
    conn = await asyncpg.connect(server_url(), timeout=5)
    try:
        await conn.execute(sql)
    finally:
        await conn.close()


def _run(sql: str) -> None:
    # In a thread of its own: callers may be inside a running event loop.
    with ThreadPoolExecutor(1) as pool:
        pool.submit(asyncio.run, _admin(sql)).result()


def _reachable() -> str | None:
    """None when the server answers, else why not."""
    if "reachable" not in _state:
        try:
            _run("SELECT 1")
            _state["reachable"] = None
        except (OSError, asyncpg.PostgresError, asyncpg.InterfaceError, TimeoutError) as exc:
            _state["reachable"] = f"{type(exc).__name__}: {exc}"
    return _state["reachable"]


def require_server() -> None:
    """Skip (outside CI) or fail (in CI) when no PostgreSQL server answers."""
    why = _reachable()
    if why is None:
        return
    where = urlsplit(server_url())
    message = f"no PostgreSQL server at {where.hostname}:{where.port or 5432} ({why})"
    if os.environ.get("CI"):
        pytest.fail(f"{message}; CI must run the PostgreSQL cases", pytrace=False)
    pytest.skip(f"{message}; set HARBOR_TEST_POSTGRES_URL to run the PostgreSQL cases")


def _template() -> str:
    """A migrated database to copy (made once per test session, dropped at exit)."""
    if "template" not in _state:
        from storage.postgres_db import PostgresDatabase

        name = f"harbor_tpl_{secrets.token_hex(4)}"
        _run(f"CREATE DATABASE {name}")

        async def migrate() -> None:
            db = await PostgresDatabase.open(with_database(server_url(), name))
            await db.close()

        with ThreadPoolExecutor(1) as pool:
            pool.submit(asyncio.run, migrate()).result()
        _state["template"] = name
    name = _state["template"]
    assert name is not None
    return name


@contextmanager
def fresh_database(*, migrated: bool = True) -> Iterator[str]:
    """The URL of a new database (migrated, or empty), dropped on the way out."""
    require_server()
    name = f"harbor_test_{secrets.token_hex(6)}"
    template = f" TEMPLATE {_template()}" if migrated else ""
    _run(f"CREATE DATABASE {name}{template}")
    try:
        yield with_database(server_url(), name)
    finally:
        _run(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


def cleanup() -> None:
    """Drop the session's template database (pytest_sessionfinish calls this)."""
    name = _state.pop("template", None)
    if name is not None:
        _run(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
