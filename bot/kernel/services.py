"""Long-lived helpers the handlers share, passed in explicitly (no global singletons)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from bot.crisis.helplines import Helplines
    from bot.kernel.router import Router


@dataclass
class Services:
    router: Router
    helplines: Helplines
