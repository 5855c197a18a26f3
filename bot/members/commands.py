"""Member basics: /start, /help, /settings, /privacy, /mydata, /forget."""

from __future__ import annotations

import dataclasses
import json
import re
from datetime import UTC, timedelta
from zoneinfo import ZoneInfo

from babel.dates import get_timezone_location, get_timezone_name

from bot.checkins.commands import ask_optin, replan, set_checkin_time
from bot.common.countries import country_name, resolve_country
from bot.common.suggest import suggest_zone
from bot.common.timezones import ZoneAnswer, has_summer_time, resolve_zone
from bot.kernel.context import Context
from bot.kernel.router import ButtonRoute, Command, ConversationRoute, Routes, Where
from bot.kernel.types import Button, Document
from bot.members.language import language_name, set_language
from bot.sobriety.commands import follow_zone
from storage.rows import MemberUpdate

SETTINGS_BUTTON = "set"
FORGET_BUTTON = "forget"
ASKED_TZ = "settings:tz"
ASKED_COUNTRY = "settings:country"
CONFIRM_FORGET = "forget:confirm"

FORGET_TTL = timedelta(minutes=10)
QUICK_ZONES = (
    "America/New_York",
    "America/Chicago",
    "America/Los_Angeles",
    "Europe/London",
    "Europe/Berlin",
    "Australia/Sydney",
)
QUICK_COUNTRIES = ("US", "GB", "CA", "AU", "IE", "NZ")
OTHER_COUNTRY = "other"
# /start <payload>: a deep link from a group continues with these in the private chat.
RESUMABLE = frozenset(
    {
        "sober",
        "reset",
        "slip",
        "history",
        "celebrate",
        "share",
        "checkin",
        "progress",
        "buddy",
        "settings",
        "privacy",
        "mydata",
        "remind",
        "attended",
        "attendance",
        "meetings",
        "meeting",
        "going",
        "help",
    }
)


# A deep link's payload: a command name and at most an id (`meeting-12`), never other
# arguments (`forget-yes` is not a thing). `crisis` is answered before, by the crisis guard.
_PAYLOAD = re.compile(r"([a-z]+)(?:-(\d{1,12}))?")


async def start(ctx: Context) -> None:
    if not ctx.in_private:
        ctx.say(ctx.text("start.group", name=ctx.sender.display_name))
        return
    match = _PAYLOAD.fullmatch(ctx.event.args.strip().casefold())
    name, args = (match.group(1), match.group(2) or "") if match else ("", "")
    resume = ctx.services.commands.command(name) if name in RESUMABLE else None
    if resume is not None:
        # A link from a group ("open our private chat: I'll continue there") continues with
        # what they asked for; a member who has not set up yet is then asked the next step.
        await resume.handler(_as_command(ctx, name, args))
        if ctx.member.tz is None:
            await continue_set_up(ctx)
        return
    ctx.say(ctx.text("start.welcome", name=ctx.sender.display_name))
    await continue_set_up(ctx)


def _as_command(ctx: Context, name: str, args: str = "") -> Context:
    """The same context, as if the member had sent /name (its replies go to the same list)."""
    text = f"/{name} {args}".strip()
    event = dataclasses.replace(ctx.event, command=name, args=args, text=text)
    return dataclasses.replace(ctx, event=event)


async def continue_set_up(ctx: Context) -> None:
    """The next step of the set-up a new member has not done yet: time zone, country, then
    the offer of daily check-ins."""
    member = await ctx.store.members.get(ctx.member.id) or ctx.member
    if member.tz is None:
        await ask_timezone(ctx)
    elif member.country is None:
        await ask_country(ctx)
    else:
        await _offer_checkins(ctx)


async def _offer_checkins(ctx: Context) -> None:
    plan = await ctx.store.checkins.plan(ctx.member.id)
    if plan is None:
        ask_optin(ctx)


async def _pending(ctx: Context) -> str | None:
    convo = await ctx.store.conversations.get(ctx.member.id, ctx.now_ts())
    return convo.state if convo is not None else None


