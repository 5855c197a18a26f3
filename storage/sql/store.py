"""One store over any Database: the repositories the core uses, by feature."""

from __future__ import annotations

from storage.base import Store
from storage.database import Database
from storage.sql.announcements import SQLAnnouncements
from storage.sql.checkins import SQLCheckins
from storage.sql.coordination import SQLLeases, SQLProcessedEvents
from storage.sql.crisis import SQLCrisis
from storage.sql.events import SQLEvents
from storage.sql.meetings import SQLMeetings
from storage.sql.members import (
    SQLCommunities,
    SQLCommunityLines,
    SQLConversations,
    SQLMembers,
)
from storage.sql.mentors import SQLMentors
from storage.sql.outbox import SQLOutbox
from storage.sql.privacy import SQLPrivacy
from storage.sql.recovery import SQLRecovery
from storage.sql.resources import SQLResources
from storage.sql.service import SQLService
from storage.sql.sobriety import SQLSobriety
from storage.sql.supporters import SQLSupporters


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
        self.mentors = SQLMentors(db)
        self.supporters = SQLSupporters(db)
        self.resources = SQLResources(db)
        self.events = SQLEvents(db)
        self.service = SQLService(db)
        self.processed = SQLProcessedEvents(db)
        self.leases = SQLLeases(db)
        self.recovery = SQLRecovery(db)
        self.announcements = SQLAnnouncements(db)

    @property
    def backend(self) -> str:
        return self.db.dialect

    async def close(self) -> None:
        await self.db.close()


def _conforms(store: SQLStore) -> Store:
    return store  # mypy checks here that SQLStore implements the Store protocol
