"""What the sweep plans for mentorships: a private weekly nudge to connect (to both; the
mentor's carries what the mentee shares at that moment), and a heads-up to the mentor on a
hard day the mentee chose to share. Check-ins are read through the store: the check-in
feature itself knows nothing of mentors."""

from __future__ import annotations

from datetime import datetime, timedelta

from bot.checkins.commands import ALERT_CRAVINGS
from bot.kernel.i18n import translator
from bot.kernel.outbox import planned, private_to
from bot.mentors.commands import NUDGE_EVERY, shared_lines
from storage.base import OutboxItem, Store
from storage.mentors_base import HardDay, MentorshipRow, NudgeAdvance, WatchAdvance

STALE = timedelta(days=1)  # a nudge this late (downtime) is not sent; the next one comes
WINDOW = timedelta(days=2)  # hard days are looked for among this many recent days
# Check-ins changed after the last complete look, less this margin: one written while a
# sweep was reading (or by a process whose clock is a little behind) is still seen next
# time. Seen twice is harmless: the pair's watermark and the dedupe key filter it.
OVERLAP = 60


class MentorSource:
    name = "mentors"

    def __init__(self, store: Store, default_tz: str) -> None:
        self.store = store
        self.default_tz = default_tz
        self._looked_up_to: int | None = None  # per process; a restart looks back WINDOW
        self._cursor: int | None = None  # within one sweep: where the last full batch ended

    async def sweep(self, now: datetime, limit: int) -> int:
        nudged = await self._nudges(now, limit)
        watched = await self._hard_days(now, limit)
        return max(nudged, watched)

    async def _nudges(self, now: datetime, limit: int) -> int:
        ts = int(now.timestamp())
        due = await self.store.mentors.due_nudges(ts, limit)
        items: list[OutboxItem] = []
        advances: list[NudgeAdvance] = []
        week = int(NUDGE_EVERY.total_seconds())
        for pair in due:
            assert pair.next_nudge_at is not None
            at = pair.next_nudge_at
            if ts - at <= STALE.total_seconds() and pair.status == "active":
                items.extend(await self._nudge(pair, at, now))
            following = at + week
            while following <= ts:
                following += week
            advances.append(NudgeAdvance(pair.id, at, following))
        if advances:
            await self.store.mentors.plan_nudges(items, advances)
        return len(due)

    async def _nudge(self, pair: MentorshipRow, at: int, now: datetime) -> list[OutboxItem]:
        to_mentee = translator(pair.mentee.lang)
        to_mentor = translator(pair.mentor.lang)
        shared = await shared_lines(self.store, to_mentor, pair, now, self.default_tz)
        mentor_text = "\n".join(
            [to_mentor("mentor.nudge_mentor", name=pair.mentee.display_name), *shared]
        )
        return [
            planned(
                private_to(
                    pair.mentee, to_mentee("mentor.nudge_mentee", name=pair.mentor.display_name)
                ),
                key=f"mentor-nudge:{pair.id}:{at}:{pair.mentee.id}",
                kind="mentor_nudge",
                due=at,
                recipient_id=pair.mentee.id,
                subject_id=pair.mentor.id,
                stale_after=STALE,
            ),
            planned(
                private_to(pair.mentor, mentor_text),
                key=f"mentor-nudge:{pair.id}:{at}:{pair.mentor.id}",
                kind="mentor_nudge",
                due=at,
                recipient_id=pair.mentor.id,
                subject_id=pair.mentee.id,
                stale_after=STALE,
            ),
        ]

    async def _hard_days(self, now: datetime, limit: int) -> int:
        ts = int(now.timestamp())
        floor = ts - int(WINDOW.total_seconds())
        after = max(floor, (self._looked_up_to or floor) - OVERLAP)
        if self._cursor is not None:
            after = max(after, self._cursor)
        since = (now - WINDOW).date().isoformat()
        found = await self.store.mentors.hard_days(after, since, ALERT_CRAVINGS, limit)
        items: list[OutboxItem] = []
        latest: dict[int, tuple[int, int]] = {}  # pair -> (watched before, newest seen)
        for hard in found:
            items.append(self._heads_up(hard, int(now.timestamp())))
            pair = hard.mentorship
            before, newest = latest.get(pair.id, (pair.watched_at, pair.watched_at))
            latest[pair.id] = (before, max(newest, hard.updated_at))
        advances = [WatchAdvance(pid, before, newest) for pid, (before, newest) in latest.items()]
        if advances:
            await self.store.mentors.plan_hard_days(items, advances)
        if len(found) < limit:
            self._looked_up_to, self._cursor = ts, None
        else:  # more to come in this sweep: go on from here (a second seen twice is fine)
            self._cursor = max(h.updated_at for h in found) - 1
        return len(found)

    @staticmethod
    def _heads_up(hard: HardDay, ts: int) -> OutboxItem:
        pair = hard.mentorship
        tr = translator(pair.mentor.lang)
        return planned(
            private_to(pair.mentor, tr("mentor.hard_day", name=pair.mentee.display_name)),
            key=f"mentor-hard:{pair.id}:{hard.day}",
            kind="mentor_hard_day",
            due=ts,
            recipient_id=pair.mentor.id,
            subject_id=pair.mentee.id,
            stale_after=timedelta(days=1),
        )
