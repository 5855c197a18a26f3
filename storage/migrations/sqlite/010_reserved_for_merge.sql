-- Placeholder, so that this branch's migrations stay numbered 1..N without gaps while the
-- real 010 is written on another branch. The integrator deletes this file when the real
-- 010 lands: bundled_migrations() refuses two files numbered 010, so it cannot be missed.
-- A database file created from this branch alone is at version 11 and would skip the real
-- 010: recreate such a file after the merge.
SELECT 1;
