"""/mentor: members who have kept their counter past the community's threshold volunteer as
mentors; a member asks for one; moderators pair them (or Harbor proposes the best fit); both
say yes before anything is shared; the mentee shares item by item and either side can end
it at any time without a reason. Moderators see numbers and open requests, never content."""

from __future__ import annotations

import dataclasses
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from bot.common.guided import Form, LineError, Step, limited
from bot.common.moderated import moderated_community
from bot.common.parsing import parse_int, parse_switch
from bot.kernel.context import Context
from bot.kernel.i18n import Translator, translator
from bot.kernel.outbox import planned, private_to
from bot.kernel.router import ButtonRoute, Command, ConversationRoute, Routes
from bot.kernel.types import Button, Buttons
from bot.mentors.model import (
    MAX_AVAILABILITY,
    MAX_INTRO,
    MAX_MENTEES,
    Person,
    best_matches,
    eligible,
    language_names,
    parse_languages,
    threshold_text,
)
from storage.base import CommunityRow, MemberRow, Store
from storage.mentors_base import (
    SHARE_ITEMS,
    MentorRequestRow,
    MentorRow,
    MentorSettings,
    MentorshipRow,
)

MENTOR_BUTTON = "mtr"  # mtr:yes|no:<pair>, mtr:end|keep:<pair>, mtr:share:<pair>:<item>:<1|0>
VOLUNTEER_STATE = "mentor:volunteer"
REQUEST_STATE = "mentor:request"
NUDGE_EVERY = timedelta(days=7)
_ITEM_WORDS = {
    "streak": "streak",
    "counter": "streak",
    "days": "streak",
    "checkins": "checkins",
    "check-ins": "checkins",
    "checkin": "checkins",
    "hard": "hard_days",
    "hard_days": "hard_days",
    "hard-days": "hard_days",
    "headsup": "hard_days",
    "heads-up": "hard_days",
}


# -- helpers ----------------------------------------------------------------------------------


def member_tz(member: MemberRow, community: CommunityRow | None, default: str) -> str:
    return member.tz or (community.tz if community and community.tz else None) or default


async def is_eligible(store: Store, member_id: int, months: int, now: datetime) -> bool:
    """One of the member's counters has run `months` calendar months (in its own zone)."""
    counters = await store.sobriety.counters(member_id)
    return any(
        eligible([date.fromisoformat(c.start_date)], months, now.astimezone(ZoneInfo(c.tz)).date())
        for c in counters
    )


def _languages(tr: Translator, codes: tuple[str, ...]) -> str:
    return tr.join(language_names(codes, tr.lang)) or tr("mentor.any_language")


def _threshold(tr: Translator, months: int) -> str:
    unit, n = threshold_text(months)
    return tr.n(f"mentor.threshold_{unit}", n)


def _person(member: MemberRow, languages: tuple[str, ...], availability: str, tz: str) -> Person:
    return Person(member.id, languages, availability, tz)


def _pair_buttons(tr: Translator, pair_id: int) -> Buttons:
    return (
        (
            Button(tr("mentor.yes"), f"{MENTOR_BUTTON}:yes:{pair_id}"),
            Button(tr("mentor.no"), f"{MENTOR_BUTTON}:no:{pair_id}"),
        ),
    )


def _share_buttons(tr: Translator, pair: MentorshipRow) -> Buttons:
    rows = []
    for item in SHARE_ITEMS:
        on = item in pair.sharing
        label = tr(f"mentor.item_{item}") + (" ✓" if on else "")
        rows.append((Button(label, f"{MENTOR_BUTTON}:share:{pair.id}:{item}:{0 if on else 1}"),))
    return tuple(rows)


def _shared_list(tr: Translator, sharing: frozenset[str]) -> str:
    return tr.join(tr(f"mentor.item_{i}") for i in SHARE_ITEMS if i in sharing) or tr(
        "mentor.nothing_shared"
    )


# -- /mentor ----------------------------------------------------------------------------------


