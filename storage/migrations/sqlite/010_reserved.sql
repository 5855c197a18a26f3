-- Reserved: another branch adds migration 010 (010-012 belong to other work in flight).
-- This placeholder keeps the list numbered without gaps on this branch; the integrator
-- deletes it when the real 010 arrives (a duplicate number fails loudly at start-up).
SELECT 1;
