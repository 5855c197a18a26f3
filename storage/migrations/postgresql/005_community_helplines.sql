-- Helplines a community's moderators add, or use to override the packaged ones.
CREATE TABLE community_helplines (
    community_id        BIGINT  NOT NULL REFERENCES communities(id) ON DELETE CASCADE,
    service             TEXT    NOT NULL,
    kind                TEXT    NOT NULL CHECK (kind IN ('crisis', 'drugs', 'emergency')),
    contact_type        TEXT    NOT NULL,
    dial                TEXT    NOT NULL,
    added_at            BIGINT  NOT NULL,
    PRIMARY KEY (community_id, service)
);
