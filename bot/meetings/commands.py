"""Meetings: moderators define a community's recurring meetings (/meeting add|edit|remove|
skip|list|import); members list them in their own time (/meetings, /meetings ics), subscribe
to private reminders (/remind) and RSVP (/going). Beside it: meeting_import (feeds),
meeting_reminders (the sweep that announces occurrences) and attendance (the private log)."""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from bot.common.parsing import parse_int
from bot.kernel.context import Context
from bot.kernel.types import Document
from bot.meetings.feed_import import import_command
from bot.meetings.guide import type_names
from bot.meetings.ics import export_ics
from bot.meetings.model import (
    MeetingInputError,
    MeetingSpec,
    parse_duration,
    parse_meeting_line,
    slugify,
    spec_from_dict,
    spec_to_dict,
)
from bot.meetings.occurrences import (
    Occurrence,
    humanize_until,
    next_occurrence,
)
from bot.meetings.reminders import (
    fmt_days,
    fmt_when,
    place_text,
    plan_meeting,
    remind_time,
)
from storage.base import CommunityRow
from storage.meetings_base import (
    MeetingRow,
    NewMeeting,
)

ASKED_MEETING = "meeting:add"
CONVERSATION_TTL = 30 * 60
SKIP_AHEAD_DAYS = 366
MAX_SKIPPED_SHOWN = 15
# Fields of the one-line form, in order; the guided flow asks them one by one.
LINE_FIELDS = ("name", "days", "time", "tz", "duration", "place", "types", "notes")
_REQUIRED = frozenset({"name", "days", "time"})
_FIELD_ALIASES = {
    "weekdays": "days",
    "day": "days",
    "timezone": "tz",
    "link": "place",
    "address": "place",
    "where": "place",
    "type": "types",
    "note": "notes",
    "length": "duration",
}
_MOD_SUBCOMMANDS = frozenset(
    {"add", "edit", "remove", "delete", "skip", "unskip", "list", "import"}
)


def uid_for(meeting: MeetingRow) -> str:
    """Stable per meeting, so calendar apps update events instead of duplicating them."""
    return f"harbor-{meeting.id}-{meeting.community_id}@harbor"


# -- lookup -----------------------------------------------------------------------------------


def _shown_tz(ctx: Context) -> str:
    """Times posted in a group use the community's zone: a member's own zone is private."""
    return ctx.tz_name() if ctx.in_private else ctx.community_tz_name()


async def visible_communities(ctx: Context) -> list[CommunityRow]:
    """The communities whose meetings this member sees: the group's, or in private all of
    theirs."""
    if not ctx.in_private:
        return [ctx.community] if ctx.community is not None else []
    return await ctx.store.communities.of_member(ctx.member.id)


async def resolve_meeting(
    ctx: Context, ref: str, communities: Sequence[CommunityRow]
) -> MeetingRow | None:
    ref = ref.strip().removeprefix("#").casefold()
    ids = {c.id for c in communities}
    if (meeting_id := parse_int(ref)) is not None:
        found: MeetingRow | None = await ctx.store.meetings.get(meeting_id)
        return found if found is not None and found.community_id in ids else None
    for community in communities:
        found = await ctx.store.meetings.by_slug(community.id, ref)
        if found is not None:
            return found
    return None


async def find_meeting(
    ctx: Context, ref: str, communities: Sequence[CommunityRow] | None = None
) -> MeetingRow | None:
    """The meeting `ref` (an id or slug) names, or None after saying so."""
    if not ref.strip():
        ctx.whisper(ctx.text("meeting.which"))
        return None
    found = await resolve_meeting(
        ctx, ref, communities if communities is not None else await visible_communities(ctx)
    )
    if found is None:
        ctx.whisper(ctx.text("meeting.not_found", ref=ref.strip()[:40]))
    return found


# -- /meetings --------------------------------------------------------------------------------


async def meetings_cmd(ctx: Context) -> None:
    if ctx.event.args.strip().casefold() in ("ics", "ical", "calendar"):
        await _export(ctx)
        return
    rows = await ctx.store.meetings.of_communities([c.id for c in await visible_communities(ctx)])
    now = ctx.now()
    upcoming = []
    for row in rows:
        occ = next_occurrence(spec_from_dict(row.spec), now, include_in_progress=True)
        if occ is not None:
            upcoming.append((occ, row))
    if not upcoming:
        ctx.say(ctx.text("meetings.none"))
        return
    upcoming.sort(key=lambda pair: pair[0].start_utc)
    tz = ZoneInfo(_shown_tz(ctx))
    lines = [ctx.text("meetings.header", tz=tz.key)]
    for occ, row in upcoming:
        lines.append(
            ctx.text(
                "meetings.line",
                when=fmt_when(occ.start_utc.astimezone(tz)),
                until=humanize_until(occ.start_utc, occ.end_utc, now),
                name=row.name,
                id=row.id,
            )
        )
    lines.append(ctx.text("meetings.footer"))
    ctx.say("\n".join(lines))


