"""A console adapter wired to a Harbor, for tests that build their own Harbor."""

from __future__ import annotations

from adapters.console import ConsoleAdapter
from bot.kernel.clock import ManualClock
from bot.kernel.runtime import Harbor


async def console_for(harbor: Harbor, clock: ManualClock) -> ConsoleAdapter:
    async def on_time() -> None:
        await harbor.tick()

    adapter = ConsoleAdapter(clock=clock, on_time=on_time)
    harbor.attach(adapter)
    await adapter.start(harbor.core)
    return adapter
