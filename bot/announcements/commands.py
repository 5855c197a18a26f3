"""Moderators' scheduled posts: /announce add|list|edit|pause|resume|remove, in the group.

`/announce add daily 08:00 | Today's topic: gratitude` (or `/announce add` alone, asked step
by step in the private chat); `milestones` as the text is the built-in "this week's
milestones" post. Posts go to the community's announcement channel, or with
`/announce add here …` to the chat (or forum topic / thread) the command was sent in.
Schedules are daily, weekly (weekdays) or monthly by date, in the community's time zone,
DST-correct; the sweep (source.py) posts each occurrence exactly once through the outbox.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from bot.announcements.post import MAX_TEXT, PostKind, parse_announce_add, parse_text
from bot.announcements.schedule import (
    Schedule,
    ScheduleInputError,
    next_occurrence,
    parse_schedule,
    resolve_wall_time,
)
from bot.common.dates import InputError
from bot.common.guided import Form, Step
from bot.common.parsing import parse_int
from bot.kernel.context import Context
from bot.kernel.router import Command, ConversationRoute, Routes, Where
from storage.announcements_base import AnnouncementRow, AnnouncementUpdate, NewAnnouncement
from storage.base import CommunityRow

ADD_STATE = "announce:add"
MAX_POSTS = 20  # per community: a schedule, not a feed
PREVIEW = 60  # characters of a post's text in /announce list


def _zone(ctx: Context, community: CommunityRow) -> str:
    return ctx.community_tz_name(community)


def _problem(ctx: Context, exc: InputError) -> str:
    detail = getattr(exc, "detail", "")
    return ctx.text(exc.key, value=detail, max=MAX_TEXT)


async def announce(ctx: Context) -> None:
    community = ctx.community
    assert community is not None  # Where.GROUP, moderators only: the router checked
    verb, _, rest = ctx.event.args.strip().partition(" ")
    low, rest = verb.casefold(), rest.strip()
    if low == "add":
        await _add(ctx, community, rest)
    elif low in ("list", ""):
        await _list(ctx, community)
    elif low == "edit":
        await _edit(ctx, community, rest)
    elif low in ("pause", "resume", "unpause"):
        await _pause(ctx, community, rest, pause=low == "pause")
    elif low in ("remove", "delete"):
        await _remove(ctx, community, rest)
    else:
        ctx.whisper(ctx.text("announce.usage"))


# -- add -----------------------------------------------------------------------------------


def _target(ctx: Context, community: CommunityRow, here: bool) -> tuple[str | None, str | None]:
    """(chat, thread) to post in: None for the announcement channel (followed if moderators
    move it), else this chat; a community without an announcement channel posts here."""
    if here or not community.announce_chat_id:
        return ctx.event.chat.chat_id, ctx.event.chat.thread_id
    return None, None


async def _add(ctx: Context, community: CommunityRow, rest: str) -> None:
    head, _, tail = rest.partition(" ")
    here = head.casefold() == "here"
    if here:
        rest = tail.strip()
    if len(await ctx.store.announcements.of_community(community.id)) >= MAX_POSTS:
        ctx.whisper(ctx.text("announce.too_many", max=MAX_POSTS))
        return
    chat_id, thread_id = _target(ctx, community, here)
    data = {
        "community": community.id,
        "chat": chat_id,
        "thread": thread_id,
        "ask": {"tz": _zone(ctx, community), "max": MAX_TEXT},
    }
    if "|" not in rest:
        if rest:  # a schedule without text: say what's missing
            try:
                parse_schedule(rest)
            except ScheduleInputError as exc:
                ctx.whisper(_problem(ctx, exc) + "\n\n" + ctx.text("announce.add_usage"))
                return
            ctx.whisper(ctx.text("announce.missing_text") + "\n\n" + ctx.text("announce.add_usage"))
            return
        await ADD_FORM.start(ctx, data, ctx.text("announce.add_intro"))
        return
    try:
        parsed = parse_announce_add(rest)
    except ScheduleInputError as exc:
        ctx.whisper(_problem(ctx, exc) + "\n\n" + ctx.text("announce.add_usage"))
        return
    await _save(ctx, community, parsed.schedule, parsed.kind, parsed.text, chat_id, thread_id)


async def _save(
    ctx: Context,
    community: CommunityRow,
    schedule: Schedule,
    kind: PostKind,
    text: str,
    chat_id: str | None,
    thread_id: str | None,
) -> None:
    tz = _zone(ctx, community)
    first = next_occurrence(schedule, ctx.now(), tz)
    row = await ctx.store.announcements.add(
        community.id,
        ctx.member.id,
        NewAnnouncement(
            kind=str(kind),
            schedule=schedule.canonical(),
            body=text,
            chat_id=chat_id,
            thread_id=thread_id,
            tz=tz,
            next_at=int(first.at_utc.timestamp()),
            next_day=first.local_date.isoformat(),
        ),
        ctx.now_ts(),
    )
    lines = [
        ctx.text(
            "announce.added",
            id=row.id,
            schedule=_schedule_text(ctx, schedule),
            tz=tz,
            where=_where(ctx, community, row),
            first=ctx.show_time(first.at_utc, tz),
        )
    ]
    if gap := gap_day(schedule, ZoneInfo(tz), ctx.now()):
        day, actual = gap
        lines.append(
            ctx.text("announce.gap_note", date=day.isoformat(), at=f"{schedule.at:%H:%M}",
                     actual=f"{actual:%H:%M}", tz=tz)
        )  # fmt: skip
    if kind is PostKind.WEEKLY_MILESTONES and not community.allow_celebrations:
        lines.append(ctx.text("announce.celebrations_off"))
    ctx.whisper("\n".join(lines))


def gap_day(schedule: Schedule, tz: ZoneInfo, now: datetime) -> tuple[date, time] | None:
    """The next local date within a year on which the post's time does not exist (clocks go
    forward over it), and the time it goes out instead; None when there is none."""
    start = now.astimezone(tz).date()
    for offset in range(366):
        day = start + timedelta(days=offset)
        if not schedule.matches(day):
            continue
        wall = datetime.combine(day, schedule.at)
        round_trip = wall.replace(tzinfo=tz).astimezone(UTC).astimezone(tz).replace(tzinfo=None)
        if round_trip != wall:
            actual = resolve_wall_time(day, schedule.at, tz).astimezone(tz)
            return day, actual.time()
    return None


def _parse_schedule_step(text: str, data: Any) -> str:
    return parse_schedule(text).canonical()


def _parse_text_step(text: str, data: Any) -> str:
    kind, body = parse_text(text)
    return "" if kind is PostKind.WEEKLY_MILESTONES else body


async def _finish(ctx: Context, data: dict[str, Any], answers: dict[str, str]) -> None:
    community = await ctx.store.communities.get(int(data["community"]))
    if community is None:
        ctx.whisper(ctx.text("core.stale_button"))
        return
    schedule = parse_schedule(answers["schedule"])
    kind = PostKind.TEXT if answers["text"] else PostKind.WEEKLY_MILESTONES
    await _save(ctx, community, schedule, kind, answers["text"], data["chat"], data["thread"])


ADD_FORM = Form(
    ADD_STATE,
    [
        Step("schedule", "announce.ask_schedule", _parse_schedule_step),
        Step("text", "announce.ask_text", _parse_text_step),
    ],
    _finish,
)


# -- list, edit, pause, remove ---------------------------------------------------------------


def _schedule_text(ctx: Context, schedule: Schedule) -> str:
    return schedule.canonical()


def _where(ctx: Context, community: CommunityRow, row: AnnouncementRow) -> str:
    if row.chat_id is None:
        return ctx.text("announce.to_channel")
    if row.chat_id == ctx.event.chat.chat_id and row.thread_id == ctx.event.chat.thread_id:
        return ctx.text("announce.to_here")
    return ctx.text("announce.to_chat")


def _what(ctx: Context, row: AnnouncementRow) -> str:
    if row.kind == PostKind.WEEKLY_MILESTONES:
        return ctx.text("announce.builtin_milestones")
    one_line = " ".join(row.body.split())
    return one_line if len(one_line) <= PREVIEW else one_line[: PREVIEW - 1] + "…"


async def _list(ctx: Context, community: CommunityRow) -> None:
    rows = await ctx.store.announcements.of_community(community.id)
    if not rows:
        ctx.whisper(ctx.text("announce.none"))
        return
    lines = [ctx.text("announce.header", tz=_zone(ctx, community))]
    for row in rows:
        if row.paused or row.next_at is None:
            when = ctx.text("announce.paused")
        else:
            when = ctx.show_time(datetime.fromtimestamp(row.next_at, UTC), row.tz)
        lines.append(
            ctx.text(
                "announce.line",
                id=row.id,
                schedule=row.schedule,
                where=_where(ctx, community, row),
                when=when,
                what=_what(ctx, row),
            )
        )
    lines.append(ctx.text("announce.list_hint"))
    ctx.whisper("\n".join(lines))


async def _find(ctx: Context, community: CommunityRow, ref: str) -> AnnouncementRow | None:
    post_id = parse_int(ref.strip().removeprefix("#"))
    row = await ctx.store.announcements.get(post_id) if post_id is not None else None
    if row is None or row.community_id != community.id:
        ctx.whisper(ctx.text("announce.not_found", value=ref.strip()[:12] or "?"))
        return None
    return row


async def _edit(ctx: Context, community: CommunityRow, rest: str) -> None:
    ref, _, change = rest.partition(" ")
    if "|" not in change:
        ctx.whisper(ctx.text("announce.edit_usage"))
        return
    row = await _find(ctx, community, ref)
    if row is None:
        return
    left, _, right = change.partition("|")
    update: dict[str, Any] = {}
    try:
        schedule = parse_schedule(left) if left.strip() else parse_schedule(row.schedule)
        if right.strip():
            kind, body = parse_text(right)
            update.update(kind=str(kind), body=body)
    except ScheduleInputError as exc:
        ctx.whisper(_problem(ctx, exc) + "\n\n" + ctx.text("announce.edit_usage"))
        return
    if not update and not left.strip():
        ctx.whisper(ctx.text("announce.edit_usage"))
        return
    tz = _zone(ctx, community)
    update.update(schedule=schedule.canonical(), tz=tz)
    if not row.paused:
        nxt = next_occurrence(schedule, ctx.now(), tz)
        update.update(next_at=int(nxt.at_utc.timestamp()), next_day=nxt.local_date.isoformat())
    await ctx.store.announcements.update(row.id, AnnouncementUpdate(**update), ctx.now_ts())
    ctx.whisper(ctx.text("announce.edited", id=row.id, schedule=schedule.canonical(), tz=tz))


async def _pause(ctx: Context, community: CommunityRow, ref: str, *, pause: bool) -> None:
    row = await _find(ctx, community, ref)
    if row is None:
        return
    if pause:
        change = AnnouncementUpdate(paused=True, next_at=None, next_day=None)
        await ctx.store.announcements.update(row.id, change, ctx.now_ts())
        ctx.whisper(ctx.text("announce.paused_now", id=row.id))
        return
    tz = _zone(ctx, community)
    nxt = next_occurrence(parse_schedule(row.schedule), ctx.now(), tz)
    change = AnnouncementUpdate(
        paused=False,
        tz=tz,
        next_at=int(nxt.at_utc.timestamp()),
        next_day=nxt.local_date.isoformat(),
    )
    await ctx.store.announcements.update(row.id, change, ctx.now_ts())
    ctx.whisper(ctx.text("announce.resumed", id=row.id, first=ctx.show_time(nxt.at_utc, tz)))


async def _remove(ctx: Context, community: CommunityRow, ref: str) -> None:
    row = await _find(ctx, community, ref)
    if row is None:
        return
    await ctx.store.announcements.remove(row.id, ctx.now_ts())
    ctx.whisper(ctx.text("announce.removed", id=row.id))


ROUTES = Routes(
    commands=[
        Command(
            name="announce",
            handler=announce,
            help_key="announce.help",
            where=Where.GROUP,
            moderator=True,
        ),
    ],
    conversations=[ConversationRoute(ADD_STATE, ADD_FORM.reply)],
)
