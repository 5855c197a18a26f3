-- Several processes on one database (PostgreSQL; SQLite runs one process, and uses the same
-- tables so the code is one). processed_events: a platform's update id is handled once,
-- whichever gateway behind a proxy received it (pruned after a retention period).
-- leases: a named role one process holds at a time (the Telegram poller), until it lapses.
CREATE TABLE processed_events (
    platform            TEXT    NOT NULL,
    event_id            TEXT    NOT NULL,
    seen_at             INTEGER NOT NULL,               -- unix seconds, UTC
    PRIMARY KEY (platform, event_id)
);
CREATE INDEX processed_events_seen ON processed_events(seen_at);

CREATE TABLE leases (
    name                TEXT    PRIMARY KEY,
    holder              TEXT    NOT NULL,               -- "host:pid" of the process
    expires_at          INTEGER NOT NULL                -- unix seconds, UTC
);
