"""/service: the roles a community needs filled (greeter, chair, tech host, newcomer
welcome), their weekly rota, members signing up for a turn and a private reminder before
it. A member may show their service in their history, if they choose (/service history
on); `service_summary` is the line for it."""

from __future__ import annotations

import datetime

from bot.common.dates import InputError
from bot.common.moderated import moderated_community
from bot.common.parsing import parse_switch
from bot.kernel.context import Context
from bot.kernel.i18n import Translator, translator
from bot.kernel.router import Command, Routes
from bot.meetings.commands import visible_communities
from bot.meetings.reminders import fmt_when
from bot.service.model import (
    SUGGESTED,
    is_turn,
    match_role,
    next_turns,
    parse_role_line,
    served,
    turn_start,
)
from storage.base import MemberRow, Store
from storage.service_base import ServiceRole, ServiceTurn

TURNS_SHOWN = 4


async def service_summary(store: Store, member: MemberRow, now: int) -> str | None:
    """One line for /history: the service a member has given, by role; None unless they
    chose to show it (/service history on) and have served at least once."""
    if not await store.service.shows_in_history(member.id):
        return None
    given = served(await store.service.turns_of(member.id), now)
    if not given:
        return None
    tr = translator(member.lang)
    parts = [tr.n("service.times", n, role=role) for role, n in sorted(given.items())]
    return tr("service.history_line", roles=tr.join(parts))


def _when(tr: Translator, role: ServiceRole, day: datetime.date) -> str:
    return f"{fmt_when(turn_start(role, day))} ({role.tz})"


async def service(ctx: Context) -> None:
    verb, _, rest = ctx.event.args.strip().partition(" ")
    low, rest = verb.casefold(), rest.strip()
    if low == "role":
        await _role(ctx, rest)
    elif low in ("signup", "sign-up", "join"):
        await _sign_up(ctx, rest)
    elif low in ("withdraw", "cancel", "stepdown"):
        await _withdraw(ctx, rest)
    elif low == "history":
        await _history(ctx, rest)
    elif low == "":
        await _rota(ctx)
    else:
        ctx.whisper(ctx.text("service.usage"))


async def _rota(ctx: Context) -> None:
    communities = await visible_communities(ctx)
    now = ctx.now()
    lines: list[str] = []
    for community in communities:
        roles = await ctx.store.service.roles(community.id)
        if not roles:
            continue
        if len(communities) > 1:
            lines.append(
                ctx.text("service.group_header", group=community.title or community.chat_id)
            )
        turns = await ctx.store.service.turns([r.id for r in roles], ctx.now_ts())
        taken: dict[tuple[int, str], list[str]] = {}
        for t in turns:
            taken.setdefault((t.role.id, t.day), []).append(t.member.display_name)
        for role in roles:
            lines.append(ctx.tr.n("service.role_line", role.slots, role=role.name))
            for day in next_turns(role, now, TURNS_SHOWN):
                names = taken.get((role.id, day.isoformat()), [])
                who = ctx.tr.join(names) if names else ctx.text("service.open")
                lines.append(f"   {_when(ctx.tr, role, day)}: {who}")
    if not lines:
        ctx.say(ctx.text("service.none", suggested=", ".join(SUGGESTED)))
        return
    if ctx.in_private:
        mine = [
            t for t in await ctx.store.service.turns_of(ctx.member.id) if t.starts_at > ctx.now_ts()
        ]
        if mine:
            lines.append("")
            lines.append(ctx.text("service.yours"))
            lines.extend(
                f"   {t.role.name}: {_when(ctx.tr, t.role, datetime.date.fromisoformat(t.day))}"
                for t in mine
            )
        summary = await service_summary(ctx.store, ctx.member, ctx.now_ts())
        if summary:
            lines.append(summary)
    lines.append("")
    lines.append(ctx.text("service.hint"))
    ctx.say("\n".join(lines))


async def _find_role(ctx: Context, text: str) -> tuple[ServiceRole, str] | None:
    communities = await visible_communities(ctx)
    roles = [r for c in communities for r in await ctx.store.service.roles(c.id)]
    role, rest = match_role(roles, text)
    if role is None:
        names = ", ".join(sorted({r.name for r in roles})) or "—"
        ctx.whisper(ctx.text("service.unknown_role", value=text[:40], roles=names))
        return None
    return role, rest


