"""Sobriety counters: /sober, /reset (/slip), /history, /celebrate, /share, /leaderboard,
and the milestone celebrations planned by the sweep."""

from __future__ import annotations

import re
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from bot.common.dates import DateInputError, parse_start
from bot.common.hhmm import parse_hhmm
from bot.common.parsing import parse_int, parse_switch
from bot.kernel.context import Context
from bot.kernel.i18n import translator
from bot.kernel.outbox import planned, private_to
from bot.kernel.router import ButtonRoute, Command, ConversationRoute, Routes, Where
from bot.kernel.types import Button, ChatRef, Fallback, Priority, Reply
from bot.sobriety.milestones import get_milestone, milestone_meaning, milestones_between
from bot.sobriety.model import clean_duration, days_clean, start_instant
from bot.sobriety.suggest import suggest_counters, suggest_sober
from storage.base import Advance, CounterRow, OutboxItem, Store
from storage.rows import SharingUpdate

RESET_BUTTON = "reset"
ASKED_RESTART = "sober:restart:"

MAX_COUNTERS = 10
MAX_NAME = 32
DEFAULT_NAME = "clean time"
# Letters and digits in any script, spaces, hyphens and apostrophes: nothing any platform reads
# as markup (no "_", "*", "<", "`"), so names need no per-platform escaping.
_NAME_OK = re.compile(r"^[^\W_](?:[^\W_]|[ '\-])*$")
HORIZON = timedelta(days=366 * 3)


# -- pure helpers -------------------------------------------------------------------------------


def clean_name(text: str) -> str | None:
    """A counter name safe to show on any platform (no markup characters), or None."""
    name = " ".join(text.split()).casefold()
    if not name or len(name) > MAX_NAME or not _NAME_OK.match(name):
        return None
    return name


def plan_next(
    start: date, start_time: time | None, tz: ZoneInfo, from_day: date, celebrate_at: time
) -> tuple[str | None, int | None]:
    """The first milestone due on or after `from_day`, and when to celebrate it: the member's
    local morning on its day (24 hours waits until a full day really has passed)."""
    for milestone, due in milestones_between(start, from_day, from_day + HORIZON):
        at = start_instant(due, celebrate_at, tz)
        if milestone.key == "24h" and start_time is not None:
            at = max(at, start_instant(start, start_time, tz) + timedelta(hours=24))
        return milestone.key, int(at.timestamp())
    return None, None


def split_date_and_name(
    args: str, today: date, locale: str, now_time: time
) -> tuple[date, time | None, str]:
    """'/sober 14 March 2025 alcohol': the longest leading words that read as a date, and the
    rest as the counter's name. Raises DateInputError with the most telling reason."""
    words = args.split()
    best_error: DateInputError | None = None
    for cut in range(min(len(words), 5), 0, -1):
        try:
            day, at = parse_start(" ".join(words[:cut]), today, locale, now_time)
        except DateInputError as exc:
            if best_error is None or best_error.key == "date.unknown_format":
                best_error = exc
            continue
        return day, at, " ".join(words[cut:])
    raise best_error or DateInputError("date.unknown_format", args)


