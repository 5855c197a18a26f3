"""Moderator alerts that tell the truth and get handled.

An alert is written after the delivery result is known (delivered privately, shown in the
group with a button, could not reach them), never quotes the message, and carries "I'm on
it" and "Resolved" buttons. The first moderator to claim it is shown to the others; an alert
nobody claims within the community's `escalate_minutes` goes to the moderators on duty
(`/supporter on`), or again to every moderator. Each recipient is re-checked live with the
platform before anything is sent (`Reply.moderator_of`).
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging
from datetime import datetime

from bot.crisis.reply import Situation
from bot.kernel.clock import Clock
from bot.kernel.context import Context
from bot.kernel.delivery import Delivery, Outcome
from bot.kernel.i18n import Translator, translator
from bot.kernel.outbox import planned, private_to
from bot.kernel.types import Button, Buttons, Incoming, Priority, Reply
from storage.base import Store
from storage.rows import AlertRow, CommunityRow, MemberRow, NewAlert, OutboxItem

log = logging.getLogger("harbor.crisis")

ALERT_BUTTON = "alert"  # alert:claim:<id>, alert:done:<id>
STORE_TIMEOUT = 1.0


def alert_buttons(tr: Translator, alert_id: int) -> Buttons:
    return (
        (
            Button(tr("crisis.alert_claim"), f"{ALERT_BUTTON}:claim:{alert_id}"),
            Button(tr("crisis.alert_resolve"), f"{ALERT_BUTTON}:done:{alert_id}"),
        ),
    )


def alert_text(tr: Translator, *, name: str, group: str, where: str, outcome: str) -> str:
    return tr(
        "crisis.alert",
        name=name,
        group=group,
        where=where,
        status=tr(f"crisis.outcome_{outcome}"),
    )


class CrisisAlerts:
    def __init__(self, store: Store, delivery: Delivery, clock: Clock) -> None:
        self.store = store
        self.delivery = delivery
        self.clock = clock

    async def raise_alert(
        self, event: Incoming, community: CommunityRow, outcome: Outcome, situation: Situation
    ) -> None:
        """Alert the community's moderators about a detected crisis message."""
        try:
            await asyncio.wait_for(self._raise(event, community, outcome), STORE_TIMEOUT)
        except Exception as exc:  # no alert without storage; the member's reply went out
            log.warning("crisis alert not sent: %s", type(exc).__name__)

    async def _raise(self, event: Incoming, community: CommunityRow, outcome: Outcome) -> None:
        now = int(self.clock.now().timestamp())
        subject = await self.store.members.find(event.member.platform, event.member.user_id)
        moderators = [
            m
            for m in await self.store.communities.moderators(community.id)
            if m.user_id != event.member.user_id
        ]
        if not moderators:
            return
        alert_id = await self.store.crisis.create_alert(
            NewAlert(
                community_id=community.id,
                subject_id=subject.id if subject else None,
                outcome=outcome.name.lower(),
                permalink=event.permalink,
                chat_title=event.chat.title or "",
                created_at=now,
                escalate_at=now + community.escalate_minutes * 60,
            )
        )
        replies = []
        for mod in moderators:
            tr = translator(mod.lang)
            where = event.permalink or tr("crisis.alert_no_link", title=event.chat.title or "")
            text = alert_text(
                tr,
                name=event.member.display_name,
                group=event.chat.title or event.chat.chat_id,
                where=where,
                outcome=outcome.name.lower(),
            )
            reply = private_to(mod, text, alert_buttons(tr, alert_id), priority=Priority.CRISIS)
            replies.append(_for_moderators_of(reply, event.chat.community_id))
        await self.delivery.deliver(None, replies, translator(None))


def _for_moderators_of(reply: Reply, community_key: str | None) -> Reply:
    return dataclasses.replace(reply, moderator_of=community_key)


# -- the buttons ------------------------------------------------------------------------------


