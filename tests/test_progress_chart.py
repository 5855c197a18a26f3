from __future__ import annotations

import math
import struct
from concurrent.futures import ThreadPoolExecutor
from datetime import date, timedelta

import pytest

from bot.checkins.chart import chart_series, render_chart, render_text, window
from bot.checkins.model import CheckinPoint

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
END = date(2026, 3, 20)  # a Friday


def month_of_points() -> list[CheckinPoint]:
    return [
        CheckinPoint(END - timedelta(days=i), (i % 5) + 1, (i * 3) % 11)
        for i in range(30)
        if i % 7 != 3  # a missing day every week
    ]


def png_size(data: bytes) -> tuple[int, int]:
    width, height = struct.unpack(">II", data[16:24])  # IHDR comes first
    return width, height


def test_render_chart_png() -> None:
    data = render_chart(month_of_points(), 30, "Last 30 days")
    assert data.startswith(PNG_SIGNATURE)
    assert data[12:16] == b"IHDR"
    assert png_size(data) == (600, 300)
    assert 5_000 < len(data) < 100_000


def test_render_chart_edge_cases() -> None:
    for points, days in [([], 7), ([CheckinPoint(END, 3, None)], 1), (month_of_points(), 90)]:
        data = render_chart(points, days, "Übersicht – 7 Tage", end=END)
        assert data.startswith(PNG_SIGNATURE)
        assert len(data) < 100_000


def test_render_chart_is_deterministic_across_threads() -> None:
    points = month_of_points()
    with ThreadPoolExecutor(max_workers=4) as pool:
        results = list(pool.map(lambda _: render_chart(points, 30, "Mood"), range(8)))
    assert len(set(results)) == 1


def test_chart_series_gaps() -> None:
    points = [CheckinPoint(END - timedelta(days=2), 4, 7), CheckinPoint(END, None, 1)]
    dates, mood, cravings = chart_series(points, 4)
    assert dates == [END - timedelta(days=n) for n in (3, 2, 1, 0)]
    assert [None if math.isnan(v) else v for v in mood] == [None, 4.0, None, None]
    assert [None if math.isnan(v) else v for v in cravings] == [None, 7.0, None, 1.0]


def test_window() -> None:
    assert window([], 3, END) == [date(2026, 3, 18), date(2026, 3, 19), END]
    assert window([CheckinPoint(END, 3, 3)], 1) == [END]
    with pytest.raises(ValueError):
        window([], 0, END)


def test_render_text_bars() -> None:
    points = [
        CheckinPoint(date(2026, 3, 16), 3, 4),
        CheckinPoint(date(2026, 3, 18), None, 10),
        CheckinPoint(date(2026, 3, 19), 5, 0),
        CheckinPoint(date(2026, 3, 20), 1, None),
    ]
    assert render_text(points, 5).splitlines() == [
        "Mon 16 Mar  mood ███░░ 3/5  cravings ████░░░░░░ 4/10",
        "Tue 17 Mar  mood       -    cravings            -",
        "Wed 18 Mar  mood       -    cravings ██████████ 10/10",
        "Thu 19 Mar  mood █████ 5/5  cravings ░░░░░░░░░░ 0/10",
        "Fri 20 Mar  mood █░░░░ 1/5  cravings            -",
    ]


def test_render_text_columns_align_and_fit_a_message() -> None:
    text = render_text(month_of_points(), 30)
    lines = text.splitlines()
    assert len(lines) == 30
    assert {line.index("cravings") for line in lines} == {28}
    assert len(text) < 2000  # Discord's message limit


def test_render_text_latest_point_wins() -> None:
    points = [CheckinPoint(END, 1, 1), CheckinPoint(END, 4, 2)]
    assert render_text(points, 1) == "Fri 20 Mar  mood ████░ 4/5  cravings ██░░░░░░░░ 2/10"
