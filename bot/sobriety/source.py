"""Milestone celebrations, planned by the sweep.

Each due counter gets one congratulation, exactly once per counter, start date and milestone
(the dedupe key), and is advanced to its next milestone in the same transaction.

A milestone is never lost to downtime or to a member who had blocked the bot: a member
who blocked the bot is left out of the sweep until they write again, and when a counter is
swept after its milestone's day has passed, the member gets one belated, clearly worded
congratulation ("A little late: …") for the latest milestone reached, not a pile of old
ones. Group posts are made only on the day itself: a group hearing about a milestone days
later, perhaps while the member stepped away, is not what they chose.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from bot.kernel.hhmm import parse_hhmm
from bot.kernel.i18n import Translator, translator
from bot.kernel.outbox import planned, private_to
from bot.kernel.types import ChatRef, Fallback, Priority, Reply
from bot.sobriety.milestone_extras import CardPainter, Extras, milestone_extras
from bot.sobriety.milestones import Milestone, get_milestone, milestone_meaning, milestones_between
from bot.sobriety.texts import adjective, celebration_at, label
from storage.base import Advance, OutboxItem, Store
from storage.rows import DueMilestone, Sharing

HORIZON = timedelta(days=366 * 3)
STALE = timedelta(hours=24)
HELD_LIFE = timedelta(days=30)  # a private congratulation waits this long for its member


def _time(text: str | None) -> time | None:
    return parse_hhmm(text) if text else None


class MilestoneSource:
    name = "milestones"

    def __init__(self, store: Store, celebrate_at: time, default_program: str) -> None:
        self.store = store
        self.celebrate_at = celebrate_at
        self.default_program = default_program
        self.cards = CardPainter()

    async def sweep(self, now: datetime, limit: int) -> int:
        due = await self.store.sobriety.due(int(now.timestamp()), limit)
        items: list[OutboxItem] = []
        advances: list[Advance] = []
        chosen: list[tuple[DueMilestone, Milestone, datetime, bool]] = []
        for d in due:
            c = d.counter
            if c.next_key is None or c.next_at is None:
                continue
            tz = ZoneInfo(c.tz)
            start = date.fromisoformat(c.start_date)
            start_time = _time(c.start_time)
            milestone, at = self._latest_reached(c.next_key, start, start_time, tz, now)
            late = now.astimezone(tz).date() > at.date()
            chosen.append((d, milestone, at, late))
            nxt_key, nxt_at = self._after(milestone, start, start_time, tz)
            advances.append(Advance(c.id, c.next_key, nxt_key, nxt_at, c.next_at))
        # Savings and milestone cards (recovery tools, #19): drawn off the loop, per batch.
        extras = await milestone_extras(
            self.store, [(d, m) for d, m, _, _ in chosen], self.default_program, self.cards, now
        )
        for d, milestone, at, late in chosen:
            items.extend(self._messages(d, milestone, at, late, now, extras.get(d.counter.id)))
        if advances:
            await self.store.sobriety.plan(items, advances)
        return len(due)

    def _latest_reached(
        self, planned_key: str, start: date, start_time: time | None, tz: ZoneInfo, now: datetime
    ) -> tuple[Milestone, datetime]:
        """The milestone to celebrate now: the planned one, or after downtime the latest one
        whose celebration time has come (the ones between are not sent as a pile)."""
        try:
            first = get_milestone(planned_key)
        except KeyError:
            first = get_milestone("24h")
        chosen = (first, celebration_at(first, start, start_time, tz, self.celebrate_at))
        today = now.astimezone(tz).date()
        for m, _due in milestones_between(start, first.due_date(start), today):
            at = celebration_at(m, start, start_time, tz, self.celebrate_at)
            if at <= now:
                chosen = (m, at)
        return chosen

    def _after(
        self, m: Milestone, start: date, start_time: time | None, tz: ZoneInfo
    ) -> tuple[str | None, int | None]:
        first = m.due_date(start) + timedelta(days=1)
        for nxt, _due in milestones_between(start, first, first + HORIZON):
            at = celebration_at(nxt, start, start_time, tz, self.celebrate_at)
            return nxt.key, int(at.timestamp())
        return None, None

    def _messages(
        self,
        d: DueMilestone,
        m: Milestone,
        at: datetime,
        late: bool,
        now: datetime,
        extra: Extras | None = None,
    ) -> list[OutboxItem]:
        c, member = d.counter, d.member
        tr = translator(member.lang)
        program = next((x.program for x in d.communities), self.default_program)
        base = f"milestone:{c.id}:{c.start_date}:{m.key}"
        meaning = milestone_meaning(m, program, tr)
        out: list[OutboxItem] = []
        if not member.paused:
            belated = tr(
                "milestone.belated",
                milestone=adjective(tr, m),
                date=at.date().isoformat(),
                meaning=meaning,
                name=c.name,
            )
            text = belated if late else tr("milestone.private", meaning=meaning, name=c.name)
            if extra is not None and extra.savings_line:
                text += "\n\n" + extra.savings_line
                belated += "\n\n" + extra.savings_line
            due_at = int(now.timestamp()) if late else int(at.timestamp())
            # Held while their DMs were closed, or planned before downtime: it goes out late,
            # saying so, when they are back (within HELD_LIFE), never silently dropped.
            note = replace(private_to(member, text), late_text=belated)
            if extra is not None and extra.private_card is not None:
                note = replace(note, image=extra.private_card, image_alt=extra.alt)
            out.append(
                planned(
                    note,
                    key=base,
                    kind="milestone",
                    due=due_at,
                    recipient_id=member.id,
                    stale_after=STALE,
                    life=HELD_LIFE,
                )
            )
        if late:
            return out
        for community in d.communities:
            mine = d.sharing.get(community.id, Sharing())
            if not (mine.celebrate and community.allow_celebrations and community.announce_chat_id):
                continue
            card = extra.group_cards.get(community.id) if extra is not None else None
            alt = extra.alt if extra is not None else ""
            out.append(
                self._post(tr, d, m, community.id, mine, base, int(at.timestamp()), card, alt)
            )
        return out

    @staticmethod
    def _post(
        tr: Translator, d: DueMilestone, m: Milestone, community_id: int, mine: Sharing,
        base: str, due: int, card: bytes | None = None, alt: str = "",
    ) -> OutboxItem:  # fmt: skip
        community = next(x for x in d.communities if x.id == community_id)
        assert community.announce_chat_id is not None
        key = "milestone.group_substance" if mine.show_substance else "milestone.group"
        post = Reply(
            chat=ChatRef(
                community.platform,
                community.announce_chat_id,
                private=False,
                thread_id=community.announce_thread_id,
            ),
            text=tr(key, name=d.member.display_name, label=label(tr, m), counter=d.counter.name),
            image=card,
            image_alt=alt if card is not None else "",
            fallback=Fallback.DROP,
            priority=Priority.TIMELY,
        )
        return planned(
            post,
            key=f"{base}:c{community.id}",
            kind="milestone_post",
            due=due,
            subject_id=d.member.id,
            stale_after=STALE,
        )
