"""What a member shows in a group, chosen group by group: milestone posts (/celebrate), the
counter's name in them (/celebrate substance), the day count and its leaderboard (/share).

A member in "NA Tuesday" and "Work Friends" may want one to celebrate with them and the
other to know nothing, so nothing is ever switched on for every group at once. In a group,
the command applies to that group; in private, with one group it applies there, with
several the member picks the group from a list.
"""

from __future__ import annotations

from dataclasses import dataclass

from bot.common.parsing import parse_int, parse_switch
from bot.kernel.context import Context
from bot.kernel.types import Button, EventKind
from bot.sobriety.model import days_since
from storage.base import CommunityRow
from storage.rows import Sharing, SharingUpdate

SHARE_BUTTON = "shr"  # shr:<c|s|d>:<1|0>:<community id>


@dataclass(frozen=True, slots=True)
class Choice:
    code: str  # in the button data
    field: str  # the Sharing field
    command: str

    def update(self, on: bool) -> SharingUpdate:
        return SharingUpdate(**{self.field: on})


CELEBRATE = Choice("c", "celebrate", "celebrate")
SUBSTANCE = Choice("s", "show_substance", "celebrate")
DAYS = Choice("d", "share_days", "share")
CHOICES = {c.code: c for c in (CELEBRATE, SUBSTANCE, DAYS)}


def _onoff(ctx: Context, flag: bool) -> str:
    return ctx.text("community.on") if flag else ctx.text("community.off")


def _title(community: CommunityRow) -> str:
    return community.title or community.chat_id


# -- /celebrate and /share -------------------------------------------------------------------


async def celebrate(ctx: Context) -> None:
    words = ctx.event.args.casefold().split()
    switch = parse_switch(words[-1]) if words else None
    if switch is None or len(words) > 2 or (len(words) == 2 and words[0] != "substance"):
        await _usage(ctx, "celebrate")
        return
    await _choose(ctx, SUBSTANCE if len(words) == 2 else CELEBRATE, switch)


async def share(ctx: Context) -> None:
    switch = parse_switch(ctx.event.args)
    if switch is None:
        await _usage(ctx, "share")
        return
    await _choose(ctx, DAYS, switch)


async def _choose(ctx: Context, choice: Choice, on: bool) -> None:
    """Apply the choice to this group, the member's only group, or ask which group."""
    if not ctx.in_private and ctx.community is not None:
        await _apply(ctx, choice, on, ctx.community)
        return
    groups = await ctx.store.communities.of_member(ctx.member.id)
    if not groups:
        ctx.whisper(ctx.text(f"{choice.command}.no_group"))
        return
    if len(groups) == 1:
        await _apply(ctx, choice, on, groups[0])
        return
    key = {
        CELEBRATE: "celebrate.choose_",
        SUBSTANCE: "celebrate.choose_substance_",
        DAYS: "share.choose_",
    }[choice] + ("on" if on else "off")
    rows = tuple(
        (Button(_title(g), f"{SHARE_BUTTON}:{choice.code}:{int(on)}:{g.id}"),) for g in groups
    )
    ctx.whisper(ctx.text(key), rows)


async def _apply(ctx: Context, choice: Choice, on: bool, community: CommunityRow) -> None:
    await ctx.store.sobriety.set_sharing(ctx.member.id, community.id, choice.update(on))
    group = _title(community)
    edit = ctx.event.kind is EventKind.BUTTON
    if choice is DAYS:
        key = "share.on" if on else "share.off"
        ctx.whisper(ctx.text(key, group=group, name=ctx.sender.display_name), edit=edit)
        return
    if choice is SUBSTANCE:
        key = f"celebrate.show_substance_{'on' if on else 'off'}"
        ctx.whisper(ctx.text(key, group=group), edit=edit)
        return
    text = ctx.text(f"celebrate.celebrate_{'on' if on else 'off'}", group=group)
    if on and not (community.allow_celebrations and community.announce_chat_id):
        text += "\n" + ctx.text("celebrate.not_allowed_yet", group=group)
    ctx.whisper(text, edit=edit)


async def _usage(ctx: Context, command: str) -> None:
    if not ctx.in_private and ctx.community is not None:
        mine = await ctx.store.sobriety.sharing(ctx.member.id, ctx.community.id)
        ctx.whisper(_group_usage(ctx, command, _title(ctx.community), mine))
        return
    groups = await ctx.store.communities.of_member(ctx.member.id)
    if not groups:
        ctx.whisper(ctx.text(f"{command}.no_group"))
        return
    choices = await ctx.store.sobriety.sharing_by_community(ctx.member.id)
    lines = "\n".join(
        _group_line(ctx, command, _title(g), choices.get(g.id, Sharing())) for g in groups
    )
    ctx.whisper(ctx.text(f"{command}.usage_private", groups=lines))


def _group_usage(ctx: Context, command: str, group: str, mine: Sharing) -> str:
    if command == "share":
        return ctx.text("share.usage_group", group=group, share=_onoff(ctx, mine.share_days))
    return ctx.text(
        "celebrate.usage_group",
        group=group,
        celebrate=_onoff(ctx, mine.celebrate),
        substance=_onoff(ctx, mine.show_substance),
    )


def _group_line(ctx: Context, command: str, group: str, mine: Sharing) -> str:
    if command == "share":
        return ctx.text("share.group_line", group=group, share=_onoff(ctx, mine.share_days))
    return ctx.text(
        "celebrate.group_line",
        group=group,
        celebrate=_onoff(ctx, mine.celebrate),
        substance=_onoff(ctx, mine.show_substance),
    )


async def share_button(ctx: Context) -> None:
    """A group picked from the list (the data is checked: a group the member is in)."""
    parts = (ctx.event.button or "").split(":")
    choice = CHOICES.get(parts[1]) if len(parts) == 4 else None
    community_id = parse_int(parts[3]) if len(parts) == 4 else None
    groups = await ctx.store.communities.of_member(ctx.member.id)
    group = next((g for g in groups if g.id == community_id), None)
    if choice is None or group is None or parts[2] not in ("0", "1"):
        ctx.whisper(ctx.text("core.stale_button"))
        return
    await _apply(ctx, choice, parts[2] == "1", group)


# -- /leaderboard ----------------------------------------------------------------------------


async def leaderboard(ctx: Context) -> None:
    community = ctx.community
    assert community is not None
    if not community.leaderboard:
        ctx.say(ctx.text("leaderboard.off"))
        return
    now = ctx.now()
    rows = []
    for member, counters in await ctx.store.sobriety.sharers(community.id):
        if counters:
            best = max(days_since(c.start_date, c.tz, now) for c in counters)
            rows.append((best, member.display_name))
    if not rows:
        ctx.say(ctx.text("leaderboard.empty"))
        return
    rows.sort(key=lambda r: (-r[0], r[1].casefold()))
    lines = [ctx.text("leaderboard.header")] + [
        ctx.tr.n("sober.public_line", days, name=name) for days, name in rows[:25]
    ]
    ctx.say("\n".join(lines))