async def _export(ctx: Context) -> None:
    communities = await visible_communities(ctx)
    rows = await ctx.store.meetings.of_communities([c.id for c in communities])
    if not rows:
        ctx.whisper(ctx.text("meetings.none"))
        return
    title = communities[0].title if len(communities) == 1 and communities[0].title else "Harbor"
    data = ics_bytes(rows, title, ctx.now())
    ctx.whisper(
        ctx.text("meetings.ics_sent"), document=Document("meetings.ics", data, "text/calendar")
    )


def ics_bytes(rows: Sequence[MeetingRow], title: str, now: datetime) -> bytes:
    return export_ics(
        [(uid_for(r), spec_from_dict(r.spec)) for r in rows], f"{title} meetings", dtstamp=now
    )


# -- /meeting ---------------------------------------------------------------------------------


async def meeting_cmd(ctx: Context) -> None:
    sub, _, rest = ctx.event.args.strip().partition(" ")
    sub, rest = sub.casefold(), rest.strip()
    if not sub:
        ctx.say(
            ctx.text("meeting.usage")
            + ("\n" + ctx.text("meeting.mod_usage") if ctx.event.is_moderator else "")
        )
        return
    if sub not in _MOD_SUBCOMMANDS:
        await _details(ctx, ctx.event.args.strip())
        return
    # /meeting mixes member and moderator subcommands, so the router can't check this.
    if ctx.in_private or ctx.community is None:
        ctx.say(ctx.text("core.group_only", name=f"meeting {sub}"))
        return
    if not ctx.event.is_moderator:
        ctx.whisper(ctx.text("core.moderators_only", name=f"meeting {sub}"))
        return
    handler = {
        "add": _add,
        "edit": _edit,
        "remove": _remove,
        "delete": _remove,
        "skip": _skip,
        "unskip": _unskip,
        "list": _mod_list,
        "import": import_command,
    }[sub]
    await handler(ctx, rest)


async def _details(ctx: Context, ref: str) -> None:
    row = await find_meeting(ctx, ref)
    if row is None:
        return
    spec = spec_from_dict(row.spec)
    now = ctx.now()
    lines = [
        ctx.text("meeting.title", name=row.name, id=row.id, slug=row.slug),
        ctx.text(
            "meeting.schedule",
            days=fmt_days(spec.weekdays),
            time=spec.start.strftime("%H:%M"),
            tz=spec.tz,
            duration=spec.duration_min,
        ),
    ]
    occ = next_occurrence(spec, now, include_in_progress=True)
    if occ is not None:
        lines.append(
            ctx.text(
                "meeting.next",
                when=fmt_when(occ.start_utc.astimezone(ZoneInfo(_shown_tz(ctx)))),
                tz=_shown_tz(ctx),
                until=humanize_until(occ.start_utc, occ.end_utc, now),
            )
        )
    if spec.types:
        lines.append(ctx.text("meeting.types", types=", ".join(type_names(spec.types, ctx.lang))))
    if spec.notes:
        lines.append(ctx.text("meeting.notes", notes=spec.notes))
    skipped = sorted(d for d in spec.skipped if d >= now.astimezone(ZoneInfo(spec.tz)).date())
    if skipped:
        lines.append(
            ctx.text(
                "meeting.skipped_list",
                dates=", ".join(d.isoformat() for d in skipped[:MAX_SKIPPED_SHOWN]),
            )
        )
    if ctx.event.is_moderator and occ is not None:
        lines.append(await _counts(ctx, row, occ))
    ctx.say(
        "\n".join(lines)
        + place_text(ctx.text, spec)
        + "\n"
        + ctx.text("meeting.member_hint", id=row.id)
    )


async def _counts(ctx: Context, row: MeetingRow, occ: Occurrence) -> str:
    going = await ctx.store.meetings.rsvp_count(row.id, occ.local_date.isoformat())
    subscribers = await ctx.store.meetings.subscriber_count(row.id)
    return ctx.text(
        "meeting.counts", going=going, date=occ.local_date.isoformat(), subscribers=subscribers
    )


