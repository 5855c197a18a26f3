"""Meeting reminders: when each occurrence is announced, how it reads in each recipient's
time zone, and the sweep source that moves due reminders into the outbox exactly once."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta

from bot.kernel.i18n import Translator, translator
from bot.kernel.outbox import planned, private_to
from bot.kernel.types import ChatRef, Fallback, Priority, Reply
from bot.meetings import timefmt
from bot.meetings.model import (
    MeetingSpec,
    spec_from_dict,
    zone,
)
from bot.meetings.occurrences import (
    Occurrence,
    next_occurrence,
    resolve_local,
)
from storage.base import OutboxItem, Store
from storage.meetings_base import (
    DueMeeting,
    DueSubscription,
    MeetingAdvance,
    MeetingPlan,
    SubscriptionAdvance,
)

# -- planning (pure) --------------------------------------------------------------------------


def occurrence_on(spec: MeetingSpec, local_day: str | None) -> Occurrence | None:
    """The occurrence on a local date, or None when there is none (e.g. skipped since)."""
    if local_day is None:
        return None
    day = date.fromisoformat(local_day)
    if day in spec.skipped or day.weekday() not in spec.weekdays:
        return None
    start = resolve_local(day, spec.start, zone(spec.tz)).astimezone(UTC)
    return Occurrence(start, start + timedelta(minutes=spec.duration_min), day)


def remind_time(start: datetime, before_min: int, now: datetime) -> int:
    # Never in the past: a meeting added 10 min before it starts is announced right away.
    return int(max(start - timedelta(minutes=before_min), now).timestamp())


def plan_meeting(spec: MeetingSpec, after: datetime, now: datetime) -> MeetingPlan:
    """The first occurrence starting at or after `after`, and when to announce it."""
    occ = next_occurrence(spec, after)
    if occ is None:
        return MeetingPlan()
    return MeetingPlan(
        occ.local_date.isoformat(),
        remind_time(occ.start_utc, spec.remind_before_min, now),
        int(occ.start_utc.timestamp()),
    )


def _following(spec: MeetingSpec, occ: Occurrence | None, now: datetime) -> Occurrence | None:
    """The occurrence after `occ` that has not started yet (missed ones are not caught up)."""
    after = max(occ.start_utc + timedelta(seconds=1), now) if occ else now
    return next_occurrence(spec, after)


# -- formatting -------------------------------------------------------------------------------


def fmt_when(dt: datetime, tr: Translator | None = None) -> str:
    """'Tue 1 Dec 19:00': an aware moment as a wall time in its own zone, in `tr`'s language
    (English by default). Other features (events, service) use it too."""
    return timefmt.local_time(tr or translator("en"), dt, "", keep_zone=True)


def place_text(text: Callable[..., str], spec: MeetingSpec) -> str:
    lines = []
    if spec.url:
        lines.append(text("meeting.join", url=spec.url))
    if spec.phone:
        lines.append(text("meeting.phone", phone=spec.phone))
    if spec.address:
        lines.append(text("meeting.where", address=spec.address))
    return "".join("\n" + line for line in lines)


def reminder_text(
    tr: Translator,
    key: str,
    meeting_id: int,
    spec: MeetingSpec,
    occ: Occurrence,
    tz: str,
    now: datetime,
    *,
    timestamps: bool = False,
    yours: bool = False,
) -> str:
    """An announcement or a private reminder: platform timestamps where the platform shows
    each reader their own time (Discord), else the time in `tz`, named."""
    when, until = timefmt.when(
        tr, occ.start_utc, occ.end_utc, now, tz, timestamps=timestamps, yours=yours
    )
    return tr(key, name=spec.name, until=until, when=when, id=meeting_id) + place_text(tr, spec)


# -- announcements and reminders, planned by the sweep ----------------------------------------


class MeetingSource:
    """Moves due meeting announcements (to the community's announcement channel) and private
    reminders into the outbox, once per occurrence (the dedupe key), and advances each row to
    the next occurrence in the same transaction. Skipped or already-ended occurrences get
    nothing."""

    name = "meetings"

    def __init__(
        self,
        store: Store,
        default_tz: str,
        default_lang: str = "en",
        *,
        ahead: timedelta = timedelta(0),
    ) -> None:
        self.store = store
        # Reminders go out on the minute: a sweep also plans those falling due before the
        # next sweep (`ahead`: the sweep interval), each due at its own time, which the
        # senders keep; else one waited up to a whole interval for the sweep after it.
        self.ahead = int(ahead.total_seconds())
        self.default_tz = default_tz
        self.tr = translator(default_lang)  # the group's announcements

    async def sweep(self, now: datetime, limit: int) -> int:
        ts = int(now.timestamp())
        due_meetings = await self.store.meetings.due_meetings(ts + self.ahead, limit)
        due_subs = await self.store.meetings.due_subscriptions(ts + self.ahead, limit)
        items: list[OutboxItem] = []
        meeting_moves = [self._announce(d, now, items) for d in due_meetings]
        sub_moves = [self._remind(d, now, items) for d in due_subs]
        if meeting_moves or sub_moves:
            await self.store.meetings.advance(items, meeting_moves, sub_moves)
        return max(len(due_meetings), len(due_subs))

    def _announce(self, due: DueMeeting, now: datetime, items: list[OutboxItem]) -> MeetingAdvance:
        m, c = due.meeting, due.community
        assert m.next_reminder_at is not None
        spec = spec_from_dict(m.spec)
        occ = occurrence_on(spec, m.next_occurrence)
        if occ is not None and now < occ.end_utc and c.active and c.announce_chat_id:
            tz = c.tz or self.default_tz
            at = datetime.fromtimestamp(m.next_reminder_at, UTC)
            text = reminder_text(
                self.tr,
                "remind.group",
                m.id,
                spec,
                occ,
                tz,
                max(now, at),
                timestamps=timefmt.shows_timestamps(c.platform),
            )
            post = Reply(
                chat=ChatRef(
                    c.platform, c.announce_chat_id, private=False, thread_id=c.announce_thread_id
                ),
                text=text,
                fallback=Fallback.DROP,
                priority=Priority.TIMELY,
            )
            items.append(
                planned(
                    post,
                    key=f"reminder:{m.id}:{occ.local_date.isoformat()}",
                    kind="meeting_reminder",
                    due=m.next_reminder_at,
                    stale_after=occ.end_utc - at,
                )
            )
        nxt = _following(spec, occ, now)
        return MeetingAdvance(
            m.id,
            m.next_reminder_at,
            nxt.local_date.isoformat() if nxt else None,
            remind_time(nxt.start_utc, spec.remind_before_min, now) if nxt else None,
        )

    def _remind(
        self, due: DueSubscription, now: datetime, items: list[OutboxItem]
    ) -> SubscriptionAdvance:
        s, m, member = due.subscription, due.meeting, due.member
        assert s.next_at is not None
        spec = spec_from_dict(m.spec)
        occ = occurrence_on(spec, s.occurrence)
        if occ is not None and now < occ.end_utc and not member.paused:
            tz = member.tz or due.community_tz or self.default_tz
            at = datetime.fromtimestamp(s.next_at, UTC)
            tr = translator(member.lang)
            text = reminder_text(
                tr,
                "remind.private",
                m.id,
                spec,
                occ,
                tz,
                max(now, at),
                timestamps=timefmt.shows_timestamps(member.platform),
                yours=True,
            )
            items.append(
                planned(
                    private_to(member, text),
                    key=f"reminder:{m.id}:{occ.local_date.isoformat()}:m{member.id}",
                    kind="meeting_reminder",
                    due=s.next_at,
                    recipient_id=member.id,
                    stale_after=occ.end_utc - at,
                )
            )
        nxt = _following(spec, occ, now)
        return SubscriptionAdvance(
            m.id,
            member.id,
            s.next_at,
            nxt.local_date.isoformat() if nxt else None,
            remind_time(nxt.start_utc, s.before_min, now) if nxt else None,
        )
