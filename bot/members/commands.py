"""Member basics: /start, /help, /settings, /privacy, /mydata, /forget."""

from __future__ import annotations

import dataclasses
import json
import re
from datetime import UTC, timedelta
from zoneinfo import ZoneInfo

from bot.checkins.commands import ask_optin, replan, set_checkin_time
from bot.common.suggest import suggest_zone
from bot.common.timezones import resolve_timezone
from bot.kernel.context import Context
from bot.kernel.router import ButtonRoute, Command, ConversationRoute, Routes, Where
from bot.kernel.types import Button, Document
from storage.rows import MemberUpdate

SETTINGS_BUTTON = "set"
FORGET_BUTTON = "forget"
ASKED_TZ = "settings:tz"
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


async def start(ctx: Context) -> None:
    if not ctx.in_private:
        ctx.say(ctx.text("start.group", name=ctx.sender.display_name))
        return
    if await _resume(ctx):
        return
    ctx.say(ctx.text("start.welcome", name=ctx.sender.display_name))
    if ctx.member.tz is None:
        await ask_timezone(ctx)
    elif ctx.member.country is None:
        ask_country(ctx)
    else:
        await _offer_checkins(ctx)


_PAYLOAD = re.compile(r"([a-z]+)(?:-(\d{1,12}))?")


async def _resume(ctx: Context) -> bool:
    """`/start <payload>` from a deep link (a group sent the member here): continue with
    what they asked for there. `checkin`, `sober`, ... run that command; `meeting-12` runs
    `/meeting 12`. Only a command name and an id: a link can never carry other arguments
    (`forget-yes` is not a thing). `crisis` is answered before this, by the crisis guard."""
    match = _PAYLOAD.fullmatch(ctx.event.args.strip().casefold())
    name = match.group(1) if match else ""
    handler = ctx.services.commands.runnable(name) if name and name != "start" else None
    if handler is None:
        return False
    assert match is not None
    args = match.group(2) or ""
    ctx.event = dataclasses.replace(
        ctx.event, command=name, args=args, text=f"/{name} {args}".strip()
    )
    await handler(ctx)
    return True


async def _offer_checkins(ctx: Context) -> None:
    plan = await ctx.store.checkins.plan(ctx.member.id)
    if plan is None:
        ask_optin(ctx)


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


def ask_country(ctx: Context) -> None:
    row = tuple(Button(c, f"{SETTINGS_BUTTON}:country:{c}") for c in QUICK_COUNTRIES)
    ctx.say(ctx.text("settings.ask_country"), (row,))


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
        checkin=checkin,
    )


async def settings(ctx: Context) -> None:
    key, _, value = ctx.event.args.strip().partition(" ")
    key, value = key.casefold(), value.strip()
    if not key:
        ctx.whisper(await _settings_summary(ctx))
        return
    if key in ("tz", "timezone", "time_zone", "zone"):
        await set_timezone(ctx, value)
    elif key == "country":
        await set_country(ctx, value)
    elif key in ("locale", "dates"):
        await set_locale(ctx, value)
    elif key in ("checkin", "check-in"):
        await set_checkin_time(ctx, value)
    else:
        ctx.whisper(ctx.text("settings.unknown_key", key=key[:20]))


async def set_timezone(ctx: Context, value: str) -> bool:
    tz = resolve_timezone(value)
    if tz is None:
        ctx.whisper(ctx.text("settings.bad_tz", value=value[:40]))
        return False
    await ctx.store.members.update(ctx.member.id, MemberUpdate(tz=tz))
    await replan(ctx, tz)
    now_local = ctx.now().astimezone(ZoneInfo(tz))
    ctx.whisper(ctx.text("settings.tz_set", tz=tz, time=now_local.strftime("%H:%M")))
    return True


async def set_country(ctx: Context, value: str) -> bool:
    code = value.strip().upper()
    lines = ctx.services.helplines
    if not lines.is_country(code):
        known = ", ".join(lines.countries())
        ctx.whisper(ctx.text("settings.bad_country", value=value[:20], known=known))
        return False
    # Any real country is kept (it replaces the old one); without lines of its own, the
    # crisis reply shows the international ones.
    await ctx.store.members.update(ctx.member.id, MemberUpdate(country=code))
    key = "settings.country_set" if lines.known(code) else "settings.country_set_no_lines"
    ctx.whisper(ctx.text(key, country=code))
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
    wanted = value.replace("-", "_")
    match = next((loc for loc in LOCALES if loc.casefold() == wanted.casefold()), None)
    if match is None:
        ctx.whisper(ctx.text("settings.bad_locale", value=value[:20], known=", ".join(LOCALES)))
        return
    await ctx.store.members.update(ctx.member.id, MemberUpdate(date_locale=match))
    ctx.whisper(ctx.text("settings.locale_set", locale=match))


async def settings_button(ctx: Context) -> None:
    parts = (ctx.event.button or "").split(":", 2)
    if len(parts) != 3 or not ctx.in_private:
        ctx.whisper(ctx.text("core.stale_button"))
        return
    _, key, value = parts
    if key == "tz" and await set_timezone(ctx, value):
        await ctx.store.conversations.clear(ctx.member.id)
        if ctx.member.country is None:
            ask_country(ctx)
    elif key == "country" and await set_country(ctx, value):
        await _offer_checkins(ctx)
    elif key not in ("tz", "country"):
        ctx.whisper(ctx.text("core.stale_button"))


async def settings_reply(ctx: Context) -> bool:
    """Free text after we asked for a time zone: an answer if it names one; anything else
    ends the question and is handled as any message."""
    await ctx.store.conversations.clear(ctx.member.id)
    if resolve_timezone(ctx.event.text) is None:
        return False
    await set_timezone(ctx, ctx.event.text)
    if ctx.member.country is None:
        ask_country(ctx)
    return True


async def privacy(ctx: Context) -> None:
    ctx.whisper(ctx.text("privacy.text"))


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
        Command(
            name="settings", handler=settings, help_key="help.settings", suggest=suggest_zone
        ),
        Command(name="privacy", handler=privacy, help_key="help.privacy"),
        Command(name="mydata", handler=mydata, help_key="help.mydata", where=Where.PRIVATE),
        Command(name="forget", handler=forget, help_key="help.forget", where=Where.PRIVATE),
    ],
    buttons=[
        ButtonRoute(SETTINGS_BUTTON, settings_button),
        ButtonRoute(FORGET_BUTTON, forget_button),
    ],
    conversations=[ConversationRoute(ASKED_TZ, settings_reply)],
)
