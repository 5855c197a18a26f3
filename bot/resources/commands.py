"""/resources: the community's own directory (housing, work, treatment, harm reduction, sober
events, recovery cafés, faith-based, legal, food, family), kept by moderators. Members look
up a category or an area and report an entry as outdated; entries not checked for a while,
or reported, go back to moderators (the review sweep). Answers are private: a search for
housing or legal help says something about the one searching."""

from __future__ import annotations

import dataclasses
from collections import Counter
from datetime import date
from typing import Any
from zoneinfo import ZoneInfo

from bot.common.dates import InputError
from bot.common.guided import Form, LineError, Step
from bot.common.moderated import moderated_community
from bot.common.parsing import parse_int, parse_switch
from bot.kernel.context import Context
from bot.kernel.i18n import Translator
from bot.kernel.router import Command, ConversationRoute, Routes
from bot.meetings.commands import visible_communities
from bot.resources.model import (
    CATEGORIES,
    FIELDS,
    category_words,
    checker,
    field_value,
    is_old,
    near,
    parse_category,
    review_at,
)
from bot.supporters.model import family_text
from storage.base import CommunityRow
from storage.resources_base import NewResource, ResourceRow, ResourceUpdate

ADD_STATE = "resources:add"
MAX_LISTED = 25
_MOD_VERBS = frozenset({"add", "edit", "checked", "remove", "review", "settings"})


def category_name(tr: Translator, key: str) -> str:
    return tr(f"resources.cat_{key}")


def entry_text(tr: Translator, row: ResourceRow, today: date, review_days: int) -> str:
    details = [d for d in (row.area, row.hours, row.languages) if d]
    lines = [f"#{row.id} {row.name}: {row.contact}"]
    if details:
        lines.append("   " + " · ".join(details))
    note = tr("resources.checked_on", date=row.checked_on)
    if row.reports or is_old(row, today, review_days):
        note += " " + tr("resources.may_be_outdated")
    lines.append("   " + note)
    return "\n".join(lines)


def _today(ctx: Context) -> date:
    return ctx.now().astimezone(ZoneInfo(ctx.tz_name())).date()


async def resources(ctx: Context) -> None:
    verb, _, rest = ctx.event.args.strip().partition(" ")
    low, rest = verb.casefold(), rest.strip()
    if low in _MOD_VERBS:
        community = moderated_community(ctx, "resources")
        if community is not None:
            await MODERATOR_VERBS[low](ctx, community, rest)
        return
    if low == "report":
        await _report(ctx, rest)
        return
    communities = await visible_communities(ctx)
    if not communities:
        ctx.whisper(ctx.text("resources.no_community"))
        return
    rows = await ctx.store.resources.of_communities([c.id for c in communities])
    if low == "":
        await _overview(ctx, communities, rows)
    elif low == "near":
        found = near(rows, rest)
        await _show(ctx, communities, found, ctx.text("resources.near_header", area=rest[:40]))
    elif (key := parse_category(low)) is not None:
        found = [r for r in rows if r.category == key]
        await _show(ctx, communities, found, category_name(ctx.tr, key))
        if key == "family":
            ctx.whisper(family_text(ctx.tr, ctx.member.country or _community_country(ctx)))
    else:
        ctx.whisper(ctx.text("resources.unknown_category", value=verb[:30]) + "\n\n" + _usage(ctx))


def _community_country(ctx: Context) -> str | None:
    if ctx.community is not None and ctx.community.country:
        return ctx.community.country
    return ctx.settings.community.country


def _usage(ctx: Context) -> str:
    return ctx.text("resources.usage", categories=category_words())


async def _overview(ctx: Context, communities: list[CommunityRow], rows: list[ResourceRow]) -> None:
    counts = Counter(r.category for r in rows)
    lines = [ctx.text("resources.header")]
    for key in CATEGORIES:
        if counts[key]:
            lines.append(f"• {category_name(ctx.tr, key)}: {counts[key]}")
    if not rows:
        lines.append(ctx.text("resources.empty"))
    for c in communities:
        if (await ctx.store.resources.settings(c.id)).family_group:
            lines.append(ctx.text("resources.family_group", group=c.title or c.chat_id))
    ctx.whisper("\n".join(lines) + "\n\n" + _usage(ctx))


