-- Daily check-ins: each member's prompt plan (next due time in UTC), the check-ins
-- themselves (one per local day), and buddies.

CREATE TABLE checkin_plans (
    member_id           BIGINT  PRIMARY KEY REFERENCES members(id) ON DELETE CASCADE,
    enabled             INTEGER NOT NULL DEFAULT 1,
    local_time          TEXT    NOT NULL,               -- "HH:MM" in tz
    tz                  TEXT    NOT NULL,
    next_at             BIGINT,                         -- next prompt, unix seconds UTC
    last_day            TEXT,                           -- last local day checked in (or opted in)
    nudged_for          TEXT,                           -- the last_day a nudge was sent about
    buddy_alerts        INTEGER NOT NULL DEFAULT 0      -- the buddy may get a heads-up
);
CREATE INDEX checkin_plans_due ON checkin_plans(next_at) WHERE enabled = 1;

CREATE TABLE checkins (
    member_id           BIGINT  NOT NULL REFERENCES members(id) ON DELETE CASCADE,
    day                 TEXT    NOT NULL,               -- local date, ISO
    mood                INTEGER CHECK (mood BETWEEN 1 AND 5),
    cravings            INTEGER CHECK (cravings BETWEEN 0 AND 10),
    sober               TEXT    CHECK (sober IN ('yes', 'no', 'skip')),
    note                TEXT,
    updated_at          BIGINT  NOT NULL,
    PRIMARY KEY (member_id, day)
);

CREATE TABLE buddies (
    member_id           BIGINT  NOT NULL REFERENCES members(id) ON DELETE CASCADE,
    buddy_id            BIGINT  NOT NULL REFERENCES members(id) ON DELETE CASCADE,
    status              TEXT    NOT NULL CHECK (status IN ('invited', 'active')),
    created_at          BIGINT  NOT NULL,
    PRIMARY KEY (member_id, buddy_id)
);
CREATE INDEX buddies_buddy ON buddies(buddy_id);
