"""/community: moderators show and set their community's defaults."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from bot.common.hhmm import parse_hhmm
from bot.common.parsing import parse_int, parse_switch
from bot.common.timezones import resolve_timezone
from bot.kernel.config import PROGRAMS
from bot.kernel.context import Context
from storage.base import CommunityLine


def _switch(value: str) -> int:
    on = parse_switch(value)
    if on is None:
        raise ValueError("community.bad_switch")
    return int(on)


def _timezone(value: str) -> str:
    tz = resolve_timezone(value)
    if tz is None:
        raise ValueError("community.bad_tz")
    return tz


def _time(value: str) -> str:
    try:
        return parse_hhmm(value).strftime("%H:%M")
    except ValueError:
        raise ValueError("community.bad_time") from None


def _program(value: str) -> str:
    match = next((p for p in PROGRAMS if p.casefold() == value.casefold()), None)
    if match is None:
        raise ValueError("community.bad_program")
    return match


def _days(value: str) -> int:
    days = parse_int(value, 1, 60)
    if days is None:
        raise ValueError("community.bad_days")
    return days


# setting typed by moderators -> (column, parser)
SETTINGS: dict[str, tuple[str, Callable[[str], Any]]] = {
    "tz": ("tz", _timezone),
    "timezone": ("tz", _timezone),
    "country": ("country", str.upper),
    "program": ("program", _program),
    "celebrations": ("allow_celebrations", _switch),
    "leaderboard": ("leaderboard", _switch),
    "crisis_line": ("crisis_public_line", _switch),
    "crisis_alerts": ("crisis_alerts", _switch),
    "checkin": ("checkin_time", _time),
    "nudge": ("nudge_after_days", _days),
}


async def community(ctx: Context) -> None:
    assert ctx.community is not None  # Where.GROUP guarantees a community
    key, _, value = ctx.event.args.strip().partition(" ")
    key, value = key.casefold(), value.strip()
    if not key:
        ctx.say(_summary(ctx))
        return
    if key in ("helpline", "helplines"):
        await helpline(ctx, value)
        return
    if key == "announce":
        await ctx.store.communities.update(
            ctx.community.id,
            announce_chat_id=ctx.event.chat.chat_id,
            announce_thread_id=ctx.event.chat.thread_id,
        )
        ctx.say(ctx.text("community.announce_set"))
        return
    if key not in SETTINGS or not value:
        ctx.say(ctx.text("community.usage", keys=", ".join(["announce", "helpline", *SETTINGS])))
        return
    column, parse = SETTINGS[key]
    try:
        parsed = parse(value)
    except ValueError as exc:
        ctx.say(ctx.text(str(exc.args[0]), value=value[:40], programs=", ".join(PROGRAMS)))
        return
    if column == "country" and not ctx.services.helplines.known(parsed):
        ctx.say(
            ctx.text(
                "community.bad_country",
                value=value[:20],
                known=", ".join(ctx.services.helplines.countries()),
            )
        )
        return
    await ctx.store.communities.update(ctx.community.id, **{column: parsed})
    ctx.say(ctx.text("community.set", key=key, value=str(value)[:40]))


def _summary(ctx: Context) -> str:
    c = ctx.community
    assert c is not None
    defaults = ctx.settings.community

    def onoff(flag: bool) -> str:
        return ctx.text("community.on") if flag else ctx.text("community.off")

    return ctx.text(
        "community.summary",
        title=c.title or c.chat_id,
        tz=c.tz or f"{defaults.timezone} (default)",
        country=c.country or (defaults.country or "—"),
        program=c.program,
        celebrations=onoff(c.allow_celebrations),
        announce=ctx.text("community.announce_here") if c.announce_chat_id else "—",
        leaderboard=onoff(c.leaderboard),
        crisis_line=onoff(c.crisis_public_line),
        crisis_alerts=onoff(c.crisis_alerts),
        checkin=c.checkin_time or defaults.checkin_time,
        nudge=c.nudge_after_days or ctx.settings.scheduler.nudge_after_days,
    )


_KINDS = ("crisis", "drugs", "emergency")
_CONTACTS = ("call", "text", "chat", "web", "call+text", "call+chat", "text+chat", "call+text+chat")
_DIAL_OK = re.compile(r"^[\w +\-().:/#]{2,60}$")
_SERVICE_OK = re.compile(r"^[^\W_](?:[^\W_]|[ '\-&.,()])*$")


async def helpline(ctx: Context, value: str) -> None:
    """/community helpline add NAME | NUMBER | call|text|chat|web [| crisis|drugs|emergency],
    /community helpline remove NAME, /community helplines (list)."""
    assert ctx.community is not None
    verb, _, rest = value.partition(" ")
    verb = verb.casefold()
    if verb == "add":
        parts = [p.strip() for p in rest.split("|")]
        if len(parts) not in (3, 4):
            ctx.say(ctx.text("helplines.usage"))
            return
        service, dial, contact = parts[0], parts[1], parts[2].casefold()
        kind = parts[3].casefold() if len(parts) == 4 else "crisis"
        if (
            len(service) > 60
            or not _SERVICE_OK.match(service)
            or not _DIAL_OK.match(dial)
            or contact not in _CONTACTS
            or kind not in _KINDS
        ):
            ctx.say(ctx.text("helplines.invalid") + "\n" + ctx.text("helplines.usage"))
            return
        await ctx.store.helplines.add_line(
            ctx.community.id, CommunityLine(service, kind, contact, dial, ctx.now_ts())
        )
        ctx.say(ctx.text("helplines.added", service=service, dial=dial))
    elif verb == "remove" and rest.strip():
        removed = await ctx.store.helplines.remove_line(ctx.community.id, rest.strip())
        key = "helplines.removed" if removed else "helplines.unknown"
        ctx.say(ctx.text(key, service=rest.strip()[:60]))
    else:
        lines = await ctx.store.helplines.lines(ctx.community.id)
        listed = "\n".join(f"• {x.service}: {x.dial} ({x.contact_type}, {x.kind})" for x in lines)
        ctx.say(
            (ctx.text("helplines.header") + "\n" + listed) if lines else ctx.text("helplines.none")
        )
        ctx.say(ctx.text("helplines.usage"))
