-- Meetings imported from a feed remember the feed's slug and are updated by later imports of
-- it; meetings a moderator added by hand never are (a colliding feed row gets a slug of its
-- own, and keeps being matched by the feed's).
ALTER TABLE meetings ADD COLUMN imported INTEGER NOT NULL DEFAULT 0;
ALTER TABLE meetings ADD COLUMN feed_slug TEXT;
CREATE INDEX meetings_feed_slug ON meetings(community_id, feed_slug) WHERE imported = 1;
