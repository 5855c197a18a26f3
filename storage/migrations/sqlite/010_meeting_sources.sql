-- Meeting sources: live feeds (Meeting Guide / TSML JSON, BMLT servers) a community syncs its
-- meetings from, or (purpose 'online') online meetings offered only by /meetings now. A source
-- with no community is the installation's own online feed ([meetings] online_feed).
-- Nothing here is about a member: no members(id) reference is needed.

CREATE TABLE meeting_sources (
    id                  INTEGER PRIMARY KEY,
    community_id        INTEGER REFERENCES communities(id) ON DELETE CASCADE,
    url                 TEXT    NOT NULL,
    kind                TEXT    NOT NULL DEFAULT '',    -- meeting_guide, tsml, bmlt ('' until known)
    purpose             TEXT    NOT NULL DEFAULT 'meetings',  -- 'meetings' or 'online'
    etag                TEXT,                           -- for If-None-Match
    last_modified       TEXT,                           -- for If-Modified-Since
    body_digest         TEXT,                           -- the last payload applied (or kept)
    last_synced         INTEGER,                        -- unix seconds of the last good sync
    last_error          TEXT,                           -- a catalog key, never a payload
    failures            INTEGER NOT NULL DEFAULT 0,     -- failed syncs in a row (back-off)
    held                TEXT,                           -- JSON: a sync the shrink guard holds
    next_sync_at        INTEGER,                        -- unix seconds; NULL: not scheduled
    version             TEXT    NOT NULL,               -- changes with every applied sync
    created_at          INTEGER NOT NULL
);
-- One row per address and purpose in a community (rows without a community are checked by
-- the code: NULLs are distinct in a UNIQUE index in every dialect).
CREATE UNIQUE INDEX meeting_sources_url ON meeting_sources(community_id, url, purpose);
CREATE INDEX meeting_sources_due ON meeting_sources(next_sync_at) WHERE next_sync_at IS NOT NULL;

-- A synced meeting remembers its source and the source's own key for it (a slug, "bmlt-<id>"),
-- and a digest of what the source said, so a re-sync compares without decoding every spec.
ALTER TABLE meetings ADD COLUMN source_id INTEGER REFERENCES meeting_sources(id) ON DELETE CASCADE;
ALTER TABLE meetings ADD COLUMN source_key TEXT;
ALTER TABLE meetings ADD COLUMN source_digest TEXT;
CREATE INDEX meetings_source ON meetings(source_id, source_key) WHERE source_id IS NOT NULL;

-- Online meetings of 'online' sources: a directory for /meetings now, not the community's
-- meetings (no reminders, RSVPs or attendance hang off them).
CREATE TABLE online_meetings (
    id                  INTEGER PRIMARY KEY,
    source_id           INTEGER NOT NULL REFERENCES meeting_sources(id) ON DELETE CASCADE,
    source_key          TEXT    NOT NULL,
    digest              TEXT    NOT NULL,
    spec                TEXT    NOT NULL,               -- JSON: MeetingSpec + venue, languages
    UNIQUE (source_id, source_key)
);

-- A token that changes whenever a community's meetings change: decoded schedules are cached
-- in memory under it.
CREATE TABLE meeting_generations (
    community_id        INTEGER PRIMARY KEY REFERENCES communities(id) ON DELETE CASCADE,
    token               TEXT    NOT NULL
);
