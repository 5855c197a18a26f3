"""Help in the hard minute: /urge, and the member's own reasons (/reasons).

/urge (also a button under the check-in and /sober) answers privately with the member's
reasons, one coping step from the packaged set (bot/urges/data/coping.toml), an online
meeting starting soon when a feed is configured, and buttons: another idea; tell my buddy
(only when pressed, through the buddy pairing the member already has); check on me in 20
minutes (a private follow-up through the outbox, "How's the craving now, 0-10?", whose answer
is logged and shown in /progress); and "I'm not safe right now", which the crisis guard
answers with the crisis lines at once.

Reasons are private: /reasons add opens a private form on Discord (never typed in a
channel) and is asked in the private chat elsewhere.
"""

from __future__ import annotations

from datetime import date, timedelta

from bot.common.dates import InputError
from bot.common.guided import CANCEL_WORDS
from bot.common.parsing import parse_int
from bot.kernel.context import Context
from bot.kernel.i18n import translator
from bot.kernel.router import ButtonRoute, Command, ConversationRoute, Routes
from bot.kernel.types import Button, Buttons, EventKind, Form
from bot.meetings.lookup import untagged_language
from bot.meetings.now_commands import soonest_online
from bot.urges.coping import CopingStep, pick_step
from bot.urges.reasons import MAX_REASON_CHARS, MAX_REASONS, ReasonInputError, add_reason
from storage.recovery_base import UrgeRow, UrgeUpdate
from storage.rows import MemberRow

URGE_BUTTON = "urg"  # urg:start | urg:next:<urge>:<turn> | urg:buddy:<urge> | urg:check:<urge>
#                      | urg:lvl:<urge>:<0-10>
REASON_BUTTON = "rsn"  # rsn:add (the private form's data)
ASKED_REASON = "urges:reason"
CHECKING = "urges:check"  # a typed 0-10 answers the follow-up, like its buttons
CRISIS_BUTTON = "crisis:show"  # answered by the crisis guard, before any feature

CHECK_AFTER = timedelta(minutes=20)
ASK_TTL = 15 * 60  # a question for a reason stays open this long
ANSWER_WINDOW = 2 * 3600  # a typed number answers the follow-up this long after it is due
LEVELS = range(0, 11)
EASED_AT_MOST = 3
STRONG_FROM = 8


def urge_button(ctx: Context) -> Button:
    """The entry point other features show (the check-in, /sober)."""
    return Button(ctx.text("urge.button"), f"{URGE_BUTTON}:start")


def _today(ctx: Context) -> date:
    return ctx.now().astimezone(ctx.tz()).date()


def _step_text(ctx: Context, step: CopingStep) -> str:
    """The step in the member's language where a catalog translates it (English is the
    packaged data itself)."""
    return ctx.tr(step.text_key) if ctx.tr.has(step.text_key) else step.text


# -- /urge ---------------------------------------------------------------------------------


async def urge(ctx: Context) -> None:
    today = _today(ctx)
    earlier = await ctx.store.recovery.urges_since(ctx.member.id, today.isoformat())
    last = earlier[-1].step_id if earlier else None
    step = pick_step(ctx.member.id, today, last=last, turn=len(earlier))
    row = await ctx.store.recovery.start_urge(
        ctx.member.id, today.isoformat(), step.id, ctx.now_ts()
    )
    await _show(ctx, row, step, turn=0)


async def _show(
    ctx: Context, row: UrgeRow, step: CopingStep, turn: int, *, edit: bool = False
) -> None:
    reasons = await ctx.store.recovery.reasons(ctx.member.id)
    parts = [ctx.text("urge.opening")]
    if reasons:
        parts.append(
            ctx.text("urge.reasons_header") + "\n" + "\n".join(f"• {r.text}" for r in reasons)
        )
    else:
        parts.append(ctx.text("urge.no_reasons"))
    parts.append(ctx.text("urge.try_this") + "\n" + _step_text(ctx, step))
    meeting = await soonest_online(
        ctx.store, ctx.community, ctx.now(), ctx.lang, untagged=untagged_language(ctx)
    )
    if meeting is not None:
        parts.append(meeting)
    ctx.whisper("\n\n".join(parts), await _buttons(ctx, row, turn), edit=edit)


