"""The private attendance log: /attended records a meeting, /attendance exports the list
(some members must show proof of attendance)."""

from __future__ import annotations

import csv
import io
from datetime import UTC, date, datetime, timedelta

from bot.common.dates import RELATIVE_DAYS
from bot.kernel.context import Context
from bot.kernel.types import Document
from bot.meetings.lookup import resolve_meeting, visible_communities
from bot.meetings.model import NAME_MAX, spec_from_dict
from bot.meetings.occurrences import last_occurrence

# -- attendance -------------------------------------------------------------------------------


def _split_day(args: str, today: date) -> tuple[str, date | None]:
    """'/attended 3 2026-11-20' -> ('3', date); no date given -> None."""
    words = args.split()
    if words and words[-1].casefold() in RELATIVE_DAYS:  # today, yesterday, hoy, ayer, ...
        return " ".join(words[:-1]), today - timedelta(days=RELATIVE_DAYS[words[-1].casefold()])
    if words:
        try:
            return " ".join(words[:-1]), date.fromisoformat(words[-1])
        except ValueError:
            pass
    return args.strip(), None


async def attended(ctx: Context) -> None:
    now = ctx.now()
    today = now.astimezone(ctx.tz()).date()
    ref, day = _split_day(ctx.event.args, today)
    if not ref:
        ctx.whisper(ctx.text("attend.usage"))
        return
    if day is not None and day > today:
        ctx.whisper(ctx.text("attend.future"))
        return
    row = await resolve_meeting(ctx, ref, await visible_communities(ctx))
    if day is None:
        # Without a date: the meeting's last occurrence (in its own zone), not "today".
        last = last_occurrence(spec_from_dict(row.spec), now) if row is not None else None
        day = last.local_date if last is not None else today
    name = row.name if row else " ".join(ref.split())[:NAME_MAX]
    new = await ctx.store.meetings.log_attendance(
        ctx.member.id, row.id if row else None, name, day.isoformat(), ctx.now_ts()
    )
    key = "attend.saved" if new else "attend.already"
    ctx.whisper(
        ctx.text(key, name=name, date=day.isoformat())
        + ("" if row else "\n" + ctx.text("attend.outside"))
    )


async def attendance(ctx: Context) -> None:
    rows = await ctx.store.meetings.attendance(ctx.member.id)
    if not rows:
        ctx.whisper(ctx.text("attend.none"))
        return
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["date", "meeting", "recorded_at_utc"])
    for r in rows:
        stamp = datetime.fromtimestamp(r.recorded_at, UTC).strftime("%Y-%m-%d %H:%M")
        writer.writerow([r.day, _csv_safe(r.meeting_name), stamp])
    doc = Document("attendance.csv", out.getvalue().encode("utf-8"), "text/csv")
    ctx.whisper(
        ctx.tr.n("attend.export", len(rows), name=ctx.member.display_name), document=doc
    )


def _csv_safe(text: str) -> str:
    # A leading =, +, - or @ makes spreadsheets run the cell as a formula.
    return "'" + text if text[:1] in ("=", "+", "-", "@") else text
