"""'A meeting right now': `/meetings now [language]` lists online meetings starting within the
next hour (or in progress for under 15 minutes), in the member's zone and language, with
their join links. Sources: the community's own meetings, its online feeds, and the
installation's online feed ([meetings] online_feed).

`soonest_online(...)` is the one-line offer other features may make ("there's an online
meeting starting in 12 minutes"), e.g. after a hard check-in or beside a crisis reply.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from babel import Locale, UnknownLocaleError

from bot.kernel.context import Context
from bot.kernel.i18n import Translator, translator
from bot.kernel.types import Button
from bot.meetings import timefmt
from bot.meetings.feed_meeting import FeedMeeting
from bot.meetings.languages import parse_language
from bot.meetings.lookup import untagged_language, visible_communities
from bot.meetings.model import MeetingSpec
from bot.meetings.now import NowHit, NowIndex
from bot.meetings.schedule import community_schedule, source_schedule, starting_soon
from storage.base import CommunityRow, Store
from storage.meetings_base import PURPOSE_ONLINE

NOW_LISTED = 8  # lines in one answer: a short list is easier to act on
NOW_BUTTONS = 4  # "Join" buttons (with "Report wrong info" beside them)
BUTTON_NAME_MAX = 28
_ANY = frozenset({"any", "all", "*", "every"})


async def now_indexes(
    store: Store, communities: Sequence[CommunityRow], untagged: str | None
) -> list[NowIndex]:
    """The online indexes a member can look at: their communities' meetings and online feeds,
    and the installation's feed."""
    indexes: list[NowIndex] = []
    for community in communities:
        schedule = await community_schedule(store, community.id, untagged)
        indexes.append(await schedule.online_index())
    for community_id in [*(c.id for c in communities), None]:
        for source in await store.meetings.sources(community_id):
            if source.purpose == PURPOSE_ONLINE and source.meetings:
                schedule = await source_schedule(store, source, untagged)
                indexes.append(await schedule.online_index())
    return indexes


async def _feeds_not_yet_read(store: Store, communities: Sequence[CommunityRow]) -> bool:
    """An online feed is configured but its first sync has not come back yet."""
    for community_id in [*(c.id for c in communities), None]:
        for source in await store.meetings.sources(community_id):
            unread = source.last_synced is None and not source.failures
            if source.purpose == PURPOSE_ONLINE and unread:
                return True
    return False


def _spec(hit: NowHit) -> MeetingSpec:
    return hit.meeting.spec if isinstance(hit.meeting, FeedMeeting) else hit.meeting


def language_name(tr: Translator, code: str) -> str:
    try:
        return str(Locale.parse(code).get_language_name(tr.lang) or code)
    except (UnknownLocaleError, ValueError):
        return code


def status_text(tr: Translator, hit: NowHit, now: datetime) -> str:
    if hit.in_progress:
        minutes = int((now - hit.start_utc).total_seconds() // 60)
        return tr.n("meetings.started_ago", minutes) if minutes else tr("meetings.starting_now")
    return timefmt.until(tr, hit.start_utc, hit.end_utc, now)


async def meetings_now_cmd(ctx: Context, arg: str) -> None:
    word = arg.strip().casefold()
    language: str | None
    if word in _ANY:
        language = None
    elif word:
        language = parse_language(word)
        if language is None:
            ctx.whisper(ctx.text("meetings.now_bad_language", value=arg.strip()[:30]))
            return
    else:
        language = ctx.lang
    now = ctx.now()
    communities = await visible_communities(ctx)
    indexes = await now_indexes(ctx.store, communities, untagged_language(ctx))
    if not any(index.size for index in indexes):
        pending = await _feeds_not_yet_read(ctx.store, communities)
        ctx.whisper(ctx.text("meetings.now_fetching" if pending else "meetings.now_no_feeds"))
        return
    hits = starting_soon(indexes, now, language)
    if not hits:
        others = starting_soon(indexes, now, None) if language is not None else []
        if others:
            ctx.whisper(
                ctx.tr.n(
                    "meetings.now_other_languages",
                    len(others),
                    language=language_name(ctx.tr, language or ""),
                )
            )
        else:
            ctx.whisper(ctx.text("meetings.now_none"))
        return
    header = (
        ctx.text("meetings.now_header_in", language=language_name(ctx.tr, language))
        if language
        else ctx.text("meetings.now_header")
    )
    lines = [header]
    buttons: list[tuple[Button, ...]] = []
    for hit in hits[:NOW_LISTED]:
        spec = _spec(hit)
        lines.append(
            ctx.text(
                "meetings.now_line",
                when=ctx.show_time(hit.start_utc),
                status=status_text(ctx.tr, hit, now),
                name=spec.name,
            )
        )
        if spec.url:
            lines.append("  " + ctx.text("meeting.join", url=spec.url))
        if spec.phone:
            lines.append("  " + ctx.text("meeting.phone", phone=spec.phone))
        if spec.url and len(buttons) < NOW_BUTTONS:
            row = [Button(ctx.text("meetings.now_join", name=_short(spec.name)), url=spec.url)]
            feedback = hit.meeting.feedback_url if isinstance(hit.meeting, FeedMeeting) else None
            if feedback:
                row.append(Button(ctx.text("meeting.report_wrong"), url=feedback))
            buttons.append(tuple(row))
    if len(hits) > NOW_LISTED:
        lines.append(ctx.tr.n("meetings.now_more", len(hits) - NOW_LISTED))
    ctx.whisper("\n".join(lines), tuple(buttons))


def _short(name: str) -> str:
    return name if len(name) <= BUTTON_NAME_MAX else name[: BUTTON_NAME_MAX - 1] + "…"


async def soonest_online(
    store: Store,
    community: CommunityRow | None,
    now: datetime,
    lang: str,
    *,
    untagged: str | None = "en",
) -> str | None:
    """One line offering the soonest online meeting in `lang` (starting within the hour, or
    begun under 15 minutes ago) with its link, or None when there is none. For the check-in
    flow and the crisis reply: "There's an online meeting starting in 12 minutes: …"."""
    communities = [community] if community is not None else []
    indexes = await now_indexes(store, communities, untagged)
    hits = [h for h in starting_soon(indexes, now, lang) if _spec(h).url or _spec(h).phone]
    if not hits:
        return None
    hit = hits[0]
    spec = _spec(hit)
    tr = translator(lang)
    how = tr("meeting.join", url=spec.url) if spec.url else tr("meeting.phone", phone=spec.phone)
    return tr("meetings.now_offer", status=status_text(tr, hit, now), name=spec.name, how=how)