async def _mod_list(ctx: Context, _rest: str) -> None:
    assert ctx.community is not None
    rows = await ctx.store.meetings.of_communities([ctx.community.id])
    if not rows:
        ctx.say(ctx.text("meeting.list_empty"))
        return
    now = ctx.now()
    lines = [ctx.text("meeting.list_header")]
    for row in rows:
        spec = spec_from_dict(row.spec)
        lines.append(
            ctx.text(
                "meeting.list_line",
                id=row.id,
                slug=row.slug,
                name=row.name,
                days=fmt_days(spec.weekdays),
                time=spec.start.strftime("%H:%M"),
                tz=spec.tz,
                remind=spec.remind_before_min,
            )
        )
        occ = next_occurrence(spec, now, include_in_progress=True)
        if occ is not None:
            lines.append("   " + await _counts(ctx, row, occ))
    ctx.say("\n".join(lines))


# -- adding and editing -----------------------------------------------------------------------


def _input_error(ctx: Context, exc: MeetingInputError) -> str:
    return (
        ctx.text(exc.key, detail=exc.detail[:80])
        + "\n"
        + ctx.text("meeting.example", example=exc.example)
    )


async def _save_new(ctx: Context, community: CommunityRow, spec: MeetingSpec) -> MeetingRow:
    now = ctx.now()
    new = NewMeeting(
        slugify(spec.name), spec.name, spec_to_dict(spec), plan_meeting(spec, now, now)
    )
    row: MeetingRow = await ctx.store.meetings.add(community.id, new, ctx.now_ts())
    return row


def _saved_text(ctx: Context, row: MeetingRow, spec: MeetingSpec) -> str:
    occ = next_occurrence(spec, ctx.now())
    when = fmt_when(occ.start_utc.astimezone(ZoneInfo(spec.tz))) if occ else "—"
    return ctx.text(
        "meeting.saved",
        name=spec.name,
        id=row.id,
        slug=row.slug,
        days=fmt_days(spec.weekdays),
        time=spec.start.strftime("%H:%M"),
        tz=spec.tz,
        next=when,
        remind=spec.remind_before_min,
    )


async def _add(ctx: Context, rest: str) -> None:
    community = ctx.community
    assert community is not None
    if not rest:
        await _start_guided(ctx, community)
        return
    try:
        spec = parse_meeting_line(rest, ctx.community_tz_name())
    except MeetingInputError as exc:
        ctx.say(_input_error(ctx, exc))
        return
    row = await _save_new(ctx, community, spec)
    ctx.say(_saved_text(ctx, row, spec))


def probe_field(field: str, value: str, default_tz: str) -> MeetingSpec:
    """Validate one field with the one-line parser itself: the value goes into its slot of
    an otherwise valid line. Raises MeetingInputError."""
    if "|" in value and field != "notes":
        raise MeetingInputError("meeting.bad_format", value)
    slots = ["Probe", "mon", "12:00", "", "", "", "", ""]
    slots[LINE_FIELDS.index(field)] = "" if value == "-" else value
    return parse_meeting_line(" | ".join(slots), default_tz)


def apply_field(spec: MeetingSpec, field: str, value: str, default_tz: str) -> MeetingSpec:
    """`spec` with one field changed ("-" clears an optional field). Raises MeetingInputError."""
    if field == "remind":
        return dataclasses.replace(spec, remind_before_min=parse_duration(value))
    probe = probe_field(field, value, default_tz)
    if field == "place":
        if value == "-":
            return dataclasses.replace(spec, url=None, phone=None, address=None)
        # A link and an address can live side by side: replace only the kind given.
        return dataclasses.replace(
            spec,
            url=probe.url or spec.url,
            phone=probe.phone or spec.phone,
            address=probe.address or spec.address,
        )
    attr = {
        "name": "name",
        "days": "weekdays",
        "time": "start",
        "tz": "tz",
        "duration": "duration_min",
        "types": "types",
        "notes": "notes",
    }[field]
    return dataclasses.replace(spec, **{attr: getattr(probe, attr)})


