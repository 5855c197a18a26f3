"""Family and friends. A member invites a supporter with a one-time code (/supporters
invite); the supporter, any user of the platform, joins with /supporting CODE in a private
chat. Nothing is shared until the member switches items on, one by one: milestone
congratulations, a gentle heads-up after some days without a check-in, a heads-up on a
"not sober today" day (told as a hard day). Never answers or notes. The member can switch
any item off, or remove a supporter, at any time: what was planned and not yet sent is
withdrawn with it. Supporters get family resources from packaged, sourced data."""

from __future__ import annotations

from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from bot.checkins.model import next_prompt_utc
from bot.common.parsing import parse_int, parse_switch
from bot.kernel.context import Context
from bot.kernel.hhmm import parse_hhmm
from bot.kernel.i18n import Translator, translator
from bot.kernel.router import ButtonRoute, Command, Routes, Where
from bot.kernel.types import Button, Buttons
from bot.supporters.model import code_hash, family_text, new_code, normalize_code
from storage.base import MemberRow
from storage.supporters_base import SUPPORT_ITEMS, SupporterRow

SUPPORTER_BUTTON = "sup"  # sup:set:<link>:<item>:<1|0>, sup:rm:<link>
CODE_LIFE = timedelta(hours=72)
MAX_OPEN_CODES = 3
MAX_SUPPORTERS = 10
MAX_MISSED_DAYS = 30
_ITEM_WORDS = {
    "milestones": "milestones",
    "milestone": "milestones",
    "missed": "missed",
    "checkins": "missed",
    "gaps": "missed",
    "hard": "not_sober",
    "not_sober": "not_sober",
    "notsober": "not_sober",
    "not-sober": "not_sober",
}


def first_look(member_tz: str, look_at: time, now: datetime) -> int:
    """When a new supporter's daily look first runs: the member's next local morning."""
    return int(next_prompt_utc(look_at, ZoneInfo(member_tz), now).timestamp())


def _item_label(tr: Translator, item: str, link: SupporterRow) -> str:
    return tr(f"supporters.item_{item}", days=link.missed_days)


def _shared(tr: Translator, link: SupporterRow) -> str:
    return tr.join(_item_label(tr, i, link) for i in SUPPORT_ITEMS if i in link.sharing) or tr(
        "supporters.nothing_shared"
    )


def _toggles(tr: Translator, link: SupporterRow) -> Buttons:
    rows: list[tuple[Button, ...]] = []
    for item in SUPPORT_ITEMS:
        on = item in link.sharing
        label = f"{link.supporter.display_name}: {_item_label(tr, item, link)}" + (
            " ✓" if on else ""
        )
        rows.append((Button(label, f"{SUPPORTER_BUTTON}:set:{link.id}:{item}:{0 if on else 1}"),))
    rows.append(
        (
            Button(
                tr("supporters.remove_button", name=link.supporter.display_name),
                f"{SUPPORTER_BUTTON}:rm:{link.id}",
            ),
        )
    )
    return tuple(rows)


# -- /supporters: the member's side -------------------------------------------------------------


async def supporters(ctx: Context) -> None:
    verb, _, rest = ctx.event.args.strip().partition(" ")
    verb, rest = verb.casefold(), rest.strip()
    if verb == "invite":
        await _invite(ctx)
    elif verb == "allow":
        await _allow(ctx, rest)
    elif verb == "missed":
        await _missed(ctx, rest)
    elif verb == "remove":
        link = await _named(ctx, rest)
        if link is not None:
            await _remove(ctx, link)
    elif verb == "":
        await _list(ctx)
    else:
        ctx.whisper(ctx.text("supporters.usage"))


async def _list(ctx: Context) -> None:
    links = await ctx.store.supporters.of_member(ctx.member.id)
    if not links:
        ctx.whisper(ctx.text("supporters.usage"))
        return
    lines = [ctx.text("supporters.header")]
    buttons: Buttons = ()
    for link in links:
        lines.append(
            ctx.text(
                "supporters.line", name=link.supporter.display_name, shared=_shared(ctx.tr, link)
            )
        )
        buttons += _toggles(ctx.tr, link)
    lines.append(ctx.text("supporters.change_hint"))
    ctx.whisper("\n".join(lines), buttons)