async def _show(
    ctx: Context, communities: list[CommunityRow], rows: list[ResourceRow], title: str
) -> None:
    if not rows:
        ctx.whisper(ctx.text("resources.none_found", what=title))
        return
    days = {c.id: (await ctx.store.resources.settings(c.id)).review_days for c in communities}
    today = _today(ctx)
    shown = [entry_text(ctx.tr, r, today, days.get(r.community_id, 180)) for r in rows[:MAX_LISTED]]
    more = len(rows) - len(shown)
    footer = ctx.text("resources.report_hint")
    if more > 0:
        footer = ctx.tr.n("resources.more", more) + "\n" + footer
    ctx.whisper(f"{title}\n\n" + "\n\n".join(shown) + "\n\n" + footer)


async def _report(ctx: Context, rest: str) -> None:
    resource_id = parse_int(rest.removeprefix("#"))
    row = await ctx.store.resources.get(resource_id) if resource_id is not None else None
    allowed = {c.id for c in await visible_communities(ctx)} | {
        c.id for c in await ctx.store.communities.of_member(ctx.member.id)
    }
    if row is None or row.community_id not in allowed:
        ctx.whisper(ctx.text("resources.report_usage"))
        return
    new = await ctx.store.resources.report(row.id, ctx.member.id, ctx.now_ts())
    key = "resources.reported" if new else "resources.reported_already"
    ctx.whisper(ctx.text(key, name=row.name))


# -- moderators -----------------------------------------------------------------------------


async def _add(ctx: Context, community: CommunityRow, rest: str) -> None:
    data = {"community": community.id, "ask": {"categories": category_words()}}
    if "|" not in rest:
        await ADD_FORM.start(ctx, data, ctx.text("resources.add_intro"))
        return
    try:
        answers = ADD_FORM.from_line(rest, data)
    except LineError as exc:
        problem = _problem(ctx, exc.key, exc.value) + "\n" if exc.key else ""
        ctx.whisper(problem + ctx.text("resources.add_usage"))
        return
    await _save_new(ctx, community, answers)


def _problem(ctx: Context, key: str, text: str) -> str:
    return ctx.text(key, value=text[:40], categories=category_words())


async def _finish_add(ctx: Context, data: dict[str, Any], answers: dict[str, str]) -> None:
    community = await ctx.store.communities.get(int(data["community"]))
    if community is None:
        ctx.whisper(ctx.text("core.stale_button"))
        return
    await _save_new(ctx, community, answers)


async def _save_new(ctx: Context, community: CommunityRow, answers: dict[str, str]) -> None:
    settings = await ctx.store.resources.settings(community.id)
    today = _today(ctx)
    new = NewResource(
        category=answers["category"],
        name=answers["name"],
        contact=answers["contact"],
        area=answers.get("area", ""),
        hours=answers.get("hours", ""),
        languages=answers.get("languages", ""),
        checked_on=today.isoformat(),
        review_at=review_at(today, settings.review_days),
    )
    row = await ctx.store.resources.add(community.id, new, ctx.member.id, ctx.now_ts())
    if row is None:
        ctx.whisper(
            ctx.text(
                "resources.duplicate",
                name=new.name,
                category=category_name(ctx.tr, new.category),
            )
        )
        return
    ctx.whisper(
        ctx.text("resources.added", category=category_name(ctx.tr, row.category))
        + "\n\n"
        + entry_text(ctx.tr, row, today, settings.review_days)
    )


ADD_FORM = Form(
    ADD_STATE,
    [
        Step("category", "resources.ask_category", checker("category")),
        Step("name", "resources.ask_name", checker("name")),
        Step("contact", "resources.ask_contact", checker("contact")),
        Step("area", "resources.ask_area", checker("area"), optional=True),
        Step("hours", "resources.ask_hours", checker("hours"), optional=True),
        Step("languages", "resources.ask_languages", checker("languages"), optional=True),
    ],
    _finish_add,
)


async def _entry(ctx: Context, community: CommunityRow, ref: str) -> ResourceRow | None:
    resource_id = parse_int(ref.strip().removeprefix("#"))
    row = await ctx.store.resources.get(resource_id) if resource_id is not None else None
    if row is None or row.community_id != community.id:
        ctx.whisper(ctx.text("resources.not_found", ref=ref.strip()[:20]))
        return None
    return row