async def _edit(ctx: Context, rest: str) -> None:
    assert ctx.community is not None
    ref, _, change = rest.partition(" ")
    row = await find_meeting(ctx, ref, [ctx.community]) if ref else None
    if row is None:
        if not ref:
            ctx.say(ctx.text("meeting.edit_usage"))
        return
    head, _, value = change.strip().partition(" ")
    field = _FIELD_ALIASES.get(head.casefold(), head.casefold())
    spec = spec_from_dict(row.spec)
    try:
        if field in (*LINE_FIELDS, "remind") and value.strip():
            new = apply_field(spec, field, value.strip(), ctx.community_tz_name())
        elif "|" in change:
            parsed = parse_meeting_line(change, ctx.community_tz_name())
            new = dataclasses.replace(
                parsed,
                slug=spec.slug,
                skipped=spec.skipped,
                remind_before_min=spec.remind_before_min,
            )
        else:
            ctx.say(ctx.text("meeting.edit_usage"))
            return
    except MeetingInputError as exc:
        ctx.say(_input_error(ctx, exc))
        return
    await _store_edit(ctx, row, new)
    ctx.say(_saved_text(ctx, row, new))


async def _store_edit(
    ctx: Context, row: MeetingRow, spec: MeetingSpec, cancel: Sequence[str] = ()
) -> None:
    now = ctx.now()
    await ctx.store.meetings.update(
        row.id, spec.name, spec_to_dict(spec), plan_meeting(spec, now, now), ctx.now_ts(), cancel
    )


async def _remove(ctx: Context, rest: str) -> None:
    assert ctx.community is not None
    row = await find_meeting(ctx, rest, [ctx.community])
    if row is None:
        return
    await ctx.store.meetings.remove(row.id)
    ctx.say(ctx.text("meeting.removed", name=row.name))


def _skip_date(spec: MeetingSpec, text: str, today: date) -> date:
    """A future local date the meeting happens on. Raises MeetingInputError."""
    try:
        day = date.fromisoformat(text.strip())
    except ValueError:
        raise MeetingInputError("meeting.bad_date", text.strip()) from None
    if day < today or day > today + timedelta(days=SKIP_AHEAD_DAYS):
        raise MeetingInputError("meeting.date_out_of_range", day.isoformat())
    if day.weekday() not in spec.weekdays:
        raise MeetingInputError("meeting.not_a_meeting_day", day.isoformat())
    return day


async def _skip(ctx: Context, rest: str, undo: bool = False) -> None:
    assert ctx.community is not None
    ref, _, when = rest.partition(" ")
    if not when.strip():
        ctx.say(ctx.text("meeting.skip_usage"))
        return
    row = await find_meeting(ctx, ref, [ctx.community])
    if row is None:
        return
    spec = spec_from_dict(row.spec)
    today = ctx.now().astimezone(ZoneInfo(spec.tz)).date()
    try:
        day = _skip_date(spec, when, today)
    except MeetingInputError as exc:
        ctx.say(ctx.text(exc.key, detail=exc.detail) + "\n" + ctx.text("meeting.skip_usage"))
        return
    # Past skipped dates are dropped so the spec doesn't grow forever.
    kept = {d for d in spec.skipped if d >= today}
    skipped = frozenset(kept - {day} if undo else kept | {day})
    await _store_edit(
        ctx, row, dataclasses.replace(spec, skipped=skipped), () if undo else (day.isoformat(),)
    )
    key = "meeting.unskipped" if undo else "meeting.skipped"
    ctx.say(ctx.text(key, name=row.name, date=day.isoformat()))


async def _unskip(ctx: Context, rest: str) -> None:
    await _skip(ctx, rest, undo=True)


# -- the guided /meeting add ------------------------------------------------------------------


async def _start_guided(ctx: Context, community: CommunityRow) -> None:
    data = {"community": community.id, "answers": {}}
    await ctx.store.conversations.set(
        ctx.member.id, ASKED_MEETING, data, ctx.now_ts() + CONVERSATION_TTL
    )
    ctx.whisper(ctx.text("meeting.guided_intro") + "\n\n" + _question(ctx, "name", community))


def _question(ctx: Context, field: str, community: CommunityRow) -> str:
    return ctx.text(f"meeting.ask_{field}", tz=ctx.community_tz_name(community))


async def add_reply(ctx: Context) -> bool:
    """Free text during the guided /meeting add: one answer per step."""
    convo = await ctx.store.conversations.get(ctx.member.id, ctx.now_ts())
    if convo is None:
        return False
    community = await ctx.store.communities.get(int(convo.data["community"]))
    answer = ctx.event.text.strip()
    if community is None or answer.casefold() in ("cancel", "/cancel", "stop"):
        await ctx.store.conversations.clear(ctx.member.id)
        ctx.whisper(ctx.text("meeting.guided_cancelled"))
        return True
    answers: dict[str, str] = dict(convo.data["answers"])
    field = LINE_FIELDS[len(answers)]
    try:
        if answer == "-" and field in _REQUIRED:
            raise MeetingInputError(f"meeting.missing_{field}")
        probe_field(field, answer, ctx.community_tz_name(community))
    except MeetingInputError as exc:
        ctx.whisper(
            ctx.text(exc.key, detail=exc.detail[:80]) + "\n" + _question(ctx, field, community)
        )
        return True
    answers[field] = "" if answer == "-" else answer
    if len(answers) < len(LINE_FIELDS):
        await ctx.store.conversations.set(
            ctx.member.id,
            ASKED_MEETING,
            {**convo.data, "answers": answers},
            ctx.now_ts() + CONVERSATION_TTL,
        )
        ctx.whisper(_question(ctx, LINE_FIELDS[len(answers)], community))
        return True
    await ctx.store.conversations.clear(ctx.member.id)
    await _finish_guided(ctx, community, answers)
    return True