def describe_duration(ctx: Context, counter: CounterRow, now: datetime) -> str:
    tz = ZoneInfo(counter.tz)
    start_day = date.fromisoformat(counter.start_date)
    start_at = start_instant(start_day, _time(counter.start_time), tz)
    days = days_clean(start_at, now, tz)
    if counter.start_time is not None and days < 3:
        hours = int(clean_duration(start_at, now).total_seconds() // 3600)
        return ctx.tr.n("sober.hours", hours)
    return ctx.tr.n("sober.days", days)


def counter_days(counter: CounterRow, now: datetime) -> int:
    """Days clean on a counter, in its member's time zone."""
    tz = ZoneInfo(counter.tz)
    return days_clean(start_instant(date.fromisoformat(counter.start_date), None, tz), now, tz)


def _time(text: str | None) -> time | None:
    return parse_hhmm(text) if text else None


def _today(tz: ZoneInfo, now: datetime) -> date:
    return now.astimezone(tz).date()


def _celebrate_at(ctx: Context) -> time:
    return parse_hhmm(ctx.settings.community.celebration_time)


def _program(ctx: Context) -> str:
    return ctx.community.program if ctx.community else ctx.settings.community.program


# -- /sober ----------------------------------------------------------------------------------


async def sober(ctx: Context) -> None:
    args = ctx.event.args.strip()
    if not args:
        await _list(ctx)
        return
    head, _, rest = args.partition(" ")
    if head.casefold() in ("remove", "delete"):
        await _remove(ctx, rest)
        return
    await _set(ctx, args)


async def _list(ctx: Context) -> None:
    counters = await ctx.store.sobriety.counters(ctx.member.id)
    if not counters:
        ctx.whisper(ctx.text("sober.none"))
        return
    now = ctx.now()
    lines = [_status_line(ctx, c, now) for c in counters]
    ctx.whisper("\n\n".join(lines))
    if not ctx.in_private:
        sharing = await ctx.store.sobriety.sharing(ctx.member.id)
        if sharing.share_days:
            best = max(counter_days(c, now) for c in counters)
            ctx.say(ctx.text("sober.public_line", name=ctx.sender.display_name, days=best))


def _status_line(ctx: Context, counter: CounterRow, now: datetime) -> str:
    tz = ZoneInfo(counter.tz)
    start = date.fromisoformat(counter.start_date)
    today = _today(tz, now)
    text = ctx.text(
        "sober.status",
        name=counter.name,
        duration=describe_duration(ctx, counter, now),
        since=counter.start_date,
    )
    reached_today = [m for m, due in milestones_between(start, today, today)]
    if reached_today:
        text += "\n" + ctx.text("sober.milestone_today", label=reached_today[0].label)
    upcoming = milestones_between(start, today + timedelta(days=1), today + HORIZON)
    if upcoming:
        milestone, due = upcoming[0]
        text += "\n" + ctx.text(
            "sober.next", label=milestone.label, date=due.isoformat(), days=(due - today).days
        )
    return text


async def _set(ctx: Context, args: str) -> None:
    tz = ctx.tz()
    now_local = ctx.now().astimezone(tz)
    locale = ctx.member.date_locale or ctx.settings.community.date_locale
    try:
        day, at, name_text = split_date_and_name(args, now_local.date(), locale, now_local.time())
    except DateInputError as exc:
        ctx.whisper(ctx.text(exc.key) + "\n" + ctx.text("sober.example"))
        return
    name = clean_name(name_text) if name_text else DEFAULT_NAME
    if name is None:
        ctx.whisper(ctx.text("sober.bad_name", max=MAX_NAME))
        return
    existing = await ctx.store.sobriety.counters(ctx.member.id)
    same = next((c for c in existing if c.name == name), None)
    if same is None and len(existing) >= MAX_COUNTERS:
        ctx.whisper(ctx.text("sober.too_many", max=MAX_COUNTERS))
        return
    if same is not None and day > date.fromisoformat(same.start_date):
        # A later date on an existing counter is a new start: keep the streak in history.
        await _restart(ctx, same, day, at)
        return
    key, due_at = plan_next(day, at, tz, now_local.date(), _celebrate_at(ctx))
    counter = await ctx.store.sobriety.save_counter(
        ctx.member.id,
        name,
        day.isoformat(),
        at.strftime("%H:%M") if at else None,
        tz.key,
        key,
        due_at,
        ctx.now_ts(),
    )
    ctx.whisper(ctx.text("sober.saved") + "\n\n" + _status_line(ctx, counter, ctx.now()))


async def _remove(ctx: Context, name_text: str) -> None:
    counter = await _find(ctx, name_text)
    if counter is None:
        return
    await ctx.store.sobriety.remove_counter(counter.id)
    ctx.whisper(ctx.text("sober.removed", name=counter.name))


async def _find(ctx: Context, name_text: str) -> CounterRow | None:
    counters = await ctx.store.sobriety.counters(ctx.member.id)
    if not counters:
        ctx.whisper(ctx.text("sober.none"))
        return None
    if not name_text.strip():
        if len(counters) == 1:
            return counters[0]
        ctx.whisper(ctx.text("sober.which", names=", ".join(c.name for c in counters)))
        return None
    name = clean_name(name_text)
    match = next((c for c in counters if c.name == name), None)
    if match is None:
        ctx.whisper(
            ctx.text(
                "sober.unknown_counter",
                name=name_text.strip()[:MAX_NAME],
                names=", ".join(c.name for c in counters),
            )
        )
    return match


# -- setbacks --------------------------------------------------------------------------------


async def reset(ctx: Context) -> None:
    counter = await _find(ctx, ctx.event.args)
    if counter is None:
        return
    cid = counter.id
    ctx.whisper(
        ctx.text("reset.ask", name=counter.name),
        (
            (Button(ctx.text("reset.keep"), f"{RESET_BUTTON}:slip:{cid}"),),
            (Button(ctx.text("reset.today"), f"{RESET_BUTTON}:today:{cid}"),),
            (Button(ctx.text("reset.other"), f"{RESET_BUTTON}:date:{cid}"),),
            (Button(ctx.text("reset.cancel"), f"{RESET_BUTTON}:cancel:{cid}"),),
        ),
    )


async def reset_button(ctx: Context) -> None:
    parts = (ctx.event.button or "").split(":")
    cid = parse_int(parts[2]) if len(parts) == 3 else None
    if cid is None:
        ctx.whisper(ctx.text("core.stale_button"))
        return
    action = parts[1]
    counter = next(
        (c for c in await ctx.store.sobriety.counters(ctx.member.id) if c.id == cid), None
    )
    if counter is None:
        ctx.whisper(ctx.text("core.stale_button"))
        return
    today = _today(ZoneInfo(counter.tz), ctx.now())
    if action == "slip":
        await ctx.store.sobriety.log_slip(counter, today.isoformat(), ctx.now_ts())
        ctx.whisper(
            ctx.text("reset.slip_logged", name=counter.name, since=counter.start_date)
            + "\n\n"
            + ctx.text("reset.support"),
            edit=True,
        )
    elif action == "today":
        await _restart(ctx, counter, today, None)
    elif action == "date":
        await ctx.store.conversations.set(
            ctx.member.id, f"{ASKED_RESTART}{cid}", {}, ctx.now_ts() + 600
        )
        ctx.whisper(ctx.text("reset.ask_date"), edit=True)
    else:
        ctx.whisper(ctx.text("reset.cancelled"), edit=True)


async def restart_reply(ctx: Context) -> bool:
    """Free text after 'start again from another date'."""
    convo = await ctx.store.conversations.get(ctx.member.id, ctx.now_ts())
    if convo is None:
        return False
    cid = int(convo.state.rsplit(":", 1)[1])
    counter = next(
        (c for c in await ctx.store.sobriety.counters(ctx.member.id) if c.id == cid), None
    )
    if counter is None:
        await ctx.store.conversations.clear(ctx.member.id)
        ctx.whisper(ctx.text("core.stale_button"))
        return True
    tz = ZoneInfo(counter.tz)
    now_local = ctx.now().astimezone(tz)
    locale = ctx.member.date_locale or ctx.settings.community.date_locale
    try:
        day, at = parse_start(ctx.event.text, now_local.date(), locale, now_local.time())
    except DateInputError as exc:
        ctx.whisper(ctx.text(exc.key) + "\n" + ctx.text("reset.example"))
        return True
    if day < date.fromisoformat(counter.start_date):
        ctx.whisper(ctx.text("reset.before_start", since=counter.start_date))
        return True
    await ctx.store.conversations.clear(ctx.member.id)
    await _restart(ctx, counter, day, at)
    return True


async def _restart(ctx: Context, counter: CounterRow, day: date, at: time | None) -> None:
    tz = ZoneInfo(counter.tz)
    old_start = date.fromisoformat(counter.start_date)
    days = max((day - old_start).days, 0)
    key, due_at = plan_next(day, at, tz, _today(tz, ctx.now()), _celebrate_at(ctx))
    await ctx.store.sobriety.restart(
        counter,
        day.isoformat(),
        days,
        day.isoformat(),
        at.strftime("%H:%M") if at else None,
        key,
        due_at,
        ctx.now_ts(),
    )
    ctx.whisper(
        ctx.text("reset.restarted", name=counter.name, days=days, since=day.isoformat())
        + "\n\n"
        + ctx.text("reset.support"),
        edit=True,
    )


async def history(ctx: Context) -> None:
    store = ctx.store.sobriety
    past = await store.history(ctx.member.id)
    counters = await store.counters(ctx.member.id)
    slips = await store.slips(ctx.member.id)
    if not past and not counters:
        ctx.whisper(ctx.text("sober.none"))
        return
    now = ctx.now()
    current = [(c, counter_days(c, now)) for c in counters]
    lines = [ctx.text("history.header")]
    for c, days in current:
        lines.append(ctx.text("history.current", name=c.name, since=c.start_date, days=days))
    for s in past:
        lines.append(
            ctx.text("history.past", name=s.name, start=s.start_date, end=s.end_date, days=s.days)
        )
    if slips:
        lines.append(ctx.text("history.slips", count=len(slips)))
    total = sum(s.days for s in past) + sum(d for _, d in current)
    longest = max([s.days for s in past] + [d for _, d in current])
    lines.append(ctx.text("history.totals", total=total, longest=longest))
    ctx.whisper("\n".join(lines))


# -- sharing ---------------------------------------------------------------------------------


async def celebrate(ctx: Context) -> None:
    words = ctx.event.args.casefold().split()
    if (
        words == []
        or parse_switch(words[-1]) is None
        or len(words) > 2
        or (len(words) == 2 and words[0] != "substance")
    ):
        sharing = await ctx.store.sobriety.sharing(ctx.member.id)
        ctx.whisper(
            ctx.text(
                "celebrate.usage",
                celebrate=_onoff(ctx, sharing.celebrate),
                substance=_onoff(ctx, sharing.show_substance),
            )
        )
        return
    flag = "show_substance" if len(words) == 2 else "celebrate"
    on = parse_switch(words[-1]) is True
    change = SharingUpdate(show_substance=on) if flag == "show_substance" else SharingUpdate(
        celebrate=on
    )
    await ctx.store.sobriety.set_sharing(ctx.member.id, change)
    ctx.whisper(ctx.text(f"celebrate.{flag}_{'on' if on else 'off'}"))


async def share(ctx: Context) -> None:
    on = parse_switch(ctx.event.args)
    if on is None:
        sharing = await ctx.store.sobriety.sharing(ctx.member.id)
        ctx.whisper(ctx.text("share.usage", share=_onoff(ctx, sharing.share_days)))
        return
    await ctx.store.sobriety.set_sharing(ctx.member.id, SharingUpdate(share_days=on))
    ctx.whisper(ctx.text("share.on", name=ctx.sender.display_name) if on else ctx.text("share.off"))


def _onoff(ctx: Context, flag: bool) -> str:
    return ctx.text("community.on") if flag else ctx.text("community.off")


async def leaderboard(ctx: Context) -> None:
    community = ctx.community
    assert community is not None
    if not community.leaderboard:
        ctx.say(ctx.text("leaderboard.off"))
        return
    now = ctx.now()
    rows = []
    for member, counters in await ctx.store.sobriety.sharers(community.id):
        if counters:
            best = max(counter_days(c, now) for c in counters)
            rows.append((best, member.display_name))
    if not rows:
        ctx.say(ctx.text("leaderboard.empty"))
        return
    rows.sort(key=lambda r: (-r[0], r[1].casefold()))
    lines = [ctx.text("leaderboard.header")] + [
        ctx.text("sober.public_line", name=name, days=days) for days, name in rows[:25]
    ]
    ctx.say("\n".join(lines))


# -- celebrations, planned by the sweep ------------------------------------------------------


class MilestoneSource:
    """Moves due milestone celebrations into the outbox, exactly once per counter, start date
    and milestone (the dedupe key), and advances each counter to its next milestone."""

    name = "milestones"

    def __init__(self, store: Store, celebrate_at: time, default_program: str) -> None:
        self.store = store
        self.celebrate_at = celebrate_at
        self.default_program = default_program

    async def sweep(self, now: datetime, limit: int) -> int:
        due = await self.store.sobriety.due(int(now.timestamp()), limit)
        items: list[OutboxItem] = []
        advances: list[Advance] = []
        for d in due:
            c, m = d.counter, d.member
            if c.next_key is None or c.next_at is None:
                continue
            milestone = get_milestone(c.next_key)
            start = date.fromisoformat(c.start_date)
            due_day = milestone.due_date(start)
            program = next((x.program for x in d.communities), self.default_program)
            base = f"milestone:{c.id}:{c.start_date}:{milestone.key}"
            tr = translator(m.lang)
            if not m.paused:
                text = tr(
                    "milestone.private",
                    label=milestone.label,
                    name=c.name,
                    meaning=milestone_meaning(milestone, program),
                )
                items.append(
                    planned(
                        private_to(m, text),
                        key=base,
                        kind="milestone",
                        due=c.next_at,
                        recipient_id=m.id,
                        stale_after=timedelta(hours=24),
                    )
                )
            if d.sharing.celebrate:
                for community in d.communities:
                    if not (community.allow_celebrations and community.announce_chat_id):
                        continue
                    key = (
                        "milestone.group_substance"
                        if d.sharing.show_substance
                        else "milestone.group"
                    )
                    post = Reply(
                        chat=ChatRef(
                            community.platform,
                            community.announce_chat_id,
                            private=False,
                            thread_id=community.announce_thread_id,
                        ),
                        text=tr(key, name=m.display_name, label=milestone.label, counter=c.name),
                        fallback=Fallback.DROP,
                        priority=Priority.TIMELY,
                    )
                    items.append(
                        planned(
                            post,
                            key=f"{base}:c{community.id}",
                            kind="milestone_post",
                            due=c.next_at,
                            subject_id=m.id,
                            stale_after=timedelta(hours=24),
                        )
                    )
            nxt_key, nxt_at = plan_next(
                start,
                _time(c.start_time),
                ZoneInfo(c.tz),
                due_day + timedelta(days=1),
                self.celebrate_at,
            )
            advances.append(Advance(c.id, c.next_key, nxt_key, nxt_at, c.next_at))
        if advances:
            await self.store.sobriety.plan(items, advances)
        return len(due)


ROUTES = Routes(
    commands=[
        Command(name="sober", handler=sober, help_key="sober.help", suggest=suggest_sober),
        Command(
            name="reset",
            handler=reset,
            help_key="reset.help",
            aliases=("slip",),
            suggest=suggest_counters,
        ),
        Command(name="history", handler=history, help_key="history.help"),
        Command(name="celebrate", handler=celebrate, help_key="celebrate.help"),
        Command(name="share", handler=share, help_key="share.help"),
        Command(
            name="leaderboard",
            handler=leaderboard,
            help_key="leaderboard.help",
            where=Where.GROUP,
            public=True,
        ),
    ],
    buttons=[ButtonRoute(RESET_BUTTON, reset_button)],
    conversations=[ConversationRoute(ASKED_RESTART, restart_reply)],
)