async def mentor(ctx: Context) -> None:
    verb, _, rest = ctx.event.args.strip().partition(" ")
    verb, rest = verb.casefold(), rest.strip()
    handlers = {
        "": _status,
        "volunteer": _volunteer,
        "pause": _pause,
        "resume": _resume,
        "stop": _stop,
        "temporary": _temporary,
        "list": _temporary_list,
        "request": _request,
        "cancel": _cancel_request,
        "share": _share,
        "end": _end,
        "requests": _requests,
        "pair": _pair,
        "settings": _settings,
    }
    handler = handlers.get(verb)
    if handler is None:
        ctx.whisper(ctx.text("mentor.usage"))
        return
    await handler(ctx, rest)


async def _community(ctx: Context) -> CommunityRow | None:
    if ctx.community is None:
        ctx.whisper(ctx.text("mentor.no_community"))
    return ctx.community


async def _status(ctx: Context, rest: str) -> None:
    lines: list[str] = []
    community = ctx.community
    if community is not None:
        mine = await ctx.store.mentors.mentor(ctx.member.id, community.id)
        if mine is not None:
            key = "mentor.you_volunteer" if mine.status == "active" else "mentor.you_paused"
            lines.append(ctx.text(key, group=community.title or community.chat_id))
            if mine.temporary:
                lines.append(ctx.text("mentor.you_temporary"))
        waiting = await ctx.store.mentors.pending_request(ctx.member.id, community.id)
        if waiting is not None and waiting.status == "open":
            lines.append(ctx.text("mentor.request_waiting"))
    buttons: Buttons = ()
    for pair in await ctx.store.mentors.of_member(ctx.member.id):
        line, more = await _pair_line(ctx, pair)
        lines.append(line)
        buttons += more
    if not lines:
        ctx.whisper(ctx.text("mentor.usage"))
        return
    ctx.whisper("\n\n".join(lines), buttons)


async def _pair_line(ctx: Context, pair: MentorshipRow) -> tuple[str, Buttons]:
    me = ctx.member.id
    other = pair.other(me).display_name
    if pair.status == "proposed":
        said_yes = pair.mentor_accepted if pair.mentor.id == me else pair.mentee_accepted
        if said_yes:
            return ctx.text("mentor.waiting_for", name=other), ()
        return ctx.text("mentor.proposed_to_you", name=other), _pair_buttons(ctx.tr, pair.id)
    if pair.mentor.id == me:
        text = ctx.text("mentor.you_mentor", name=other, shared=_shared_list(ctx.tr, pair.sharing))
        extra = await shared_lines(
            ctx.store, ctx.tr, pair, ctx.now(), ctx.settings.community.timezone
        )
        return "\n".join([text, *extra]), ()
    text = ctx.text("mentor.your_mentor", name=other, shared=_shared_list(ctx.tr, pair.sharing))
    return text + "\n" + ctx.text("mentor.share_hint"), _share_buttons(ctx.tr, pair)


async def shared_lines(
    store: Store, tr: Translator, pair: MentorshipRow, now: datetime, default_tz: str = "UTC"
) -> list[str]:
    """What the mentee currently shares with their mentor, one line per item: their longest
    counter in days, and how many of the last 7 days they checked in. Never answers or
    notes. Only for an active mentorship."""
    if pair.status != "active":
        return []
    lines = []
    if "streak" in pair.sharing:
        counters = await store.sobriety.counters(pair.mentee.id)
        if counters:
            days = max(
                (now.astimezone(ZoneInfo(c.tz)).date() - date.fromisoformat(c.start_date)).days
                for c in counters
            )
            lines.append(tr.n("mentor.shared_streak", max(days, 0), name=pair.mentee.display_name))
    if "checkins" in pair.sharing:
        zone = ZoneInfo(pair.mentee.tz or default_tz)
        today = now.astimezone(zone).date()
        rows = await store.checkins.since(pair.mentee.id, (today - timedelta(days=6)).isoformat())
        lines.append(tr.n("mentor.shared_checkins", len(rows), name=pair.mentee.display_name))
    return lines


# -- volunteering -------------------------------------------------------------------------------


