-- Reserved: migration 014 belongs to another branch in flight (013 and 014 are taken). This
-- placeholder only keeps the list numbered without gaps on helper/recovery-tools, so that
-- 015_recovery_tools applies; the integrator deletes it when the real 014 arrives (a duplicate
-- number fails loudly at start-up).
SELECT 1;