async def ask_timezone(ctx: Context) -> None:
    rows = tuple(
        tuple(
            Button(z.rsplit("/", 1)[1].replace("_", " "), f"{SETTINGS_BUTTON}:tz:{z}") for z in pair
        )
        for pair in (QUICK_ZONES[:3], QUICK_ZONES[3:])
    )
    ctx.say(ctx.text("settings.ask_tz"), rows)
    await ctx.store.conversations.set(
        ctx.member.id, ASKED_TZ, {}, ctx.now_ts() + int(FORGET_TTL.total_seconds())
    )


async def ask_country(ctx: Context) -> None:
    row = tuple(Button(c, f"{SETTINGS_BUTTON}:country:{c}") for c in QUICK_COUNTRIES)
    other = (Button(ctx.text("settings.country_other"), f"{SETTINGS_BUTTON}:country:other"),)
    ctx.say(ctx.text("settings.ask_country"), (row, other))
    await ctx.store.conversations.set(
        ctx.member.id, ASKED_COUNTRY, {}, ctx.now_ts() + int(FORGET_TTL.total_seconds())
    )


async def help_(ctx: Context) -> None:
    moderator = ctx.event.is_moderator and not ctx.in_private
    cmds = ctx.services.commands.visible(private=ctx.in_private, moderator=moderator)
    lines = [f"/{c.name} — {ctx.text(c.help_key)}" for c in cmds if not c.moderator]
    mod_lines = [f"/{c.name} — {ctx.text(c.help_key)}" for c in cmds if c.moderator]
    text = ctx.text("help.header") + "\n" + "\n".join(lines)
    if mod_lines:
        text += "\n\n" + ctx.text("help.moderators") + "\n" + "\n".join(mod_lines)
    if not ctx.in_private:
        text += "\n\n" + ctx.text("help.group_note")
    ctx.say(text)


async def _settings_summary(ctx: Context) -> str:
    m = ctx.member
    unset = ctx.text("settings.unset")
    plan = await ctx.store.checkins.plan(m.id)
    checkin = plan.local_time if plan and plan.enabled else ctx.text("settings.checkin_off")
    return ctx.text(
        "settings.summary",
        tz=m.tz or f"{unset} ({ctx.tz_name()})",
        country=m.country or unset,
        locale=m.date_locale or ctx.settings.community.date_locale,
        language=language_name(ctx.lang),
        checkin=checkin,
    )


async def settings(ctx: Context) -> None:
    key, _, value = ctx.event.args.strip().partition(" ")
    key, value = key.casefold(), value.strip()
    if not key:
        ctx.whisper(await _settings_summary(ctx))
        return
    if key in ("tz", "timezone", "time_zone", "zone"):
        if not value:
            ctx.whisper(ctx.text("settings.tz_usage", tz=ctx.tz_name()))
            return
        pending = await _pending(ctx)
        if await set_timezone(ctx, value) and pending == ASKED_TZ and ctx.in_private:
            await continue_set_up(ctx)  # they answered the set-up's question this way
    elif key == "country":
        if not value:
            ctx.whisper(ctx.text("settings.country_usage"))
            return
        pending = await _pending(ctx)
        if await set_country(ctx, value) and pending == ASKED_COUNTRY and ctx.in_private:
            await continue_set_up(ctx)
    elif key in ("locale", "dates"):
        await set_locale(ctx, value)
    elif key in ("checkin", "check-in"):
        await set_checkin_time(ctx, value)
    elif key in ("language", "lang", "idioma"):
        await set_language(ctx, value)
    else:
        ctx.whisper(ctx.text("settings.unknown_key", key=key[:20]))


