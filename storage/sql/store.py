"""One store over any Database: the repositories the core uses, by feature."""

from __future__ import annotations

from storage.base import Store
from storage.database import Database
from storage.sql.checkins import SQLCheckins
from storage.sql.coordination import SQLEvents, SQLLeases
from storage.sql.crisis import SQLCrisis
from storage.sql.meetings import SQLMeetings
from storage.sql.members import (
    SQLCommunities,
    SQLCommunityLines,
    SQLConversations,
    SQLMembers,
)
from storage.sql.outbox import SQLOutbox
from storage.sql.privacy import SQLPrivacy
from storage.sql.sobriety import SQLSobriety


class SQLStore:
    def __init__(self, db: Database) -> None:
        self.db = db
        self.members = SQLMembers(db)
        self.communities = SQLCommunities(db)
        self.conversations = SQLConversations(db)
        self.outbox = SQLOutbox(db)
        self.privacy = SQLPrivacy(db, on_forget=self.communities.forget_cached)
        self.sobriety = SQLSobriety(db)
        self.checkins = SQLCheckins(db)
        self.meetings = SQLMeetings(db)
        self.helplines = SQLCommunityLines(db)
        self.crisis = SQLCrisis(db)
        self.events = SQLEvents(db)
        self.leases = SQLLeases(db)

    @property
    def backend(self) -> str:
        return self.db.dialect

    async def close(self) -> None:
        await self.db.close()


def _conforms(store: SQLStore) -> Store:
    return store  # mypy checks here that SQLStore implements the Store protocol
