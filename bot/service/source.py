"""The service sweep: a private reminder before each turn a member signed up for, exactly
once, none for a turn that has started or that they stepped down from."""

from __future__ import annotations

from datetime import datetime, timedelta

from bot.kernel.i18n import translator
from bot.kernel.outbox import planned, private_to
from bot.service.commands import reminder_text
from storage.base import OutboxItem, Store
from storage.service_base import reminder_key


class ServiceSource:
    name = "service"

    def __init__(self, store: Store) -> None:
        self.store = store

    async def sweep(self, now: datetime, limit: int) -> int:
        ts = int(now.timestamp())
        due = await self.store.service.due_reminders(ts, limit)
        items: list[OutboxItem] = []
        titles: dict[int, str] = {}
        for turn in due:
            if turn.member.paused or turn.starts_at <= ts or turn.remind_at is None:
                continue
            cid = turn.role.community_id
            if cid not in titles:
                community = await self.store.communities.get(cid)
                titles[cid] = (community.title or community.chat_id) if community else ""
            text = reminder_text(translator(turn.member.lang), turn, titles[cid])
            items.append(
                planned(
                    private_to(turn.member, text),
                    key=reminder_key(turn.role.id, turn.day, turn.member.id) + "remind",
                    kind="service_reminder",
                    due=turn.remind_at,
                    recipient_id=turn.member.id,
                    stale_after=timedelta(seconds=max(turn.starts_at - turn.remind_at, 60)),
                )
            )
        reminded = [
            (t.role.id, t.day, t.member.id, t.remind_at) for t in due if t.remind_at is not None
        ]
        if reminded:
            await self.store.service.plan(items, reminded)
        return len(due)
