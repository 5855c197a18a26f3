"""The embedded default backend: one SQLite file, opened with `open_sqlite_store`."""

from __future__ import annotations

from pathlib import Path

from storage.base import Store
from storage.db import Database
from storage.sqlite_checkins import SQLiteCheckins
from storage.sqlite_meetings import SQLiteMeetings
from storage.sqlite_members import (
    SQLiteCommunities,
    SQLiteCommunityLines,
    SQLiteConversations,
    SQLiteMembers,
)
from storage.sqlite_outbox import SQLiteOutbox
from storage.sqlite_privacy import SQLitePrivacy
from storage.sqlite_sobriety import SQLiteSobriety


class SQLiteStore:
    def __init__(self, db: Database) -> None:
        self.db = db
        self.members = SQLiteMembers(db)
        self.communities = SQLiteCommunities(db)
        self.conversations = SQLiteConversations(db)
        self.outbox = SQLiteOutbox(db)
        self.privacy = SQLitePrivacy(db, on_forget=self.communities.forget_cached)
        self.sobriety = SQLiteSobriety(db)
        self.checkins = SQLiteCheckins(db)
        self.meetings = SQLiteMeetings(db)
        self.helplines = SQLiteCommunityLines(db)

    async def close(self) -> None:
        await self.db.close()


def _conforms(store: SQLiteStore) -> Store:
    return store  # mypy checks here that SQLiteStore implements the Store protocol


async def open_sqlite_store(path: str | Path) -> SQLiteStore:
    """Open (creating and migrating) the database at `path`; raises StorageError."""
    return SQLiteStore(await Database.open(path))
