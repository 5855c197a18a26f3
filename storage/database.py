"""The seam between the stores and a database engine.

Every store in `storage/sql/` is written once against these two protocols; a backend
(SQLite today, PostgreSQL to scale out) supplies the connection handling, the dialect and
the migrations. SQL is written with `?` placeholders and portable constructs (upserts,
RETURNING, CASE instead of MAX/GREATEST, integers for flags); the PostgreSQL backend
rewrites the placeholders. Rows are read by column name."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable, Sequence
from dataclasses import dataclass
from importlib import resources
from typing import Any, Protocol, TypeVar

from storage.errors import StorageError

T = TypeVar("T")
Params = Sequence[Any]


class Row(Protocol):
    """A result row: by column name (or position), as sqlite3.Row and asyncpg's Record."""

    def __getitem__(self, key: int | str, /) -> Any: ...

    def keys(self) -> Iterable[str]: ...


class Tx(Protocol):
    """The statements of one write unit: all of them happen, or none."""

    async def execute(self, sql: str, params: Params = ()) -> int:
        """Run one statement; returns the number of rows it changed."""

    async def executemany(self, sql: str, rows: Sequence[Params]) -> None: ...

    async def fetch(self, sql: str, params: Params = ()) -> list[Row]: ...

    async def fetchone(self, sql: str, params: Params = ()) -> Row | None: ...


Unit = Callable[[Tx], Awaitable[T]]


class Database(Protocol):
    dialect: str  # "sqlite" or "postgresql"

    async def fetch(self, sql: str, params: Params = ()) -> list[Row]: ...

    async def fetchone(self, sql: str, params: Params = ()) -> Row | None: ...

    async def fetchval(self, sql: str, params: Params = ()) -> Any: ...

    async def execute(self, sql: str, params: Params = ()) -> int:
        """One write statement, durable when this returns; the rows it changed."""

    async def write(self, unit: Unit[T]) -> T:
        """Run `unit` as one all-or-nothing transaction and return once it is durable.
        Raises StorageError when it was not stored: every caller learns its own outcome."""

    async def member_references(self) -> dict[str, list[str]]:
        """For each table, the columns that reference members(id) (for /mydata, /forget)."""

    async def after_erase(self) -> None:
        """Make erased rows unreadable on disk too (checkpoint, vacuum pages)."""

    async def close(self) -> None: ...


@dataclass(frozen=True, slots=True)
class Migration:
    version: int
    name: str
    sql: str


def bundled_migrations(dialect: str) -> list[Migration]:
    """`storage/migrations/<dialect>/NNN_name.sql`, numbered 1..N without gaps."""
    found: list[Migration] = []
    folder = resources.files("storage").joinpath("migrations").joinpath(dialect)
    for entry in folder.iterdir():
        name = entry.name
        if name.endswith(".sql") and name[:3].isdigit():
            found.append(Migration(int(name[:3]), name[4:-4], entry.read_text("utf-8")))
    found.sort(key=lambda m: m.version)
    versions = [m.version for m in found]
    if versions != list(range(1, len(found) + 1)):
        raise StorageError(f"migrations must be numbered 1..N without gaps, got {versions}")
    return found


def in_list(values: Sequence[Any]) -> str:
    """'?, ?, ?' for an IN (...) list of `values`."""
    return ", ".join("?" for _ in values)
