"""Storage: the only place that speaks SQL. `open_store(url)` picks the backend."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import unquote

from storage.errors import StorageError
from storage.sql.store import SQLStore

DEFAULT_URL = "sqlite:///harbor.db"


def sqlite_path(url: str) -> str:
    """The file of a `sqlite:///relative.db` or `sqlite:////absolute.db` URL; a plain path
    is taken as it is, and `sqlite://` alone is an in-memory database."""
    if not url.startswith("sqlite:"):
        return url
    rest = url.removeprefix("sqlite:").removeprefix("//")
    return unquote(rest.removeprefix("/")) or ":memory:"


async def open_store(url: str | Path, *, exclusive: bool = False, migrate: bool = True) -> SQLStore:
    """Open the store at `url`: `sqlite:///harbor.db` (the default; a plain path works too)
    or `postgresql://user@host/db`. SQLite files are created and migrated as needed;
    `exclusive` refuses a second process on the same file. Raises StorageError."""
    text = str(url)
    if text.startswith(("postgresql:", "postgres:")):
        from storage.postgres_db import PostgresDatabase

        return SQLStore(await PostgresDatabase.open(text, migrate=migrate))
    if "://" in text and not text.startswith("sqlite:"):
        raise StorageError(
            f"unknown database URL {text.split(':', 1)[0]!r}: use sqlite or postgresql"
        )
    from storage.sqlite_db import SQLiteDatabase

    return SQLStore(await SQLiteDatabase.open(sqlite_path(text), exclusive=exclusive))