async def _buttons(ctx: Context, row: UrgeRow, turn: int) -> Buttons:
    rows: list[tuple[Button, ...]] = [
        (Button(ctx.text("urge.another"), f"{URGE_BUTTON}:next:{row.id}:{turn + 1}"),)
    ]
    if row.buddy_told_at is None and await _active_buddies(ctx):
        rows.append((Button(ctx.text("urge.tell_buddy"), f"{URGE_BUTTON}:buddy:{row.id}"),))
    if row.check_at is None:
        rows.append((Button(ctx.text("urge.check_later"), f"{URGE_BUTTON}:check:{row.id}"),))
    rows.append((Button(ctx.text("urge.not_safe"), CRISIS_BUTTON),))
    return tuple(rows)


async def _active_buddies(ctx: Context) -> list[MemberRow]:
    pairs = await ctx.store.checkins.buddies(ctx.member.id)
    return [buddy for buddy, status in pairs if status == "active"]


async def urge_button_pressed(ctx: Context) -> None:
    parts = (ctx.event.button or "").split(":")
    action = parts[1] if len(parts) > 1 else ""
    if action == "start" and len(parts) == 2:
        await urge(ctx)
        return
    urge_id = parse_int(parts[2]) if len(parts) >= 3 else None
    row = await ctx.store.recovery.urge(ctx.member.id, urge_id) if urge_id is not None else None
    if row is None:
        ctx.whisper(ctx.text("core.stale_button"))
        return
    if action == "next" and len(parts) == 4 and (turn := parse_int(parts[3], 1, 1000)):
        step = pick_step(ctx.member.id, date.fromisoformat(row.day), last=row.step_id, turn=turn)
        await ctx.store.recovery.update_urge(row.id, UrgeUpdate(step_id=step.id))
        await _show(ctx, row, step, turn, edit=True)
    elif action == "buddy" and len(parts) == 3:
        await _tell_buddies(ctx, row)
    elif action == "check" and len(parts) == 3:
        await _check_later(ctx, row)
    elif action == "lvl" and len(parts) == 4 and (level := parse_int(parts[3], 0, 10)) is not None:
        await _level(ctx, row, level)
    else:
        ctx.whisper(ctx.text("core.stale_button"))


async def _tell_buddies(ctx: Context, row: UrgeRow) -> None:
    """Only when the member pressed the button (their consent, this time), and through the
    pairing they already have: buddies hear that they are riding out an urge, nothing more."""
    if row.buddy_told_at is not None:
        ctx.whisper(ctx.text("urge.buddy_already"))
        return
    buddies = await _active_buddies(ctx)
    if not buddies:
        ctx.whisper(ctx.text("urge.buddy_none"))
        return
    for buddy in buddies:
        their = translator(buddy.lang)
        await ctx.send_later(
            buddy,
            their("urge.buddy_heads_up", name=ctx.member.display_name),
            key=f"urge-buddy:{row.id}:{buddy.id}",
            kind="buddy_alert",
            about=ctx.member,
        )
    await ctx.store.recovery.update_urge(row.id, UrgeUpdate(buddy_told_at=ctx.now_ts()))
    ctx.whisper(
        ctx.tr.n(
            "urge.buddy_told", len(buddies), names=ctx.tr.join(b.display_name for b in buddies)
        )
    )


