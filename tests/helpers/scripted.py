"""A real adapter object whose platform answers are scripted per send: for the dispatcher,
delivery and pacing tests."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

from bot.kernel.clock import ManualClock
from bot.kernel.config import SchedulerSettings
from bot.kernel.delivery import Delivery
from bot.kernel.dispatcher import Dispatcher
from bot.kernel.pacing import Pacer
from bot.kernel.ports import Adapter, Capabilities, Inbox, Limits
from bot.kernel.types import Incoming, Reply, SendResult, SendStatus
from storage.base import Store


class ScriptedAdapter:
    def __init__(
        self,
        *answers: SendResult,
        platform: str = "test",
        limits: Limits | None = None,
        delay: Callable[[Reply], float] | None = None,
    ) -> None:
        self.platform = platform
        self.limits = limits or Limits(per_second=0.0)
        self.capabilities = Capabilities()
        self.answers = list(answers)
        self.sent: list[Reply] = []
        self.delay = delay
        self.moderators: set[tuple[str, str]] = set()

    async def start(self, inbox: Inbox) -> None:
        return None

    async def stop(self) -> None:
        return None

    async def send(self, reply: Reply) -> SendResult:
        if self.delay is not None:
            await asyncio.sleep(self.delay(reply))
        answer = self.answers.pop(0) if self.answers else SendResult(SendStatus.SENT)
        if answer.ok:
            self.sent.append(reply)
        return answer

    async def answer(self, event: Incoming, reply: Reply, *, ephemeral: bool) -> SendResult:
        return await self.send(reply)

    async def is_moderator(self, community_id: str, user_id: str) -> bool:
        return (community_id, user_id) in self.moderators

    def private_link(self, payload: str) -> str | None:
        return None


def wire(
    store: Store,
    clock: ManualClock,
    adapter: Adapter,
    *,
    concurrency: int = 32,
    send_timeout: float = 30.0,
    **settings: object,
) -> tuple[Dispatcher, Delivery, Pacer]:
    """A dispatcher and delivery for one adapter; pacing runs on the manual clock."""
    pacer = Pacer(adapter.limits, monotonic=lambda: clock.now().timestamp())
    delivery = Delivery(
        {adapter.platform: adapter},
        {adapter.platform: pacer},
        clock,
        store,
        send_timeout=send_timeout,
    )
    dispatcher = Dispatcher(
        store,
        delivery,
        clock,
        SchedulerSettings.model_validate(settings),
        concurrency=concurrency,
    )
    return dispatcher, delivery, pacer