async def _invite(ctx: Context) -> None:
    now = ctx.now_ts()
    if await ctx.store.supporters.open_invites(ctx.member.id, now) >= MAX_OPEN_CODES:
        ctx.whisper(ctx.text("supporters.too_many_codes", most=MAX_OPEN_CODES))
        return
    if len(await ctx.store.supporters.of_member(ctx.member.id)) >= MAX_SUPPORTERS:
        ctx.whisper(ctx.text("supporters.full_own", most=MAX_SUPPORTERS))
        return
    code = new_code()
    expires = now + int(CODE_LIFE.total_seconds())
    await ctx.store.supporters.invite(ctx.member.id, code_hash(code), now, expires)
    ctx.whisper(
        ctx.text(
            "supporters.code",
            code=code,
            until=ctx.show_time(datetime.fromtimestamp(expires, ZoneInfo("UTC"))),
        )
    )


async def _named(ctx: Context, name: str) -> SupporterRow | None:
    """The member's supporter called `name` (or #id), after saying so when there is none."""
    links = await ctx.store.supporters.of_member(ctx.member.id)
    wanted = name.strip().removeprefix("@").casefold()
    ref = parse_int(wanted.removeprefix("#")) if wanted.startswith("#") else None
    found = [
        link
        for link in links
        if link.id == ref
        or wanted in (link.supporter.display_name.casefold(), link.supporter.user_id.casefold())
    ]
    if len(found) == 1:
        return found[0]
    if not links:
        ctx.whisper(ctx.text("supporters.none"))
    elif found:
        ctx.whisper(ctx.text("supporters.ambiguous", name=name[:40]))
    else:
        names = ctx.tr.join(link.supporter.display_name for link in links)
        ctx.whisper(ctx.text("supporters.unknown", name=name[:40], names=names))
    return None


async def _allow(ctx: Context, rest: str) -> None:
    words = rest.split()
    if len(words) < 3:
        ctx.whisper(ctx.text("supporters.allow_usage"))
        return
    item = _ITEM_WORDS.get(words[-2].casefold())
    on = parse_switch(words[-1])
    if item is None or on is None:
        ctx.whisper(ctx.text("supporters.allow_usage"))
        return
    link = await _named(ctx, " ".join(words[:-2]))
    if link is not None:
        await _set(ctx, link, item, on)


async def _set(ctx: Context, link: SupporterRow, item: str, on: bool, edit: bool = False) -> None:
    await ctx.store.supporters.set_sharing(link.id, item, on, ctx.now_ts())
    after = await ctx.store.supporters.get(link.id)
    if after is None:
        ctx.whisper(ctx.text("supporters.gone"), edit=edit)
        return
    key = "supporters.allowed" if on else "supporters.stopped_item"
    ctx.whisper(
        ctx.text(key, name=link.supporter.display_name, item=_item_label(ctx.tr, item, after)),
        _toggles(ctx.tr, after),
        edit=edit,
    )


async def _missed(ctx: Context, rest: str) -> None:
    name, _, days_text = rest.rpartition(" ")
    days = parse_int(days_text, 1, MAX_MISSED_DAYS)
    if not name.strip() or days is None:
        ctx.whisper(ctx.text("supporters.missed_usage", most=MAX_MISSED_DAYS))
        return
    link = await _named(ctx, name)
    if link is None:
        return
    await ctx.store.supporters.set_missed_days(link.id, days)
    ctx.whisper(ctx.tr.n("supporters.missed_set", days, name=link.supporter.display_name))


async def _remove(ctx: Context, link: SupporterRow, edit: bool = False) -> None:
    """Removed at once, with everything planned for them; they are not told (a member may
    have reasons to step away quietly)."""
    await ctx.store.supporters.remove(link.id, ctx.now_ts())
    ctx.whisper(ctx.text("supporters.removed", name=link.supporter.display_name), edit=edit)


async def supporter_button(ctx: Context) -> None:
    parts = (ctx.event.button or "").split(":")
    link_id = parse_int(parts[2]) if len(parts) >= 3 else None
    link = await ctx.store.supporters.get(link_id) if link_id is not None else None
    if link is None or link.member.id != ctx.member.id:
        ctx.whisper(ctx.text("supporters.gone"), edit=True)
        return
    if parts[1] == "rm":
        await _remove(ctx, link, edit=True)
    elif parts[1] == "set" and len(parts) == 5 and parts[3] in SUPPORT_ITEMS:
        await _set(ctx, link, parts[3], parts[4] == "1", edit=True)
    else:
        ctx.whisper(ctx.text("core.stale_button"))


