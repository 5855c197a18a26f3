-- The other circles of support: mentors, family and friends (supporters), the community's
-- resources, sober events and service. Every table about a member references members(id)
-- ON DELETE CASCADE, so /forget erases mentorships, supporters (on both sides), the
-- resources a moderator authored and service sign-ups. One exception: an event keeps
-- existing when the moderator who added it is erased (created_by is cleared): it belongs
-- to the community and to the members who said they are going.

-- Mentorship ---------------------------------------------------------------------------------
CREATE TABLE mentor_settings (
    community_id        INTEGER PRIMARY KEY REFERENCES communities(id) ON DELETE CASCADE,
    min_months          INTEGER NOT NULL DEFAULT 12,    -- a mentor's counter has reached this
    auto_propose        INTEGER NOT NULL DEFAULT 0      -- Harbor proposes a match at once
);

CREATE TABLE mentors (
    member_id           INTEGER NOT NULL REFERENCES members(id) ON DELETE CASCADE,
    community_id        INTEGER NOT NULL REFERENCES communities(id) ON DELETE CASCADE,
    intro               TEXT    NOT NULL,
    languages           TEXT    NOT NULL DEFAULT '',    -- language codes, comma separated
    availability        TEXT    NOT NULL DEFAULT '',    -- as the mentor wrote it
    status              TEXT    NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'paused')),
    temporary           INTEGER NOT NULL DEFAULT 0,     -- on the newcomers' temporary list
    created_at          INTEGER NOT NULL,
    PRIMARY KEY (member_id, community_id)
);
CREATE INDEX mentors_community ON mentors(community_id);

-- Only pending requests live here: a request ends when a mentorship starts or it is withdrawn.
CREATE TABLE mentor_requests (
    id                  INTEGER PRIMARY KEY,
    member_id           INTEGER NOT NULL REFERENCES members(id) ON DELETE CASCADE,
    community_id        INTEGER NOT NULL REFERENCES communities(id) ON DELETE CASCADE,
    languages           TEXT    NOT NULL DEFAULT '',
    availability        TEXT    NOT NULL DEFAULT '',
    status              TEXT    NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'proposed')),
    created_at          INTEGER NOT NULL,
    UNIQUE (member_id, community_id)
);
CREATE INDEX mentor_requests_community ON mentor_requests(community_id);

-- Nothing is shared before both have accepted (status 'active'); each shared item is the
-- mentee's own switch.
CREATE TABLE mentorships (
    id                  INTEGER PRIMARY KEY,
    community_id        INTEGER NOT NULL REFERENCES communities(id) ON DELETE CASCADE,
    mentor_id           INTEGER NOT NULL REFERENCES members(id) ON DELETE CASCADE,
    mentee_id           INTEGER NOT NULL REFERENCES members(id) ON DELETE CASCADE,
    status              TEXT    NOT NULL DEFAULT 'proposed' CHECK (status IN ('proposed', 'active')),
    mentor_accepted     INTEGER NOT NULL DEFAULT 0,
    mentee_accepted     INTEGER NOT NULL DEFAULT 0,
    share_streak        INTEGER NOT NULL DEFAULT 0,
    share_checkins      INTEGER NOT NULL DEFAULT 0,
    share_hard_days     INTEGER NOT NULL DEFAULT 0,
    next_nudge_at       INTEGER,                        -- the weekly nudge, unix seconds UTC
    watched_at          INTEGER NOT NULL DEFAULT 0,     -- check-ins up to here were looked at
    created_at          INTEGER NOT NULL,
    started_at          INTEGER,
    UNIQUE (mentor_id, mentee_id)
);
CREATE INDEX mentorships_mentee ON mentorships(mentee_id);
CREATE INDEX mentorships_nudge ON mentorships(next_nudge_at) WHERE next_nudge_at IS NOT NULL;
CREATE INDEX mentorships_hard_days ON mentorships(mentee_id)
    WHERE status = 'active' AND share_hard_days = 1;

-- Heads-ups on hard days (to a mentor, to supporters) are found among the check-ins changed
-- since the last sweep: this index keeps that to the few rows written meanwhile, instead of
-- every pair's check-ins on every sweep. The check-in feature's own queries don't change.
CREATE INDEX checkins_updated ON checkins(updated_at);

-- Family and friends -------------------------------------------------------------------------
-- An invitation code is stored only as its hash; used or expired codes stay (so a second use
-- gets a clear answer) until the member is erased.
CREATE TABLE supporter_invites (
    code_hash           TEXT    PRIMARY KEY,
    member_id           INTEGER NOT NULL REFERENCES members(id) ON DELETE CASCADE,
    created_at          INTEGER NOT NULL,
    expires_at          INTEGER NOT NULL,
    used_at             INTEGER,
    used_by             INTEGER REFERENCES members(id) ON DELETE CASCADE
);
CREATE INDEX supporter_invites_member ON supporter_invites(member_id);
CREATE INDEX supporter_invites_used_by ON supporter_invites(used_by) WHERE used_by IS NOT NULL;

CREATE TABLE supporters (
    id                  INTEGER PRIMARY KEY,
    member_id           INTEGER NOT NULL REFERENCES members(id) ON DELETE CASCADE,  -- supported
    supporter_id        INTEGER NOT NULL REFERENCES members(id) ON DELETE CASCADE,
    share_milestones    INTEGER NOT NULL DEFAULT 0,
    share_missed        INTEGER NOT NULL DEFAULT 0,
    share_not_sober     INTEGER NOT NULL DEFAULT 0,
    missed_days         INTEGER NOT NULL DEFAULT 3,     -- heads-up after this many days
    next_look_at        INTEGER,                        -- the daily look (milestones, gaps)
    watched_at          INTEGER NOT NULL DEFAULT 0,     -- check-ins up to here were looked at
    created_at          INTEGER NOT NULL,
    UNIQUE (member_id, supporter_id)
);
CREATE INDEX supporters_supporter ON supporters(supporter_id);
CREATE INDEX supporters_look ON supporters(next_look_at) WHERE next_look_at IS NOT NULL;
CREATE INDEX supporters_not_sober ON supporters(member_id) WHERE share_not_sober = 1;

