-- One message shape and a bounded life for every outbox row: a priority (crisis replies and
-- reminders before bulk prompts), an expiry (a row never waits forever), a lease (a worker
-- claims rows; a dead worker's rows are claimed again), and when it finished (retention).
-- Members gain their language and the platform's private-chat id; communities the crisis
-- escalation delay, a per-server moderator role and whether the bot reads ordinary messages;
-- community helplines a country and who added them. Indexes for the per-member lookups
-- that no primary key or unique constraint covers yet.
ALTER TABLE outbox ADD COLUMN priority INTEGER NOT NULL DEFAULT 3;
ALTER TABLE outbox ADD COLUMN expires_at BIGINT;
ALTER TABLE outbox ADD COLUMN claimed_by TEXT;
ALTER TABLE outbox ADD COLUMN claimed_until BIGINT;
ALTER TABLE outbox ADD COLUMN finished_at BIGINT;
UPDATE outbox SET finished_at = COALESCE(sent_at, next_attempt_at)
    WHERE status IN ('sent', 'skipped', 'failed');
UPDATE outbox SET expires_at = due_at + 7 * 86400 WHERE status IN ('pending', 'held');
DROP INDEX outbox_ready;
CREATE INDEX outbox_ready ON outbox(platform, priority, next_attempt_at)
    WHERE status = 'pending';
CREATE INDEX outbox_member ON outbox(member_id) WHERE member_id IS NOT NULL;
CREATE INDEX outbox_chat ON outbox(platform, chat_id) WHERE status IN ('pending', 'held');
CREATE INDEX outbox_finished ON outbox(finished_at) WHERE finished_at IS NOT NULL;

ALTER TABLE members ADD COLUMN lang TEXT;
ALTER TABLE members ADD COLUMN dm_channel_id TEXT;

ALTER TABLE communities ADD COLUMN escalate_minutes INTEGER NOT NULL DEFAULT 10;
ALTER TABLE communities ADD COLUMN moderator_role_id TEXT;
ALTER TABLE communities ADD COLUMN reads_messages INTEGER;

ALTER TABLE community_helplines ADD COLUMN country TEXT NOT NULL DEFAULT '';
ALTER TABLE community_helplines ADD COLUMN added_by TEXT NOT NULL DEFAULT '';

CREATE INDEX streaks_member ON streaks(member_id);
CREATE INDEX slips_member ON slips(member_id);
CREATE INDEX members_name ON members(platform, lower(display_name));
