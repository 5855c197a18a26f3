"""What the core needs from an adapter, and what an adapter needs from the core."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Protocol

from bot.kernel.types import Incoming, Reply, SendResult


@dataclass(frozen=True, slots=True)
class CommandInfo:
    """What an adapter needs to register a command menu or slash command."""

    name: str
    description: str  # one short line, <= 100 characters
    in_private: bool = True
    in_group: bool = True
    moderator: bool = False


# The core's entry point: one event in, the immediate replies out.
Handler = Callable[[Incoming], Awaitable[list[Reply]]]


class Adapter(Protocol):
    """A chat platform. Three verbs, like Bot Framework's: start/stop the connection,
    send a reply. Adapters translate; they hold no feature logic."""

    platform: str

    async def start(self, handler: Handler) -> None:
        """Connect and begin delivering events to `handler`; return once running."""

    async def stop(self) -> None:
        """Disconnect cleanly."""

    async def send(self, reply: Reply) -> SendResult:
        """Deliver one reply; map the platform's errors to a neutral SendResult."""