async def _volunteer(ctx: Context, rest: str) -> None:
    community = await _community(ctx)
    if community is None:
        return
    settings = await ctx.store.mentors.settings(community.id)
    if not await is_eligible(ctx.store, ctx.member.id, settings.min_months, ctx.now()):
        ctx.whisper(ctx.text("mentor.not_yet", threshold=_threshold(ctx.tr, settings.min_months)))
        return
    data: dict[str, Any] = {"community": community.id}
    if "|" not in rest:
        await VOLUNTEER_FORM.start(ctx, data, ctx.text("mentor.volunteer_intro"))
        return
    try:
        answers = VOLUNTEER_FORM.from_line(rest, data)
    except LineError as exc:
        problem = ctx.text(exc.key, value=exc.value[:40]) + "\n" if exc.key else ""
        ctx.whisper(problem + ctx.text("mentor.volunteer_usage"))
        return
    await _save_volunteer(ctx, data, answers)


def _parse_languages(text: str, data: Any) -> str:
    return ",".join(parse_languages(text))


async def _save_volunteer(ctx: Context, data: dict[str, Any], answers: dict[str, str]) -> None:
    community = await ctx.store.communities.get(int(data["community"]))
    if community is None:
        ctx.whisper(ctx.text("core.stale_button"))
        return
    row = await ctx.store.mentors.volunteer(
        ctx.member.id,
        community.id,
        answers["intro"],
        tuple(c for c in answers["languages"].split(",") if c),
        answers["availability"],
        ctx.now_ts(),
    )
    ctx.whisper(
        ctx.text(
            "mentor.volunteered",
            group=community.title or community.chat_id,
            languages=_languages(ctx.tr, row.languages),
            availability=row.availability or "—",
        )
    )


VOLUNTEER_FORM = Form(
    VOLUNTEER_STATE,
    [
        Step("intro", "mentor.ask_intro", limited(MAX_INTRO)),
        Step("languages", "mentor.ask_languages", _parse_languages),
        Step("availability", "mentor.ask_availability", limited(MAX_AVAILABILITY), optional=True),
    ],
    _save_volunteer,
)


async def _own_mentor_row(ctx: Context) -> MentorRow | None:
    community = await _community(ctx)
    if community is None:
        return None
    row = await ctx.store.mentors.mentor(ctx.member.id, community.id)
    if row is None:
        ctx.whisper(ctx.text("mentor.not_volunteer"))
    return row


async def _pause(ctx: Context, rest: str) -> None:
    if (row := await _own_mentor_row(ctx)) is not None:
        await ctx.store.mentors.set_status(ctx.member.id, row.community_id, "paused")
        ctx.whisper(ctx.text("mentor.paused"))


async def _resume(ctx: Context, rest: str) -> None:
    if (row := await _own_mentor_row(ctx)) is not None:
        await ctx.store.mentors.set_status(ctx.member.id, row.community_id, "active")
        ctx.whisper(ctx.text("mentor.resumed"))


async def _stop(ctx: Context, rest: str) -> None:
    if (row := await _own_mentor_row(ctx)) is not None:
        await ctx.store.mentors.stop(ctx.member.id, row.community_id)
        ctx.whisper(ctx.text("mentor.stopped"))


async def _temporary(ctx: Context, rest: str) -> None:
    on = parse_switch(rest)
    if on is None:
        ctx.whisper(ctx.text("mentor.temporary_usage"))
        return
    if (row := await _own_mentor_row(ctx)) is not None:
        await ctx.store.mentors.set_temporary(ctx.member.id, row.community_id, on)
        ctx.whisper(ctx.text("mentor.temporary_on" if on else "mentor.temporary_off"))


async def _temporary_list(ctx: Context, rest: str) -> None:
    community = await _community(ctx)
    if community is None:
        return
    settings = await ctx.store.mentors.settings(community.id)
    listed = []
    for row in await ctx.store.mentors.mentors(community.id):
        if row.temporary and await is_eligible(
            ctx.store, row.member.id, settings.min_months, ctx.now()
        ):
            listed.append(
                ctx.text(
                    "mentor.list_line",
                    name=row.member.display_name,
                    languages=_languages(ctx.tr, row.languages),
                    availability=row.availability or "—",
                    intro=row.intro,
                )
            )
    if not listed:
        ctx.whisper(ctx.text("mentor.list_empty"))
        return
    ctx.whisper(ctx.text("mentor.list_header") + "\n\n" + "\n\n".join(listed))


