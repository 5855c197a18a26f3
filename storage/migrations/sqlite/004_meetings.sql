-- Meetings: each community's recurring meetings (the MeetingSpec as JSON, plus the columns the
-- sweep needs), private reminder subscriptions, RSVPs and the private attendance log.
-- Every table holding member data references members(id) ON DELETE CASCADE (/forget).

CREATE TABLE meetings (
    id                  INTEGER PRIMARY KEY,
    community_id        INTEGER NOT NULL REFERENCES communities(id) ON DELETE CASCADE,
    slug                TEXT    NOT NULL,               -- stable key: feed re-imports update by it
    name                TEXT    NOT NULL,
    spec                TEXT    NOT NULL,               -- JSON of the MeetingSpec
    next_occurrence     TEXT,                           -- local date (meeting tz) of the next one
    next_reminder_at    INTEGER,                        -- its announcement, unix seconds UTC
    created_at          INTEGER NOT NULL,
    updated_at          INTEGER NOT NULL,
    UNIQUE (community_id, slug)
);
CREATE INDEX meetings_due ON meetings(next_reminder_at) WHERE next_reminder_at IS NOT NULL;

CREATE TABLE meeting_subscriptions (
    meeting_id          INTEGER NOT NULL REFERENCES meetings(id) ON DELETE CASCADE,
    member_id           INTEGER NOT NULL REFERENCES members(id) ON DELETE CASCADE,
    before_min          INTEGER NOT NULL,               -- remind this long before the start
    occurrence          TEXT,                           -- local date the next reminder is for
    next_at             INTEGER,                        -- when to send it, unix seconds UTC
    created_at          INTEGER NOT NULL,
    PRIMARY KEY (meeting_id, member_id)
);
CREATE INDEX meeting_subscriptions_due ON meeting_subscriptions(next_at)
    WHERE next_at IS NOT NULL;
CREATE INDEX meeting_subscriptions_member ON meeting_subscriptions(member_id);

CREATE TABLE rsvps (
    meeting_id          INTEGER NOT NULL REFERENCES meetings(id) ON DELETE CASCADE,
    member_id           INTEGER NOT NULL REFERENCES members(id) ON DELETE CASCADE,
    occurrence          TEXT    NOT NULL,               -- local date of the occurrence
    created_at          INTEGER NOT NULL,
    PRIMARY KEY (meeting_id, occurrence, member_id)
);
CREATE INDEX rsvps_member ON rsvps(member_id);

-- Proof of attendance outlives the meeting: the name is kept when the meeting is removed.
CREATE TABLE attendance (
    id                  INTEGER PRIMARY KEY,
    member_id           INTEGER NOT NULL REFERENCES members(id) ON DELETE CASCADE,
    meeting_id          INTEGER REFERENCES meetings(id) ON DELETE SET NULL,
    meeting_name        TEXT    NOT NULL,
    day                 TEXT    NOT NULL,               -- local date attended, ISO
    recorded_at         INTEGER NOT NULL,
    UNIQUE (member_id, meeting_name, day)
);
