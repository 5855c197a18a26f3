"""Meetings: moderators define a community's recurring meetings (/meeting add|edit|remove|
skip|list|import); members list them in their own time (/meetings, /meetings ics), subscribe
to private reminders (/remind), RSVP (/going) and keep a private attendance log (/attended,
/attendance). Announcements and reminders are planned by the sweep (MeetingSource)."""

from __future__ import annotations

import csv
import dataclasses
import io
import ipaddress
import re
import socket
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import aiohttp
import aiohttp.abc
import yarl

from bot.context import Context
from bot.meeting_guide import FeedError, parse_feed, type_names
from bot.meeting_ics import export_ics
from bot.meeting_model import (
    NAME_MAX,
    MeetingInputError,
    MeetingSpec,
    clean_url,
    parse_duration,
    parse_meeting_line,
)
from bot.meeting_time import (
    Occurrence,
    humanize_until,
    next_occurrence,
    resolve_local,
)
from bot.parsing import parse_int
from bot.types import Document
from storage.base import CommunityRow, OutboxItem, Store
from storage.meetings_base import (
    DueMeeting,
    DueSubscription,
    MeetingAdvance,
    MeetingPlan,
    MeetingRow,
    NewMeeting,
    SubscriptionAdvance,
)

FEED_MAX_BYTES = 5_000_000
FETCH_TIMEOUT_S = 20.0
CONVERSATION_TTL = 30 * 60
SKIP_AHEAD_DAYS = 366
MAX_SKIPPED_SHOWN = 15
_DAY_ABBR = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
_SLUG_CUT = re.compile(r"[^a-z0-9]+")
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


# -- the spec as stored JSON ------------------------------------------------------------------


def spec_to_dict(spec: MeetingSpec) -> dict[str, Any]:
    return {
        "name": spec.name,
        "weekdays": list(spec.weekdays),
        "start": spec.start.strftime("%H:%M"),
        "duration_min": spec.duration_min,
        "tz": spec.tz,
        "url": spec.url,
        "phone": spec.phone,
        "address": spec.address,
        "types": list(spec.types),
        "notes": spec.notes,
        "slug": spec.slug,
        "skipped": sorted(d.isoformat() for d in spec.skipped),
        "remind_before_min": spec.remind_before_min,
    }


def spec_from_dict(d: dict[str, Any]) -> MeetingSpec:
    hh, mm = str(d["start"]).split(":")
    return MeetingSpec(
        name=d["name"],
        weekdays=tuple(d["weekdays"]),
        start=time(int(hh), int(mm)),
        duration_min=int(d["duration_min"]),
        tz=d["tz"],
        url=d.get("url"),
        phone=d.get("phone"),
        address=d.get("address"),
        types=tuple(d.get("types", ())),
        notes=d.get("notes", ""),
        slug=d.get("slug"),
        skipped=frozenset(date.fromisoformat(x) for x in d.get("skipped", ())),
        remind_before_min=int(d.get("remind_before_min", 60)),
    )


def slugify(name: str) -> str:
    return _SLUG_CUT.sub("-", name.casefold()).strip("-")[:60].strip("-") or "meeting"


def uid_for(meeting: MeetingRow) -> str:
    """Stable per meeting, so calendar apps update events instead of duplicating them."""
    return f"harbor-{meeting.id}-{meeting.community_id}@harbor"


# -- planning (pure) --------------------------------------------------------------------------


def occurrence_on(spec: MeetingSpec, local_day: str | None) -> Occurrence | None:
    """The occurrence on a local date, or None when there is none (e.g. skipped since)."""
    if local_day is None:
        return None
    day = date.fromisoformat(local_day)
    if day in spec.skipped or day.weekday() not in spec.weekdays:
        return None
    start = resolve_local(day, spec.start, ZoneInfo(spec.tz)).astimezone(UTC)
    return Occurrence(start, start + timedelta(minutes=spec.duration_min), day)


