"""/community: moderators show and set their community's defaults."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from bot.common.countries import country_name, resolve_country
from bot.common.dates import ClockInputError, parse_clock
from bot.common.parsing import parse_int, parse_switch
from bot.common.suggest import suggest_zone
from bot.common.timezones import resolve_timezone
from bot.kernel.config import PROGRAMS
from bot.kernel.context import Context
from bot.kernel.router import Command, Routes, Where
from storage.base import CommunityLine
from storage.rows import CommunityUpdate


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
    """09:00, 9am, 7pm, 19.30: the same times /checkin time understands."""
    try:
        return parse_clock(value).strftime("%H:%M")
    except ClockInputError:
        raise ValueError("community.bad_time") from None


def _country(value: str) -> str:
    code = resolve_country(value)
    if code is None:
        raise ValueError("community.bad_country")
    return code


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


def _minutes(value: str) -> int:
    minutes = parse_int(value, 1, 240)
    if minutes is None:
        raise ValueError("community.bad_minutes")
    return minutes


_ROLE = re.compile(r"^(?:<@&(\d{5,25})>|(\d{5,25}))$")


def _role(value: str) -> str | None:
    """Discord: `/community modrole @Role` (sent as <@&id>), the role's id, or `off`."""
    if parse_switch(value) is False:
        return None
    match = _ROLE.match(value.strip())
    if match is None:
        raise ValueError("community.bad_role")
    return match.group(1) or match.group(2)


# setting typed by moderators -> (column, parser)
SETTINGS: dict[str, tuple[str, Callable[[str], Any]]] = {
    "tz": ("tz", _timezone),
    "timezone": ("tz", _timezone),
    "country": ("country", _country),
    "program": ("program", _program),
    "celebrations": ("allow_celebrations", _switch),
    "leaderboard": ("leaderboard", _switch),
    "crisis_line": ("crisis_public_line", _switch),
    "crisis_alerts": ("crisis_alerts", _switch),
    "checkin": ("checkin_time", _time),
    "nudge": ("nudge_after_days", _days),
    "escalate": ("escalate_minutes", _minutes),


    "modrole": ("moderator_role_id", _role),
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
            CommunityUpdate(
                announce_chat_id=ctx.event.chat.chat_id,
                announce_thread_id=ctx.event.chat.thread_id,
            ),
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
    await ctx.store.communities.update(ctx.community.id, CommunityUpdate(**{column: parsed}))
    # What was saved, not what was typed ("new york" is saved as America/New_York).
    text = ctx.text("community.set", key=key, value=_shown(ctx, column, parsed))
    if column == "country" and not ctx.services.helplines.known(parsed):
        name = country_name(parsed, ctx.lang)
        text += " " + ctx.text("community.country_no_lines", country=name)
    ctx.say(text)


def _shown(ctx: Context, column: str, parsed: Any) -> str:
    if column == "country":
        return f"{country_name(parsed, ctx.lang)} ({parsed})"
    if column == "nudge_after_days":
        return ctx.tr.n("community.days", int(parsed))
    if column == "escalate_minutes":  # a number, not one of the on/off switches below
        return ctx.tr.n("community.minutes", int(parsed))
    if isinstance(parsed, int):  # the on/off switches
        return ctx.text("community.on") if parsed else ctx.text("community.off")
    return str(parsed)


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
        nudge=ctx.tr.n(
            "community.days", c.nudge_after_days or ctx.settings.scheduler.nudge_after_days
        ),
        escalate=c.escalate_minutes,
        detection=ctx.text(_DETECTION[c.reads_messages]),
    )


# What the adapter found at start-up: can Harbor read this group's ordinary messages?
_DETECTION = {
    True: "community.detection_on",
    False: "community.detection_blind",
    None: "community.detection_unknown",
}


_KINDS = ("crisis", "drugs")  # the emergency number only ever comes from Harbor's data
_CONTACTS = ("call", "text", "chat", "web", "call+text", "call+chat", "text+chat", "call+text+chat")
_SERVICE_OK = re.compile(r"^[^\W_](?:[^\W_]|[ '\-&.,()])*$")
# A phone number or short code ("988", "116 123", "+44 20 7946 0000", "1-800-662-4357"),
# "Text HOME to 741741", or a web address.
_PHONE = r"\+?\d[\d \-().]{0,20}\d|\d"
_DIAL_OK = re.compile(
    rf"^(?:{_PHONE}|text [A-Za-z0-9]{{1,20}} to {_PHONE}|https?://[\w.\-]+(?:/[\w\-./?=&%#]*)?)$",
    re.IGNORECASE,
)


def valid_dial(dial: str) -> bool:
    return len(dial) <= 80 and _DIAL_OK.match(dial) is not None


async def helpline(ctx: Context, value: str) -> None:
    """/community helpline add [XX] NAME | NUMBER | call|text|chat|web [| crisis|drugs],
    /community helpline remove NAME, /community helplines (list). A line belongs to one
    country (the community's unless XX is given) and is shown under its own heading, next
    to, never instead of, the national lines and the emergency number."""
    assert ctx.community is not None
    verb, _, rest = value.partition(" ")
    verb = verb.casefold()
    if verb == "add":
        await _add_line(ctx, rest)
    elif verb == "remove" and rest.strip():
        removed = await ctx.store.helplines.remove_line(ctx.community.id, rest.strip())
        key = "helplines.removed" if removed else "helplines.unknown"
        ctx.say(ctx.text(key, service=rest.strip()[:60]))
    else:
        lines = await ctx.store.helplines.lines(ctx.community.id)
        listed = "\n".join(
            f"• {x.service}: {x.dial} ({x.contact_type}, {x.kind}, {x.country or '—'})"
            for x in lines
        )
        ctx.say(
            (ctx.text("helplines.header") + "\n" + listed) if lines else ctx.text("helplines.none")
        )
        ctx.say(ctx.text("helplines.usage"))


async def _add_line(ctx: Context, rest: str) -> None:
    assert ctx.community is not None
    first, _, after = rest.strip().partition(" ")
    country = ctx.community.country or ctx.settings.community.country
    if len(first) == 2 and first.isalpha() and first.isupper():
        country, rest = first, after
    parts = [p.strip() for p in rest.split("|")]
    if len(parts) not in (3, 4):
        ctx.say(ctx.text("helplines.usage"))
        return
    service, dial, contact = parts[0], parts[1], parts[2].casefold()
    kind = parts[3].casefold() if len(parts) == 4 else "crisis"
    if (
        len(service) > 60
        or not _SERVICE_OK.match(service)
        or not valid_dial(dial)
        or contact not in _CONTACTS
        or kind not in _KINDS
    ):
        ctx.say(ctx.text("helplines.invalid") + "\n" + ctx.text("helplines.usage"))
        return
    if country is None or not ctx.services.helplines.is_country(country):
        ctx.say(ctx.text("helplines.which_country"))
        return
    if ctx.services.helplines.has_service(country, service):
        ctx.say(ctx.text("helplines.national_name", service=service))
        return
    line = CommunityLine(
        service=service,
        kind=kind,
        contact_type=contact,
        dial=dial,
        added_at=ctx.now_ts(),
        country=country,
        added_by=ctx.sender.display_name,
    )
    await ctx.store.helplines.add_line(ctx.community.id, line)
    ctx.say(ctx.text("helplines.added", service=service, dial=dial, country=country))


ROUTES = Routes(
    commands=[
        Command(
            name="community",
            handler=community,
            help_key="help.community",
            where=Where.GROUP,
            moderator=True,
            suggest=suggest_zone,
        )
    ]
)
