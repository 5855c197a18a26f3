"""Daily check-ins: the prompt plan, the check-in itself (mood, cravings, sober today, an
optional private note), streaks, /progress charts, nudges after a gap, and buddies."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from bot.checkins.chart import ChartLabels, render_chart, render_text
from bot.checkins.model import (
    CheckinPoint,
    checkin_streak,
    next_prompt_utc,
    summarize,
    summary_text,
)
from bot.common.dates import ClockInputError, parse_clock
from bot.common.parsing import parse_int
from bot.kernel.context import Context
from bot.kernel.hhmm import parse_hhmm
from bot.kernel.i18n import Translator, translator
from bot.kernel.outbox import planned, private_to
from bot.kernel.router import ButtonRoute, Command, ConversationRoute, Routes
from bot.kernel.types import Button, Buttons, EventKind, Form, Priority
from bot.meetings.lookup import untagged_language
from bot.meetings.now_commands import soonest_online
from bot.urges.commands import progress_line as urge_progress_line
from bot.urges.commands import urge_button
from storage.base import CheckinPlan, CheckinRow, MemberRow, OutboxItem, PromptAdvance, Store
from storage.rows import CheckinValues

CHECKIN_BUTTON = "ci"
OPTIN_BUTTON = "cio"
BUDDY_BUTTON = "bud"
ASKED_NOTE = "checkin:note:"

MAX_NOTE = 1000
ALERT_CRAVINGS = 8
SOBER_CHOICES = ("yes", "no", "skip")


def _today(ctx: Context, tz: ZoneInfo | None = None) -> date:
    return ctx.now().astimezone(tz or ctx.tz()).date()


def _default_time(ctx: Context) -> str:
    if ctx.community is not None and ctx.community.checkin_time:
        return ctx.community.checkin_time
    return ctx.settings.community.checkin_time


def mood_buttons(day: str) -> Buttons:
    faces = ("1 😞", "2 🙁", "3 😐", "4 🙂", "5 😄")
    return (tuple(Button(f, f"{CHECKIN_BUTTON}:mood:{day}:{i + 1}") for i, f in enumerate(faces)),)


def craving_buttons(day: str) -> Buttons:
    return (
        tuple(Button(str(n), f"{CHECKIN_BUTTON}:crav:{day}:{n}") for n in range(0, 6)),
        tuple(Button(str(n), f"{CHECKIN_BUTTON}:crav:{day}:{n}") for n in range(6, 11)),
    )


def sober_buttons(text: Callable[..., str], day: str) -> Buttons:
    return (
        (
            Button(text("checkin.sober_yes"), f"{CHECKIN_BUTTON}:sober:{day}:yes"),
            Button(text("checkin.sober_no"), f"{CHECKIN_BUTTON}:sober:{day}:no"),
            Button(text("checkin.sober_skip"), f"{CHECKIN_BUTTON}:sober:{day}:skip"),
        ),
    )


def prompt_text(tr: Translator, nudge: bool) -> str:
    intro = tr("checkin.nudge") if nudge else tr("checkin.prompt")
    return intro + "\n\n" + tr("checkin.ask_mood")


async def _save_plan(ctx: Context, *, enabled: bool, local_time: str) -> CheckinPlan:
    tz = ctx.tz()
    next_at = next_prompt_utc(parse_hhmm(local_time), tz, ctx.now()) if enabled else None
    # last_day (for nudges) starts at the opt-in day; the store keeps an existing one.
    return await ctx.store.checkins.save_plan(
        ctx.member.id,
        enabled=enabled,
        local_time=local_time,
        tz=tz.key,
        next_at=int(next_at.timestamp()) if next_at else None,
        last_day=_today(ctx, tz).isoformat(),
    )


async def replan(ctx: Context, tz_name: str) -> None:
    """The member moved to another time zone: their prompt follows their new local time."""
    plan = await ctx.store.checkins.plan(ctx.member.id)
    if plan is None or not plan.enabled:
        return
    next_at = next_prompt_utc(parse_hhmm(plan.local_time), ZoneInfo(tz_name), ctx.now())
    await ctx.store.checkins.save_plan(
        ctx.member.id,
        enabled=True,
        local_time=plan.local_time,
        tz=tz_name,
        next_at=int(next_at.timestamp()),
        last_day=None,
    )


# -- /checkin ----------------------------------------------------------------------------------


async def checkin(ctx: Context) -> None:
    words = ctx.event.args.split(maxsplit=1)
    sub = words[0].casefold() if words else ""
    plan = await ctx.store.checkins.plan(ctx.member.id)
    if sub == "on":
        local_time = plan.local_time if plan else _default_time(ctx)
        await _save_plan(ctx, enabled=True, local_time=local_time)
        ctx.whisper(ctx.text("checkin.on", time=local_time, tz=ctx.tz_name()))
    elif sub == "off":
        if plan is not None:
            await _save_plan(ctx, enabled=False, local_time=plan.local_time)
        ctx.whisper(ctx.text("checkin.off"))
    elif sub == "time":
        await set_checkin_time(ctx, words[1] if len(words) > 1 else "")
    elif sub == "":
        day = _today(ctx).isoformat()
        ctx.whisper(ctx.text("checkin.ask_mood"), mood_buttons(day))
    else:
        ctx.whisper(ctx.text("checkin.usage"))


async def set_checkin_time(ctx: Context, value: str) -> None:
    """/checkin time 20:30 (also /settings checkin 20:30): turns the daily prompt on."""
    try:
        at = parse_clock(value)
    except ClockInputError:
        ctx.whisper(ctx.text("time.invalid") + " " + ctx.text("checkin.time_example"))
        return
    local_time = at.strftime("%H:%M")
    await _save_plan(ctx, enabled=True, local_time=local_time)
    ctx.whisper(ctx.text("checkin.time_set", time=local_time, tz=ctx.tz_name()))


async def optin_button(ctx: Context) -> None:
    if (ctx.event.button or "").endswith(":yes"):
        local_time = _default_time(ctx)
        await _save_plan(ctx, enabled=True, local_time=local_time)
        ctx.whisper(ctx.text("checkin.on", time=local_time, tz=ctx.tz_name()), edit=True)
    else:
        ctx.whisper(ctx.text("checkin.optin_later"), edit=True)


def ask_optin(ctx: Context) -> None:
    ctx.say(
        ctx.text("checkin.optin", time=_default_time(ctx)),
        (
            (
                Button(ctx.text("checkin.optin_yes"), f"{OPTIN_BUTTON}:yes"),
                Button(ctx.text("checkin.optin_no"), f"{OPTIN_BUTTON}:no"),
            ),
        ),
    )


# -- the check-in itself (buttons) -------------------------------------------------------------


async def checkin_button(ctx: Context) -> None:
    parts = (ctx.event.button or "").split(":")
    if len(parts) != 4:
        ctx.whisper(ctx.text("core.stale_button"))
        return
    _, step, day, value = parts
    today = _today(ctx).isoformat()
    if day != today:
        # Yesterday's buttons: nothing is recorded on the wrong day.
        ctx.whisper(ctx.text("checkin.old_button"), mood_buttons(today))
        return
    number = parse_int(value, 0, 10)
    if step == "mood" and number is not None and 1 <= number <= 5:
        await ctx.store.checkins.record(
            ctx.member.id, day, ctx.now_ts(), CheckinValues(mood=number)
        )
        ctx.whisper(ctx.text("checkin.ask_cravings"), craving_buttons(day), edit=True)
    elif step == "crav" and number is not None:
        row = await ctx.store.checkins.record(
            ctx.member.id, day, ctx.now_ts(), CheckinValues(cravings=number)
        )
        await _maybe_alert_buddy(ctx, row)
        ctx.whisper(ctx.text("checkin.ask_sober"), sober_buttons(ctx.text, day), edit=True)
    elif step == "sober" and value in SOBER_CHOICES:
        row = await ctx.store.checkins.record(
            ctx.member.id, day, ctx.now_ts(), CheckinValues(sober=value)
        )
        await _maybe_alert_buddy(ctx, row)
        await ctx.store.conversations.set(
            ctx.member.id, f"{ASKED_NOTE}{day}", {}, ctx.now_ts() + 3600
        )
        done: list[tuple[Button, ...]] = [
            (Button(ctx.text("checkin.no_note"), f"{CHECKIN_BUTTON}:done:{day}:-"),)
        ]
        if ctx.capabilities.forms:  # the note goes in a private form, never in a channel
            done.insert(0, (Button(ctx.text("note.button"), f"{CHECKIN_BUTTON}:noteform:{day}:-"),))
        done.append((urge_button(ctx),))
        ctx.whisper(await _done_text(ctx, row), tuple(done), edit=True)
    elif step == "noteform":
        ctx.whisper(
            ctx.text("note.form_fallback"),
            form=Form(
                data=f"{CHECKIN_BUTTON}:note:{day}:-",
                title=ctx.text("note.form_title"),
                label=ctx.text("note.form_label"),
                placeholder=ctx.text("note.form_placeholder"),
                max_length=MAX_NOTE,
            ),
        )
    elif step == "note" and ctx.event.kind is EventKind.FORM:
        await _save_note(ctx, day, ctx.event.text.strip())
    elif step == "done":
        await ctx.store.conversations.clear(ctx.member.id)
        ctx.whisper(ctx.text("checkin.saved_no_note"), edit=True)
    else:
        ctx.whisper(ctx.text("core.stale_button"))


async def _done_text(ctx: Context, row: CheckinRow) -> str:
    key = {"no": "checkin.thanks_not_sober", "yes": "checkin.thanks_sober"}.get(
        row.sober or "", "checkin.thanks"
    )
    streak = await _streak(ctx)
    text = ctx.text(key)
    if row.cravings is not None and row.cravings >= ALERT_CRAVINGS:
        text += "\n\n" + ctx.text("checkin.high_cravings")
    if row.sober == "no" and await ctx.store.sobriety.counters(ctx.member.id):
        # Gently, and only as an offer: the counter is theirs to change, or not.
        text += "\n\n" + ctx.text("checkin.setback_offer")
    if hard_day(row) and (meeting := await _meeting_now(ctx)) is not None:
        text += "\n\n" + meeting  # "There's an online meeting starting in 12 minutes: …"
    if streak > 1:
        text += "\n\n" + ctx.tr.n("checkin.streak", streak)
    if ctx.capabilities.forms:
        return text + "\n\n" + ctx.text("note.ask_form", max=MAX_NOTE)
    return text + "\n\n" + ctx.text("checkin.ask_note", max=MAX_NOTE)


async def _meeting_now(ctx: Context) -> str | None:
    return await soonest_online(
        ctx.store, ctx.community, ctx.now(), ctx.lang, untagged=untagged_language(ctx)
    )


async def _streak(ctx: Context) -> int:
    today = _today(ctx)
    rows = await ctx.store.checkins.since(ctx.member.id, (today - timedelta(days=400)).isoformat())
    return checkin_streak((date.fromisoformat(r.day) for r in rows), today)


async def note_reply(ctx: Context) -> bool:
    """Free text after the check-in: the optional private note."""
    convo = await ctx.store.conversations.get(ctx.member.id, ctx.now_ts())
    if convo is None:
        return False
    day = convo.state.rsplit(":", 1)[1]
    await _save_note(ctx, day, ctx.event.text.strip())
    return True


async def _save_note(ctx: Context, day: str, note: str) -> None:
    """The optional private note, typed in the private chat or in a private form."""
    if len(note) > MAX_NOTE:
        ctx.whisper(ctx.text("checkin.note_too_long", max=MAX_NOTE))
        return
    await ctx.store.checkins.record(ctx.member.id, day, ctx.now_ts(), CheckinValues(note=note))
    await ctx.store.conversations.clear(ctx.member.id)
    ctx.whisper(ctx.text("checkin.note_saved"))


def hard_day(row: CheckinRow) -> bool:
    """Strong cravings, or not sober today: what buddies hear of, and when a meeting helps."""
    return (row.cravings is not None and row.cravings >= ALERT_CRAVINGS) or row.sober == "no"


async def _maybe_alert_buddy(ctx: Context, row: CheckinRow) -> None:
    if not hard_day(row):
        return
    plan = await ctx.store.checkins.plan(ctx.member.id)
    if plan is None or not plan.buddy_alerts:
        return
    for buddy, status in await ctx.store.checkins.buddies(ctx.member.id):
        if status != "active":
            continue
        their = translator(buddy.lang)
        await ctx.send_later(
            buddy,
            their("buddy.heads_up", name=ctx.member.display_name),
            key=f"buddy:{ctx.member.id}:{buddy.id}:{row.day}",
            kind="buddy_alert",
            about=ctx.member,
        )


# -- /progress -----------------------------------------------------------------------------------


async def progress(ctx: Context) -> None:
    words = ctx.event.args.casefold().split()
    days = 30 if "30" in words else 7
    as_text = "text" in words
    today = _today(ctx)
    first = today - timedelta(days=days - 1)
    rows = await ctx.store.checkins.since(ctx.member.id, first.isoformat())
    urges = await urge_progress_line(ctx, first)  # urges weathered (recovery tools, #19)
    if not rows:
        ctx.whisper(ctx.text("progress.none") + (f"\n\n{urges}" if urges else ""))
        return
    points = [CheckinPoint(date.fromisoformat(r.day), r.mood, r.cravings) for r in rows]
    found = summarize(points, days)
    summary = summary_text(ctx.tr, found) if found else ctx.text("progress.little_data")
    if urges:
        summary += "\n" + urges
    count = ctx.tr.n("progress.checkins", len(rows))
    header = ctx.text("progress.header", days=days, count=count)
    if as_text:
        ctx.whisper(f"{header}\n{summary}\n\n{render_text(points, days, end=today)}")
        return
    labels = ChartLabels(
        mood_axis=ctx.text("progress.mood_label"),
        cravings_axis=ctx.text("progress.cravings_label"),
        mood=ctx.text("progress.mood_legend"),
        cravings=ctx.text("progress.cravings_legend"),
    )
    # matplotlib is CPU-bound: keep it off the event loop.
    png = await asyncio.to_thread(
        lambda: render_chart(
            points, days, ctx.text("progress.title", days=days), end=today, labels=labels
        )
    )
    ctx.whisper(f"{header}\n{summary}\n" + ctx.text("progress.text_hint"), image=png)


# -- buddies -----------------------------------------------------------------------------------


async def buddy(ctx: Context) -> None:
    arg = ctx.event.args.strip()
    words = arg.casefold().split()
    if not arg:
        await _list_buddies(ctx)
    elif words == ["off"]:
        await _end_all(ctx)
    elif words[:1] in (["off"], ["cancel"], ["end"], ["stop"]):
        await _end_one(ctx, arg.split(maxsplit=1)[1])
    elif words[:1] == ["alerts"] and len(words) == 2 and words[1] in ("on", "off"):
        plan = await ctx.store.checkins.plan(ctx.member.id)
        if plan is None:
            await _save_plan(ctx, enabled=False, local_time=_default_time(ctx))
        await ctx.store.checkins.set_buddy_alerts(ctx.member.id, words[1] == "on")
        ctx.whisper(ctx.text(f"buddy.alerts_{words[1]}"))
    else:
        await _invite(ctx, arg)


async def _end_all(ctx: Context) -> None:
    pairs = await ctx.store.checkins.buddies(ctx.member.id)
    if not pairs:
        ctx.whisper(ctx.text("buddy.none"))
        return
    await ctx.store.checkins.end_buddies(ctx.member.id)
    for other, status in pairs:
        if status == "active":
            await _tell_ended(ctx, other)
    ctx.whisper(ctx.text("buddy.ended_all"))


async def _end_one(ctx: Context, name: str) -> None:
    """/buddy off NAME ends one pairing (the buddy is told, kindly); /buddy cancel NAME
    takes back an invitation not yet accepted (nobody is told: it was only a question),
    or declines one received."""
    wanted = name.strip().casefold()
    pairs = [
        (m, s)
        for m, s in await ctx.store.checkins.buddies(ctx.member.id)
        if wanted in (m.display_name.casefold(), m.user_id.casefold())
    ]
    if len(pairs) != 1:
        key = "buddy.which" if pairs else "buddy.not_paired"
        ctx.whisper(ctx.text(key, name=name.strip()[:40]))
        return
    other, status = pairs[0]
    await ctx.store.checkins.end_buddy(ctx.member.id, other.id)
    if status == "active":
        await _tell_ended(ctx, other)
        ctx.whisper(ctx.text("buddy.ended", name=other.display_name))
    elif status == "invited-out":
        ctx.whisper(ctx.text("buddy.cancelled", name=other.display_name))
    else:
        ctx.whisper(ctx.text("buddy.declined"))


async def _tell_ended(ctx: Context, other: MemberRow) -> None:
    await ctx.send_later(
        other,
        translator(other.lang)("buddy.ended_by", name=ctx.member.display_name),
        key=f"buddy-ended:{ctx.member.id}:{other.id}:{ctx.now_ts()}",
        kind="buddy_ended",
        about=ctx.member,
    )


async def _list_buddies(ctx: Context) -> None:
    pairs = await ctx.store.checkins.buddies(ctx.member.id)
    if not pairs:
        ctx.whisper(ctx.text("buddy.usage"))
        return
    lines = [
        ctx.text(f"buddy.status_{status.replace('-', '_')}", name=m.display_name)
        for m, status in pairs
    ]
    ctx.whisper("\n".join(lines))


async def _invite(ctx: Context, name: str) -> None:
    community = ctx.community
    if community is None:
        ctx.whisper(ctx.text("buddy.no_community"))
        return
    found = [
        m
        for m in await ctx.store.members.find_by_name(ctx.member.platform, community.id, name)
        if m.id != ctx.member.id
    ]
    if len(found) != 1:
        key = "buddy.ambiguous" if found else "buddy.not_found"
        ctx.whisper(ctx.text(key, name=name[:40]))
        return
    other = found[0]
    pairs = await ctx.store.checkins.buddies(ctx.member.id)
    incoming = next((s for m, s in pairs if m.id == other.id), None)
    if incoming == "invited-in":
        await ctx.store.checkins.accept(ctx.member.id, other.id)
        await _tell_inviter(ctx, other)
        ctx.whisper(ctx.text("buddy.accepted", name=other.display_name))
        return
    if incoming in ("invited-out", "active"):
        ctx.whisper(
            ctx.text(f"buddy.already_{incoming.replace('-', '_')}", name=other.display_name)
        )
        return
    await ctx.store.checkins.invite(ctx.member.id, other.id, ctx.now_ts())
    their = translator(other.lang)
    await ctx.send_later(
        other,
        their("buddy.invited_you", name=ctx.member.display_name),
        (
            (
                Button(their("buddy.accept"), f"{BUDDY_BUTTON}:yes:{ctx.member.id}"),
                Button(their("buddy.decline"), f"{BUDDY_BUTTON}:no:{ctx.member.id}"),
            ),
        ),
        key=f"buddy-invite:{ctx.member.id}:{other.id}:{ctx.now_ts()}",
        kind="buddy_invite",
        about=ctx.member,
    )
    ctx.whisper(ctx.text("buddy.invite_sent", name=other.display_name))


async def _tell_inviter(ctx: Context, inviter: MemberRow) -> None:
    """The inviter was promised word when their invite is accepted."""
    await ctx.send_later(
        inviter,
        translator(inviter.lang)("buddy.accepted", name=ctx.member.display_name),
        key=f"buddy-accepted:{inviter.id}:{ctx.member.id}:{ctx.now_ts()}",
        kind="buddy_accepted",
        about=ctx.member,
    )


async def buddy_button(ctx: Context) -> None:
    parts = (ctx.event.button or "").split(":")
    inviter_id = parse_int(parts[2]) if len(parts) == 3 else None
    inviter = await ctx.store.members.get(inviter_id) if inviter_id is not None else None
    if inviter is None:
        ctx.whisper(ctx.text("core.stale_button"))
        return
    pending = any(
        m.id == inviter.id and s == "invited-in"
        for m, s in await ctx.store.checkins.buddies(ctx.member.id)
    )
    if not pending:
        ctx.whisper(ctx.text("buddy.invite_gone"), edit=True)
    elif parts[1] == "yes" and await ctx.store.checkins.accept(ctx.member.id, inviter.id):
        await _tell_inviter(ctx, inviter)
        ctx.whisper(ctx.text("buddy.accepted", name=inviter.display_name), edit=True)
    else:
        await ctx.store.checkins.decline(ctx.member.id, inviter.id)
        ctx.whisper(ctx.text("buddy.declined"), edit=True)


# -- the daily prompts, planned by the sweep -----------------------------------------------------


class CheckinSource:
    """Moves due daily prompts into the outbox (one per member and local day: the dedupe key)
    and advances each plan to its next local prompt time, in one transaction. After downtime a
    prompt already older than the stale limit is not planned at all."""

    name = "checkins"

    def __init__(self, store: Store, stale_after: timedelta, nudge_after_days: int) -> None:
        self.store = store
        self.stale_after = stale_after
        self.nudge_after_days = nudge_after_days
        self._texts: dict[tuple[str, bool], str] = {}

    async def sweep(self, now: datetime, limit: int) -> int:
        ts = int(now.timestamp())
        stale = int(self.stale_after.total_seconds())
        due = await self.store.checkins.due(ts, limit)
        items: list[OutboxItem] = []
        advances: list[PromptAdvance] = []
        zones: dict[str, ZoneInfo] = {}
        times: dict[str, time] = {}
        for d in due:
            p = d.plan
            assert p.next_at is not None
            tz = zones.get(p.tz) or zones.setdefault(p.tz, ZoneInfo(p.tz))
            at = times.get(p.local_time) or times.setdefault(p.local_time, parse_hhmm(p.local_time))
            if d.member.paused:
                # Blocked the bot: no prompt, and the plan moves on to its next time after
                # now (a plan left behind would be read again by every sweep).
                following = next_prompt_utc(at, tz, now)
                advances.append(
                    PromptAdvance(p.member_id, p.next_at, int(following.timestamp()), None)
                )
                continue
            occurrence = datetime.fromtimestamp(p.next_at, tz)
            if ts - p.next_at > stale:
                # Downtime: skip what is too late, but keep one that is still fresh.
                cutoff = datetime.fromtimestamp(ts - stale, tz)
                occurrence = next_prompt_utc(at, tz, cutoff).astimezone(tz)
            following = occurrence
            nudge = False
            if occurrence.timestamp() <= ts:
                day = occurrence.date()
                nudge = self._needs_nudge(p, day, d.nudge_after_days or self.nudge_after_days)
                occ_ts = int(occurrence.timestamp())
                tr = translator(d.member.lang)
                items.append(
                    planned(
                        private_to(
                            d.member,
                            self._text(tr, nudge),
                            mood_buttons(day.isoformat()),
                            priority=Priority.BULK,
                        ),
                        key=f"prompt:{p.member_id}:{day.isoformat()}",
                        kind="nudge" if nudge else "prompt",
                        due=occ_ts,
                        recipient_id=p.member_id,
                        stale_after=self.stale_after,
                        priority=Priority.BULK,
                    )
                )
                following = next_prompt_utc(at, tz, occurrence)
            advances.append(
                PromptAdvance(
                    p.member_id,
                    p.next_at,
                    int(following.timestamp()),
                    p.last_day if nudge else None,
                )
            )
        if advances:
            await self.store.checkins.advance(items, advances)
        return len(due)

    @staticmethod
    def _needs_nudge(plan: CheckinPlan, today: date, after_days: int) -> bool:
        """A gentle nudge replaces the prompt once per gap of missed check-ins."""
        if plan.last_day is None or plan.nudged_for == plan.last_day:
            return False
        return (today - date.fromisoformat(plan.last_day)).days > after_days

    def _text(self, tr: Translator, nudge: bool) -> str:
        key = (tr.lang, nudge)
        text = self._texts.get(key)
        if text is None:
            text = self._texts[key] = prompt_text(tr, nudge)
        return text


ROUTES = Routes(
    commands=[
        Command(name="checkin", handler=checkin, help_key="checkin.help"),
        Command(name="progress", handler=progress, help_key="progress.help"),
        Command(name="buddy", handler=buddy, help_key="buddy.help"),
    ],
    buttons=[
        ButtonRoute(CHECKIN_BUTTON, checkin_button),
        ButtonRoute(OPTIN_BUTTON, optin_button),
        ButtonRoute(BUDDY_BUTTON, buddy_button),
    ],
    conversations=[ConversationRoute(ASKED_NOTE, note_reply)],
)
