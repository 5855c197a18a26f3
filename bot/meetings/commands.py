"""Meetings: moderators define a community's recurring meetings (/meeting add|edit|remove|
skip|list|import); members list them in their own time (/meetings, /meetings ics), subscribe
to private reminders (/remind) and RSVP (/going). Beside it: meeting_import (feeds),
meeting_reminders (the sweep that announces occurrences) and attendance (the private log)."""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import Sequence
from datetime import date, datetime, timedelta
from typing import Any

from bot.kernel.context import Context
from bot.kernel.i18n import ENGLISH, Translator
from bot.kernel.types import Button, Buttons, Document
from bot.meetings import timefmt
from bot.meetings.feed_import import import_command
from bot.meetings.guide import type_names
from bot.meetings.ics import export_ics
from bot.meetings.lookup import (
    find_meeting,
    moderated_communities,
    shown_tz,
    untagged_language,
    visible_communities,
    when_text,
)
from bot.meetings.model import (
    MeetingInputError,
    MeetingSpec,
    clean_url,
    parse_duration,
    parse_meeting_line,
    slugify,
    spec_from_dict,
    spec_to_dict,
    zone,
)
from bot.meetings.now_commands import meetings_now_cmd
from bot.meetings.occurrences import Occurrence, next_occurrence
from bot.meetings.reminders import place_text, plan_meeting, remind_time
from bot.meetings.schedule import community_schedule, schedule_upcoming
from bot.meetings.source_commands import source_cmd
from storage.base import CommunityRow
from storage.meetings_base import (
    MeetingRow,
    NewMeeting,
)

__all__ = [  # visible_communities is used by other features (events, resources, service)
    "ASKED_MEETING",
    "add_reply",
    "going",
    "ics_bytes",
    "meeting_cmd",
    "meetings_cmd",
    "remind",
    "uid_for",
    "visible_communities",
]

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
    {"add", "edit", "remove", "delete", "skip", "unskip", "list", "import", "source", "sources"}
)
GROUP_LISTED = 5  # /meetings in a group: the next few, then "see them all privately"
PRIVATE_LISTED = 25  # /meetings in private: the rest are in /meetings ics
MOD_LISTED = 30  # /meeting list, with counts (two queries each)


def uid_for(meeting: MeetingRow) -> str:
    """Stable per meeting, so calendar apps update events instead of duplicating them."""
    return f"harbor-{meeting.id}-{meeting.community_id}@harbor"


# -- /meetings --------------------------------------------------------------------------------


async def meetings_cmd(ctx: Context) -> None:
    head, _, rest = ctx.event.args.strip().partition(" ")
    head = head.casefold()
    if head in ("ics", "ical", "calendar"):
        await _export(ctx)
        return
    if head in ("now", "soon", "online"):
        await meetings_now_cmd(ctx, rest.strip())
        return
    await _listing(ctx)


async def _listing(ctx: Context) -> None:
    communities = await visible_communities(ctx)
    if not communities:
        ctx.say(ctx.text("meetings.no_community"))
        return
    now = ctx.now()
    limit = PRIVATE_LISTED if ctx.in_private else GROUP_LISTED
    found: list[tuple[datetime, datetime, MeetingRow, CommunityRow]] = []
    total = 0
    for community in communities:
        schedule = await community_schedule(ctx.store, community.id, untagged_language(ctx))
        total += len(schedule.meetings)
        for hit in await schedule_upcoming(schedule, now, limit + 1):
            row = schedule.row_of(hit.meeting)
            if row is not None:
                found.append((hit.start_utc, hit.end_utc, row, community))
    if not found:
        names = ctx.tr.join(c.title or c.chat_id for c in communities)
        key = "meetings.none_soon" if total else "meetings.none_in"
        ctx.say(ctx.text(key, communities=names))
        return
    found.sort(key=lambda f: (f[0], f[2].name.casefold()))
    tz = shown_tz(ctx)
    several = len(communities) > 1
    lines = [ctx.text("meetings.header")]
    for start, end, row, community in found[:limit]:
        line = ctx.text(
            "meetings.line", when=when_text(ctx, start, end, now, tz), name=row.name, id=row.id
        )
        if several:
            line += " " + ctx.text("meetings.in_community", community=community.title)
        lines.append(line)
    if len(found) > limit:
        lines.append(
            ctx.text("meetings.more_private" if not ctx.in_private else "meetings.more_ics")
        )
    lines.append(ctx.text("meetings.footer"))
    ctx.say("\n".join(lines))


