"""Mood and cravings charts: a small PNG, and a text version for where images can't go.

The PNG uses matplotlib's object API (Figure + Agg canvas) and never pyplot, whose global
figure manager is not thread-safe; this module can be called from worker threads.
"""

from __future__ import annotations

import io
import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta

from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from bot.checkins.model import CRAVINGS_RANGE, MOOD_RANGE, CheckinPoint, latest_by_day

__all__ = ["ChartLabels", "chart_figure", "chart_series", "render_chart", "render_text", "window"]

# Colour-blind-safe pair (Okabe-Ito blue and vermillion), also told apart by marker and dash.
_MOOD_COLOUR = "#0072B2"
_CRAVINGS_COLOUR = "#D55E00"
_FULL = "█"
_EMPTY = "░"


def window(points: Sequence[CheckinPoint], days: int, end: date | None = None) -> list[date]:
    """The `days` dates shown, oldest first, ending at `end` (default: the latest check-in,
    or today when there are none)."""
    if days < 1:
        raise ValueError("days must be at least 1")
    last = end or max((p.day for p in points), default=date.today())
    return [last - timedelta(days=offset) for offset in range(days - 1, -1, -1)]


def chart_series(
    points: Sequence[CheckinPoint], days: int, end: date | None = None
) -> tuple[list[date], list[float], list[float]]:
    """The plotted dates, moods and cravings; NaN where a day has no value (a gap)."""
    dates = window(points, days, end)
    by_day = latest_by_day(points)
    mood = [_value(by_day.get(d), "mood") for d in dates]
    cravings = [_value(by_day.get(d), "cravings") for d in dates]
    return dates, mood, cravings


@dataclass(frozen=True, slots=True)
class ChartLabels:
    """The chart's words, in the member's language."""

    mood_axis: str = "Mood (1-5)"
    cravings_axis: str = "Cravings (0-10)"
    mood: str = "Mood"
    cravings: str = "Cravings"


def chart_figure(
    points: Sequence[CheckinPoint],
    days: int,
    title: str,
    *,
    end: date | None = None,
    labels: ChartLabels = ChartLabels(),
) -> Figure:
    """The chart as a matplotlib Figure (drawn, not yet saved). The legend sits below the
    plot, outside it, so it can never hide a day's point."""
    dates, mood, cravings = chart_series(points, days, end)
    xs = list(range(len(dates)))

    fig = Figure(figsize=(6, 3), dpi=100)
    FigureCanvasAgg(fig)
    ax_mood = fig.add_subplot()
    ax_cravings = ax_mood.twinx()
    ax_mood.plot(xs, mood, color=_MOOD_COLOUR, marker="o", markersize=4, label=labels.mood)
    ax_cravings.plot(
        xs, cravings, color=_CRAVINGS_COLOUR, marker="s", markersize=4, linestyle="--",
        label=labels.cravings,
    )  # fmt: skip
    ax_mood.set_ylim(MOOD_RANGE[0] - 0.2, MOOD_RANGE[1] + 0.2)
    ax_mood.set_yticks(range(MOOD_RANGE[0], MOOD_RANGE[1] + 1))
    ax_mood.set_ylabel(labels.mood_axis, color=_MOOD_COLOUR)
    ax_cravings.set_ylim(CRAVINGS_RANGE[0] - 0.4, CRAVINGS_RANGE[1] + 0.4)
    ax_cravings.set_yticks(range(CRAVINGS_RANGE[0], CRAVINGS_RANGE[1] + 1, 2))
    ax_cravings.set_ylabel(labels.cravings_axis, color=_CRAVINGS_COLOUR)
    ax_mood.set_xlim(-0.5, len(dates) - 0.5)
    step = max(1, math.ceil(len(dates) / 8))  # at most about 8 date labels
    ticks = xs[::-1][::step][::-1]  # count back from the newest day so it is always labelled
    ax_mood.set_xticks(ticks, [f"{dates[i]:%d %b}" for i in ticks], fontsize=8)
    ax_mood.set_title(title, fontsize=10)
    ax_mood.grid(axis="y", alpha=0.3)
    handles = ax_mood.get_lines() + ax_cravings.get_lines()
    fig.legend(handles=handles, loc="lower center", ncol=2, fontsize=8, frameon=False)
    fig.tight_layout(rect=(0, 0.07, 1, 1))  # room for the legend under the date labels
    fig.canvas.draw()
    return fig


def render_chart(
    points: Sequence[CheckinPoint],
    days: int,
    title: str,
    *,
    end: date | None = None,
    labels: ChartLabels = ChartLabels(),
) -> bytes:
    """A PNG (about 600x300 px, well under 100 KB) of mood (left axis, 1-5) and cravings
    (right axis, 0-10) over `days` days; days without a value leave a gap in the line."""
    fig = chart_figure(points, days, title, end=end, labels=labels)
    out = io.BytesIO()
    fig.savefig(out, format="png", metadata={"Software": None})
    return out.getvalue()


def _value(point: CheckinPoint | None, field: str) -> float:
    value: int | None = getattr(point, field) if point is not None else None
    return math.nan if value is None else float(value)  # NaN breaks the line: a visible gap


def render_text(points: Sequence[CheckinPoint], days: int, *, end: date | None = None) -> str:
    """One line per day, oldest first, e.g.
    `Fri 13 Mar  mood ███░░ 3/5  cravings ████░░░░░░ 4/10`; a missing value reads "-"."""
    by_day = latest_by_day(points)
    lines = []
    for d in window(points, days, end):
        point = by_day.get(d)
        mood = point.mood if point else None
        cravings = point.cravings if point else None
        lines.append(
            f"{d:%a %d %b}  mood {_bar(mood, MOOD_RANGE[1])}  "
            f"cravings {_bar(cravings, CRAVINGS_RANGE[1])}"
        )
    return "\n".join(line.rstrip() for line in lines)


def _bar(value: int | None, top: int) -> str:
    if value is None:  # same width as a value, so the next column stays aligned
        return f"{' ' * top} {'-':<{2 * len(str(top)) + 1}}"
    return f"{_FULL * value}{_EMPTY * (top - value)} {value}/{top}"