# -- /supporting: the supporter's side ----------------------------------------------------------


async def supporting(ctx: Context) -> None:
    verb, _, rest = ctx.event.args.strip().partition(" ")
    low = verb.casefold()
    if low == "":
        await _supporting_list(ctx)
    elif low == "stop":
        await _step_back(ctx, rest.strip())
    elif low in ("resources", "help", "family"):
        ctx.whisper(family_text(ctx.tr, rest.strip().upper() or _country(ctx)))
    elif normalize_code(ctx.event.args) is not None:
        await _join(ctx, ctx.event.args)
    else:
        ctx.whisper(ctx.text("supporters.bad_code"))


def _country(ctx: Context, supported: MemberRow | None = None) -> str | None:
    """The supporter's country, else that of the person they support, else the group's."""
    if ctx.member.country:
        return ctx.member.country
    if supported is not None and supported.country:
        return supported.country
    if ctx.community is not None and ctx.community.country:
        return ctx.community.country
    return ctx.settings.community.country


async def _join(ctx: Context, text: str) -> None:
    hashed = code_hash(text)
    if not ctx.in_private:
        # Everyone in the group saw it: it can no longer be the member's private invitation.
        await ctx.store.supporters.void(hashed, ctx.now_ts())
        ctx.whisper(ctx.text("supporters.code_in_group"))
        return
    look_at = parse_hhmm(ctx.settings.community.celebration_time)
    outcome = await ctx.store.supporters.redeem(hashed, ctx.member.id, ctx.now_ts(), MAX_SUPPORTERS)
    member = outcome.member
    name = member.display_name if member is not None else ""
    if outcome.status != "joined" or outcome.link is None or member is None:
        key = outcome.status if outcome.status != "joined" else "unknown"
        ctx.whisper(ctx.text(f"supporters.join_{key}", name=name, most=MAX_SUPPORTERS))
        return
    zone = member.tz or ctx.settings.community.timezone
    await ctx.store.supporters.set_next_look(outcome.link.id, first_look(zone, look_at, ctx.now()))
    theirs = translator(member.lang)
    await ctx.send_later(
        member,
        theirs("supporters.joined_member", name=ctx.member.display_name),
        _toggles(theirs, outcome.link),
        key=f"supporter-joined:{outcome.link.id}",
        kind="supporter_joined",
        about=ctx.member,
    )
    ctx.whisper(
        ctx.text("supporters.joined", name=name)
        + "\n\n"
        + family_text(ctx.tr, _country(ctx, member))
    )


async def _supporting_list(ctx: Context) -> None:
    links = await ctx.store.supporters.of_supporter(ctx.member.id)
    if not links:
        ctx.whisper(ctx.text("supporters.supporting_usage"))
        return
    lines = [ctx.text("supporters.supporting_header")]
    for link in links:
        lines.append(
            ctx.text(
                "supporters.supporting_line",
                name=link.member.display_name,
                shared=_shared(ctx.tr, link),
            )
        )
    lines.append(ctx.text("supporters.supporting_hint"))
    ctx.whisper("\n".join(lines))


async def _step_back(ctx: Context, name: str) -> None:
    links = await ctx.store.supporters.of_supporter(ctx.member.id)
    wanted = name.casefold()
    found = [link for link in links if link.member.display_name.casefold() == wanted]
    if len(links) == 1 and not name:
        found = links
    if len(found) != 1:
        names = ctx.tr.join(link.member.display_name for link in links) or "—"
        ctx.whisper(ctx.text("supporters.stop_which", names=names))
        return
    link = found[0]
    await ctx.store.supporters.remove(link.id, ctx.now_ts())
    theirs = translator(link.member.lang)
    await ctx.send_later(
        link.member,
        theirs("supporters.stepped_back", name=ctx.member.display_name),
        key=f"supporter-left:{link.id}",
        kind="supporter_left",
        about=ctx.member,
    )
    ctx.whisper(ctx.text("supporters.you_stepped_back", name=link.member.display_name))


ROUTES = Routes(
    commands=[
        Command(name="supporters", handler=supporters, help_key="supporters.help"),
        Command(
            name="supporting",
            handler=supporting,
            help_key="supporters.supporting_help",
            where=Where.PRIVATE,
        ),
    ],
    buttons=[ButtonRoute(SUPPORTER_BUTTON, supporter_button)],
)
