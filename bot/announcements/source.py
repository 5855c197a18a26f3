"""What the sweep plans for moderators' scheduled posts: each occurrence, exactly once.

A post holds its next occurrence (UTC instant and local date). When it is due, the sweep
writes the occurrence to the outbox under the key `announce:<post>:<local date>` and moves
the post to its next occurrence, in one transaction, guarded by the occurrence it read: a
repeated sweep, a restart or a second process can never post it twice.

- The community's zone is read at every sweep: if moderators changed it, the pending
  occurrence moves to the same local date and wall time in the new zone (and waits, if
  that is still ahead).
- After downtime, only the latest missed occurrence is posted, and only while it is less
  than STALE old: a group never receives a pile of yesterday's posts.
- "This week's milestones" lists the week's milestones of members who turned milestone
  posts on in that community (/celebrate on), counter names only with /celebrate
  substance on, and nothing while the community has celebrations off.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

from bot.announcements.post import PostKind, milestones_this_week
from bot.announcements.schedule import (
    Occurrence,
    Schedule,
    next_occurrence,
    parse_schedule,
    resolve_wall_time,
)
from bot.kernel.i18n import Translator, translator
from bot.kernel.outbox import planned
from bot.kernel.types import ChatRef, Fallback, Priority, Reply
from bot.sobriety.texts import label
from storage.announcements_base import DuePost, PostAdvance, post_key
from storage.base import OutboxItem, Store

STALE = timedelta(hours=3)
MAX_LINES = 30  # milestones listed in one post; the rest are counted


@lru_cache(maxsize=4096)
def _schedule(text: str) -> Schedule:
    return parse_schedule(text)


@lru_cache(maxsize=1024)
def _zone(name: str) -> ZoneInfo:
    return ZoneInfo(name)


class AnnouncementSource:
    name = "announcements"

    def __init__(self, store: Store, default_tz: str, default_lang: str = "en") -> None:
        self.store = store
        self.default_tz = default_tz
        self.tr = translator(default_lang)  # the group's language

    async def sweep(self, now: datetime, limit: int) -> int:
        ts = int(now.timestamp())
        due = await self.store.announcements.due(ts, limit)
        items: list[OutboxItem] = []
        advances: list[PostAdvance] = []
        for d in due:
            advance, item = await self._one(d, now, ts)
            advances.append(advance)
            if item is not None:
                items.append(item)
        if advances:
            await self.store.announcements.plan(items, advances)
        return len(due)

    async def _one(
        self, d: DuePost, now: datetime, ts: int
    ) -> tuple[PostAdvance, OutboxItem | None]:
        post, community = d.post, d.community
        assert post.next_at is not None and post.next_day is not None
        schedule = _schedule(post.schedule)
        zone_name = community.tz or self.default_tz
        zone = _zone(zone_name)
        at = datetime.fromtimestamp(post.next_at, UTC)
        day = date.fromisoformat(post.next_day)
        if zone_name != post.tz:  # the community moved: same local date and time, new zone
            at = resolve_wall_time(day, schedule.at, zone)
            if at.timestamp() > ts:
                return PostAdvance(
                    post.id, post.next_at, int(at.timestamp()), day.isoformat(), zone_name, None
                ), None
        # The latest occurrence that has come (later ones passed during downtime count), and
        # the one after it: one walk, as due_between would take, without a second search.
        latest = Occurrence(at, day)
        following = next_occurrence(schedule, at, zone)
        while following.at_utc <= now:
            latest, following = following, next_occurrence(schedule, following.at_utc, zone)
        item = None
        if ts - latest.at_utc.timestamp() <= STALE.total_seconds():
            item = await self._item(d, latest)
        advance = PostAdvance(
            post.id,
            post.next_at,
            int(following.at_utc.timestamp()),
            following.local_date.isoformat(),
            zone_name,
            latest.local_date.isoformat() if item is not None else None,
        )
        return advance, item

    async def _item(self, d: DuePost, occurrence: Occurrence) -> OutboxItem | None:
        post, community = d.post, d.community
        chat_id = post.chat_id or community.announce_chat_id
        if chat_id is None:
            return None  # nowhere to post: moderators were told when they added it
        thread_id = post.thread_id if post.chat_id else community.announce_thread_id
        if post.kind == PostKind.WEEKLY_MILESTONES:
            if not community.allow_celebrations:
                return None
            text = await self._milestones_text(community.id, occurrence.local_date)
        else:
            text = post.body
        reply = Reply(
            chat=ChatRef(community.platform, chat_id, private=False, thread_id=thread_id),
            text=text,
            fallback=Fallback.DROP,
            priority=Priority.TIMELY,
        )
        return planned(
            reply,
            key=f"{post_key(post.id)}{occurrence.local_date.isoformat()}",
            kind="announcement",
            due=int(occurrence.at_utc.timestamp()),
            stale_after=STALE,
        )

    async def _milestones_text(self, community_id: int, today: date) -> str:
        tr = self.tr
        sharers = [
            (f"{c.display_name} ({c.counter_name})" if c.show_substance else c.display_name,
             date.fromisoformat(c.start_date))
            for c in await self.store.announcements.celebrants(community_id)
        ]  # fmt: skip
        found = milestones_this_week(sharers, today)
        if not found:
            return tr("announce.milestones_none")
        lines = [tr("announce.milestones_header")]
        for entry in found[:MAX_LINES]:
            lines.append(
                tr(
                    "announce.milestones_line",
                    name=entry.name,
                    label=label(tr, entry.milestone),
                    day=_weekday(tr, entry.due),
                )
            )
        if len(found) > MAX_LINES:
            lines.append(tr.n("announce.milestones_more", len(found) - MAX_LINES))
        lines.append(tr("announce.milestones_footer"))
        return "\n".join(lines)


def _weekday(tr: Translator, day: date) -> str:
    return tr.date(day, "EEEE")
