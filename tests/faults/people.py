"""Many members talking to the real bot at once: events go straight to `Core.handle` (as
adapters hand them over), concurrently, and the console adapter delivers the answers, so
every member's replies can be read back by name."""

from __future__ import annotations

import asyncio
from collections.abc import Iterable

from adapters.console import PLATFORM, ConsoleAdapter
from adapters.console import split_command as _split
from bot.kernel.runtime import Harbor
from bot.kernel.types import ChatRef, Incoming, Member


def dm(name: str, text: str) -> Incoming:
    """`text` from `name` in their private chat with the bot."""
    command, args = _split(text)
    return Incoming(
        member=Member(PLATFORM, name.casefold(), name),
        chat=ChatRef(PLATFORM, f"dm:{name.casefold()}", private=True, title=name),
        text=text,
        command=command,
        args=args,
    )


def answers(console: ConsoleAdapter, name: str, since: int = 0) -> list[str]:
    """What the bot said to `name` privately (from position `since` of the console log)."""
    return [s.text for s in console.said[since:] if s.to == f"{name} (private)"]


async def at_once(harbor: Harbor, lines: Iterable[tuple[str, str]]) -> None:
    """Every (name, text) handled concurrently, as a platform delivers a busy moment."""
    await asyncio.gather(*(harbor.core.handle(dm(name, text)) for name, text in lines))
