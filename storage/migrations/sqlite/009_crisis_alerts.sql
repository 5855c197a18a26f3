-- Crisis alerts to moderators: claimed by one ("I'm on it"), resolved, and widened to the
-- on-duty supporters when nobody claims one in time. An alert never quotes the message.
CREATE TABLE crisis_alerts (
    id                  INTEGER PRIMARY KEY,
    community_id        INTEGER NOT NULL REFERENCES communities(id) ON DELETE CASCADE,
    subject_id          INTEGER REFERENCES members(id) ON DELETE CASCADE,  -- who may be at risk
    outcome             TEXT    NOT NULL,               -- what reached them, in words
    permalink           TEXT,
    chat_title          TEXT    NOT NULL DEFAULT '',
    created_at          INTEGER NOT NULL,
    escalate_at         INTEGER,                        -- unclaimed by then: widen the circle
    escalated_at        INTEGER,
    claimed_by          INTEGER REFERENCES members(id) ON DELETE CASCADE,
    claimed_at          INTEGER,
    resolved_at         INTEGER
);
CREATE INDEX crisis_alerts_due ON crisis_alerts(escalate_at)
    WHERE claimed_at IS NULL AND escalated_at IS NULL;
CREATE INDEX crisis_alerts_subject ON crisis_alerts(subject_id);
CREATE INDEX crisis_alerts_claimer ON crisis_alerts(claimed_by);

-- Moderators on duty for crisis alerts (/supporter on|off).
CREATE TABLE crisis_supporters (
    member_id           INTEGER NOT NULL REFERENCES members(id) ON DELETE CASCADE,
    community_id        INTEGER NOT NULL REFERENCES communities(id) ON DELETE CASCADE,
    since               INTEGER NOT NULL,
    PRIMARY KEY (member_id, community_id)
);
CREATE INDEX crisis_supporters_community ON crisis_supporters(community_id);
