-- Reserved: migration 010 (meeting sources) arrives with the meetings branch; until then
-- this keeps the numbering without a gap.
SELECT 1;
