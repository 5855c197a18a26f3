-- A message about one member sent to another (a buddy's heads-up, a buddy invite) names its
-- subject, so /forget of the subject erases it too and /mydata exports it.
ALTER TABLE outbox ADD COLUMN subject_id BIGINT REFERENCES members(id) ON DELETE CASCADE;
CREATE INDEX outbox_subject ON outbox(subject_id) WHERE subject_id IS NOT NULL;
