"""Small parsers for what members type and what buttons carry (callback data is
user-controlled on Telegram, so it is parsed as strictly as typed text)."""

from __future__ import annotations

MAX_ID = 2**63 - 1  # SQLite's INTEGER range

_SWITCH = {
    "on": True,
    "yes": True,
    "true": True,
    "1": True,
    "off": False,
    "no": False,
    "false": False,
    "0": False,
}


def parse_int(text: str, lo: int = 0, hi: int = MAX_ID) -> int | None:
    """An integer in [lo, hi] written with ASCII digits, else None ("²" and "٣" are digits
    to str.isdigit, but not numbers a member meant)."""
    text = text.strip()
    if not text or len(text) > 19 or not (text.isascii() and text.isdigit()):
        return None
    value = int(text)
    return value if lo <= value <= hi else None


def parse_switch(text: str) -> bool | None:
    """on/off (yes/no, true/false, 1/0), or None."""
    return _SWITCH.get(text.strip().casefold())
