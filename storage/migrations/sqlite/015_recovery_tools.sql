-- Recovery tools (issue #19): a member's own reasons, urges met with /urge and their
-- follow-ups, money and time saved per counter, and moderators' scheduled posts.
-- Every table about a member references members(id) ON DELETE CASCADE: /mydata exports it,
-- /forget erases it (announcements with their author: what a moderator wrote is theirs).

CREATE TABLE recovery_reasons (
    id                  INTEGER PRIMARY KEY,
    member_id           INTEGER NOT NULL REFERENCES members(id) ON DELETE CASCADE,
    text                TEXT    NOT NULL,               -- as the member wrote it (cleaned)
    created_at          INTEGER NOT NULL
);
CREATE INDEX recovery_reasons_member ON recovery_reasons(member_id, id);

CREATE TABLE urges (
    id                  INTEGER PRIMARY KEY,
    member_id           INTEGER NOT NULL REFERENCES members(id) ON DELETE CASCADE,
    day                 TEXT    NOT NULL,               -- the member's local date, ISO
    started_at          INTEGER NOT NULL,               -- unix seconds
    step_id             TEXT    NOT NULL,               -- the coping step offered last
    buddy_told_at       INTEGER,                        -- the member asked to tell their buddy
    check_at            INTEGER,                        -- "check on me" follow-up due at
    level_after         INTEGER,                        -- the follow-up's answer, 0-10
    answered_at         INTEGER
);
CREATE INDEX urges_member ON urges(member_id, day);

CREATE TABLE counter_savings (
    counter_id          INTEGER PRIMARY KEY REFERENCES counters(id) ON DELETE CASCADE,
    member_id           INTEGER NOT NULL REFERENCES members(id) ON DELETE CASCADE,
    money_rate          TEXT,                           -- "12.50 EUR/day" (savings.MoneyRate)
    time_rate           TEXT,                           -- "180m/day" (savings.TimeRate)
    updated_at          INTEGER NOT NULL
);
CREATE INDEX counter_savings_member ON counter_savings(member_id);

CREATE TABLE announcements (
    id                  INTEGER PRIMARY KEY,
    community_id        INTEGER NOT NULL REFERENCES communities(id) ON DELETE CASCADE,
    author_id           INTEGER NOT NULL REFERENCES members(id) ON DELETE CASCADE,
    kind                TEXT    NOT NULL,               -- 'text' or 'milestones' (built in)
    schedule            TEXT    NOT NULL,               -- Schedule.canonical(): "daily 08:00"
    body                TEXT    NOT NULL DEFAULT '',
    chat_id             TEXT,                           -- NULL: the announcement channel
    thread_id           TEXT,
    tz                  TEXT    NOT NULL,               -- the zone next_at was computed in
    paused              INTEGER NOT NULL DEFAULT 0,
    next_at             INTEGER,                        -- unix seconds UTC; NULL while paused
    next_day            TEXT,                           -- that occurrence's local date
    last_day            TEXT,                           -- the last local date posted
    created_at          INTEGER NOT NULL,
    updated_at          INTEGER NOT NULL
);
CREATE INDEX announcements_due ON announcements(next_at) WHERE next_at IS NOT NULL;
CREATE INDEX announcements_community ON announcements(community_id);
CREATE INDEX announcements_author ON announcements(author_id);