def remind_time(start: datetime, before_min: int, now: datetime) -> int:
    # Never in the past: a meeting added 10 min before it starts is announced right away.
    return int(max(start - timedelta(minutes=before_min), now).timestamp())


def plan_meeting(spec: MeetingSpec, after: datetime, now: datetime) -> MeetingPlan:
    """The first occurrence starting at or after `after`, and when to announce it."""
    occ = next_occurrence(spec, after)
    if occ is None:
        return MeetingPlan()
    return MeetingPlan(
        occ.local_date.isoformat(),
        remind_time(occ.start_utc, spec.remind_before_min, now),
        int(occ.start_utc.timestamp()),
    )


def _following(spec: MeetingSpec, occ: Occurrence | None, now: datetime) -> Occurrence | None:
    """The occurrence after `occ` that has not started yet (missed ones are not caught up)."""
    after = max(occ.start_utc + timedelta(seconds=1), now) if occ else now
    return next_occurrence(spec, after)


# -- formatting -------------------------------------------------------------------------------


def fmt_when(dt: datetime) -> str:
    return f"{dt:%a} {dt.day} {dt:%b %H:%M}"


def fmt_days(weekdays: Sequence[int]) -> str:
    return ", ".join(_DAY_ABBR[d] for d in weekdays)


def place_text(text: Callable[..., str], spec: MeetingSpec) -> str:
    lines = []
    if spec.url:
        lines.append(text("meeting.join", url=spec.url))
    if spec.phone:
        lines.append(text("meeting.phone", phone=spec.phone))
    if spec.address:
        lines.append(text("meeting.where", address=spec.address))
    return "".join("\n" + line for line in lines)


def reminder_text(
    text: Callable[..., str],
    key: str,
    meeting_id: int,
    spec: MeetingSpec,
    occ: Occurrence,
    tz: str,
    now: datetime,
) -> str:
    local = occ.start_utc.astimezone(ZoneInfo(tz))
    return text(
        key,
        name=spec.name,
        until=humanize_until(occ.start_utc, occ.end_utc, now),
        time=fmt_when(local),
        tz=tz,
        id=meeting_id,
    ) + place_text(text, spec)


# -- lookup -----------------------------------------------------------------------------------


def _default_tz(ctx: Context, community: CommunityRow | None = None) -> str:
    community = community or ctx.community
    if community is not None and community.tz:
        return community.tz
    return ctx.settings.community.timezone


def _shown_tz(ctx: Context) -> str:
    """Times posted in a group use the community's zone: a member's own zone is private."""
    return ctx.tz_name() if ctx.in_private else _default_tz(ctx)


async def _scope(ctx: Context) -> list[CommunityRow]:
    """The communities whose meetings this member sees: the group's, or in private all of
    theirs."""
    if not ctx.in_private:
        return [ctx.community] if ctx.community is not None else []
    return await ctx.store.communities.of_member(ctx.member.id)


async def _resolve(
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


async def _find(
    ctx: Context, ref: str, communities: Sequence[CommunityRow] | None = None
) -> MeetingRow | None:
    """The meeting `ref` (an id or slug) names, or None after saying so."""
    if not ref.strip():
        ctx.whisper(ctx.text("meeting.which"))
        return None
    found = await _resolve(ctx, ref, communities if communities is not None else await _scope(ctx))
    if found is None:
        ctx.whisper(ctx.text("meeting.not_found", ref=ref.strip()[:40]))
    return found


# -- /meetings --------------------------------------------------------------------------------


async def meetings_cmd(ctx: Context) -> None:
    if ctx.event.args.strip().casefold() in ("ics", "ical", "calendar"):
        await _export(ctx)
        return
    rows = await ctx.store.meetings.of_communities([c.id for c in await _scope(ctx)])
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
    communities = await _scope(ctx)
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
        "import": _import,
    }[sub]
    await handler(ctx, rest)


