"""Sobriety counters: /sober, /reset (/slip), /history; sharing lives in `sharing.py` and
the milestone celebrations the sweep plans in `source.py`."""

from __future__ import annotations

import contextlib
import math
import re
from collections.abc import Sequence
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from bot.common.dates import DateInputError, parse_start
from bot.common.parsing import parse_int
from bot.kernel.context import Context
from bot.kernel.hhmm import parse_hhmm
from bot.kernel.i18n import available, t
from bot.kernel.router import ButtonRoute, Command, ConversationRoute, Routes, Where
from bot.kernel.types import Button, EventKind
from bot.sobriety import savings_commands, sharing
from bot.sobriety.milestones import Milestone, get_milestone, milestones_between
from bot.sobriety.model import clean_duration, days_clean, days_since, start_instant
from bot.sobriety.source import MilestoneSource
from bot.sobriety.texts import adjective, celebration_at, label, reached_at
from bot.urges.commands import urge_button
from storage.base import CounterRow, StreakRow

__all__ = ["ROUTES", "MilestoneSource", "follow_zone", "plan_next"]
from bot.sobriety.suggest import suggest_counters, suggest_sober

RESET_BUTTON = "reset"
DATE_BUTTON = "sdate"  # sdate:<fix|new|keep>:<counter id>:<YYYY-MM-DD>[T<HHMM>]
ASKED_RESTART = "sober:restart:"

MAX_COUNTERS = 10
MAX_NAME = 32
DEFAULT_NAME = "recovery"  # person-first: not "clean", which implies "dirty"
# Letters and digits in any script, spaces, hyphens and apostrophes: nothing any platform reads
# as markup (no "_", "*", "<", "`"), so names need no per-platform escaping.
_NAME_OK = re.compile(r"^[^\W_](?:[^\W_]|[ '\-])*$")
_BUTTON_DAY = re.compile(r"^(\d{4}-\d{2}-\d{2})(?:T(\d{2})(\d{2}))?$")
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
    """The first milestone due on or after `from_day`, and when to celebrate it (unix
    seconds): the member's local morning on its day; 24 hours waits until 24 real hours
    have passed."""
    for milestone, _due in milestones_between(start, from_day, from_day + HORIZON):
        at = celebration_at(milestone, start, start_time, tz, celebrate_at)
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
    return days_since(counter.start_date, counter.tz, now)


def _time(text: str | None) -> time | None:
    return parse_hhmm(text) if text else None


def _hhmm(at: time | None) -> str | None:
    return at.strftime("%H:%M") if at else None


def _today(tz: ZoneInfo, now: datetime) -> date:
    return now.astimezone(tz).date()


def _celebrate_at(ctx: Context) -> time:
    return parse_hhmm(ctx.settings.community.celebration_time)


def _locale(ctx: Context) -> str:
    return ctx.member.date_locale or ctx.settings.community.date_locale


def _pressed(ctx: Context) -> bool:
    """A button was pressed: its message is replaced by the answer (never a typed one)."""
    return ctx.event.kind is EventKind.BUTTON


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
    if head.casefold() in savings_commands.KINDS:
        await savings_commands.set_rate(ctx, head.casefold(), rest)
        return
    await _set(ctx, args)


async def _list(ctx: Context) -> None:
    counters = await ctx.store.sobriety.counters(ctx.member.id)
    if not counters:
        ctx.whisper(ctx.text("sober.none"))
        return
    now = ctx.now()
    saved = await ctx.store.recovery.savings(ctx.member.id)
    ctx.whisper(
        "\n\n".join(
            status_line(ctx, c, now) + savings_commands.status_suffix(ctx, c, saved.get(c.id))
            for c in counters
        ),
        ((urge_button(ctx),),),
    )
    if not ctx.in_private and ctx.community is not None:
        shared = await ctx.store.sobriety.sharing(ctx.member.id, ctx.community.id)
        if shared.share_days:
            best = max(counter_days(c, now) for c in counters)
            ctx.say(ctx.tr.n("sober.public_line", best, name=ctx.sender.display_name))


