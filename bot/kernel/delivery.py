"""The one delivery step: how every reply reaches a person, for every platform.

Features return `Reply` values; this module alone decides:
- a private reply: answered ephemerally where the event is an interaction (no DM needed),
  else sent to the member's private chat; from a group, one short public notice says so;
- when the private chat is missing, closed or blocked: a neutral line in the group that
  opens it (a deep link that continues where it stopped, or for crisis lines a button whose
  press answers privately), never "try again", never anything personal;
- moderator alerts go only to people who moderate the community at that moment;
- a send that the platform defers or that fails for a moment is not waited for: it goes to
  the outbox (durable) and is retried; a crisis reply is retried in memory, since it must
  not wait on storage;
- every send is paced by the platform's declared limits (`bot.kernel.pacing`).
Adapters only offer verbs (send, answer, is-moderator, private-link).
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import timedelta
from enum import Enum

from bot.kernel.clock import Clock
from bot.kernel.i18n import Translator
from bot.kernel.outbox import planned
from bot.kernel.pacing import Pacer
from bot.kernel.ports import Adapter
from bot.kernel.types import (
    Button,
    Fallback,
    Incoming,
    Priority,
    Reply,
    SendResult,
    SendStatus,
)
from storage.base import Store
from storage.errors import StorageError

log = logging.getLogger("harbor.delivery")

DIRECT_WAIT = 1.0  # a direct answer waits this long for its chat's window, then is queued
SEND_TIMEOUT = 30.0  # one platform request; a hung one must not hold anything else up
CRISIS_RETRIES = (1.0, 2.0, 4.0, 8.0, 15.0, 30.0, 60.0, 60.0, 120.0)


class Outcome(Enum):
    PRIVATE = "delivered privately"
    EPHEMERAL = "answered so only they see it"
    PUBLIC = "posted"
    OFFERED = "shown in the group with a button that opens it privately"
    UNREACHABLE = "could not reach them privately"
    QUEUED = "will be retried"
    SKIPPED = "not sent"
    FAILED = "failed"

    @property
    def reached(self) -> bool:
        return self in (Outcome.PRIVATE, Outcome.EPHEMERAL, Outcome.PUBLIC)


@dataclass(frozen=True, slots=True)
class Delivered:
    reply: Reply
    outcome: Outcome
    result: SendResult


def chat_key(reply: Reply) -> tuple[str, bool]:
    """The chat a send counts against, and whether it is a group (group windows)."""
    if reply.private and reply.member is not None:
        return f"dm:{reply.member.user_id}", False
    return reply.chat.chat_id, not reply.chat.private


class Delivery:
    def __init__(
        self,
        adapters: Mapping[str, Adapter],
        pacers: Mapping[str, Pacer],
        clock: Clock,
        store: Store | None = None,
        *,
        send_timeout: float = SEND_TIMEOUT,
        crisis_retries: tuple[float, ...] = CRISIS_RETRIES,
    ) -> None:
        self.adapters = adapters
        self.pacers = pacers
        self.clock = clock
        self.store = store
        self.send_timeout = send_timeout
        self.crisis_retries = crisis_retries
        self._retrying: set[asyncio.Task[None]] = set()

    # -- one send, paced -----------------------------------------------------------------
    async def send(self, reply: Reply, *, max_wait: float = DIRECT_WAIT) -> SendResult:
        """Send through the platform's pacing. A chat that must wait longer than
        `max_wait` is not waited for: RETRY_AFTER comes back with the wait."""
        adapter = self.adapters.get(reply.chat.platform)
        if adapter is None:
            return SendResult(SendStatus.FAILED, detail="no adapter running for this platform")
        pacer = self.pacers.get(reply.chat.platform)
        key, group = chat_key(reply)
        if pacer is not None:
            wait = pacer.wait_for(key, group)
            if wait > max_wait:
                return SendResult(SendStatus.RETRY_AFTER, retry_after=wait, detail="paced")
            if wait > 0:
                await asyncio.sleep(wait)
            await pacer.slot(reply.priority)
            # Concurrent sends to one group all passed the check above before any was
            # counted: look again, and count this one as it starts, not when it returns.
            wait = pacer.wait_for(key, group)
            if wait > 0:
                return SendResult(SendStatus.RETRY_AFTER, retry_after=wait, detail="paced")
            pacer.sent(key, group)
        result = await self._guarded(adapter.send(reply))
        if pacer is not None and result.status is SendStatus.RETRY_AFTER:
            scope = None if result.scope == "platform" else key
            pacer.pause(result.retry_after or 1.0, scope)
        return result

    async def _guarded(self, call: asyncio.Future[SendResult] | object) -> SendResult:
        try:
            return await asyncio.wait_for(call, self.send_timeout)  # type: ignore[arg-type]
        except TimeoutError:
            return SendResult(SendStatus.FAILED, detail="timed out")
        except Exception as exc:  # an adapter bug is a failed send, not a crash
            log.error("send raised %s", type(exc).__name__)
            return SendResult(SendStatus.FAILED, detail=type(exc).__name__)

    async def scheduled(self, reply: Reply) -> SendResult:
        """A message from the outbox: moderator re-check, then a paced send that never
        waits for a busy chat (the dispatcher reschedules it instead)."""
        adapter = self.adapters.get(reply.chat.platform)
        if adapter is not None and not await self._still_moderator(adapter, reply):
            return SendResult(SendStatus.REJECTED, detail="no longer a moderator there")
        return await self.send(reply, max_wait=0.0)

    # -- an event's replies ----------------------------------------------------------------
    async def deliver(
        self, event: Incoming | None, replies: Sequence[Reply], tr: Translator
    ) -> list[Delivered]:
        done: list[Delivered] = []
        for reply in replies:
            done.append(await self._one(event, reply, tr))
        if (
            event is not None
            and not event.chat.private
            and event.command
            and any(
                d.outcome is Outcome.PRIVATE
                and d.reply.notify_group
                and self._to_sender(event, d.reply)
                for d in done
            )
        ):
            # One short public note that a private message went out: never what it said.
            note = Reply(chat=event.chat, text=tr("private.sent"), priority=Priority.DIRECT)
            await self._public(event, note)
        return done

    @staticmethod
    def _to_sender(event: Incoming, reply: Reply) -> bool:
        return (
            reply.member is not None
            and reply.member.user_id == event.member.user_id
            and reply.chat.platform == event.chat.platform
        )

    async def _one(self, event: Incoming | None, reply: Reply, tr: Translator) -> Delivered:
        adapter = self.adapters.get(reply.chat.platform)
        if adapter is None:
            return Delivered(reply, Outcome.FAILED, SendResult(SendStatus.FAILED))
        if not await self._still_moderator(adapter, reply):
            return Delivered(reply, Outcome.SKIPPED, SendResult(SendStatus.REJECTED))
        if not reply.private:
            return await self._public(event, reply)
        to_sender = event is not None and self._to_sender(event, reply)
        if event is not None and to_sender and self._interactive(adapter, event):
            result = await self._guarded(
                adapter.answer(event, reply, ephemeral=not event.chat.private)
            )
            if result.ok:
                kind = Outcome.PRIVATE if event.chat.private else Outcome.EPHEMERAL
                return Delivered(reply, kind, result)
            # The interaction expired or failed: try the private chat instead.
        result = await self.send(reply)
        if result.ok:
            return Delivered(reply, Outcome.PRIVATE, result)
        if result.unreachable:
            await self._pause_member(reply, result)
            offer = reply.fallback is not Fallback.DROP and to_sender
            if offer and event is not None and not event.chat.private:
                return await self._offer(event, reply, tr, adapter, result)
            return Delivered(reply, Outcome.UNREACHABLE, result)
        return await self._retry_or_fail(reply, result)

    async def _public(self, event: Incoming | None, reply: Reply) -> Delivered:
        adapter = self.adapters[reply.chat.platform]
        if (
            event is not None
            and self._interactive(adapter, event)
            and reply.chat.chat_id == event.chat.chat_id
            and reply.chat.thread_id == event.chat.thread_id
        ):
            result = await self._guarded(adapter.answer(event, reply, ephemeral=False))
            if result.ok:
                return Delivered(reply, Outcome.PUBLIC, result)
        result = await self.send(reply)
        if result.status is SendStatus.MOVED and result.moved_to:
            moved = dataclasses.replace(
                reply, chat=dataclasses.replace(reply.chat, chat_id=result.moved_to)
            )
            result = await self.send(moved)
        if result.ok:
            return Delivered(reply, Outcome.PUBLIC, result)
        return await self._retry_or_fail(reply, result)

    @staticmethod
    def _interactive(adapter: Adapter, event: Incoming) -> bool:
        return event.interaction is not None and adapter.capabilities.ephemeral

    async def _still_moderator(self, adapter: Adapter, reply: Reply) -> bool:
        if reply.moderator_of is None:
            return True
        if reply.member is None:
            return False
        try:
            return await adapter.is_moderator(reply.moderator_of, reply.member.user_id)
        except Exception as exc:  # unknown means no: an alert never reaches a non-moderator
            log.warning("moderator check failed: %s", type(exc).__name__)
            return False

    # -- when the private chat is out of reach -------------------------------------------
    async def _offer(
        self,
        event: Incoming,
        reply: Reply,
        tr: Translator,
        adapter: Adapter,
        failure: SendResult,
    ) -> Delivered:
        crisis = reply.fallback is Fallback.CRISIS
        payload = "crisis" if crisis else (reply.resume or "dm")
        link = adapter.private_link(payload)
        buttons: tuple[tuple[Button, ...], ...] = ()
        if crisis:
            text = tr("crisis.reach_out_in_group")
            label = tr("crisis.show_button")
            if link is not None:
                buttons = ((Button(label, url=link),),)
            elif adapter.capabilities.ephemeral:
                buttons = ((Button(label, "crisis:show"),),)  # answered only to the presser
        elif link is not None:
            text = tr("private.open_dm")
            buttons = ((Button(tr("private.open_dm_button"), url=link),),)
        else:
            text = tr("private.dm_closed")
        if reply.public_fallback:
            text = f"{reply.public_fallback}\n\n{text}"
        offer = Reply(chat=event.chat, text=text, buttons=buttons, priority=reply.priority)
        posted = await self._public(event, offer)
        outcome = Outcome.OFFERED if posted.outcome.reached else posted.outcome
        return Delivered(reply, outcome, failure)

    async def _pause_member(self, reply: Reply, result: SendResult) -> None:
        """A member who blocked the bot: hold their private messages until they are back."""
        if result.status is not SendStatus.BLOCKED or reply.member is None or self.store is None:
            return
        try:
            row = await self.store.members.find(reply.member.platform, reply.member.user_id)
            if row is not None and not row.paused:
                await self.store.members.set_paused(row.id, True)
                await self.store.outbox.hold_member(row.id)
        except StorageError as exc:
            log.warning("could not pause a blocked member: %s", exc)

    # -- later -----------------------------------------------------------------------------
    async def _retry_or_fail(self, reply: Reply, result: SendResult) -> Delivered:
        if result.status not in (SendStatus.RETRY_AFTER, SendStatus.FAILED):
            return Delivered(reply, Outcome.FAILED, result)
        wait = result.retry_after or 1.0
        if reply.priority == Priority.CRISIS:
            # Never behind storage: retried from memory until delivered or refused.
            task = asyncio.create_task(self._retry_crisis(reply))
            self._retrying.add(task)
            task.add_done_callback(self._retrying.discard)
            return Delivered(reply, Outcome.QUEUED, result)
        if await self._to_outbox(reply, wait):
            return Delivered(reply, Outcome.QUEUED, result)
        return Delivered(reply, Outcome.FAILED, result)

    async def _to_outbox(self, reply: Reply, wait: float) -> bool:
        if self.store is None:
            return False
        try:
            recipient = None
            if reply.private and reply.member is not None:
                row = await self.store.members.find(reply.member.platform, reply.member.user_id)
                recipient = row.id if row is not None else None
            due = int(self.clock.now().timestamp() + max(1.0, wait))
            item = planned(
                reply,
                key=f"direct:{uuid.uuid4().hex}",
                kind="direct",
                due=due,
                recipient_id=recipient,
                life=timedelta(hours=1),
                priority=reply.priority,
            )
            await self.store.outbox.enqueue([item])
        except StorageError as exc:
            log.warning("a reply could not be queued for a retry: %s", exc)
            return False
        return True

    async def _retry_crisis(self, reply: Reply) -> None:
        for delay in self.crisis_retries:
            await asyncio.sleep(delay)
            result = await self.send(reply, max_wait=60.0)
            if result.ok or result.status not in (SendStatus.RETRY_AFTER, SendStatus.FAILED):
                log.info("crisis reply retry ended: %s", result.status.value)
                return
        log.error(
            "a crisis reply could not be delivered after %d retries", len(self.crisis_retries)
        )

    async def settle(self) -> None:
        """Wait for in-memory crisis retries (tests; a clean stop)."""
        while self._retrying:
            await asyncio.gather(*list(self._retrying), return_exceptions=True)
