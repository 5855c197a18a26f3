"""What the sweep plans for supporters, reading the member's counters and check-ins through
the store (the sobriety and check-in features know nothing of supporters):
- once a day, at the member's local morning, a look: congratulations for a milestone
  reached today, and a gentle heads-up after the chosen number of days without a check-in
  (once per gap), each only if the member allowed it;
- between looks, a heads-up on a "not sober today" check-in, if the member allowed it."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from bot.checkins.model import next_prompt_utc
from bot.kernel.i18n import translator
from bot.kernel.outbox import planned, private_to
from bot.supporters.model import days_missed, milestones_on
from storage.base import OutboxItem, Store
from storage.mentors_base import WatchAdvance
from storage.supporters_base import DueLook, LookAdvance, SupporterRow

STALE = timedelta(days=1)
WINDOW = timedelta(days=2)  # "not sober" days are looked for among this many recent days
OVERLAP = 60  # seconds looked at again on the next sweep (see bot/mentors/source.py)


def _message(link: SupporterRow, text: str, key: str, kind: str, due: int) -> OutboxItem:
    return planned(
        private_to(link.supporter, text),
        key=key,
        kind=kind,
        due=due,
        recipient_id=link.supporter.id,
        subject_id=link.member.id,
        stale_after=STALE,
    )


class SupporterSource:
    name = "supporters"

    def __init__(self, store: Store, look_at: time, default_tz: str) -> None:
        self.store = store
        self.look_at = look_at
        self.default_tz = default_tz
        self._looked_up_to: int | None = None  # per process; a restart looks back WINDOW
        self._cursor: int | None = None  # within one sweep: where the last full batch ended

    async def sweep(self, now: datetime, limit: int) -> int:
        looked = await self._looks(now, limit)
        watched = await self._not_sober(now, limit)
        return max(looked, watched)

    async def _looks(self, now: datetime, limit: int) -> int:
        ts = int(now.timestamp())
        due = await self.store.supporters.due_looks(ts, limit)
        items: list[OutboxItem] = []
        advances: list[LookAdvance] = []
        for look in due:
            link = look.link
            assert link.next_look_at is not None
            at = link.next_look_at
            zone = ZoneInfo(link.member.tz or self.default_tz)
            fresh = ts - at <= STALE.total_seconds()
            if fresh:
                items.extend(self._findings(look, at))
            after = datetime.fromtimestamp(at, UTC) if fresh else now
            following = next_prompt_utc(self.look_at, zone, after)
            advances.append(LookAdvance(link.id, at, int(following.timestamp())))
        if advances:
            await self.store.supporters.plan_looks(items, advances)
        return len(due)

    def _findings(self, look: DueLook, at: int) -> list[OutboxItem]:
        link = look.link
        tr = translator(link.supporter.lang)
        name = link.member.display_name
        found: list[OutboxItem] = []
        if "milestones" in link.sharing:
            reached: dict[tuple[date, str], str] = {}  # two counters on one day: one message
            for counter in look.counters:
                day = datetime.fromtimestamp(at, ZoneInfo(counter.tz)).date()
                for m in milestones_on(date.fromisoformat(counter.start_date), day):
                    reached.setdefault((day, m.key), m.label)
            for (day, key), label in reached.items():
                found.append(
                    _message(
                        link,
                        tr("supporters.milestone", name=name, label=label),
                        f"supporter-milestone:{link.id}:{day.isoformat()}:{key}",
                        "supporter_milestone",
                        at,
                    )
                )
        if "missed" in link.sharing and look.checkins_on and look.last_checkin_day:
            today = datetime.fromtimestamp(at, ZoneInfo(link.member.tz or self.default_tz)).date()
            missed = days_missed(date.fromisoformat(look.last_checkin_day), today)
            if missed >= link.missed_days:
                found.append(
                    _message(
                        link,
                        tr.n("supporters.missed", missed, name=name),
                        f"supporter-missed:{link.id}:{look.last_checkin_day}",
                        "supporter_missed",
                        at,
                    )
                )
        return found

    async def _not_sober(self, now: datetime, limit: int) -> int:
        ts = int(now.timestamp())
        floor = ts - int(WINDOW.total_seconds())
        after = max(floor, (self._looked_up_to or floor) - OVERLAP)
        if self._cursor is not None:
            after = max(after, self._cursor)
        since = (now - WINDOW).date().isoformat()
        found = await self.store.supporters.not_sober(after, since, limit)
        items: list[OutboxItem] = []
        latest: dict[int, tuple[int, int]] = {}
        for day in found:
            link = day.link
            tr = translator(link.supporter.lang)
            items.append(
                _message(
                    link,
                    tr("supporters.hard_day", name=link.member.display_name),
                    f"supporter-hard:{link.id}:{day.day}",
                    "supporter_not_sober",
                    ts,
                )
            )
            before, newest = latest.get(link.id, (link.watched_at, link.watched_at))
            latest[link.id] = (before, max(newest, day.updated_at))
        advances = [WatchAdvance(lid, before, newest) for lid, (before, newest) in latest.items()]
        if advances:
            await self.store.supporters.plan_not_sober(items, advances)
        if len(found) < limit:
            self._looked_up_to, self._cursor = ts, None
        else:  # more to come in this sweep: go on from here (a second seen twice is fine)
            self._cursor = max(h.updated_at for h in found) - 1
        return len(found)
