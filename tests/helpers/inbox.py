"""What the test inboxes (recorders standing in for the kernel in adapter tests) keep for
their adapter: the kernel's own PlatformMemory over a real store, or nothing at all."""

from __future__ import annotations

from bot.kernel.clock import SystemClock
from bot.kernel.platforms import PlatformMemory
from bot.kernel.ports import Choice, GroupInfo, PlatformBook
from bot.kernel.types import Incoming
from storage.base import Store


class NoMemory:
    """An inbox with no storage: it remembers nothing."""

    async def note_group(
        self, platform: str, community_id: str, title: str, reads_messages: bool | None
    ) -> None:
        return None

    async def groups(self, platform: str) -> list[GroupInfo]:
        return []

    async def moderator_role(self, platform: str, community_id: str) -> str | None:
        return None

    async def private_chat(self, platform: str, user_id: str) -> str | None:
        return None

    async def note_private_chat(self, platform: str, user_id: str, chat_id: str | None) -> None:
        return None


def memory(store: Store | None) -> PlatformBook:
    return PlatformMemory(store, SystemClock()) if store is not None else NoMemory()


async def no_suggestions(event: Incoming, current: str) -> list[Choice]:
    return []