async def _edit(ctx: Context, community: CommunityRow, rest: str) -> None:
    ref, field, value = [*rest.split(maxsplit=2), "", "", ""][:3]
    field = field.casefold()
    if field not in FIELDS or not value:
        ctx.whisper(ctx.text("resources.edit_usage", fields=", ".join(FIELDS)))
        return
    row = await _entry(ctx, community, ref)
    if row is None:
        return
    try:
        checked = field_value(field, value)
    except InputError as exc:
        ctx.whisper(_problem(ctx, exc.key, value))
        return
    if not await ctx.store.resources.update(
        row.id, ResourceUpdate(**{field: checked}), ctx.now_ts()
    ):
        name = checked if field == "name" else row.name
        ctx.whisper(
            ctx.text("resources.duplicate", name=name, category=category_name(ctx.tr, row.category))
        )
        return
    ctx.whisper(ctx.text("resources.edited", name=row.name, field=field))


async def _checked(ctx: Context, community: CommunityRow, rest: str) -> None:
    row = await _entry(ctx, community, rest)
    if row is None:
        return
    settings = await ctx.store.resources.settings(community.id)
    today = _today(ctx)
    await ctx.store.resources.checked(
        row.id, today.isoformat(), review_at(today, settings.review_days), ctx.now_ts()
    )
    ctx.whisper(ctx.text("resources.marked_checked", name=row.name, date=today.isoformat()))


async def _remove(ctx: Context, community: CommunityRow, rest: str) -> None:
    row = await _entry(ctx, community, rest)
    if row is not None:
        await ctx.store.resources.remove(row.id)
        ctx.whisper(ctx.text("resources.removed", name=row.name))


async def _review(ctx: Context, community: CommunityRow, rest: str) -> None:
    settings = await ctx.store.resources.settings(community.id)
    today = _today(ctx)
    rows = [
        r
        for r in await ctx.store.resources.of_communities([community.id])
        if r.reports or r.review_at is None or is_old(r, today, settings.review_days)
    ]
    if not rows:
        ctx.whisper(ctx.text("resources.review_none", days=settings.review_days))
        return
    lines = [review_line(ctx.tr, r) for r in rows]
    ctx.whisper(
        ctx.text("resources.review_header")
        + "\n"
        + "\n".join(lines)
        + "\n\n"
        + ctx.text("resources.review_hint")
    )


def review_line(tr: Translator, row: ResourceRow) -> str:
    line = "• " + tr("resources.review_line", id=row.id, name=row.name, date=row.checked_on)
    if row.reports:
        line += " " + tr.n("resources.review_reports", row.reports)
    return line


async def _settings(ctx: Context, community: CommunityRow, rest: str) -> None:
    settings = await ctx.store.resources.settings(community.id)
    key, _, value = rest.casefold().partition(" ")
    value = value.strip()
    if key == "review":
        days = parse_int(value, 7, 3650)
        if days is None:
            ctx.whisper(ctx.text("resources.settings_bad", value=value[:20]))
            return
        settings = dataclasses.replace(settings, review_days=days)
        await ctx.store.resources.save_settings(community.id, settings)
        rows = await ctx.store.resources.of_communities([community.id])
        await ctx.store.resources.reschedule(
            [(r.id, review_at(date.fromisoformat(r.checked_on), days)) for r in rows]
        )
    elif key == "family" and parse_switch(value) is not None:
        settings = dataclasses.replace(settings, family_group=bool(parse_switch(value)))
        await ctx.store.resources.save_settings(community.id, settings)
    elif key:
        ctx.whisper(ctx.text("resources.settings_usage"))
        return
    on = ctx.text("resources.on") if settings.family_group else ctx.text("resources.off")
    ctx.whisper(ctx.text("resources.settings", days=settings.review_days, family=on))


MODERATOR_VERBS = {
    "add": _add,
    "edit": _edit,
    "checked": _checked,
    "remove": _remove,
    "review": _review,
    "settings": _settings,
}

ROUTES = Routes(
    commands=[Command(name="resources", handler=resources, help_key="resources.help")],
    conversations=[ConversationRoute(ADD_STATE, ADD_FORM.reply)],
)
