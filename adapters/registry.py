"""The adapter list: every chat platform Harbor can run on, one line each. A new platform
needs its two files (`<platform>_adapter.py` glue, `<platform>_convert.py` pure translation),
its settings model in `bot/kernel/config.py`, and one line here."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from bot.kernel.config import Settings
from bot.kernel.ports import Adapter, CommandInfo


@dataclass(frozen=True, slots=True)
class Platform:
    name: str
    enabled: Callable[[Settings], bool]
    # Built for a process `role` (all, gateway, worker): see bot/kernel/runtime.py.
    build: Callable[[Settings, Sequence[CommandInfo], str], Adapter]


def _telegram(settings: Settings, commands: Sequence[CommandInfo], role: str) -> Adapter:
    from adapters.telegram_adapter import TelegramAdapter  # imported only when it runs

    # The runtime starts receiving where this process should (long polling: one leader).
    return TelegramAdapter.from_settings(settings.telegram, commands, receive=False)


def _discord(settings: Settings, commands: Sequence[CommandInfo], role: str) -> Adapter:
    from adapters.discord_adapter import DiscordAdapter

    # Shards are split by configuration; a worker only sends (REST, no gateway).
    return DiscordAdapter.from_settings(settings.discord, commands, receive=role != "worker")


PLATFORMS: tuple[Platform, ...] = (
    Platform("telegram", lambda s: bool(s.telegram.token), _telegram),
    Platform("discord", lambda s: bool(s.discord.token), _discord),
)


def configured(settings: Settings) -> list[Platform]:
    return [p for p in PLATFORMS if p.enabled(settings)]