async def _export(ctx: Context) -> None:
    communities = await visible_communities(ctx)
    rows = await ctx.store.meetings.of_communities([c.id for c in communities])
    if not rows:
        ctx.whisper(ctx.text("meetings.no_community" if not communities else "meetings.none_ics"))
        return
    title = communities[0].title if len(communities) == 1 and communities[0].title else "Harbor"
    # Thousands of meetings take a while to write: never on the event loop.
    data = await asyncio.to_thread(ics_bytes, rows, title, ctx.now(), ctx.tr)
    ctx.whisper(
        ctx.text("meetings.ics_sent"), document=Document("meetings.ics", data, "text/calendar")
    )


def ics_bytes(
    rows: Sequence[MeetingRow], title: str, now: datetime, tr: Translator = ENGLISH
) -> bytes:
    items = []
    for r in rows:
        spec = spec_from_dict(r.spec)
        created = (
            datetime.fromtimestamp(r.created_at, zone(spec.tz)).date() if r.created_at else None
        )
        items.append((uid_for(r), spec, created))
    return export_ics(items, tr("meetings.ics_title", title=title), dtstamp=now, tr=tr)


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
    if sub == "list" and ctx.in_private:
        await _mod_list(ctx, rest)  # moderators may look privately (counts are theirs)
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
        "source": source_cmd,
        "sources": source_cmd,
    }[sub]
    await handler(ctx, rest)


def feedback_buttons(ctx: Context, spec: dict[str, Any]) -> Buttons:
    """'Report wrong info': opens the source's own corrections page, when it has one."""
    url = clean_url(str(spec.get("feedback_url") or ""))
    return ((Button(ctx.text("meeting.report_wrong"), url=url),),) if url else ()


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
            days=timefmt.days(ctx.tr, spec.weekdays),
            time=spec.start.strftime("%H:%M"),
            tz=spec.tz,
            duration=timefmt.span(ctx.tr, spec.duration_min),
        ),
    ]
    occ = next_occurrence(spec, now, include_in_progress=True)
    if occ is not None:
        when = when_text(ctx, occ.start_utc, occ.end_utc, now, shown_tz(ctx))
        lines.append(ctx.text("meeting.next", when=when))
    if spec.types:
        lines.append(ctx.text("meeting.types", types=", ".join(type_names(spec.types, ctx.lang))))
    if spec.notes:
        lines.append(ctx.text("meeting.notes", notes=spec.notes))
    skipped = sorted(d for d in spec.skipped if d >= now.astimezone(zone(spec.tz)).date())
    if skipped:
        lines.append(
            ctx.text(
                "meeting.skipped_list",
                dates=", ".join(d.isoformat() for d in skipped[:MAX_SKIPPED_SHOWN]),
            )
        )
    if row.source_id is not None:
        lines.append(ctx.text("meeting.from_source"))
    if ctx.event.is_moderator and occ is not None:
        lines.append(await _counts(ctx, row, occ))
    ctx.say(
        "\n".join(lines)
        + place_text(ctx.text, spec)
        + "\n"
        + ctx.text("meeting.member_hint", id=row.id),
        feedback_buttons(ctx, row.spec),
    )


async def _counts(ctx: Context, row: MeetingRow, occ: Occurrence) -> str:
    going = await ctx.store.meetings.rsvp_count(row.id, occ.local_date.isoformat())
    subscribers = await ctx.store.meetings.subscriber_count(row.id)
    return ctx.text(
        "meeting.counts", going=going, date=occ.local_date.isoformat(), subscribers=subscribers
    )