# -- requests -----------------------------------------------------------------------------------


async def _request(ctx: Context, rest: str) -> None:
    community = await _community(ctx)
    if community is None:
        return
    if await ctx.store.mentors.pending_request(ctx.member.id, community.id) is not None:
        ctx.whisper(ctx.text("mentor.already_requested"))
        return
    current = [
        p
        for p in await ctx.store.mentors.of_member(ctx.member.id)
        if p.mentee.id == ctx.member.id and p.community_id == community.id
    ]
    if current:
        ctx.whisper(ctx.text("mentor.already_mentored", name=current[0].mentor.display_name))
        return
    await REQUEST_FORM.start(
        ctx,
        {"community": community.id, "ask": {"language": _languages(ctx.tr, (ctx.lang,))}},
        ctx.text("mentor.request_intro"),
    )


async def _save_request(ctx: Context, data: dict[str, Any], answers: dict[str, str]) -> None:
    community = await ctx.store.communities.get(int(data["community"]))
    if community is None:
        ctx.whisper(ctx.text("core.stale_button"))
        return
    languages = tuple(c for c in answers["languages"].split(",") if c) or (ctx.lang,)
    request = await ctx.store.mentors.request(
        ctx.member.id, community.id, languages, answers["availability"], ctx.now_ts()
    )
    if request is None:
        ctx.whisper(ctx.text("mentor.already_requested"))
        return
    settings = await ctx.store.mentors.settings(community.id)
    if settings.auto_propose:
        matches = await suggestions(ctx, community, request, settings)
        if matches and await propose(ctx, request, matches[0][0].member) is not None:
            ctx.whisper(ctx.text("mentor.requested_proposed"))
            return
    await _tell_moderators(ctx, community, request)
    ctx.whisper(ctx.text("mentor.requested"))


REQUEST_FORM = Form(
    REQUEST_STATE,
    [
        Step("languages", "mentor.ask_request_languages", _parse_languages, optional=True),
        Step(
            "availability",
            "mentor.ask_request_availability",
            limited(MAX_AVAILABILITY),
            optional=True,
        ),
    ],
    _save_request,
)


async def _tell_moderators(
    ctx: Context, community: CommunityRow, request: MentorRequestRow
) -> None:
    for mod in await ctx.store.communities.moderators(community.id):
        tr = translator(mod.lang)
        reply = private_to(
            mod, tr("mentor.moderators_new_request", group=community.title or community.chat_id)
        )
        await ctx.store.outbox.enqueue(
            [
                planned(
                    dataclasses.replace(reply, moderator_of=community.chat_id),
                    key=f"mentor-request:{request.id}:{mod.id}",
                    kind="mentor_request",
                    due=ctx.now_ts(),
                    recipient_id=mod.id,
                )
            ]
        )


async def _cancel_request(ctx: Context, rest: str) -> None:
    community = await _community(ctx)
    if community is None:
        return
    request = await ctx.store.mentors.pending_request(ctx.member.id, community.id)
    if request is None:
        ctx.whisper(ctx.text("mentor.no_request"))
        return
    if request.status == "proposed":
        ctx.whisper(ctx.text("mentor.request_proposed_decide"))
        return
    await ctx.store.mentors.withdraw_request(ctx.member.id, community.id)
    ctx.whisper(ctx.text("mentor.request_cancelled"))


# -- moderators ---------------------------------------------------------------------------------


async def suggestions(
    ctx: Context, community: CommunityRow, request: MentorRequestRow, settings: MentorSettings
) -> list[tuple[MentorRow, float]]:
    """Mentors who fit the request, best first: active, past the threshold today, not the
    requester, with room for another mentee."""
    default = ctx.settings.community.timezone
    candidates: dict[int, MentorRow] = {}
    for row in await ctx.store.mentors.mentors(community.id):
        if row.member.id == request.member.id:
            continue
        load = [
            p
            for p in await ctx.store.mentors.of_member(row.member.id)
            if p.mentor.id == row.member.id
        ]
        if len(load) >= MAX_MENTEES:
            continue
        if await is_eligible(ctx.store, row.member.id, settings.min_months, ctx.now()):
            candidates[row.member.id] = row
    mentee = _person(
        request.member,
        request.languages,
        request.availability,
        member_tz(request.member, community, default),
    )
    people = [
        _person(r.member, r.languages, r.availability, member_tz(r.member, community, default))
        for r in candidates.values()
    ]
    return [(candidates[m.mentor_id], m.score) for m in best_matches(mentee, people, ctx.now())]