async def _details(ctx: Context, ref: str) -> None:
    row = await _find(ctx, ref)
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
        lines.append(ctx.text("meeting.types", types=", ".join(type_names(spec.types))))
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
        spec = parse_meeting_line(rest, _default_tz(ctx))
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
    row = await _find(ctx, ref, [ctx.community]) if ref else None
    if row is None:
        if not ref:
            ctx.say(ctx.text("meeting.edit_usage"))
        return
    head, _, value = change.strip().partition(" ")
    field = _FIELD_ALIASES.get(head.casefold(), head.casefold())
    spec = spec_from_dict(row.spec)
    try:
        if field in (*LINE_FIELDS, "remind") and value.strip():
            new = apply_field(spec, field, value.strip(), _default_tz(ctx))
        elif "|" in change:
            parsed = parse_meeting_line(change, _default_tz(ctx))
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
    row = await _find(ctx, rest, [ctx.community])
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
    row = await _find(ctx, ref, [ctx.community])
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
        ctx.member.id, "meeting:add", data, ctx.now_ts() + CONVERSATION_TTL
    )
    ctx.whisper(ctx.text("meeting.guided_intro") + "\n\n" + _question(ctx, "name", community))


def _question(ctx: Context, field: str, community: CommunityRow) -> str:
    return ctx.text(f"meeting.ask_{field}", tz=_default_tz(ctx, community))


async def add_reply(ctx: Context) -> None:
    """Free text during the guided /meeting add: one answer per step."""
    convo = await ctx.store.conversations.get(ctx.member.id, ctx.now_ts())
    if convo is None:
        return
    community = await ctx.store.communities.get(int(convo.data["community"]))
    answer = ctx.event.text.strip()
    if community is None or answer.casefold() in ("cancel", "/cancel", "stop"):
        await ctx.store.conversations.clear(ctx.member.id)
        ctx.whisper(ctx.text("meeting.guided_cancelled"))
        return
    answers: dict[str, str] = dict(convo.data["answers"])
    field = LINE_FIELDS[len(answers)]
    try:
        if answer == "-" and field in _REQUIRED:
            raise MeetingInputError(f"meeting.missing_{field}")
        probe_field(field, answer, _default_tz(ctx, community))
    except MeetingInputError as exc:
        ctx.whisper(
            ctx.text(exc.key, detail=exc.detail[:80]) + "\n" + _question(ctx, field, community)
        )
        return
    answers[field] = "" if answer == "-" else answer
    if len(answers) < len(LINE_FIELDS):
        await ctx.store.conversations.set(
            ctx.member.id,
            "meeting:add",
            {**convo.data, "answers": answers},
            ctx.now_ts() + CONVERSATION_TTL,
        )
        ctx.whisper(_question(ctx, LINE_FIELDS[len(answers)], community))
        return
    await ctx.store.conversations.clear(ctx.member.id)
    await _finish_guided(ctx, community, answers)


async def _finish_guided(ctx: Context, community: CommunityRow, answers: dict[str, str]) -> None:
    line = " | ".join(answers[f] for f in LINE_FIELDS)
    try:
        spec = parse_meeting_line(line, _default_tz(ctx, community))
    except MeetingInputError as exc:  # each field was checked; this is a safety net
        ctx.whisper(_input_error(ctx, exc))
        return
    row = await _save_new(ctx, community, spec)
    ctx.whisper(_saved_text(ctx, row, spec))


# -- import -----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ImportOutcome:
    imported: int
    updated: int
    skipped: list[tuple[str, str]]


class FetchError(Exception):
    def __init__(self, key: str) -> None:
        super().__init__(key)
        self.key = key