async def _finish_guided(ctx: Context, community: CommunityRow, answers: dict[str, str]) -> None:
    line = " | ".join(answers[f] for f in LINE_FIELDS)
    try:
        spec = parse_meeting_line(line, ctx.community_tz_name(community))
    except MeetingInputError as exc:  # each field was checked; this is a safety net
        ctx.whisper(_input_error(ctx, exc))
        return
    row = await _save_new(ctx, community, spec)
    ctx.whisper(_saved_text(ctx, row, spec))


# -- /remind and /going -----------------------------------------------------------------------


async def remind(ctx: Context) -> None:
    ref, _, when = ctx.event.args.strip().partition(" ")
    if not ref:
        await _list_subscriptions(ctx)
        return
    when = when.strip().casefold()
    if when in ("off", "stop", "no"):
        await _unsubscribe(ctx, ref)
        return
    row = await find_meeting(ctx, ref)
    if row is None:
        return
    spec = spec_from_dict(row.spec)
    try:
        before = parse_duration(when) if when else spec.remind_before_min
    except MeetingInputError:
        ctx.whisper(ctx.text("remind.bad_offset", value=when[:20]))
        return
    now = ctx.now()
    occ = next_occurrence(spec, now)
    await ctx.store.meetings.subscribe(
        row.id,
        ctx.member.id,
        before,
        occ.local_date.isoformat() if occ else None,
        remind_time(occ.start_utc, before, now) if occ else None,
        ctx.now_ts(),
    )
    ctx.whisper(ctx.text("remind.on", name=row.name, before=before, tz=ctx.tz_name(), id=row.id))


async def _unsubscribe(ctx: Context, ref: str) -> None:
    """A member can always stop their own reminders, even for a meeting of a group the bot
    has left (where /meeting ID no longer finds it)."""
    row = None
    for sub in await ctx.store.meetings.subscriptions(ctx.member.id):
        mine = await ctx.store.meetings.get(sub.meeting_id)
        if mine is not None and ref.strip().removeprefix("#").casefold() in (
            str(mine.id), mine.slug
        ):
            row = mine
            break
    if row is None:
        row = await find_meeting(ctx, ref)
        if row is None:
            return
    gone = await ctx.store.meetings.unsubscribe(row.id, ctx.member.id)
    ctx.whisper(ctx.text("remind.off" if gone else "remind.not_subscribed", name=row.name))


async def _list_subscriptions(ctx: Context) -> None:
    subs = await ctx.store.meetings.subscriptions(ctx.member.id)
    lines = []
    for sub in subs:
        row = await ctx.store.meetings.get(sub.meeting_id)
        if row is not None:
            lines.append(ctx.text("remind.line", name=row.name, id=row.id, before=sub.before_min))
    ctx.whisper(
        "\n".join([ctx.text("remind.header"), *lines]) if lines else ctx.text("remind.usage")
    )


async def going(ctx: Context) -> None:
    ref, _, flag = ctx.event.args.strip().partition(" ")
    row = await find_meeting(ctx, ref)
    if row is None:
        return
    occ = next_occurrence(spec_from_dict(row.spec), ctx.now())
    if occ is None:
        ctx.whisper(ctx.text("going.no_next", name=row.name))
        return
    day = occ.local_date.isoformat()
    when = fmt_when(occ.start_utc.astimezone(ctx.tz()))
    if flag.strip().casefold() in ("off", "no", "cancel"):
        await ctx.store.meetings.cancel_rsvp(row.id, ctx.member.id, day)
        ctx.whisper(ctx.text("going.cancelled", name=row.name, when=when))
        return
    await ctx.store.meetings.rsvp(row.id, ctx.member.id, day, ctx.now_ts())
    ctx.whisper(ctx.text("going.saved", name=row.name, when=when, id=row.id))