async def _requests(ctx: Context, rest: str) -> None:
    community = moderated_community(ctx, "mentor")
    if community is None:
        return
    counts = await ctx.store.mentors.counts(community.id)
    settings = await ctx.store.mentors.settings(community.id)
    lines = [
        ctx.text(
            "mentor.counts",
            mentors=counts.mentors,
            temporary=counts.temporary,
            paused=counts.paused,
            active=counts.active,
            proposed=counts.proposed,
            open=counts.open_requests,
        )
    ]
    for request in await ctx.store.mentors.requests(community.id):
        if request.status != "open":
            continue
        found = await suggestions(ctx, community, request, settings)
        names = ctx.tr.join(row.member.display_name for row, _ in found) or ctx.text(
            "mentor.no_suggestion"
        )
        since = datetime.fromtimestamp(request.created_at, ZoneInfo(ctx.community_tz_name()))
        lines.append(
            ctx.text(
                "mentor.request_line",
                id=request.id,
                name=request.member.display_name,
                since=ctx.tr.date(since.date()),
                languages=_languages(ctx.tr, request.languages),
                availability=request.availability or "—",
                suggested=names,
            )
        )
    if len(lines) > 1:
        lines.append(ctx.text("mentor.pair_hint"))
    ctx.whisper("\n\n".join(lines))


async def _pair(ctx: Context, rest: str) -> None:
    community = moderated_community(ctx, "mentor")
    if community is None:
        return
    ref, _, name = rest.partition(" ")
    request_id = parse_int(ref.removeprefix("#"))
    request = await ctx.store.mentors.get_request(request_id) if request_id is not None else None
    if request is None or request.community_id != community.id or request.status != "open":
        ctx.whisper(ctx.text("mentor.pair_usage"))
        return
    settings = await ctx.store.mentors.settings(community.id)
    fits = await suggestions(ctx, community, request, settings)
    if name.strip():
        found = await ctx.store.members.find_by_name(
            ctx.member.platform, community.id, name.strip()
        )
        if len(found) != 1:
            key = "mentor.ambiguous" if found else "mentor.not_found"
            ctx.whisper(ctx.text(key, name=name.strip()[:40]))
            return
        chosen: MemberRow = found[0]
        if chosen.id == request.member.id:
            ctx.whisper(ctx.text("mentor.not_themselves"))
            return
        if chosen.id not in {row.member.id for row, _ in fits}:
            ctx.whisper(ctx.text("mentor.not_available", name=chosen.display_name))
            return
    elif fits:
        chosen = fits[0][0].member
    else:
        ctx.whisper(ctx.text("mentor.no_suggestion_now"))
        return
    pair = await propose(ctx, request, chosen)
    if pair is None:
        ctx.whisper(ctx.text("mentor.pair_usage"))
        return
    ctx.whisper(
        ctx.text("mentor.proposed", mentor=chosen.display_name, mentee=request.member.display_name)
    )


async def propose(
    ctx: Context, request: MentorRequestRow, chosen: MemberRow
) -> MentorshipRow | None:
    """Propose `chosen` to the requester: both are asked, each privately; nothing is shared
    until both say yes."""
    pair = await ctx.store.mentors.propose(request, chosen.id, ctx.now_ts())
    if pair is None:
        return None
    volunteer = await ctx.store.mentors.mentor(chosen.id, request.community_id)
    mentee_tr, mentor_tr = translator(pair.mentee.lang), translator(pair.mentor.lang)
    await ctx.send_later(
        pair.mentee,
        mentee_tr(
            "mentor.offer_to_mentee",
            name=chosen.display_name,
            intro=volunteer.intro if volunteer else "",
            languages=_languages(mentee_tr, volunteer.languages if volunteer else ()),
            availability=(volunteer.availability if volunteer else "") or "—",
        ),
        _pair_buttons(mentee_tr, pair.id),
        key=f"mentor-offer:{pair.id}:{pair.mentee.id}",
        kind="mentor_proposal",
        about=pair.mentor,
    )
    await ctx.send_later(
        pair.mentor,
        mentor_tr(
            "mentor.offer_to_mentor",
            name=request.member.display_name,
            languages=_languages(mentor_tr, request.languages),
            availability=request.availability or "—",
        ),
        _pair_buttons(mentor_tr, pair.id),
        key=f"mentor-offer:{pair.id}:{pair.mentor.id}",
        kind="mentor_proposal",
        about=pair.mentee,
    )
    return pair