async def _mod_list(ctx: Context, _rest: str) -> None:
    """Every meeting with its RSVP and reminder counts: for moderators only, so always
    answered privately (from a group, or in the private chat)."""
    communities = await moderated_communities(ctx)
    if not communities:
        ctx.whisper(ctx.text("meeting.list_not_moderator"))
        return
    now = ctx.now()
    blocks = []
    for community in communities:
        rows = await ctx.store.meetings.of_communities([community.id])
        if not rows:
            blocks.append(ctx.text("meeting.list_empty", community=community.title))
            continue
        lines = [ctx.text("meeting.list_header", community=community.title, count=len(rows))]
        for row in rows[:MOD_LISTED]:
            spec = spec_from_dict(row.spec)
            lines.append(
                ctx.text(
                    "meeting.list_line",
                    id=row.id,
                    slug=row.slug,
                    name=row.name,
                    days=timefmt.days(ctx.tr, spec.weekdays),
                    time=spec.start.strftime("%H:%M"),
                    tz=spec.tz,
                    remind=timefmt.span(ctx.tr, spec.remind_before_min),
                )
                + (" " + ctx.text("meeting.list_synced") if row.source_id is not None else "")
            )
            occ = next_occurrence(spec, now, include_in_progress=True)
            if occ is not None:
                lines.append("   " + await _counts(ctx, row, occ))
        if len(rows) > MOD_LISTED:
            lines.append(ctx.text("meeting.list_more", count=len(rows) - MOD_LISTED))
        blocks.append("\n".join(lines))
    ctx.whisper("\n\n".join(blocks))


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


def _saved_text(
    ctx: Context, row: MeetingRow, spec: MeetingSpec, community: CommunityRow | None
) -> str:
    now = ctx.now()
    occ = next_occurrence(spec, now)
    when = when_text(ctx, occ.start_utc, occ.end_utc, now, spec.tz) if occ else "—"
    saved = ctx.text(
        "meeting.saved",
        name=spec.name,
        id=row.id,
        slug=row.slug,
        days=timefmt.days(ctx.tr, spec.weekdays),
        time=spec.start.strftime("%H:%M"),
        tz=spec.tz,
        next=when,
    )
    remind = timefmt.span(ctx.tr, spec.remind_before_min)
    if community is not None and community.announce_chat_id:
        return saved + " " + ctx.text("meeting.saved_announced", remind=remind)
    return saved + " " + ctx.text("meeting.saved_no_channel", remind=remind)


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
    ctx.say(_saved_text(ctx, row, spec, community))


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
    if row.source_id is not None and field != "remind":
        # The source would undo it at its next sync: say where the change belongs.
        ctx.say(ctx.text("meeting.synced_no_edit", name=row.name))
        return
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
    ctx.say(_saved_text(ctx, row, new, ctx.community))


async def _store_edit(
    ctx: Context, row: MeetingRow, spec: MeetingSpec, cancel: Sequence[str] = ()
) -> None:
    now = ctx.now()
    # What a source stored beside the spec (venue, languages, feedback link) is kept.
    stored = {**row.spec, **spec_to_dict(spec)}
    await ctx.store.meetings.update(
        row.id, spec.name, stored, plan_meeting(spec, now, now), ctx.now_ts(), cancel
    )


async def _remove(ctx: Context, rest: str) -> None:
    assert ctx.community is not None
    row = await find_meeting(ctx, rest, [ctx.community])
    if row is None:
        return
    if row.source_id is not None:
        ctx.say(ctx.text("meeting.synced_no_remove", name=row.name))
        return
    await ctx.store.meetings.remove(row.id, ctx.now_ts())
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
    today = ctx.now().astimezone(zone(spec.tz)).date()
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
    ctx.whisper(_saved_text(ctx, row, spec, community))


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
    ctx.whisper(
        ctx.text(
            "remind.on",
            name=row.name,
            before=timefmt.span(ctx.tr, before),
            tz=ctx.tz_name(),
            id=row.id,
        )
    )


async def _unsubscribe(ctx: Context, ref: str) -> None:
    """A member can always stop their own reminders, even for a meeting of a group the bot
    has left (where /meeting ID no longer finds it)."""
    row = None
    for sub in await ctx.store.meetings.subscriptions(ctx.member.id):
        mine = await ctx.store.meetings.get(sub.meeting_id)
        if mine is not None and ref.strip().removeprefix("#").casefold() in (
            str(mine.id),
            mine.slug,
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
            before = timefmt.span(ctx.tr, sub.before_min)
            lines.append(ctx.text("remind.line", name=row.name, id=row.id, before=before))
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
    when = ctx.show_time(occ.start_utc)  # a private answer: the member's own time
    if flag.strip().casefold() in ("off", "no", "cancel"):
        await ctx.store.meetings.cancel_rsvp(row.id, ctx.member.id, day)
        ctx.whisper(ctx.text("going.cancelled", name=row.name, when=when))
        return
    await ctx.store.meetings.rsvp(row.id, ctx.member.id, day, ctx.now_ts())
    ctx.whisper(ctx.text("going.saved", name=row.name, when=when, id=row.id))
