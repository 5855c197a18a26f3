"""Autocomplete for the meeting commands (/meeting, /remind, /going, /attended): the
meetings of the member's community, by number or by a part of the name."""

from __future__ import annotations

from bot.common.suggest import Choice, clip
from bot.kernel.context import Context


async def suggest_meetings(ctx: Context, current: str) -> list[Choice]:
    if ctx.community is not None and not ctx.in_private:
        ids = [ctx.community.id]
    else:
        ids = [c.id for c in await ctx.store.communities.of_member(ctx.member.id)]
    rows = await ctx.store.meetings.of_communities(ids) if ids else []
    typed = current.strip().casefold()
    return clip(
        (f"#{row.id} {row.name}", str(row.id))
        for row in sorted(rows, key=lambda r: r.id)
        if not typed or str(row.id).startswith(typed) or typed in row.name.casefold()
    )
