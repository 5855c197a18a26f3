"""Only sources that plan ahead (Source.plans_ahead) are swept as of one interval later."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from bot.kernel.scheduling import Sweeper


class Recording:
    def __init__(self, name: str, plans_ahead: bool) -> None:
        self.name = name
        self.plans_ahead = plans_ahead
        self.seen: list[datetime] = []

    async def sweep(self, now: datetime, limit: int) -> int:
        self.seen.append(now)
        return 0


async def test_only_sources_that_plan_ahead_look_ahead() -> None:
    now = datetime(2026, 3, 2, 12, 0, tzinfo=UTC)
    early, plain = Recording("early", True), Recording("plain", False)
    await Sweeper([early, plain], 10, ahead=timedelta(seconds=20)).run(now)
    assert early.seen == [now + timedelta(seconds=20)]
    assert plain.seen == [now]
