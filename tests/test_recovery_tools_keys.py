"""The message-catalog keys the recovery tools raise, declared in one place per module so the
integrator can check them against bot/locale/*.toml."""

from __future__ import annotations

import re
from pathlib import Path
from types import ModuleType

import pytest

from bot.announcements import post, schedule
from bot.sobriety import savings
from bot.urges import reasons


@pytest.mark.parametrize("module", [post, schedule, savings, reasons])
def test_every_raised_key_is_declared_and_every_declared_key_raised(module: ModuleType) -> None:
    source = Path(module.__file__ or "").read_text(encoding="utf-8")
    raised = set(re.findall(r'InputError\(\s*"([a-z_]+\.[a-z_]+)"', source))
    assert raised == set(module.ERROR_KEYS)
