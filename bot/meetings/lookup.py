"""Finding meetings and the communities a member sees, and how a meeting time reads: shared
by the meetings commands (schedule, now, sources, attendance)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from bot.common.parsing import parse_int
from bot.kernel.context import Context
from bot.meetings import timefmt
from bot.meetings.model import one_line, slugify
from bot.meetings.schedule import community_schedule
from storage.base import CommunityRow
from storage.meetings_base import MeetingRow


def shown_tz(ctx: Context) -> str:
    """Times posted in a group use the community's zone: a member's own zone is private."""
    return ctx.tz_name() if ctx.in_private else ctx.community_tz_name()


def when_text(ctx: Context, start: datetime, end: datetime, now: datetime, tz: str) -> str:
    """A meeting time as this reader should see it: a platform timestamp shown in their own
    zone (Discord), else the time in `tz` with the zone named, and how soon it is."""
    shown = ctx.show_time(start, tz)
    if ctx.capabilities.timestamps:
        return shown
    return ctx.text("meetings.when_until", when=shown, until=timefmt.until(ctx.tr, start, end, now))


def untagged_language(ctx: Context) -> str:
    """The language of meetings that state none: the installation's."""
    return ctx.settings.community.language


async def visible_communities(ctx: Context) -> list[CommunityRow]:
    """The communities whose meetings this member sees: the group's, or in private all of
    theirs."""
    if not ctx.in_private:
        return [ctx.community] if ctx.community is not None else []
    return await ctx.store.communities.of_member(ctx.member.id)


async def moderated_communities(ctx: Context) -> list[CommunityRow]:
    """In a group: the group's, if the member moderates it (the platform says so live). In
    private: the communities where the member was last seen moderating."""
    if not ctx.in_private:
        ok = ctx.community is not None and ctx.event.is_moderator
        return [ctx.community] if ok and ctx.community is not None else []
    found = []
    for community in await ctx.store.communities.of_member(ctx.member.id):
        mods = await ctx.store.communities.moderators(community.id)
        if any(m.id == ctx.member.id for m in mods):
            found.append(community)
    return found


async def resolve_meeting(
    ctx: Context, ref: str, communities: Sequence[CommunityRow]
) -> MeetingRow | None:
    """A meeting by its number, short name (slug) or full name, in `communities`."""
    ref = one_line(ref).removeprefix("#").casefold()
    if not ref:
        return None
    ids = {c.id for c in communities}
    if (meeting_id := parse_int(ref)) is not None:
        found: MeetingRow | None = await ctx.store.meetings.get(meeting_id)
        return found if found is not None and found.community_id in ids else None
    for community in communities:
        for slug in dict.fromkeys((ref, slugify(ref))):
            found = await ctx.store.meetings.by_slug(community.id, slug)
            if found is not None:
                return found
    for community in communities:  # a name as members say it: "/attended Tuesday Night"
        schedule = await community_schedule(ctx.store, community.id, untagged_language(ctx))
        for row in schedule.rows.values():
            if one_line(row.name).casefold() == ref:
                return row
    return None


async def find_meeting(
    ctx: Context, ref: str, communities: Sequence[CommunityRow] | None = None
) -> MeetingRow | None:
    """The meeting `ref` (an id, slug or name) names, or None after saying so."""
    if not ref.strip():
        ctx.whisper(ctx.text("meeting.which"))
        return None
    found = await resolve_meeting(
        ctx, ref, communities if communities is not None else await visible_communities(ctx)
    )
    if found is None:
        ctx.whisper(ctx.text("meeting.not_found", ref=one_line(ref)[:40]))
    return found
