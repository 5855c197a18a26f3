"""What the sweep plans for sober events: the group's reminder the day before (in the
announcement channel, when the community has one) and each RSVP's private reminder, each
exactly once (the dedupe key), none for an event that has started or was cancelled."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from bot.kernel.i18n import translator
from bot.kernel.outbox import planned, private_to
from bot.kernel.types import ChatRef, Fallback, Priority, Reply
from bot.meetings.occurrences import humanize_until
from bot.meetings.reminders import fmt_when
from storage.base import OutboxItem, Store
from storage.events_base import DueAnnouncement, DueEventReminder, EventRow, reminder_key


def _when(event: EventRow, tz: str, now: datetime) -> str:
    start = datetime.fromtimestamp(event.starts_at, UTC)
    until = humanize_until(start, datetime.fromtimestamp(event.ends_at, UTC), now)
    return f"{fmt_when(start.astimezone(ZoneInfo(tz)))} ({tz}), {until}"


class EventSource:
    name = "events"

    def __init__(self, store: Store, default_tz: str, default_lang: str = "en") -> None:
        self.store = store
        self.default_tz = default_tz
        self.tr = translator(default_lang)  # the group's announcements

    async def sweep(self, now: datetime, limit: int) -> int:
        ts = int(now.timestamp())
        announcements = await self.store.events.due_announcements(ts, limit)
        reminders = await self.store.events.due_reminders(ts, limit)
        items: list[OutboxItem] = []
        for due in announcements:
            items.extend(self._announce(due, now))
        for rem in reminders:
            items.extend(self._remind(rem, now))
        announced = [(d.event.id, d.event.announce_at or 0) for d in announcements]
        reminded = [(r.event.id, r.member.id, r.remind_at) for r in reminders]
        if announced or reminded:
            await self.store.events.plan(items, announced, reminded)
        return max(len(announcements), len(reminders))

    def _announce(self, due: DueAnnouncement, now: datetime) -> list[OutboxItem]:
        e, c = due.event, due.community
        if not (c.active and c.announce_chat_id) or e.starts_at <= now.timestamp():
            return []
        text = self.tr(
            "events.announcement",
            title=e.title,
            when=_when(e, c.tz or self.default_tz, now),
            id=e.id,
        ) + (f"\n{self.tr('events.place', place=e.place)}" if e.place else "")
        post = Reply(
            chat=ChatRef(
                c.platform, c.announce_chat_id, private=False, thread_id=c.announce_thread_id
            ),
            text=text,
            fallback=Fallback.DROP,
            priority=Priority.TIMELY,
        )
        return [
            planned(
                post,
                key=reminder_key(e.id) + "group",
                kind="event_announcement",
                due=int(now.timestamp()),
                stale_after=timedelta(seconds=max(e.starts_at - int(now.timestamp()), 60)),
            )
        ]

    def _remind(self, due: DueEventReminder, now: datetime) -> list[OutboxItem]:
        e, member = due.event, due.member
        if member.paused or e.ends_at <= now.timestamp():
            return []
        tr = translator(member.lang)
        text = tr("events.reminder", title=e.title, when=_when(e, member.tz or e.tz, now))
        if e.place:
            text += "\n" + tr("events.place", place=e.place)
        return [
            planned(
                private_to(member, text),
                key=reminder_key(e.id) + f"m{member.id}",
                kind="event_reminder",
                due=due.remind_at,
                recipient_id=member.id,
                stale_after=timedelta(seconds=max(e.ends_at - due.remind_at, 60)),
            )
        ]