async def alert_button(ctx: Context) -> None:
    parts = (ctx.event.button or "").split(":")
    alert_id = int(parts[2]) if len(parts) == 3 and parts[2].isdigit() else None
    alert = await ctx.store.crisis.alert(alert_id) if alert_id is not None else None
    if alert is None or not await _may_handle(ctx, alert):
        ctx.whisper(ctx.text("core.stale_button"))
        return
    if parts[1] == "claim":
        holder = await ctx.store.crisis.claim(alert.id, ctx.member.id, ctx.now_ts())
        if holder != ctx.member.id:
            other = await ctx.store.members.get(holder) if holder else None
            name = other.display_name if other else ctx.text("crisis.a_moderator")
            ctx.whisper(ctx.text("crisis.alert_already", name=name))
            return
        resolve = Button(ctx.text("crisis.alert_resolve"), f"{ALERT_BUTTON}:done:{alert.id}")
        ctx.whisper(ctx.text("crisis.alert_claimed"), ((resolve,),), edit=True)
        await _tell_the_others(ctx, alert)
    elif parts[1] == "done":
        await ctx.store.crisis.resolve(alert.id, ctx.now_ts())
        ctx.whisper(ctx.text("crisis.alert_resolved"), edit=True)
    else:
        ctx.whisper(ctx.text("core.stale_button"))


async def _may_handle(ctx: Context, alert: AlertRow) -> bool:
    moderators = await ctx.store.communities.moderators(alert.community_id)
    supporters = await ctx.store.crisis.supporters(alert.community_id)
    return any(m.id == ctx.member.id for m in (*moderators, *supporters))


async def _tell_the_others(ctx: Context, alert: AlertRow) -> None:
    others = {m.id: m for m in await ctx.store.communities.moderators(alert.community_id)}
    others.update({m.id: m for m in await ctx.store.crisis.supporters(alert.community_id)})
    others.pop(ctx.member.id, None)
    for other in others.values():
        await ctx.send_later(
            other,
            translator(other.lang)("crisis.alert_taken", name=ctx.member.display_name),
            key=f"alert-claimed:{alert.id}:{other.id}",
            kind="alert_claimed",
            priority=Priority.CRISIS,
        )


# -- widening an unclaimed alert --------------------------------------------------------------


class EscalationSource:
    """Unclaimed alerts, once their time has come, go to the moderators on duty (or again to
    every moderator when nobody is on duty), once."""

    name = "crisis_escalations"

    def __init__(self, store: Store) -> None:
        self.store = store

    async def sweep(self, now: datetime, limit: int) -> int:
        ts = int(now.timestamp())
        due = await self.store.crisis.due_escalations(ts, limit)
        for alert in due:
            if not await self.store.crisis.mark_escalated(alert.id, ts):
                continue
            community = await self.store.communities.get(alert.community_id)
            if community is None:
                continue
            recipients = await self.store.crisis.supporters(community.id)
            if not recipients:
                recipients = await self.store.communities.moderators(community.id)
            subject = await self.store.members.get(alert.subject_id) if alert.subject_id else None
            items = [
                self._item(alert, community, who, subject, ts)
                for who in recipients
                if subject is None or who.id != subject.id
            ]
            if items:
                await self.store.outbox.enqueue(items)
        return len(due)

    @staticmethod
    def _item(
        alert: AlertRow,
        community: CommunityRow,
        who: MemberRow,
        subject: MemberRow | None,
        ts: int,
    ) -> OutboxItem:
        tr = translator(who.lang)
        minutes = max(1, (ts - alert.created_at) // 60)
        where = alert.permalink or tr("crisis.alert_no_link", title=alert.chat_title)
        text = (
            tr("crisis.alert_unclaimed", minutes=minutes)
            + "\n\n"
            + alert_text(
                tr,
                name=subject.display_name if subject else tr("crisis.someone"),
                group=alert.chat_title or community.title,
                where=where,
                outcome=alert.outcome,
            )
        )
        reply = _for_moderators_of(
            private_to(who, text, alert_buttons(tr, alert.id), priority=Priority.CRISIS),
            community.chat_id,
        )
        return planned(
            reply,
            key=f"alert-escalated:{alert.id}:{who.id}",
            kind="crisis_alert",
            due=ts,
            recipient_id=who.id,
            subject_id=alert.subject_id,
            priority=Priority.CRISIS,
        )