def _day(ctx: Context, role: ServiceRole, text: str) -> datetime.date | None:
    now = ctx.now()
    if text.casefold() in ("", "next"):
        turns = next_turns(role, now, 1)
        return turns[0] if turns else None
    try:
        day = datetime.date.fromisoformat(text.strip())
    except ValueError:
        return None
    return day if is_turn(role, day, now) else None


async def _sign_up(ctx: Context, rest: str) -> None:
    found = await _find_role(ctx, rest)
    if found is None:
        return
    role, when = found
    day = _day(ctx, role, when)
    if day is None:
        ctx.whisper(ctx.text("service.bad_day", value=when[:20] or "next", role=role.name))
        return
    start = turn_start(role, day)
    remind = int(start.timestamp()) - role.remind_before_min * 60
    outcome = await ctx.store.service.sign_up(
        role,
        ctx.member.id,
        day.isoformat(),
        int(start.timestamp()),
        remind if remind > ctx.now_ts() else None,
        ctx.now_ts(),
    )
    ctx.whisper(
        ctx.text(f"service.signup_{outcome}", role=role.name, when=_when(ctx.tr, role, day))
    )


async def _withdraw(ctx: Context, rest: str) -> None:
    found = await _find_role(ctx, rest)
    if found is None:
        return
    role, when = found
    day = _day(ctx, role, when)
    removed = day is not None and await ctx.store.service.withdraw(
        role.id, ctx.member.id, day.isoformat(), ctx.now_ts()
    )
    if not removed or day is None:
        ctx.whisper(ctx.text("service.not_signed_up", role=role.name))
        return
    ctx.whisper(ctx.text("service.withdrawn", role=role.name, when=_when(ctx.tr, role, day)))


async def _history(ctx: Context, rest: str) -> None:
    on = parse_switch(rest)
    if on is None:
        shown = await ctx.store.service.shows_in_history(ctx.member.id)
        ctx.whisper(
            ctx.text(
                "service.history_usage", state=ctx.text("service.on" if shown else "service.off")
            )
        )
        return
    await ctx.store.service.set_shows_in_history(ctx.member.id, on)
    ctx.whisper(ctx.text("service.history_on" if on else "service.history_off"))


async def _role(ctx: Context, rest: str) -> None:
    community = moderated_community(ctx, "service")
    if community is None:
        return
    verb, _, line = rest.partition(" ")
    if verb.casefold() == "add":
        try:
            new = parse_role_line(line, ctx.community_tz_name())
        except InputError as exc:
            problem = ctx.text(exc.key, value=line[:40])
            ctx.whisper(problem + "\n" + ctx.text("service.role_usage"))
            return
        role = await ctx.store.service.add_role(community.id, new, ctx.now_ts())
        if role is None:
            ctx.whisper(ctx.text("service.role_exists", role=new.name))
            return
        days = ", ".join(datetime.date(2024, 1, 1 + d).strftime("%a") for d in role.weekdays)
        ctx.whisper(
            ctx.text("service.role_added", role=role.name, days=days, time=role.at_time, tz=role.tz)
        )
    elif verb.casefold() == "remove":
        roles = await ctx.store.service.roles(community.id)
        role, _ = match_role(roles, line)
        if role is None or role.name != " ".join(line.split()).casefold():
            ctx.whisper(
                ctx.text(
                    "service.unknown_role",
                    value=line[:40],
                    roles=", ".join(r.name for r in roles) or "—",
                )
            )
            return
        await ctx.store.service.remove_role(role.id)
        ctx.whisper(ctx.text("service.role_removed", role=role.name))
    else:
        ctx.whisper(ctx.text("service.role_usage"))


def reminder_text(tr: Translator, turn: ServiceTurn, group: str) -> str:
    return tr(
        "service.reminder",
        role=turn.role.name,
        group=group,
        when=_when(tr, turn.role, datetime.date.fromisoformat(turn.day)),
        day=turn.day,
    )


ROUTES = Routes(
    commands=[Command(name="service", handler=service, help_key="service.help", public=True)],
)