async def _check_later(ctx: Context, row: UrgeRow) -> None:
    if row.check_at is not None:
        ctx.whisper(ctx.text("urge.check_already"))
        return
    due = ctx.now_ts() + int(CHECK_AFTER.total_seconds())
    await ctx.send_later(
        ctx.member,
        ctx.text("urge.check_ask"),
        level_buttons(row.id),
        key=f"urge-check:{row.id}",
        kind="urge_check",
        delay=CHECK_AFTER,
    )
    await ctx.store.recovery.update_urge(row.id, UrgeUpdate(check_at=due))
    open_question = await ctx.store.conversations.get(ctx.member.id, ctx.now_ts())
    if open_question is None or open_question.state == CHECKING:
        # Never over another open question (a check-in, a reason): the buttons still work.
        await ctx.store.conversations.set(
            ctx.member.id, CHECKING, {"urge": row.id}, due + ANSWER_WINDOW
        )
    ctx.whisper(ctx.tr.n("urge.check_set", int(CHECK_AFTER.total_seconds() // 60)))


def level_buttons(urge_id: int) -> Buttons:
    return (
        tuple(Button(str(n), f"{URGE_BUTTON}:lvl:{urge_id}:{n}") for n in range(0, 6)),
        tuple(Button(str(n), f"{URGE_BUTTON}:lvl:{urge_id}:{n}") for n in range(6, 11)),
    )


async def _level(ctx: Context, row: UrgeRow, level: int) -> None:
    await ctx.store.recovery.answer_urge(ctx.member.id, row.id, level, ctx.now_ts())
    convo = await ctx.store.conversations.get(ctx.member.id, ctx.now_ts())
    if convo is not None and convo.state == CHECKING and convo.data.get("urge") == row.id:
        await ctx.store.conversations.clear(ctx.member.id)  # answered, by button or typed
    edit = ctx.event.kind is EventKind.BUTTON  # a typed answer gets a new message
    if level <= EASED_AT_MOST:
        ctx.whisper(ctx.text("urge.level_eased", level=level), edit=edit)
        return
    buttons: list[tuple[Button, ...]] = [
        (Button(ctx.text("urge.another"), f"{URGE_BUTTON}:next:{row.id}:1"),)
    ]
    if row.buddy_told_at is None and await _active_buddies(ctx):
        buttons.append((Button(ctx.text("urge.tell_buddy"), f"{URGE_BUTTON}:buddy:{row.id}"),))
    buttons.append((Button(ctx.text("urge.not_safe"), CRISIS_BUTTON),))
    key = "urge.level_strong" if level >= STRONG_FROM else "urge.level_still"
    ctx.whisper(ctx.text(key, level=level), tuple(buttons), edit=edit)


async def check_reply(ctx: Context) -> bool:
    """A number typed after "How's the craving now, 0-10?" ("4", "4/10"). Before the question
    was sent, or for anything else, the text goes on as usual."""
    convo = await ctx.store.conversations.get(ctx.member.id, ctx.now_ts())
    if convo is None or convo.state != CHECKING:
        return False
    row = await ctx.store.recovery.urge(ctx.member.id, int(convo.data.get("urge", 0)))
    if row is None or row.level_after is not None:
        await ctx.store.conversations.clear(ctx.member.id)
        return False
    if row.check_at is None or ctx.now_ts() < row.check_at:
        return False
    level = parse_int(ctx.event.text.strip().removesuffix("/10").strip(), 0, 10)
    if level is None:
        return False
    await ctx.store.conversations.clear(ctx.member.id)
    await _level(ctx, row, level)
    return True


# -- /progress -------------------------------------------------------------------------------


async def progress_line(ctx: Context, first_day: date) -> str | None:
    """'Urges weathered: 2 (20 minutes later: 3/10 on average)': urges whose follow-up was
    answered since `first_day`, for /progress. None when there are none."""
    rows = await ctx.store.recovery.urges_since(ctx.member.id, first_day.isoformat())
    answered = [r.level_after for r in rows if r.level_after is not None]
    if not answered:
        return None
    average = round(sum(answered) / len(answered), 1)
    return ctx.tr.n("urge.progress_line", len(answered), average=ctx.tr.number(average))


# -- /reasons ----------------------------------------------------------------------------------


async def reasons(ctx: Context) -> None:
    verb, _, rest = ctx.event.args.strip().partition(" ")
    low, rest = verb.casefold(), rest.strip()
    if low in ("", "list", "show"):
        await _list(ctx)
    elif low == "add":
        if rest:
            await _add(ctx, rest)
        else:
            await _ask(ctx)
    elif low in ("remove", "delete"):
        await _remove(ctx, rest)
    else:
        ctx.whisper(ctx.text("reasons.usage"))


async def _list(ctx: Context) -> None:
    found = await ctx.store.recovery.reasons(ctx.member.id)
    if not found:
        ctx.whisper(ctx.text("reasons.none"))
        return
    lines = [ctx.text("reasons.header")]
    lines += [ctx.text("reasons.line", number=i, text=r.text) for i, r in enumerate(found, 1)]
    lines.append(ctx.text("reasons.usage"))
    ctx.whisper("\n".join(lines))


def reason_form(ctx: Context) -> Form:
    return Form(
        data=f"{REASON_BUTTON}:add",
        title=ctx.text("reasons.form_title"),
        label=ctx.text("reasons.form_label"),
        placeholder=ctx.text("reasons.form_placeholder"),
        max_length=MAX_REASON_CHARS,
    )


async def _ask(ctx: Context) -> None:
    """A private form where the platform has one; else the question in the private chat."""
    if ctx.forms_here:
        ctx.whisper(ctx.text("reasons.form_fallback"), form=reason_form(ctx))
        return
    await ctx.store.conversations.set(ctx.member.id, ASKED_REASON, {}, ctx.now_ts() + ASK_TTL)
    ctx.whisper(ctx.text("reasons.ask", max=MAX_REASON_CHARS))


async def _add(ctx: Context, text: str) -> bool:
    """Add a reason; True when saved (a bad one is explained and nothing changes)."""
    existing = await ctx.store.recovery.reasons(ctx.member.id)
    try:
        cleaned = add_reason([r.text for r in existing], text)[-1]
    except ReasonInputError as exc:
        ctx.whisper(_problem(ctx, exc))
        return False
    added = await ctx.store.recovery.add_reason(ctx.member.id, cleaned, ctx.now_ts(), MAX_REASONS)
    if added is None:
        ctx.whisper(ctx.text("urge.too_many_reasons", max=MAX_REASONS))
        return False
    text_out = ctx.tr.n("reasons.added", len(existing) + 1)
    if not ctx.in_private and ctx.event.kind is EventKind.MESSAGE:
        text_out += "\n\n" + ctx.text("reasons.private_tip")
    ctx.whisper(text_out)
    return True


def _problem(ctx: Context, exc: InputError) -> str:
    return ctx.text(exc.key, max=MAX_REASON_CHARS if exc.key.endswith("too_long") else MAX_REASONS)


async def _remove(ctx: Context, ref: str) -> None:
    found = await ctx.store.recovery.reasons(ctx.member.id)
    number = parse_int(ref.removeprefix("#"), 1, len(found)) if found else None
    if number is None:
        key = "reasons.not_found" if found else "reasons.none"
        ctx.whisper(ctx.text(key, value=ref[:10] or "?"))
        return
    gone = found[number - 1]
    await ctx.store.recovery.remove_reason(ctx.member.id, gone.id)
    ctx.whisper(ctx.text("reasons.removed", text=gone.text))


async def reason_form_sent(ctx: Context) -> None:
    """The private form's answer (Discord); a button press with this data is stale."""
    if ctx.event.kind is not EventKind.FORM or ctx.event.button != f"{REASON_BUTTON}:add":
        ctx.whisper(ctx.text("core.stale_button"))
        return
    await _add(ctx, ctx.event.text)


async def reason_reply(ctx: Context) -> bool:
    """Free text in the private chat after "what's one reason?"."""
    convo = await ctx.store.conversations.get(ctx.member.id, ctx.now_ts())
    if convo is None or convo.state != ASKED_REASON:
        return False
    text = ctx.event.text.strip()
    if text.casefold() in CANCEL_WORDS:
        await ctx.store.conversations.clear(ctx.member.id)
        ctx.whisper(ctx.text("reasons.cancelled"))
        return True
    if await _add(ctx, text):
        await ctx.store.conversations.clear(ctx.member.id)
    return True  # a bad answer was explained; the question stays open


ROUTES = Routes(
    commands=[
        Command(name="urge", handler=urge, help_key="urge.help"),
        Command(name="reasons", handler=reasons, help_key="reasons.help"),
    ],
    buttons=[
        ButtonRoute(URGE_BUTTON, urge_button_pressed),
        ButtonRoute(REASON_BUTTON, reason_form_sent),
    ],
    conversations=[
        ConversationRoute(ASKED_REASON, reason_reply),
        ConversationRoute(CHECKING, check_reply),
    ],
)
