"""A moderator's subcommand of a member command (/mentor pair, /resources add, /event add,
/service role): only in the group, where the platform tells whether the sender moderates
it; anywhere else, a clear answer and nothing changes."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:  # the kernel's context and storage rows; only for types
    from bot.kernel.context import Context
    from storage.base import CommunityRow


def moderated_community(ctx: Context, command: str) -> CommunityRow | None:
    """The group's community when the sender moderates it, else None after saying why."""
    if ctx.in_private or ctx.community is None:
        ctx.whisper(ctx.text("moderated.in_group"))
        return None
    if not ctx.event.is_moderator:
        ctx.whisper(ctx.text("core.moderators_only", name=command))
        return None
    return ctx.community
