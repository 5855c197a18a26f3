-- Foundation: members, communities, conversation state and the outbox.
-- Rule: every table that holds data about a member references members(id) ON DELETE CASCADE,
-- so /forget (DELETE FROM members) cannot miss a table; tests/test_privacy.py enforces it.

CREATE TABLE communities (
    id                  INTEGER PRIMARY KEY,
    platform            TEXT    NOT NULL,
    chat_id             TEXT    NOT NULL,
    title               TEXT    NOT NULL DEFAULT '',
    tz                  TEXT,
    country             TEXT,
    program             TEXT    NOT NULL DEFAULT 'general',
    allow_celebrations  INTEGER NOT NULL DEFAULT 0,
    announce_chat_id    TEXT,
    announce_thread_id  TEXT,
    leaderboard         INTEGER NOT NULL DEFAULT 0,
    crisis_public_line  INTEGER NOT NULL DEFAULT 0,
    crisis_alerts       INTEGER NOT NULL DEFAULT 0,
    checkin_time        TEXT,
    nudge_after_days    INTEGER,
    active              INTEGER NOT NULL DEFAULT 1,
    created_at          INTEGER NOT NULL,
    UNIQUE (platform, chat_id)
);

CREATE TABLE members (
    id                  INTEGER PRIMARY KEY,
    platform            TEXT    NOT NULL,
    user_id             TEXT    NOT NULL,
    display_name        TEXT    NOT NULL DEFAULT '',
    tz                  TEXT,
    country             TEXT,
    date_locale         TEXT,
    has_private_chat    INTEGER NOT NULL DEFAULT 0,
    paused              INTEGER NOT NULL DEFAULT 0,   -- blocked the bot: private sends paused
    created_at          INTEGER NOT NULL,
    UNIQUE (platform, user_id)
);

CREATE TABLE memberships (
    member_id           INTEGER NOT NULL REFERENCES members(id) ON DELETE CASCADE,
    community_id        INTEGER NOT NULL REFERENCES communities(id) ON DELETE CASCADE,
    is_moderator        INTEGER NOT NULL DEFAULT 0,
    last_seen           INTEGER NOT NULL,
    PRIMARY KEY (member_id, community_id)
);
CREATE INDEX memberships_community ON memberships(community_id);

-- A short-lived multi-step exchange (a /forget confirmation, a check-in in progress).
CREATE TABLE conversations (
    member_id           INTEGER PRIMARY KEY REFERENCES members(id) ON DELETE CASCADE,
    state               TEXT    NOT NULL,
    data                TEXT    NOT NULL DEFAULT '{}',
    expires_at          INTEGER NOT NULL
);

-- Every timed message goes through here. dedupe_key makes a second copy impossible.
CREATE TABLE outbox (
    id                  INTEGER PRIMARY KEY,
    dedupe_key          TEXT    NOT NULL UNIQUE,
    kind                TEXT    NOT NULL,
    member_id           INTEGER REFERENCES members(id) ON DELETE CASCADE,
    platform            TEXT    NOT NULL,
    chat_id             TEXT    NOT NULL,
    private             INTEGER NOT NULL,
    thread_id           TEXT,
    body                TEXT    NOT NULL,               -- JSON: text and buttons
    due_at              INTEGER NOT NULL,               -- unix seconds, UTC
    stale_at            INTEGER,                        -- skip if still unsent by then
    status              TEXT    NOT NULL DEFAULT 'pending',
    attempts            INTEGER NOT NULL DEFAULT 0,
    next_attempt_at     INTEGER NOT NULL,
    sent_at             INTEGER,
    last_error          TEXT
);
CREATE INDEX outbox_ready ON outbox(status, next_attempt_at);
