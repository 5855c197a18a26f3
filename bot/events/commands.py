"""Sober events: one-off community events (a New Year's Eve without alcohol, a picnic, a
recovery walk), not weekly meetings. Moderators add them (/event add, guided or one line)
and cancel them; members list them in their own time (/events), say they're going (with a
private reminder before it starts), and take a calendar file. The group is reminded the
day before, through the same sweep and outbox as meetings."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from bot.common.dates import InputError
from bot.common.guided import Form, LineError, Step, limited
from bot.common.moderated import moderated_community
from bot.common.parsing import parse_int
from bot.events.model import (
    MAX_NOTES,
    MAX_PLACE,
    MAX_TITLE,
    duration_step,
    export_ics,
    start_step,
)
from bot.kernel.context import Context
from bot.kernel.i18n import Translator, translator
from bot.kernel.router import ButtonRoute, Command, ConversationRoute, Routes
from bot.kernel.types import Button, Buttons, Document
from bot.meetings.commands import visible_communities
from bot.meetings.model import MeetingInputError, parse_duration
from bot.meetings.occurrences import humanize_until
from storage.base import CommunityRow
from storage.events_base import EventRow, NewEvent

EVENT_BUTTON = "evt"  # evt:go|skip|ics:<event>
ADD_STATE = "event:add"
ANNOUNCE_BEFORE = timedelta(days=1)
REMIND_BEFORE = timedelta(hours=1)
DEFAULT_MINUTES = 120


def _shown_tz(ctx: Context) -> str:
    """In a group, the community's zone (a member's own zone is private)."""
    return ctx.tz_name() if ctx.in_private else ctx.community_tz_name()


def when_text(ctx: Context, event: EventRow) -> str:
    start = datetime.fromtimestamp(event.starts_at, UTC)
    until = humanize_until(start, datetime.fromtimestamp(event.ends_at, UTC), ctx.now())
    return f"{ctx.show_time(start, _shown_tz(ctx))}, {until}"


def announce_at(starts_at: int, now: int) -> int:
    return max(starts_at - int(ANNOUNCE_BEFORE.total_seconds()), now)


async def _event(ctx: Context, ref: str) -> EventRow | None:
    event_id = parse_int(ref.strip().removeprefix("#"))
    event = await ctx.store.events.get(event_id) if event_id is not None else None
    allowed = {c.id for c in await visible_communities(ctx)}
    if event is None or event.community_id not in allowed or event.ends_at <= ctx.now_ts():
        ctx.whisper(ctx.text("events.not_found", ref=ref.strip()[:20] or "?"))
        return None
    return event


def _buttons(tr: Translator, event: EventRow, going: bool) -> Buttons:
    rsvp = (
        Button(tr("events.not_going_button"), f"{EVENT_BUTTON}:skip:{event.id}")
        if going
        else Button(tr("events.going_button"), f"{EVENT_BUTTON}:go:{event.id}")
    )
    return ((rsvp, Button(tr("events.ics_button"), f"{EVENT_BUTTON}:ics:{event.id}")),)


# -- /events ------------------------------------------------------------------------------------


async def events(ctx: Context) -> None:
    communities = await visible_communities(ctx)
    rows = await ctx.store.events.upcoming([c.id for c in communities], ctx.now_ts())
    if ctx.event.args.strip().casefold() in ("ics", "ical", "calendar"):
        _send_ics(ctx, rows, ctx.text("events.calendar_name"))
        return
    if not rows:
        ctx.say(ctx.text("events.none"))
        return
    lines = [ctx.text("events.header")]
    for event in rows:
        going = await ctx.store.events.going(event.id)
        lines.append(
            ctx.tr.n(
                "events.line", going, id=event.id, title=event.title, when=when_text(ctx, event)
            )
        )
    lines.append(ctx.text("events.hint"))
    ctx.say("\n".join(lines))


def _send_ics(ctx: Context, rows: list[EventRow], name: str) -> None:
    if not rows:
        ctx.whisper(ctx.text("events.none"))
        return
    data = export_ics(rows, name, ctx.now())
    ctx.whisper(
        ctx.text("events.ics_sent"),
        document=Document("harbor-events.ics", data, "text/calendar"),
    )


# -- /event -------------------------------------------------------------------------------------


async def event(ctx: Context) -> None:
    verb, _, rest = ctx.event.args.strip().partition(" ")
    low, rest = verb.casefold(), rest.strip()
    if low in ("add", "cancel"):
        community = moderated_community(ctx, "event")
        if community is not None:
            await (_add if low == "add" else _cancel)(ctx, community, rest)
    elif low in ("going", "rsvp"):
        ref, _, offset = rest.partition(" ")
        if (found := await _event(ctx, ref)) is not None:
            await _going(ctx, found, offset.strip())
    elif low in ("notgoing", "not-going", "unrsvp"):
        if (found := await _event(ctx, rest)) is not None:
            await _not_going(ctx, found)
    elif low == "ics":
        if (found := await _event(ctx, rest)) is not None:
            _send_ics(ctx, [found], found.title)
    elif low:
        if (found := await _event(ctx, verb)) is not None:
            await _details(ctx, found)
    else:
        ctx.whisper(ctx.text("events.usage"))


async def _details(ctx: Context, event: EventRow) -> None:
    going = event.id in await ctx.store.events.rsvps_of(ctx.member.id)
    count = await ctx.store.events.going(event.id)
    lines = [f"#{event.id} {event.title}", when_text(ctx, event)]
    lines.append(ctx.tr.n("events.duration", event.duration_min))
    if event.place:
        lines.append(ctx.text("events.place", place=event.place))
    if event.notes:
        lines.append(event.notes)
    lines.append(ctx.tr.n("events.going_count", count))
    ctx.whisper("\n".join(lines), _buttons(ctx.tr, event, going))


async def _going(ctx: Context, event: EventRow, offset: str) -> None:
    before = REMIND_BEFORE
    remind: int | None
    if offset.casefold() in ("off", "no", "none"):
        remind = None
    else:
        if offset:
            try:
                before = timedelta(minutes=parse_duration(offset))
            except MeetingInputError:
                ctx.whisper(ctx.text("events.bad_offset", value=offset[:20]))
                return
        remind = max(event.starts_at - int(before.total_seconds()), ctx.now_ts())
    new = await ctx.store.events.rsvp(event.id, ctx.member.id, remind, ctx.now_ts())
    key = "events.going" if new else "events.already_going"
    text = ctx.text(key, title=event.title)
    if remind is not None and new:
        text += " " + ctx.tr.n("events.will_remind", int(before.total_seconds() // 60))
    ctx.whisper(text)


async def _not_going(ctx: Context, event: EventRow) -> None:
    removed = await ctx.store.events.cancel_rsvp(event.id, ctx.member.id)
    ctx.whisper(
        ctx.text("events.not_going" if removed else "events.was_not_going", title=event.title)
    )


async def event_button(ctx: Context) -> None:
    parts = (ctx.event.button or "").split(":")
    if len(parts) != 3:
        ctx.whisper(ctx.text("core.stale_button"))
        return
    found = await _event(ctx, parts[2])
    if found is None:
        return
    if parts[1] == "go":
        await _going(ctx, found, "")
    elif parts[1] == "skip":
        await _not_going(ctx, found)
    elif parts[1] == "ics":
        _send_ics(ctx, [found], found.title)
    else:
        ctx.whisper(ctx.text("core.stale_button"))


# -- moderators -----------------------------------------------------------------------------


def _form_data(ctx: Context, community: CommunityRow) -> dict[str, Any]:
    tz = ctx.community_tz_name(community)
    locale = ctx.member.date_locale or ctx.settings.community.date_locale
    return {
        "community": community.id,
        "tz": tz,
        "locale": locale,
        "now": ctx.now_ts(),
        "ask": {"tz": tz},
    }


async def _add(ctx: Context, community: CommunityRow, rest: str) -> None:
    data = _form_data(ctx, community)
    if "|" not in rest:
        await ADD_FORM.start(ctx, data, ctx.text("events.add_intro"))
        return
    try:
        answers = ADD_FORM.from_line(rest, data)
    except LineError as exc:
        problem = ctx.text(exc.key, value=exc.value[:40], tz=data["tz"]) + "\n" if exc.key else ""
        ctx.whisper(problem + ctx.text("events.add_usage"))
        return
    await _save(ctx, data, answers)


async def _save(ctx: Context, data: dict[str, Any], answers: dict[str, str]) -> None:
    community = await ctx.store.communities.get(int(data["community"]))
    if community is None:
        ctx.whisper(ctx.text("core.stale_button"))
        return
    start = datetime.fromisoformat(answers["start"])
    if start.timestamp() <= ctx.now_ts():  # the form took long enough for it to pass
        ctx.whisper(ctx.text("events.past", value=answers["start"]))
        return
    starts_at = int(start.timestamp())
    new = NewEvent(
        title=answers["title"],
        starts_at=starts_at,
        tz=str(data["tz"]),
        duration_min=int(answers["duration"] or DEFAULT_MINUTES),
        place=answers.get("place", ""),
        notes=answers.get("notes", ""),
        announce_at=announce_at(starts_at, ctx.now_ts()) if community.announce_chat_id else None,
    )
    row = await ctx.store.events.add(community.id, new, ctx.member.id, ctx.now_ts())
    ctx.whisper(
        ctx.text("events.added", id=row.id, title=row.title, when=when_text(ctx, row))
        + ("" if community.announce_chat_id else "\n" + ctx.text("events.no_announce"))
    )


def _parse_title(text: str, data: Any) -> str:
    value = limited(MAX_TITLE)(text, data).strip()
    if not value:
        raise InputError("events.need_title", text)
    return value


ADD_FORM = Form(
    ADD_STATE,
    [
        Step("title", "events.ask_title", _parse_title),
        Step("start", "events.ask_start", start_step),
        Step("duration", "events.ask_duration", duration_step, optional=True),
        Step("place", "events.ask_place", limited(MAX_PLACE), optional=True),
        Step("notes", "events.ask_notes", limited(MAX_NOTES), optional=True),
    ],
    _save,
)


async def _cancel(ctx: Context, community: CommunityRow, rest: str) -> None:
    event_id = parse_int(rest.removeprefix("#"))
    found = await ctx.store.events.get(event_id) if event_id is not None else None
    if found is None or found.community_id != community.id:
        ctx.whisper(ctx.text("events.not_found", ref=rest[:20] or "?"))
        return
    going = [
        m for m in await ctx.store.events.cancel(found.id, ctx.now_ts()) if m.id != ctx.member.id
    ]
    for member in going:
        tr = translator(member.lang)
        await ctx.send_later(
            member,
            tr("events.cancelled_notice", title=found.title),
            key=f"event-cancelled:{found.id}:{member.id}",
            kind="event_cancelled",
        )
    ctx.whisper(ctx.tr.n("events.cancelled", len(going), title=found.title))


ROUTES = Routes(
    commands=[
        Command(name="events", handler=events, help_key="events.help", public=True),
        Command(name="event", handler=event, help_key="events.event_help"),
    ],
    buttons=[ButtonRoute(EVENT_BUTTON, event_button)],
    conversations=[ConversationRoute(ADD_STATE, ADD_FORM.reply)],
)