async def set_timezone(ctx: Context, value: str, *, typed: bool = False) -> bool:
    """Set the member's zone; the question asked for it, if any, is answered. `typed`: free
    text rather than a command (an abbreviation then counts only in capitals)."""
    found = resolve_zone(value, capitals=typed)
    if found is None:
        ctx.whisper(ctx.text("settings.bad_tz", value=value[:40]))
        return False
    tz = found.name
    await ctx.store.members.update(ctx.member.id, MemberUpdate(tz=tz))
    await _answered(ctx, ASKED_TZ)
    ctx.member = dataclasses.replace(ctx.member, tz=tz)
    await replan(ctx, tz)
    await follow_zone(ctx, tz)
    now_local = ctx.now().astimezone(ZoneInfo(tz))
    text = ctx.text("settings.tz_set", tz=tz, time=now_local.strftime("%H:%M"))
    if found.abbreviation is not None and tz != "UTC":
        text += "\n" + _abbreviation_note(ctx, found)
    ctx.whisper(text)
    return True


def _abbreviation_note(ctx: Context, found: ZoneAnswer) -> str:
    """'I took EST as New York time (America/New_York), which follows summer time; …'"""
    city = str(get_timezone_location(found.name, locale=ctx.lang, return_city=True))
    dst = ctx.text("settings.tz_dst") if has_summer_time(found.name) else ""
    text = ctx.text(
        "settings.tz_abbreviation", abbr=found.abbreviation, city=city, zone=found.name, dst=dst
    )
    if found.also:
        others = ctx.tr.join(
            f"{get_timezone_name(z, 'long', locale=ctx.lang)} ({z})" for z in found.also
        )
        text += " " + ctx.text("settings.tz_also", abbr=found.abbreviation, others=others)
    return text


async def _answered(ctx: Context, question: str) -> None:
    if await _pending(ctx) == question:
        await ctx.store.conversations.clear(ctx.member.id)


async def set_country(ctx: Context, value: str, *, typed: bool = False) -> bool:
    """Any real country is kept: crisis replies use its lines where Harbor has them, else
    the international ones (the member is told which)."""
    code = resolve_country(value, conversational=typed)
    if code is None:
        ctx.whisper(ctx.text("settings.bad_country", value=value[:40]))
        return False
    await ctx.store.members.update(ctx.member.id, MemberUpdate(country=code))
    await _answered(ctx, ASKED_COUNTRY)
    ctx.member = dataclasses.replace(ctx.member, country=code)
    name = country_name(code, ctx.lang)
    key = (
        "settings.country_set"
        if ctx.services.helplines.known(code)
        else ("settings.country_set_no_lines")
    )
    ctx.whisper(ctx.text(key, country=name))
    return True


LOCALES = (
    "en_US",
    "en_GB",
    "en_CA",
    "en_AU",
    "en_IE",
    "en_NZ",
    "de_DE",
    "fr_FR",
    "es_ES",
    "es_MX",
    "nl_NL",
    "pt_BR",
    "ja_JP",
    "en_IN",
    "en_PH",
)


async def set_locale(ctx: Context, value: str) -> None:
    if not value:
        ctx.whisper(ctx.text("settings.locale_usage", known=", ".join(LOCALES)))
        return
    wanted = value.replace("-", "_")
    match = next((loc for loc in LOCALES if loc.casefold() == wanted.casefold()), None)
    if match is None:
        ctx.whisper(ctx.text("settings.bad_locale", value=value[:20], known=", ".join(LOCALES)))
        return
    await ctx.store.members.update(ctx.member.id, MemberUpdate(date_locale=match))
    ctx.whisper(ctx.text("settings.locale_set", locale=match))


async def settings_button(ctx: Context) -> None:
    parts = (ctx.event.button or "").split(":", 2)
    if len(parts) != 3 or not ctx.in_private or parts[1] not in ("tz", "country"):
        ctx.whisper(ctx.text("core.stale_button"))
        return
    _, key, value = parts
    if key == "country" and value == OTHER_COUNTRY:
        await ctx.store.conversations.set(
            ctx.member.id, ASKED_COUNTRY, {}, ctx.now_ts() + int(FORGET_TTL.total_seconds())
        )
        ctx.whisper(ctx.text("settings.ask_country_typed"))
        return
    done = await set_timezone(ctx, value) if key == "tz" else await set_country(ctx, value)
    if done:
        await continue_set_up(ctx)