async def import_feed(
    store: Store, community: CommunityRow, data: bytes, default_tz: str, now: datetime
) -> ImportOutcome:
    """Parse and save a Meeting Guide feed: new slugs are added, known ones updated (keeping
    their skipped dates and reminder lead), all in one transaction. Raises FeedError."""
    result = parse_feed(data, community.tz or default_tz, max_bytes=FEED_MAX_BYTES)
    existing = {r.slug: r for r in await store.meetings.of_communities([community.id])}
    new: list[NewMeeting] = []
    for spec in result.meetings:
        slug = spec.slug or slugify(spec.name)
        old = existing.get(slug)
        if old is not None:
            kept = spec_from_dict(old.spec)
            spec = dataclasses.replace(
                spec, skipped=kept.skipped, remind_before_min=kept.remind_before_min
            )
        new.append(NewMeeting(slug, spec.name, spec_to_dict(spec), plan_meeting(spec, now, now)))
    imported, updated = await store.meetings.import_many(community.id, new, int(now.timestamp()))
    return ImportOutcome(imported, updated, result.skipped)


def outcome_text(text: Callable[..., str], outcome: ImportOutcome, limit: int = 20) -> str:
    lines = [
        text(
            "meeting.import_done",
            imported=outcome.imported,
            updated=outcome.updated,
            skipped=len(outcome.skipped),
        )
    ]
    for label, reason in outcome.skipped[:limit]:
        lines.append(text("meeting.import_skip_line", name=label[:NAME_MAX], reason=reason))
    if len(outcome.skipped) > limit:
        lines.append(text("meeting.import_more", count=len(outcome.skipped) - limit))
    return "\n".join(lines)


