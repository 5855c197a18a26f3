"""What the kernel remembers for the adapters, so that adapters never touch storage: which
groups exist and whether the bot can read their ordinary messages, each server's moderator
role, each member's private-chat id. An adapter asks through its `Inbox`."""

from __future__ import annotations

import logging

from bot.kernel.clock import Clock
from bot.kernel.ports import GroupInfo
from bot.kernel.text import clean_text
from storage.base import Store
from storage.errors import StorageError
from storage.rows import CommunityUpdate, MemberUpdate

log = logging.getLogger("harbor.platforms")


class PlatformMemory:
    def __init__(self, store: Store, clock: Clock) -> None:
        self.store = store
        self.clock = clock

    async def note_group(
        self, platform: str, community_id: str, title: str, reads_messages: bool | None
    ) -> None:
        title = clean_text(title)  # a server's name may hold half an emoji (see kernel.text)
        try:
            now = int(self.clock.now().timestamp())
            community = await self.store.communities.ensure(platform, community_id, title, now)
            if community.reads_messages is not reads_messages:
                change = CommunityUpdate(reads_messages=reads_messages)
                await self.store.communities.update(community.id, change)
        except StorageError as exc:
            log.warning("could not record what Harbor reads in a group: %s", exc)
        if reads_messages is False:
            log.warning(
                "%s group %s: Harbor cannot read ordinary messages there, so crisis language"
                " in them goes unseen (see the README's crisis section)",
                platform,
                community_id,
            )

    async def groups(self, platform: str) -> list[GroupInfo]:
        try:
            rows = await self.store.communities.all(platform)
        except StorageError as exc:
            log.warning("could not list the %s groups: %s", platform, exc)
            return []
        return [GroupInfo(c.chat_id, c.title, c.reads_messages) for c in rows if c.active]

    async def moderator_role(self, platform: str, community_id: str) -> str | None:
        try:
            community = await self.store.communities.find(platform, community_id)
        except StorageError as exc:
            log.warning("could not read a community's moderator role: %s", exc)
            return None
        return community.moderator_role_id if community is not None else None

    async def private_chat(self, platform: str, user_id: str) -> str | None:
        try:
            member = await self.store.members.find(platform, user_id)
        except StorageError:
            return None
        return member.dm_channel_id if member is not None else None

    async def note_private_chat(self, platform: str, user_id: str, chat_id: str | None) -> None:
        try:
            member = await self.store.members.find(platform, user_id)
            if member is not None and member.dm_channel_id != chat_id:
                await self.store.members.update(member.id, MemberUpdate(dm_channel_id=chat_id))
        except StorageError as exc:
            log.warning("could not keep a private chat's id: %s", exc)
