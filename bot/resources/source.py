"""The review sweep: entries not checked for the community's review period, or reported as
outdated by a member, go to the community's moderators in one private list each (sent only
to people who still moderate it). An entry goes once; a moderator's check starts its clock
again."""

from __future__ import annotations

import dataclasses
import hashlib
from collections import defaultdict
from datetime import datetime

from bot.kernel.i18n import translator
from bot.kernel.outbox import planned, private_to
from bot.resources.commands import review_line
from storage.base import OutboxItem, Store
from storage.resources_base import ResourceRow, ReviewAdvance


class ResourceReviewSource:
    name = "resources"

    def __init__(self, store: Store) -> None:
        self.store = store

    async def sweep(self, now: datetime, limit: int) -> int:
        ts = int(now.timestamp())
        due = await self.store.resources.due_reviews(ts, limit)
        by_community: dict[int, list[ResourceRow]] = defaultdict(list)
        for row in due:
            by_community[row.community_id].append(row)
        items: list[OutboxItem] = []
        for community_id, rows in by_community.items():
            items.extend(await self._digests(community_id, rows, ts))
        advances = [ReviewAdvance(r.id, r.review_at) for r in due if r.review_at is not None]
        if advances:
            await self.store.resources.plan_reviews(items, advances)
        return len(due)

    async def _digests(
        self, community_id: int, rows: list[ResourceRow], ts: int
    ) -> list[OutboxItem]:
        community = await self.store.communities.get(community_id)
        if community is None or not community.active:
            return []
        # The same entries at the same moments give the same key: a repeated sweep (or a
        # second process) plans each list once.
        mark = ",".join(f"{r.id}@{r.review_at}" for r in rows)
        digest = hashlib.sha256(mark.encode()).hexdigest()[:16]
        found = []
        for mod in await self.store.communities.moderators(community_id):
            tr = translator(mod.lang)
            text = "\n".join(
                [
                    tr("resources.review_due", group=community.title or community.chat_id),
                    *(review_line(tr, r) for r in rows),
                    "",
                    tr("resources.review_hint"),
                ]
            )
            reply = dataclasses.replace(private_to(mod, text), moderator_of=community.chat_id)
            found.append(
                planned(
                    reply,
                    key=f"resource-review:{community_id}:{mod.id}:{digest}",
                    kind="resource_review",
                    due=ts,
                    recipient_id=mod.id,
                )
            )
        return found