def status_line(ctx: Context, counter: CounterRow, now: datetime) -> str:
    """'alcohol: 55 days (since 2026-10-01)', a milestone reached today, and the next one."""
    tz = ZoneInfo(counter.tz)
    start = date.fromisoformat(counter.start_date)
    start_time = _time(counter.start_time)
    today = _today(tz, now)
    text = ctx.text(
        "sober.status",
        name=counter.name,
        duration=describe_duration(ctx, counter, now),
        since=counter.start_date,
    )
    window = milestones_between(start, today - timedelta(days=1), today + HORIZON)
    reached: list[Milestone] = []
    upcoming: Milestone | None = None
    for milestone, _due in window:
        when = reached_at(milestone, start, start_time, tz)
        if when <= now and when.date() == today:
            reached.append(milestone)
        elif when > now:
            upcoming = milestone
            break
    if reached:
        text += "\n" + ctx.text("sober.milestone_today", milestone=adjective(ctx.tr, reached[-1]))
    if upcoming is not None:
        text += "\n" + _next_line(ctx, upcoming, start, start_time, tz, now)
    return text


def _next_line(
    ctx: Context, m: Milestone, start: date, start_time: time | None, tz: ZoneInfo, now: datetime
) -> str:
    when = reached_at(m, start, start_time, tz)
    if m.key == "24h" and start_time is not None:
        hours = max(1, math.ceil((when - now).total_seconds() / 3600))
        return ctx.text(
            "sober.next_at",
            label=label(ctx.tr, m),
            time=when.strftime("%H:%M"),
            date=when.date().isoformat(),
            when=ctx.tr.n("sober.in_hours", hours),
        )
    due = m.due_date(start)
    days = (due - _today(tz, now)).days
    return ctx.text(
        "sober.next",
        label=label(ctx.tr, m),
        date=due.isoformat(),
        when=ctx.tr.n("sober.in_days", days),
    )


def _default_name(ctx: Context, existing: Sequence[CounterRow]) -> str:
    """The default name ("recovery") in the member's language; a default counter made in
    another language keeps its name (a date without a name still means that counter)."""
    defaults = {DEFAULT_NAME} | {clean_name(t("sober.default_name", lang)) for lang in available()}
    made = next((c.name for c in existing if c.name in defaults), None)
    return made or clean_name(ctx.text("sober.default_name")) or DEFAULT_NAME


async def _set(ctx: Context, args: str) -> None:
    tz = ctx.tz()
    now_local = ctx.now().astimezone(tz)
    try:
        day, at, name_text = split_date_and_name(
            args, now_local.date(), _locale(ctx), now_local.time()
        )
    except DateInputError as exc:
        ctx.whisper(ctx.text(exc.key) + "\n" + ctx.text("sober.example"))
        return
    existing = await ctx.store.sobriety.counters(ctx.member.id)
    name = clean_name(name_text) if name_text else _default_name(ctx, existing)
    if name is None:
        ctx.whisper(ctx.text("sober.bad_name", max=MAX_NAME))
        return
    same = next((c for c in existing if c.name == name), None)
    if same is not None:
        await _change_date(ctx, same, day, at)
        return
    if len(existing) >= MAX_COUNTERS:
        ctx.whisper(ctx.text("sober.too_many", max=MAX_COUNTERS))
        return
    key, due_at = plan_next(day, at, tz, now_local.date(), _celebrate_at(ctx))
    counter = await ctx.store.sobriety.save_counter(
        ctx.member.id, name, day.isoformat(), _hhmm(at), tz.key, key, due_at, ctx.now_ts()
    )
    text = ctx.text("sober.saved") + "\n\n" + status_line(ctx, counter, ctx.now())
    if not ctx.in_private:
        text += "\n\n" + ctx.text("sober.private_tip")
    ctx.whisper(text)