def failure_text(text: Callable[..., str], exc: FetchError | FeedError) -> str:
    # FeedError keys are "feed.x"; our catalog has them as "meeting.feed_x".
    key = exc.key if isinstance(exc, FetchError) else "meeting." + exc.key.replace(".", "_")
    return text(key, max=FEED_MAX_BYTES // 1_000_000)


def _public(address: str) -> bool:
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    return ip.is_global and not ip.is_multicast


class _PublicOnlyResolver(aiohttp.abc.AbstractResolver):
    """Refuses host names that resolve to loopback, private, link-local or reserved
    addresses: a moderator's URL must not reach the bot's own network."""

    def __init__(self) -> None:
        self._inner = aiohttp.ThreadedResolver()

    async def resolve(
        self, host: str, port: int = 0, family: socket.AddressFamily = socket.AF_INET
    ) -> list[aiohttp.abc.ResolveResult]:
        found = await self._inner.resolve(host, port, family)
        if not all(_public(r["host"]) for r in found):
            raise FetchError("meeting.fetch_private")
        return found

    async def close(self) -> None:
        await self._inner.close()


async def fetch_feed(
    url: str, max_bytes: int = FEED_MAX_BYTES, allow_private: bool = False
) -> bytes:
    """GET a feed, refusing anything over `max_bytes` without reading it all, and (unless
    allowed) any address inside a private network, redirects included. Raises FetchError."""
    limit = aiohttp.ClientTimeout(total=FETCH_TIMEOUT_S)
    connector = None if allow_private else aiohttp.TCPConnector(resolver=_PublicOnlyResolver())
    try:
        async with aiohttp.ClientSession(timeout=limit, connector=connector) as http:
            for _hop in range(4):  # the first request and up to 3 redirects, each checked
                host = yarl.URL(url).host or ""
                if not allow_private and _is_ip(host) and not _public(host):
                    raise FetchError("meeting.fetch_private")
                async with http.get(url, allow_redirects=False) as resp:
                    if resp.status in (301, 302, 303, 307, 308) and "Location" in resp.headers:
                        url = str(resp.url.join(yarl.URL(resp.headers["Location"])))
                        if yarl.URL(url).scheme not in ("http", "https"):
                            raise FetchError("meeting.fetch_failed")
                        continue
                    return await _read_feed(resp, max_bytes)
            raise FetchError("meeting.fetch_failed")
    except (aiohttp.ClientError, TimeoutError, ValueError):
        raise FetchError("meeting.fetch_failed") from None


def _is_ip(host: str) -> bool:
    try:
        ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        return False
    return True


async def _read_feed(resp: aiohttp.ClientResponse, max_bytes: int) -> bytes:
    if resp.status != 200:
        raise FetchError("meeting.fetch_status")
    if resp.content_length is not None and resp.content_length > max_bytes:
        raise FetchError("meeting.feed_too_big")
    body = bytearray()
    async for chunk in resp.content.iter_chunked(65536):
        body.extend(chunk)
        if len(body) > max_bytes:
            raise FetchError("meeting.feed_too_big")
    return bytes(body)


async def _import(ctx: Context, rest: str) -> None:
    community = ctx.community
    assert community is not None
    attachment = ctx.event.attachment
    try:
        if attachment is not None:
            data = attachment.content
        elif rest:
            url = clean_url(rest)
            if url is None:
                ctx.say(ctx.text("meeting.bad_link", detail=rest[:80]))
                return
            data = await fetch_feed(
                url, allow_private=ctx.settings.meetings.allow_private_feed_urls
            )
        else:
            ctx.say(ctx.text("meeting.import_usage"))
            return
        outcome = await import_feed(ctx.store, community, data, _default_tz(ctx), ctx.now())
    except (FetchError, FeedError) as exc:
        ctx.say(ctx.text("meeting.import_failed", reason=failure_text(ctx.text, exc)))
        return
    ctx.say(outcome_text(ctx.text, outcome))


# -- /remind and /going -----------------------------------------------------------------------


async def remind(ctx: Context) -> None:
    ref, _, when = ctx.event.args.strip().partition(" ")
    if not ref:
        await _list_subscriptions(ctx)
        return
    row = await _find(ctx, ref)
    if row is None:
        return
    when = when.strip().casefold()
    if when in ("off", "stop", "no"):
        gone = await ctx.store.meetings.unsubscribe(row.id, ctx.member.id)
        ctx.whisper(ctx.text("remind.off" if gone else "remind.not_subscribed", name=row.name))
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
    row = await _find(ctx, ref)
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


# -- attendance -------------------------------------------------------------------------------


def _split_day(args: str, today: date) -> tuple[str, date]:
    """'/attended 3 2026-11-20' -> ('3', date); the date defaults to today."""
    words = args.split()
    if words and words[-1].casefold() in ("today", "yesterday"):
        back = 1 if words[-1].casefold() == "yesterday" else 0
        return " ".join(words[:-1]), today - timedelta(days=back)
    if words:
        try:
            return " ".join(words[:-1]), date.fromisoformat(words[-1])
        except ValueError:
            pass
    return args.strip(), today


async def attended(ctx: Context) -> None:
    today = ctx.now().astimezone(ctx.tz()).date()
    ref, day = _split_day(ctx.event.args, today)
    if not ref:
        ctx.whisper(ctx.text("attend.usage"))
        return
    if day > today:
        ctx.whisper(ctx.text("attend.future"))
        return
    row = await _resolve(ctx, ref, await _scope(ctx))
    name = row.name if row else " ".join(ref.split())[:NAME_MAX]
    new = await ctx.store.meetings.log_attendance(
        ctx.member.id, row.id if row else None, name, day.isoformat(), ctx.now_ts()
    )
    key = "attend.saved" if new else "attend.already"
    ctx.whisper(
        ctx.text(key, name=name, date=day.isoformat())
        + ("" if row else "\n" + ctx.text("attend.outside"))
    )


async def attendance(ctx: Context) -> None:
    rows = await ctx.store.meetings.attendance(ctx.member.id)
    if not rows:
        ctx.whisper(ctx.text("attend.none"))
        return
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["date", "meeting", "recorded_at_utc"])
    for r in rows:
        stamp = datetime.fromtimestamp(r.recorded_at, UTC).strftime("%Y-%m-%d %H:%M")
        writer.writerow([r.day, _csv_safe(r.meeting_name), stamp])
    doc = Document("attendance.csv", out.getvalue().encode("utf-8"), "text/csv")
    ctx.whisper(
        ctx.text("attend.export", count=len(rows), name=ctx.member.display_name), document=doc
    )