-- Community resources ------------------------------------------------------------------------
CREATE TABLE resource_settings (
    community_id        INTEGER PRIMARY KEY REFERENCES communities(id) ON DELETE CASCADE,
    review_days         INTEGER NOT NULL DEFAULT 180,   -- older entries go to moderators
    family_group        INTEGER NOT NULL DEFAULT 0      -- a group for families and friends
);

CREATE TABLE resources (
    id                  INTEGER PRIMARY KEY,
    community_id        INTEGER NOT NULL REFERENCES communities(id) ON DELETE CASCADE,
    category            TEXT    NOT NULL,
    name                TEXT    NOT NULL,
    contact             TEXT    NOT NULL,               -- how to reach it
    area                TEXT    NOT NULL DEFAULT '',
    hours               TEXT    NOT NULL DEFAULT '',
    languages           TEXT    NOT NULL DEFAULT '',
    checked_on          TEXT    NOT NULL,               -- ISO date a moderator last checked it
    review_at           INTEGER,                        -- to moderators then; NULL once sent
    reports             INTEGER NOT NULL DEFAULT 0,     -- members who said it is outdated
    added_by            INTEGER REFERENCES members(id) ON DELETE CASCADE,
    created_at          INTEGER NOT NULL,
    updated_at          INTEGER NOT NULL,
    UNIQUE (community_id, category, name)
);
CREATE INDEX resources_review ON resources(review_at) WHERE review_at IS NOT NULL;
CREATE INDEX resources_added_by ON resources(added_by) WHERE added_by IS NOT NULL;

CREATE TABLE resource_reports (
    resource_id         INTEGER NOT NULL REFERENCES resources(id) ON DELETE CASCADE,
    member_id           INTEGER NOT NULL REFERENCES members(id) ON DELETE CASCADE,
    created_at          INTEGER NOT NULL,
    PRIMARY KEY (resource_id, member_id)
);
CREATE INDEX resource_reports_member ON resource_reports(member_id);

-- Sober events -------------------------------------------------------------------------------
CREATE TABLE sober_events (
    id                  INTEGER PRIMARY KEY,
    community_id        INTEGER NOT NULL REFERENCES communities(id) ON DELETE CASCADE,
    title               TEXT    NOT NULL,
    starts_at           INTEGER NOT NULL,               -- unix seconds UTC
    tz                  TEXT    NOT NULL,
    duration_min        INTEGER NOT NULL,
    place               TEXT    NOT NULL DEFAULT '',
    notes               TEXT    NOT NULL DEFAULT '',
    announce_at         INTEGER,                        -- the group reminder; NULL once planned
    created_by          INTEGER REFERENCES members(id) ON DELETE SET NULL,
    created_at          INTEGER NOT NULL
);
CREATE INDEX sober_events_community ON sober_events(community_id, starts_at);
CREATE INDEX sober_events_announce ON sober_events(announce_at) WHERE announce_at IS NOT NULL;
CREATE INDEX sober_events_created_by ON sober_events(created_by) WHERE created_by IS NOT NULL;

CREATE TABLE event_rsvps (
    event_id            INTEGER NOT NULL REFERENCES sober_events(id) ON DELETE CASCADE,
    member_id           INTEGER NOT NULL REFERENCES members(id) ON DELETE CASCADE,
    remind_at           INTEGER,                        -- the private reminder; NULL once planned
    created_at          INTEGER NOT NULL,
    PRIMARY KEY (event_id, member_id)
);
CREATE INDEX event_rsvps_member ON event_rsvps(member_id);
CREATE INDEX event_rsvps_due ON event_rsvps(remind_at) WHERE remind_at IS NOT NULL;

-- Service ------------------------------------------------------------------------------------
CREATE TABLE service_roles (
    id                  INTEGER PRIMARY KEY,
    community_id        INTEGER NOT NULL REFERENCES communities(id) ON DELETE CASCADE,
    name                TEXT    NOT NULL,
    weekdays            TEXT    NOT NULL,               -- Python weekday numbers, "1,3"
    at_time             TEXT    NOT NULL,               -- local "HH:MM"
    tz                  TEXT    NOT NULL,
    slots               INTEGER NOT NULL DEFAULT 1,     -- people per turn
    remind_before_min   INTEGER NOT NULL DEFAULT 1440,
    created_at          INTEGER NOT NULL,
    UNIQUE (community_id, name)
);

CREATE TABLE service_turns (
    role_id             INTEGER NOT NULL REFERENCES service_roles(id) ON DELETE CASCADE,
    member_id           INTEGER NOT NULL REFERENCES members(id) ON DELETE CASCADE,
    day                 TEXT    NOT NULL,               -- local date of the turn
    starts_at           INTEGER NOT NULL,               -- unix seconds UTC
    remind_at           INTEGER,                        -- NULL once planned
    created_at          INTEGER NOT NULL,
    PRIMARY KEY (role_id, day, member_id)
);
CREATE INDEX service_turns_member ON service_turns(member_id);
CREATE INDEX service_turns_due ON service_turns(remind_at) WHERE remind_at IS NOT NULL;

CREATE TABLE service_prefs (
    member_id           INTEGER PRIMARY KEY REFERENCES members(id) ON DELETE CASCADE,
    show_in_history     INTEGER NOT NULL DEFAULT 0
);
