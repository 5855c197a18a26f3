"""Tiny time-of-day parser shared by config validation and the features (kernel level, so
the config needs nothing above it)."""

from __future__ import annotations

from datetime import time


def parse_hhmm(text: str) -> time:
    """Parse a strict 24-hour "HH:MM"; raises ValueError with a friendly reason."""
    hours, sep, minutes = text.strip().partition(":")
    if not sep or not hours.isdigit() or not minutes.isdigit() or len(minutes) != 2:
        raise ValueError(f"expected a 24-hour time such as '09:00', not {text!r}")
    h, m = int(hours), int(minutes)
    if not (0 <= h <= 23 and 0 <= m <= 59):
        raise ValueError(f"expected a 24-hour time such as '09:00', not {text!r}")
    return time(h, m)