def _csv_safe(text: str) -> str:
    # A leading =, +, - or @ makes spreadsheets run the cell as a formula.
    return "'" + text if text[:1] in ("=", "+", "-", "@") else text


# -- announcements and reminders, planned by the sweep ----------------------------------------


class MeetingSource:
    """Moves due meeting announcements (to the community's announcement channel) and private
    reminders into the outbox, once per occurrence (the dedupe key), and advances each row to
    the next occurrence in the same transaction. Skipped or already-ended occurrences get
    nothing."""

    name = "meetings"

    def __init__(self, store: Store, text: Callable[..., str], default_tz: str) -> None:
        self.store = store
        self.text = text
        self.default_tz = default_tz

    async def sweep(self, now: datetime, limit: int) -> int:
        ts = int(now.timestamp())
        due_meetings = await self.store.meetings.due_meetings(ts, limit)
        due_subs = await self.store.meetings.due_subscriptions(ts, limit)
        items: list[OutboxItem] = []
        meeting_moves = [self._announce(d, now, items) for d in due_meetings]
        sub_moves = [self._remind(d, now, items) for d in due_subs]
        if meeting_moves or sub_moves:
            await self.store.meetings.advance(items, meeting_moves, sub_moves)
        return max(len(due_meetings), len(due_subs))

    def _announce(self, due: DueMeeting, now: datetime, items: list[OutboxItem]) -> MeetingAdvance:
        m, c = due.meeting, due.community
        assert m.next_reminder_at is not None
        spec = spec_from_dict(m.spec)
        occ = occurrence_on(spec, m.next_occurrence)
        if occ is not None and now < occ.end_utc and c.active and c.announce_chat_id:
            tz = c.tz or self.default_tz
            at = datetime.fromtimestamp(m.next_reminder_at, UTC)
            items.append(
                OutboxItem(
                    f"reminder:{m.id}:{occ.local_date.isoformat()}",
                    "meeting_reminder",
                    None,
                    c.platform,
                    c.announce_chat_id,
                    False,
                    {
                        "text": reminder_text(
                            self.text, "remind.group", m.id, spec, occ, tz, max(now, at)
                        )
                    },
                    m.next_reminder_at,
                    int(occ.end_utc.timestamp()),
                    c.announce_thread_id,
                )
            )
        nxt = _following(spec, occ, now)
        return MeetingAdvance(
            m.id,
            m.next_reminder_at,
            nxt.local_date.isoformat() if nxt else None,
            remind_time(nxt.start_utc, spec.remind_before_min, now) if nxt else None,
        )

    def _remind(
        self, due: DueSubscription, now: datetime, items: list[OutboxItem]
    ) -> SubscriptionAdvance:
        s, m, member = due.subscription, due.meeting, due.member
        assert s.next_at is not None
        spec = spec_from_dict(m.spec)
        occ = occurrence_on(spec, s.occurrence)
        if occ is not None and now < occ.end_utc and not member.paused:
            tz = member.tz or due.community_tz or self.default_tz
            at = datetime.fromtimestamp(s.next_at, UTC)
            items.append(
                OutboxItem(
                    f"reminder:{m.id}:{occ.local_date.isoformat()}:m{member.id}",
                    "meeting_reminder",
                    member.id,
                    member.platform,
                    member.user_id,
                    True,
                    {
                        "text": reminder_text(
                            self.text, "remind.private", m.id, spec, occ, tz, max(now, at)
                        )
                    },
                    s.next_at,
                    int(occ.end_utc.timestamp()),
                )
            )
        nxt = _following(spec, occ, now)
        return SubscriptionAdvance(
            m.id,
            member.id,
            s.next_at,
            nxt.local_date.isoformat() if nxt else None,
            remind_time(nxt.start_utc, s.before_min, now) if nxt else None,
        )