async def _change_date(ctx: Context, counter: CounterRow, day: date, at: time | None) -> None:
    """A new date for an existing counter. A later one may be a typo or a new start after a
    setback, so the member is asked; an earlier one corrects the start, after asking when it
    would reach over streaks kept in the history."""
    old = date.fromisoformat(counter.start_date)
    if day == old:
        await _correct(ctx, counter, day, at, quiet=True)
        return
    if day > old:
        ctx.whisper(
            ctx.text("sober.change_ask", name=counter.name, old=old.isoformat(), new=day),
            (
                (Button(ctx.text("sober.change_fix"), _date_data("fix", counter, day, at)),),
                (Button(ctx.text("sober.change_new"), _date_data("new", counter, day, at)),),
                (
                    Button(
                        ctx.text("sober.change_keep", old=old.isoformat()),
                        _date_data("keep", counter, day, at),
                    ),
                ),
            ),
        )
        return
    reached = await _overlapping(ctx, counter, day)
    if not reached:
        await _correct(ctx, counter, day, at)
        return
    ctx.whisper(
        ctx.text(
            "sober.earlier_ask",
            name=counter.name,
            new=day.isoformat(),
            streaks=_spans(ctx, reached),
            it=ctx.tr.n("sober.earlier_it", len(reached)),
        ),
        (
            (
                Button(ctx.text("sober.earlier_yes"), _date_data("fix", counter, day, at)),
                Button(
                    ctx.text("sober.change_keep", old=old.isoformat()),
                    _date_data("keep", counter, day, at),
                ),
            ),
        ),
    )


def _date_data(action: str, counter: CounterRow, day: date, at: time | None) -> str:
    clock = f"T{at:%H%M}" if at is not None else ""
    return f"{DATE_BUTTON}:{action}:{counter.id}:{day.isoformat()}{clock}"


async def _overlapping(ctx: Context, counter: CounterRow, day: date) -> list[StreakRow]:
    past = await ctx.store.sobriety.history(ctx.member.id)
    return [s for s in past if s.counter_id == counter.id and s.end_date > day.isoformat()]


def _spans(ctx: Context, streaks: list[StreakRow]) -> str:
    return ctx.tr.join(
        ctx.text("sober.streak_span", start=s.start_date, end=s.end_date) for s in streaks
    )


async def _correct(
    ctx: Context, counter: CounterRow, day: date, at: time | None, *, quiet: bool = False
) -> None:
    tz = ZoneInfo(counter.tz)
    key, due_at = plan_next(day, at, tz, _today(tz, ctx.now()), _celebrate_at(ctx))
    touched = await ctx.store.sobriety.correct(
        counter, day.isoformat(), _hhmm(at), key, due_at
    )
    fresh = await _counter(ctx, counter.id) or counter
    if quiet:
        text = ctx.text("sober.saved")
    else:
        text = ctx.text("sober.corrected", name=counter.name, since=day.isoformat())
    if touched:
        text += " " + ctx.tr.n("sober.merged", len(touched), streaks=_spans(ctx, touched))
    ctx.whisper(text + "\n\n" + status_line(ctx, fresh, ctx.now()), edit=_pressed(ctx))


async def _counter(ctx: Context, counter_id: int) -> CounterRow | None:
    counters = await ctx.store.sobriety.counters(ctx.member.id)
    return next((c for c in counters if c.id == counter_id), None)


async def date_button(ctx: Context) -> None:
    """The answer to "a correction or a new start?" (callback data is checked as strictly as
    typed text: the counter must be the member's and the date a real, past one)."""
    parts = (ctx.event.button or "").split(":")
    cid = parse_int(parts[2]) if len(parts) == 4 else None
    match = _BUTTON_DAY.match(parts[3]) if len(parts) == 4 else None
    counter = await _counter(ctx, cid) if cid is not None else None
    if counter is None or match is None or parts[1] not in ("fix", "new", "keep"):
        ctx.whisper(ctx.text("core.stale_button"))
        return
    if parts[1] == "keep":
        ctx.whisper(
            ctx.text("sober.kept", name=counter.name, since=counter.start_date),
            edit=_pressed(ctx),
        )
        return
    tz = ZoneInfo(counter.tz)
    now_local = ctx.now().astimezone(tz)
    typed = match[1] + (f" {match[2]}:{match[3]}" if match[2] else "")
    try:
        day, at = parse_start(typed, now_local.date(), "en_US", now_local.time())
    except DateInputError:
        ctx.whisper(ctx.text("core.stale_button"))
        return
    if parts[1] == "fix":
        await _correct(ctx, counter, day, at)
    elif day > date.fromisoformat(counter.start_date):
        await _restart(ctx, counter, day, at)
    else:
        ctx.whisper(ctx.text("core.stale_button"))


