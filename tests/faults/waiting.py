"""Waiting for work that other tasks do in real time (sends, the sweep loop of a running
bot). The guard makes a broken test fail instead of hanging CI; nothing is timed."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

GUARD = 60.0


async def eventually(check: Callable[[], bool], what: str) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + GUARD
    while not check():
        assert loop.time() < deadline, f"never happened: {what}"
        await asyncio.sleep(0.01)


async def settles(read: Callable[[], Awaitable[int]], expected: int, what: str) -> None:
    """Until `await read()` gives `expected`."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + GUARD
    while (got := await read()) != expected:
        assert loop.time() < deadline, f"never happened: {what} (still {got})"
        await asyncio.sleep(0.01)