async def _settings(ctx: Context, rest: str) -> None:
    community = moderated_community(ctx, "mentor")
    if community is None:
        return
    settings = await ctx.store.mentors.settings(community.id)
    key, _, value = rest.casefold().partition(" ")
    value = value.strip()
    if key in ("years", "months"):
        most = 20 if key == "years" else 240
        n = parse_int(value, 0, most)
        if n is None:
            ctx.whisper(ctx.text("mentor.settings_bad", value=value[:20]))
            return
        settings = dataclasses.replace(settings, min_months=n * 12 if key == "years" else n)
        await ctx.store.mentors.save_settings(community.id, settings)
    elif key == "auto" and parse_switch(value) is not None:
        settings = dataclasses.replace(settings, auto_propose=bool(parse_switch(value)))
        await ctx.store.mentors.save_settings(community.id, settings)
    elif key:
        ctx.whisper(ctx.text("mentor.settings_usage"))
        return
    ctx.whisper(
        ctx.text(
            "mentor.settings",
            threshold=_threshold(ctx.tr, settings.min_months),
            auto=ctx.text("mentor.on") if settings.auto_propose else ctx.text("mentor.off"),
        )
    )


# -- sharing and ending -------------------------------------------------------------------------


async def _mentee_pair(ctx: Context) -> MentorshipRow | None:
    pairs = [
        p
        for p in await ctx.store.mentors.of_member(ctx.member.id)
        if p.mentee.id == ctx.member.id and p.status == "active"
    ]
    if not pairs:
        ctx.whisper(ctx.text("mentor.no_mentor"))
        return None
    return pairs[0]


async def _share(ctx: Context, rest: str) -> None:
    words = rest.casefold().split()
    item = _ITEM_WORDS.get(words[0]) if words else None
    on = parse_switch(words[1]) if len(words) == 2 else None
    pair = await _mentee_pair(ctx)
    if pair is None:
        return
    if item is None or on is None:
        ctx.whisper(
            ctx.text("mentor.share_usage", shared=_shared_list(ctx.tr, pair.sharing)),
            _share_buttons(ctx.tr, pair),
        )
        return
    await _set_share(ctx, pair, item, on)


async def _set_share(
    ctx: Context, pair: MentorshipRow, item: str, on: bool, edit: bool = False
) -> None:
    await ctx.store.mentors.set_sharing(pair.id, item, on, ctx.now_ts())
    sharing = pair.sharing | {item} if on else pair.sharing - {item}
    updated = dataclasses.replace(pair, sharing=frozenset(sharing))
    key = "mentor.share_on" if on else "mentor.share_off"
    ctx.whisper(
        ctx.text(key, item=ctx.text(f"mentor.item_{item}"), name=pair.mentor.display_name),
        _share_buttons(ctx.tr, updated),
        edit=edit,
    )


async def _end(ctx: Context, rest: str) -> None:
    pairs = await ctx.store.mentors.of_member(ctx.member.id)
    if rest.strip():
        wanted = rest.strip().casefold()
        pairs = [p for p in pairs if p.other(ctx.member.id).display_name.casefold() == wanted]
    if not pairs:
        ctx.whisper(ctx.text("mentor.nothing_to_end"))
        return
    if len(pairs) > 1:
        names = ctx.tr.join(p.other(ctx.member.id).display_name for p in pairs)
        ctx.whisper(ctx.text("mentor.end_which", names=names))
        return
    pair = pairs[0]
    ctx.whisper(
        ctx.text("mentor.end_confirm", name=pair.other(ctx.member.id).display_name),
        (
            (
                Button(ctx.text("mentor.end_yes"), f"{MENTOR_BUTTON}:end:{pair.id}"),
                Button(ctx.text("mentor.end_no"), f"{MENTOR_BUTTON}:keep:{pair.id}"),
            ),
        ),
    )