async def _remove(ctx: Context, name_text: str) -> None:
    counter = await _find(ctx, name_text, "/sober remove")
    if counter is None:
        return
    await ctx.store.sobriety.remove_counter(counter.id)
    ctx.whisper(ctx.text("sober.removed", name=counter.name))


async def _find(ctx: Context, name_text: str, command: str) -> CounterRow | None:
    counters = await ctx.store.sobriety.counters(ctx.member.id)
    if not counters:
        ctx.whisper(ctx.text("sober.none"))
        return None
    if not name_text.strip():
        if len(counters) == 1:
            return counters[0]
        names = ctx.tr.join(c.name for c in counters)
        ctx.whisper(ctx.text("sober.which", names=names, example=f"{command} {counters[0].name}"))
        return None
    name = clean_name(name_text)
    match = next((c for c in counters if c.name == name), None)
    if match is None:
        ctx.whisper(
            ctx.text(
                "sober.unknown_counter",
                name=name_text.strip()[:MAX_NAME],
                names=ctx.tr.join(c.name for c in counters),
            )
        )
    return match


# -- setbacks --------------------------------------------------------------------------------


async def reset(ctx: Context) -> None:
    counter = await _find(ctx, ctx.event.args, f"/{ctx.event.command or 'reset'}")
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


def _example_day(counter: CounterRow, now: datetime) -> str:
    """A date that would be a valid answer today: a few days back, not before the start."""
    today = _today(ZoneInfo(counter.tz), now)
    return max(today - timedelta(days=3), date.fromisoformat(counter.start_date)).isoformat()


async def reset_button(ctx: Context) -> None:
    parts = (ctx.event.button or "").split(":")
    cid = parse_int(parts[2]) if len(parts) == 3 else None
    counter = await _counter(ctx, cid) if cid is not None else None
    if counter is None:
        ctx.whisper(ctx.text("core.stale_button"))
        return
    action = parts[1]
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
            ctx.member.id, f"{ASKED_RESTART}{counter.id}", {}, ctx.now_ts() + 600
        )
        ctx.whisper(ctx.text("reset.ask_date", date=_example_day(counter, ctx.now())), edit=True)
    else:
        ctx.whisper(ctx.text("reset.cancelled"), edit=True)


async def restart_reply(ctx: Context) -> bool:
    """Free text after 'start again from another date'. Text that isn't a date at all
    ("I'm having a rough day") is handled as any message (crisis scanning included)."""
    convo = await ctx.store.conversations.get(ctx.member.id, ctx.now_ts())
    if convo is None:
        return False
    cid = parse_int(convo.state.rsplit(":", 1)[1])
    counter = await _counter(ctx, cid) if cid is not None else None
    if counter is None:
        await ctx.store.conversations.clear(ctx.member.id)
        return False
    tz = ZoneInfo(counter.tz)
    now_local = ctx.now().astimezone(tz)
    try:
        day, at = parse_start(ctx.event.text, now_local.date(), _locale(ctx), now_local.time())
    except DateInputError as exc:
        if exc.key == "date.unknown_format" and not looks_like_a_date(ctx.event.text):
            return False  # not an answer: handled as any message; the question stays open
        example = ctx.text("reset.example", date=_example_day(counter, ctx.now()))
        ctx.whisper(ctx.text(exc.key) + "\n" + example)
        return True
    if day < date.fromisoformat(counter.start_date):
        ctx.whisper(ctx.text("reset.before_start", since=counter.start_date))
        return True
    await ctx.store.conversations.clear(ctx.member.id)
    await _restart(ctx, counter, day, at)
    return True


def looks_like_a_date(text: str) -> bool:
    """An attempt at a date (a digit in a few words): worth an explanation; anything else
    is an ordinary message."""
    words = text.split()
    return 0 < len(words) <= 4 and any(ch.isdigit() for ch in text)


