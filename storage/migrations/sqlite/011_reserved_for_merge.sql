-- Placeholder so that 012 applies on this branch (migrations are numbered 1..N without
-- gaps). Another branch brings the real 011; at the merge this file is deleted.
SELECT 1;
