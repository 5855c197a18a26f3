"""Autocomplete for the meeting commands (/meeting, /remind, /going, /attended): the
meetings of the member's community, by number or by a part of the name."""

from __future__ import annotations

from bot.common.suggest import Choice, clip
from bot.kernel.context import Context
from bot.meetings.lookup import untagged_language
from bot.meetings.schedule import community_schedule
from storage.meetings_base import MeetingRow


async def suggest_meetings(ctx: Context, current: str) -> list[Choice]:
    if ctx.community is not None and not ctx.in_private:
        ids = [ctx.community.id]
    else:
        ids = [c.id for c in await ctx.store.communities.of_member(ctx.member.id)]
    # The decoded schedules are cached per change: a keystroke never decodes 10,000 specs.
    rows: list[MeetingRow] = []
    for community_id in ids:
        schedule = await community_schedule(ctx.store, community_id, untagged_language(ctx))
        rows.extend(schedule.rows.values())
    typed = current.strip().casefold()
    return clip(
        (f"#{row.id} {row.name}", str(row.id))
        for row in sorted(rows, key=lambda r: r.id)
        if not typed or str(row.id).startswith(typed) or typed in row.name.casefold()
    )