async def end_pair(ctx: Context, pair: MentorshipRow) -> None:
    """End now, on either side, without a reason; the other is told kindly."""
    ended = await ctx.store.mentors.end(pair.id, ctx.now_ts())
    if ended is None:
        ctx.whisper(ctx.text("core.stale_button"), edit=True)
        return
    other = ended.other(ctx.member.id)
    tr = translator(other.lang)
    if ended.status == "proposed":
        side = "mentor" if ctx.member.id == ended.mentor.id else "mentee"
        key, mine = f"mentor.declined_by_{side}", "mentor.you_declined"
    else:
        side = "mentor" if ctx.member.id == ended.mentor.id else "mentee"
        key, mine = f"mentor.ended_by_{side}", "mentor.you_ended"
    await ctx.send_later(
        other,
        tr(key, name=ctx.member.display_name),
        key=f"mentor-end:{ended.id}:{other.id}",
        kind="mentor_end",
        about=ctx.member,
    )
    ctx.whisper(ctx.text(mine, name=other.display_name), edit=True)


# -- buttons ------------------------------------------------------------------------------------


async def mentor_button(ctx: Context) -> None:
    parts = (ctx.event.button or "").split(":")
    pair_id = parse_int(parts[2]) if len(parts) >= 3 else None
    pair = await ctx.store.mentors.get(pair_id) if pair_id is not None else None
    if pair is None or ctx.member.id not in (pair.mentor.id, pair.mentee.id):
        ctx.whisper(ctx.text("mentor.gone"), edit=True)
        return
    action = parts[1]
    if action == "yes":
        await _accept(ctx, pair)
    elif action in ("no", "end"):
        await end_pair(ctx, pair)
    elif action == "keep":
        ctx.whisper(ctx.text("mentor.kept"), edit=True)
    elif action == "share" and len(parts) == 5 and ctx.member.id == pair.mentee.id:
        item = parts[3]
        if item not in SHARE_ITEMS or pair.status != "active":
            ctx.whisper(ctx.text("core.stale_button"))
            return
        await _set_share(ctx, pair, item, parts[4] == "1", edit=True)
    else:
        ctx.whisper(ctx.text("core.stale_button"))


async def _accept(ctx: Context, pair: MentorshipRow) -> None:
    first_nudge = ctx.now_ts() + int(NUDGE_EVERY.total_seconds())
    after = await ctx.store.mentors.accept(pair.id, ctx.member.id, ctx.now_ts(), first_nudge)
    if after is None:
        ctx.whisper(ctx.text("mentor.gone"), edit=True)
        return
    other = after.other(ctx.member.id)
    if after.status != "active":
        ctx.whisper(ctx.text("mentor.accepted_waiting", name=other.display_name), edit=True)
        return
    tr = translator(other.lang)
    is_mentor = ctx.member.id == after.mentor.id
    mine_key = "mentor.started_mentor" if is_mentor else "mentor.started_mentee"
    theirs_key = "mentor.started_mentee" if is_mentor else "mentor.started_mentor"
    await ctx.send_later(
        other,
        tr(theirs_key, name=ctx.member.display_name),
        _share_buttons(tr, after) if is_mentor else (),  # the buttons are the mentee's
        key=f"mentor-start:{after.id}:{other.id}",
        kind="mentor_start",
        about=ctx.member,
    )
    ctx.whisper(
        ctx.text(mine_key, name=other.display_name),
        () if is_mentor else _share_buttons(ctx.tr, after),
        edit=True,
    )


ROUTES = Routes(
    commands=[Command(name="mentor", handler=mentor, help_key="mentor.help")],
    buttons=[ButtonRoute(MENTOR_BUTTON, mentor_button)],
    conversations=[
        ConversationRoute(VOLUNTEER_STATE, VOLUNTEER_FORM.reply),
        ConversationRoute(REQUEST_STATE, REQUEST_FORM.reply),
    ],
)