async def _restart(ctx: Context, counter: CounterRow, day: date, at: time | None) -> None:
    """A new start after a setback: the streak before it is kept in the history (a streak of
    no days at all, a counter started today, is not a streak and is not recorded)."""
    tz = ZoneInfo(counter.tz)
    old_start = date.fromisoformat(counter.start_date)
    days = (day - old_start).days
    if days <= 0:
        key, due_at = plan_next(day, at, tz, _today(tz, ctx.now()), _celebrate_at(ctx))
        await ctx.store.sobriety.correct(counter, day.isoformat(), _hhmm(at), key, due_at)
        text = ctx.text("reset.restarted_same_day", name=counter.name, since=day.isoformat())
    else:
        key, due_at = plan_next(day, at, tz, _today(tz, ctx.now()), _celebrate_at(ctx))
        await ctx.store.sobriety.restart(
            counter,
            day.isoformat(),
            days,
            day.isoformat(),
            _hhmm(at),
            key,
            due_at,
            ctx.now_ts(),
        )
        text = ctx.tr.n("reset.restarted", days, name=counter.name, since=day.isoformat())
    ctx.whisper(text + "\n\n" + ctx.text("reset.support"), edit=_pressed(ctx))


# -- /history --------------------------------------------------------------------------------


async def history(ctx: Context) -> None:
    """Earlier streaks and days in recovery, counter by counter: parallel counters (alcohol and
    nicotine) cover the same days, so adding them up would count days twice."""
    store = ctx.store.sobriety
    past = await store.history(ctx.member.id)
    counters = await store.counters(ctx.member.id)
    slips = await store.slips(ctx.member.id)
    now = ctx.now()
    extras = [
        line
        for source in ctx.services.history_lines
        if (line := await source(ctx.store, ctx.member, ctx.now_ts())) is not None
    ]
    if not past and not counters:
        ctx.whisper("\n\n".join([ctx.text("sober.none"), *extras]))
        return
    sections = []
    for name in dict.fromkeys([c.name for c in counters] + [s.name for s in past]):
        lines = [ctx.text("history.counter", name=name)]
        spans: list[int] = []
        for c in (c for c in counters if c.name == name):
            days = counter_days(c, now)
            spans.append(days)
            lines.append(
                ctx.text("history.current", days=ctx.tr.n("sober.days", days), since=c.start_date)
            )
        earlier = sorted((s for s in past if s.name == name), key=lambda s: s.start_date)
        for s in reversed(earlier):
            spans.append(s.days)
            lines.append(
                ctx.text(
                    "history.past",
                    days=ctx.tr.n("sober.days", s.days),
                    start=s.start_date,
                    end=s.end_date,
                )
            )
        slipped = sum(1 for slip_name, _ in slips if slip_name == name)
        if slipped:
            lines.append(ctx.tr.n("history.slips", slipped))
        lines.append(
            ctx.text(
                "history.totals",
                total=ctx.tr.number(sum(spans)),
                longest=ctx.tr.n("sober.days", max(spans)),
            )
        )
        sections.append("\n".join(lines))
    ctx.whisper(ctx.text("history.header") + "\n\n" + "\n\n".join([*sections, *extras]))


# -- the member moved ------------------------------------------------------------------------


async def follow_zone(ctx: Context, tz_name: str) -> None:
    """The member lives in another time zone now: their counters count days there, and the
    next celebration of each is at the local morning of the new zone."""
    counters = await ctx.store.sobriety.counters(ctx.member.id)
    tz = ZoneInfo(tz_name)
    today = _today(tz, ctx.now())
    plans: list[tuple[int, str | None, int | None]] = []
    for c in counters:
        start = date.fromisoformat(c.start_date)
        from_day = today
        if c.next_key is not None:
            with contextlib.suppress(KeyError):
                from_day = min(today, get_milestone(c.next_key).due_date(start))
        key, at = plan_next(start, _time(c.start_time), tz, from_day, _celebrate_at(ctx))
        plans.append((c.id, key, at))
    if plans:
        await ctx.store.sobriety.move_zone(ctx.member.id, tz_name, plans)


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
        Command(name="celebrate", handler=sharing.celebrate, help_key="celebrate.help"),
        Command(name="share", handler=sharing.share, help_key="share.help"),
        Command(
            name="leaderboard",
            handler=sharing.leaderboard,
            help_key="leaderboard.help",
            where=Where.GROUP,
            public=True,
        ),
    ],
    buttons=[
        ButtonRoute(RESET_BUTTON, reset_button),
        ButtonRoute(DATE_BUTTON, date_button),
        ButtonRoute(sharing.SHARE_BUTTON, sharing.share_button),
    ],
    conversations=[ConversationRoute(ASKED_RESTART, restart_reply)],
)
