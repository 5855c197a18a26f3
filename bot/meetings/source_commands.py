"""/meeting source add|list|remove|sync (moderators, in their group), and the Apply / Keep
buttons of a sync the shrink guard held."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import UTC, datetime

from bot.kernel.context import Context
from bot.kernel.i18n import Translator
from bot.kernel.types import Button, Buttons
from bot.meetings import timefmt
from bot.meetings.feed_import import outcome_lines
from bot.meetings.model import one_line
from bot.meetings.sources import (
    FEED_SOURCE_MAX_BYTES,
    HELD_BUTTON,
    MANUAL_GAP,
    SourceError,
    Syncer,
    SyncOutcome,
    held_buttons,
    held_text,
)
from storage.meetings_base import PURPOSE_MEETINGS, PURPOSE_ONLINE, SourceRow

SKIPS_SHOWN = 10
KIND_NAMES = {"meeting_guide": "Meeting Guide", "tsml": "TSML", "bmlt": "BMLT", "": "?"}


async def source_cmd(ctx: Context, rest: str) -> None:
    sub, _, arg = rest.strip().partition(" ")
    sub, arg = sub.casefold(), arg.strip()
    handler: dict[str, Callable[[Context, str], Awaitable[None]]] = {
        "": _list,
        "list": _list,
        "add": _add,
        "remove": _remove,
        "delete": _remove,
        "sync": _sync,
    }
    chosen = handler.get(sub)
    if chosen is None:
        ctx.say(ctx.text("meeting.source_usage"))
        return
    await chosen(ctx, arg)


def kind_name(kind: str) -> str:
    return KIND_NAMES.get(kind, kind)


def outcome_text(tr: Translator, outcome: SyncOutcome) -> str:
    """What a sync did, in a few bounded lines (never a payload)."""
    if outcome.status == "failed":
        return tr("meeting.source_failed", reason=tr(outcome.error or "meeting.fetch_failed"))
    if outcome.status == "unchanged":
        return tr.n("meeting.source_unchanged", outcome.total)
    if outcome.status == "held" and outcome.held is not None:
        return tr(
            "meeting.source_held_here",
            removes=outcome.held.get("removes", 0),
            previous=outcome.held.get("previous", 0),
        )
    lines = [
        tr(
            "meeting.source_applied",
            created=outcome.created,
            updated=outcome.updated,
            removed=outcome.removed,
            unchanged=outcome.unchanged,
            skipped=len(outcome.skipped),
        )
    ]
    lines += outcome_lines(tr, outcome.skipped, SKIPS_SHOWN)
    return "\n".join(lines)


def _outcome_buttons(tr: Translator, source: SourceRow, outcome: SyncOutcome) -> Buttons:
    if outcome.status == "held" and outcome.held is not None:
        return held_buttons(tr, source.id, str(outcome.held.get("token", "")))
    return ()


async def _our_source(ctx: Context, ref: str) -> SourceRow | None:
    assert ctx.community is not None
    wanted = ref.strip().removeprefix("#")
    if not wanted.isdigit():
        ctx.say(ctx.text("meeting.source_which"))
        return None
    source = await ctx.store.meetings.source(int(wanted))
    if source is None or source.community_id != ctx.community.id:
        ctx.say(ctx.text("meeting.source_not_found", ref=wanted[:12]))
        return None
    return source


async def _add(ctx: Context, arg: str) -> None:
    assert ctx.community is not None
    words = arg.split()
    purpose = PURPOSE_MEETINGS
    if words and words[0].casefold() in ("online", "now"):
        purpose, words = PURPOSE_ONLINE, words[1:]
    if len(words) != 1:
        ctx.say(ctx.text("meeting.source_add_usage"))
        return
    syncer = Syncer(ctx.store, ctx.settings)
    try:
        source, outcome = await syncer.add(ctx.community, words[0], purpose, ctx.now())
    except SourceError as exc:
        ctx.say(ctx.text("meeting.source_not_added", reason=ctx.text(exc.key, max=_max_mb())))
        return
    key = "meeting.source_added_online" if purpose == PURPOSE_ONLINE else "meeting.source_added"
    hours = ctx.tr.n("meeting.hours", round(ctx.settings.meetings.sync_hours))
    ctx.say(
        ctx.text(key, id=source.id, kind=kind_name(source.kind), url=source.url, every=hours)
        + "\n"
        + outcome_text(ctx.tr, outcome)
    )


def _max_mb() -> int:
    return FEED_SOURCE_MAX_BYTES // 1_000_000


async def _list(ctx: Context, _arg: str) -> None:
    assert ctx.community is not None
    sources = await ctx.store.meetings.sources(ctx.community.id)
    if not sources:
        ctx.say(ctx.text("meeting.source_none_yet"))
        return
    now = ctx.now()
    tz = ctx.community_tz_name()
    lines = [ctx.text("meeting.source_list_header")]
    buttons: list[tuple[Button, ...]] = []
    for s in sources:
        key = "meeting.source_line_online" if s.purpose == PURPOSE_ONLINE else "meeting.source_line"
        lines.append(ctx.text(key, id=s.id, kind=kind_name(s.kind), url=s.url))
        checked = (
            ctx.show_time(datetime.fromtimestamp(s.last_synced, UTC), tz)
            if s.last_synced
            else ctx.text("meeting.source_never")
        )
        upcoming = (
            timefmt.until(
                ctx.tr,
                datetime.fromtimestamp(s.next_sync_at, UTC),
                datetime.fromtimestamp(s.next_sync_at + 1, UTC),
                now,
            )
            if s.next_sync_at
            else "—"
        )
        lines.append(
            "   " + ctx.tr.n("meeting.source_status", s.meetings, checked=checked, next=upcoming)
        )
        if s.last_error:
            lines.append(
                "   "
                + ctx.text(
                    "meeting.source_last_error", reason=ctx.text(s.last_error, max=_max_mb())
                )
            )
        if s.held:
            lines.append(
                "   "
                + ctx.text(
                    "meeting.source_held_here",
                    removes=s.held.get("removes", 0),
                    previous=s.held.get("previous", 0),
                )
            )
            buttons.extend(held_buttons(ctx.tr, s.id, str(s.held.get("token", ""))))
    ctx.say("\n".join(lines), tuple(buttons))


async def _remove(ctx: Context, arg: str) -> None:
    source = await _our_source(ctx, arg)
    if source is None:
        return
    gone = await ctx.store.meetings.remove_source(source.id)
    ctx.say(ctx.tr.n("meeting.source_removed", gone, id=source.id, url=source.url))


async def _sync(ctx: Context, arg: str) -> None:
    assert ctx.community is not None
    if arg.strip():
        one = await _our_source(ctx, arg)
        if one is None:
            return
        sources = [one]
    else:
        sources = await ctx.store.meetings.sources(ctx.community.id)
        if not sources:
            ctx.say(ctx.text("meeting.source_none_yet"))
            return
    syncer = Syncer(ctx.store, ctx.settings)
    now = ctx.now()
    for source in sources:
        label = ctx.text("meeting.source_label", id=source.id, url=source.url)
        last = source.last_synced
        if last is not None and now.timestamp() - last < MANUAL_GAP.total_seconds():
            ctx.say(label + "\n" + ctx.text("meeting.source_too_soon"))
            continue
        # The moderator is right here: a held sync is shown with its buttons, not sent out.
        outcome = await syncer.sync(source, now, notify=False)
        ctx.say(
            label + "\n" + outcome_text(ctx.tr, outcome), _outcome_buttons(ctx.tr, source, outcome)
        )


# -- Apply / Keep ---------------------------------------------------------------------------


async def held_button(ctx: Context) -> None:
    parts = (ctx.event.button or "").split(":")
    if len(parts) != 4 or parts[0] != HELD_BUTTON or not parts[2].isdigit():
        ctx.whisper(ctx.text("core.stale_button"))
        return
    action, token = parts[1], parts[3]
    source = await ctx.store.meetings.source(int(parts[2]))
    if source is None or source.community_id is None or action not in ("apply", "keep"):
        ctx.whisper(ctx.text("core.stale_button"))
        return
    if not await _may_decide(ctx, source.community_id):
        ctx.whisper(ctx.text("meeting.source_decide_moderators"))
        return
    if not source.held or source.held.get("token") != token:
        ctx.whisper(ctx.text("meeting.source_held_done"), edit=True)
        return
    syncer = Syncer(ctx.store, ctx.settings)
    label = ctx.text("meeting.source_label", id=source.id, url=one_line(source.url))
    if action == "keep":
        await syncer.keep(source)
        ctx.whisper(label + "\n" + ctx.text("meeting.source_kept"), edit=True)
        return
    outcome = await syncer.sync(source, ctx.now(), force=True, notify=False)
    ctx.whisper(label + "\n" + outcome_text(ctx.tr, outcome), edit=True)


async def _may_decide(ctx: Context, community_id: int) -> bool:
    """In the group, the platform says live who moderates; in private, the last time the
    member was seen there."""
    if not ctx.in_private:
        return (
            ctx.community is not None
            and ctx.community.id == community_id
            and (ctx.event.is_moderator)
        )
    moderators = await ctx.store.communities.moderators(community_id)
    return any(m.id == ctx.member.id for m in moderators)


__all__ = ["held_button", "held_text", "source_cmd"]
