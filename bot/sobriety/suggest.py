"""Autocomplete for the counter commands: /reset and /slip take a counter's name, and
/sober remove NAME too (a date comes first otherwise, so nothing is offered)."""

from __future__ import annotations

from bot.common.suggest import Choice, match_names
from bot.kernel.context import Context


async def suggest_counters(ctx: Context, current: str) -> list[Choice]:
    counters = await ctx.store.sobriety.counters(ctx.member.id)
    return match_names((c.name for c in counters), current)


async def suggest_sober(ctx: Context, current: str) -> list[Choice]:
    head, _, rest = current.lstrip().partition(" ")
    if head.casefold() != "remove":
        return []
    counters = await ctx.store.sobriety.counters(ctx.member.id)
    return match_names((c.name for c in counters), rest, "remove ")