async def settings_reply(ctx: Context) -> bool:
    """Free text after we asked for a time zone: an answer if it names one. Anything else is
    handled as any message (crisis scanning included), and the question stays open."""
    if resolve_zone(ctx.event.text, capitals=True) is None:
        return False
    if await set_timezone(ctx, ctx.event.text, typed=True):
        await continue_set_up(ctx)
    return True


async def country_reply(ctx: Context) -> bool:
    """Free text after we asked for the country: "Spain", "España", "GB"."""
    if resolve_country(ctx.event.text, conversational=True) is None:
        return False
    if await set_country(ctx, ctx.event.text, typed=True):
        await continue_set_up(ctx)
    return True


async def privacy(ctx: Context) -> None:
    keep = ctx.settings.retention  # what the sweep really prunes (Harbor.maintain)
    text = ctx.text("privacy.text", days=keep.sent_days, milestone_days=keep.milestone_days)
    ctx.whisper(text)


async def mydata(ctx: Context) -> None:
    data = await ctx.store.privacy.export_member(ctx.member.id)
    payload = {
        "exported_at": ctx.now().astimezone(UTC).isoformat(),
        "about": ctx.text("mydata.about"),
        "tables": data,
    }
    body = json.dumps(payload, indent=2, ensure_ascii=False, default=str).encode("utf-8")
    stamp = ctx.now().strftime("%Y%m%d")
    ctx.whisper(
        ctx.text("mydata.sent"),
        document=Document(f"harbor-mydata-{stamp}.json", body, "application/json"),
    )


async def forget(ctx: Context) -> None:
    if ctx.event.args.strip().casefold() in ("yes", "confirm"):
        convo = await ctx.store.conversations.get(ctx.member.id, ctx.now_ts())
        if convo is not None and convo.state == CONFIRM_FORGET:
            await _erase(ctx)
            return
    await ctx.store.conversations.set(
        ctx.member.id, CONFIRM_FORGET, {}, ctx.now_ts() + int(FORGET_TTL.total_seconds())
    )
    ctx.whisper(
        ctx.text("forget.confirm"),
        (
            (
                Button(ctx.text("forget.yes"), f"{FORGET_BUTTON}:yes"),
                Button(ctx.text("forget.no"), f"{FORGET_BUTTON}:no"),
            ),
        ),
    )


async def forget_button(ctx: Context) -> None:
    choice = (ctx.event.button or "").partition(":")[2]
    convo = await ctx.store.conversations.get(ctx.member.id, ctx.now_ts())
    if choice == "yes" and convo is not None and convo.state == CONFIRM_FORGET:
        await _erase(ctx)
    elif choice == "yes":
        ctx.whisper(ctx.text("forget.expired"))
    else:
        await ctx.store.conversations.clear(ctx.member.id)
        ctx.whisper(ctx.text("forget.kept"), edit=True)


async def _erase(ctx: Context) -> None:
    await ctx.store.privacy.forget_member(ctx.member.id)
    ctx.whisper(ctx.text("forget.done"), edit=True)


ROUTES = Routes(
    commands=[
        Command(name="start", handler=start, help_key="help.start"),
        Command(name="help", handler=help_, help_key="help.help"),
        Command(name="settings", handler=settings, help_key="help.settings", suggest=suggest_zone),
        Command(name="privacy", handler=privacy, help_key="help.privacy"),
        Command(name="mydata", handler=mydata, help_key="help.mydata", where=Where.PRIVATE),
        Command(name="forget", handler=forget, help_key="help.forget", where=Where.PRIVATE),
    ],
    buttons=[
        ButtonRoute(SETTINGS_BUTTON, settings_button),
        ButtonRoute(FORGET_BUTTON, forget_button),
    ],
    conversations=[
        ConversationRoute(ASKED_TZ, settings_reply),
        ConversationRoute(ASKED_COUNTRY, country_reply),
    ],
)
