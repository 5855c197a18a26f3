-- Sobriety counters, the streaks before each restart, logged slips, and sharing opt-ins.

CREATE TABLE counters (
    id                  INTEGER PRIMARY KEY,
    member_id           INTEGER NOT NULL REFERENCES members(id) ON DELETE CASCADE,
    name                TEXT    NOT NULL,
    start_date          TEXT    NOT NULL,       -- local date, ISO
    start_time          TEXT,                   -- local "HH:MM", or NULL for the whole day
    tz                  TEXT    NOT NULL,       -- the zone the days are counted in
    next_key            TEXT,                   -- the next milestone to celebrate
    next_at             INTEGER,                -- when to celebrate it (unix seconds, UTC)
    created_at          INTEGER NOT NULL,
    UNIQUE (member_id, name)
);
CREATE INDEX counters_due ON counters(next_at);

CREATE TABLE streaks (
    id                  INTEGER PRIMARY KEY,
    member_id           INTEGER NOT NULL REFERENCES members(id) ON DELETE CASCADE,
    counter_id          INTEGER REFERENCES counters(id) ON DELETE SET NULL,
    name                TEXT    NOT NULL,
    start_date          TEXT    NOT NULL,
    end_date            TEXT    NOT NULL,
    days                INTEGER NOT NULL,
    ended_at            INTEGER NOT NULL
);

CREATE TABLE slips (
    id                  INTEGER PRIMARY KEY,
    member_id           INTEGER NOT NULL REFERENCES members(id) ON DELETE CASCADE,
    counter_id          INTEGER REFERENCES counters(id) ON DELETE SET NULL,
    day                 TEXT    NOT NULL,
    created_at          INTEGER NOT NULL
);

CREATE TABLE sharing (
    member_id           INTEGER PRIMARY KEY REFERENCES members(id) ON DELETE CASCADE,
    celebrate           INTEGER NOT NULL DEFAULT 0,   -- milestone posts in the group
    show_substance      INTEGER NOT NULL DEFAULT 0,   -- counter names in group posts
    share_days          INTEGER NOT NULL DEFAULT 0    -- "Alex: 45 days" and leaderboards
);
