-- Milestone celebrations and shared day counts are chosen per group (issue #16, item 5):
-- turning them on in one group never posts in another.
CREATE TABLE community_sharing (
    member_id           INTEGER NOT NULL REFERENCES members(id) ON DELETE CASCADE,
    community_id        INTEGER NOT NULL REFERENCES communities(id) ON DELETE CASCADE,
    celebrate           INTEGER NOT NULL DEFAULT 0,   -- milestone posts in this group
    show_substance      INTEGER NOT NULL DEFAULT 0,   -- counter names in those posts
    share_days          INTEGER NOT NULL DEFAULT 0,   -- "Alex: 45 days" and its leaderboard
    PRIMARY KEY (member_id, community_id)
);
CREATE INDEX community_sharing_community ON community_sharing(community_id);

-- A choice made when it applied to every group carries over only where it cannot surprise
-- anyone: for a member of exactly one group. Everyone else chooses again, group by group.
INSERT INTO community_sharing (member_id, community_id, celebrate, show_substance, share_days)
SELECT s.member_id, ms.community_id, s.celebrate, s.show_substance, s.share_days
FROM sharing s
JOIN memberships ms ON ms.member_id = s.member_id
WHERE (s.celebrate = 1 OR s.share_days = 1)
  AND (SELECT COUNT(*) FROM memberships one WHERE one.member_id = s.member_id) = 1;

DROP TABLE sharing;
