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
    build: Callable[[Settings, Sequence[CommandInfo]], Adapter]


def _telegram(settings: Settings, commands: Sequence[CommandInfo]) -> Adapter:
    from adapters.telegram_adapter import TelegramAdapter  # imported only when it runs

    tg = settings.telegram
    return TelegramAdapter(
        tg.token,
        commands,
        base_url=tg.api_base_url,
        webhook_url=tg.webhook_url or None,
        webhook_secret=tg.webhook_secret or None,
        webhook_listen=tg.webhook_listen,
        webhook_port=tg.webhook_port,
        admin_cache_seconds=tg.admin_cache_seconds,
        per_second=tg.per_second,
        group_per_minute=tg.group_per_minute,
    )


def _discord(settings: Settings, commands: Sequence[CommandInfo]) -> Adapter:
    from adapters.discord_adapter import DiscordAdapter

    dc = settings.discord
    return DiscordAdapter(
        dc.token,
        commands,
        read_messages=dc.read_messages,
        moderator_role_id=dc.moderator_role_id or None,
        sharded=dc.sharded,
        per_second=dc.per_second,
    )


PLATFORMS: tuple[Platform, ...] = (
    Platform("telegram", lambda s: bool(s.telegram.token), _telegram),
    Platform("discord", lambda s: bool(s.discord.token), _discord),
)


def configured(settings: Settings) -> list[Platform]:
    return [p for p in PLATFORMS if p.enabled(settings)]
