"""Settings: a TOML file validated by pydantic, tokens from the environment.

A wrong setting stops start-up with one line naming the key (ConfigError), never a traceback.
"""

from __future__ import annotations

import os
import tomllib
from pathlib import Path
from typing import Annotated, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from babel import Locale, UnknownLocaleError
from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    StrictBool,
    ValidationError,
    model_validator,
)

from bot.kernel.hhmm import parse_hhmm

PROGRAMS = ("general", "NA", "AA", "SMART")


class ConfigError(Exception):
    """A configuration problem, explained in one line."""


def _valid_tz(name: str) -> str:
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ValueError(
            f"unknown time zone {name!r} (use an IANA name such as 'Europe/London')"
        ) from exc
    return name


def _valid_hhmm(text: str) -> str:
    parse_hhmm(text)
    return text


def _valid_country(code: str) -> str:
    upper = code.upper()
    territories = Locale.parse("en").territories
    if len(code) != 2 or not code.isalpha() or upper not in territories or upper == "ZZ":
        raise ValueError(f"country must be a two-letter ISO code such as 'US', not {code!r}")
    return upper


def _valid_language(code: str) -> str:
    from bot.kernel.i18n import complete

    if code not in complete():
        raise ValueError(f"no message catalog for {code!r}; available: {', '.join(complete())}")
    return code


def _valid_locale(code: str) -> str:
    try:
        Locale.parse(code)
    except (UnknownLocaleError, ValueError):
        raise ValueError(
            f"unknown locale {code!r} (use a code such as 'en_US' or 'de_DE')"
        ) from None
    return code


TimeZone = Annotated[str, AfterValidator(_valid_tz)]
ClockTime = Annotated[str, AfterValidator(_valid_hhmm)]
Country = Annotated[str, AfterValidator(_valid_country)]
Language = Annotated[str, AfterValidator(_valid_language)]
LocaleCode = Annotated[str, AfterValidator(_valid_locale)]
# Administrator rights that make a Telegram group admin a Harbor moderator.
TelegramRight = Literal[
    "can_change_info",
    "can_restrict_members",
    "can_delete_messages",
    "can_promote_members",
    "can_manage_chat",
    "can_invite_users",
    "can_pin_messages",
]


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class HarborSettings(_Section):
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"
    max_message_chars: int = Field(default=4000, ge=100, le=100_000)
    # One member may send this many events in a burst, then `member_per_minute` a minute;
    # beyond that Harbor says once, kindly, that it will catch up (never for crisis words).
    member_burst: int = Field(default=20, ge=1, le=1000)
    member_per_minute: int = Field(default=30, ge=1, le=6000)


class CommunityDefaults(_Section):
    timezone: TimeZone = "UTC"
    country: Country | None = None
    checkin_time: ClockTime = "09:00"
    celebration_time: ClockTime = "09:00"
    program: Literal["general", "NA", "AA", "SMART"] = "general"
    language: Language = "en"
    date_locale: LocaleCode = "en_US"


class TelegramSettings(_Section):
    token: str = ""
    api_base_url: str = "https://api.telegram.org"
    webhook_url: str = ""
    webhook_secret: str = ""
    webhook_listen: str = "127.0.0.1"
    webhook_port: int = Field(default=8443, ge=1, le=65535)
    admin_cache_seconds: float = Field(default=300.0, ge=0)
    # Sending limits: about 30 messages/s overall, 20 a minute to one group.
    per_second: float = Field(default=25.0, gt=0)
    group_per_minute: int = Field(default=20, ge=1)
    # Skip the updates Telegram queued while Harbor was down (crisis words included: off).
    drop_pending_updates: StrictBool = False
    # getMe / deleteWebhook / setWebhook tries at start-up before a network blip counts.
    bootstrap_retries: int = Field(default=4, ge=0, le=20)
    # A group administrator moderates when holding any of these rights (the owner always).
    moderator_rights: tuple[TelegramRight, ...] = ("can_change_info", "can_restrict_members")


class DiscordSettings(_Section):
    token: str = ""
    read_messages: StrictBool = False
    # Deprecated: set a role per server with /community modrole @Role instead.
    moderator_role_id: str = ""
    sharded: StrictBool = False
    per_second: float = Field(default=40.0, gt=0)  # Discord allows 50 requests/s per bot
    # REST API root (a proxy, or a fake in tests); harbor doctor asks it too.
    api_base_url: str = "https://discord.com/api/v10"
    # Seconds to wait for the gateway's READY; 0 = 60 s plus 6 s per shard after the first.
    ready_timeout: float = Field(default=0.0, ge=0)
    # Several processes: each runs the shards in shard_ids out of shard_count (both or none).
    shard_ids: tuple[Annotated[int, Field(ge=0)], ...] = ()
    shard_count: int | None = Field(default=None, ge=1)
    # Development: sync slash commands to this one server only (instant), not globally.
    dev_guild_id: str = ""
    # Where the hash of the last synced command set is kept (sync only when it changes).
    commands_hash_file: str = "discord-commands.sha256"
    # Gateway events handled at once; more wait (interactions are still acknowledged).
    max_concurrent_events: int = Field(default=256, ge=1, le=10_000)
    # On stop, in-flight handlers get this long to finish before the client closes.
    stop_grace_seconds: float = Field(default=10.0, ge=0, le=300)

    @model_validator(mode="after")
    def _shards(self) -> DiscordSettings:
        if self.shard_ids and self.shard_count is None:
            raise ValueError("shard_ids needs shard_count (the total across processes)")
        if self.shard_count is not None and any(i >= self.shard_count for i in self.shard_ids):
            raise ValueError("every id in shard_ids must be below shard_count")
        return self


class SchedulerSettings(_Section):
    sweep_seconds: float = Field(default=20.0, gt=0, le=3600)
    batch_size: int = Field(default=2000, ge=1, le=100_000)
    stale_after_minutes: int = Field(default=180, ge=1)
    max_attempts: int = Field(default=8, ge=1, le=100)
    nudge_after_days: int = Field(default=3, ge=1, le=60)


def _valid_feed_url(url: str) -> str:
    if url and not (url.startswith(("http://", "https://")) and len(url) <= 500):
        raise ValueError(f"must be an http(s) address or empty, not {url[:60]!r}")
    return url


class MeetingSettings(_Section):
    # Let moderators import feeds from private-network addresses (an intranet, tests).
    allow_private_feed_urls: StrictBool = False
    # An online-meetings feed for everyone (Meeting Guide JSON or BMLT): /meetings now.
    online_feed: Annotated[str, AfterValidator(_valid_feed_url)] = ""
    # How often each meeting source is checked again, and the share of a source's meetings
    # one sync may remove before it is held for the moderators.
    sync_hours: float = Field(default=6.0, ge=0.25, le=168)
    max_drop_share: float = Field(default=0.5, gt=0, le=1)


class CrisisSettings(_Section):
    repeat_minutes: int = Field(default=30, ge=0, le=1440)
    detection: StrictBool = True


class StorageSettings(_Section):
    # sqlite:///harbor.db (the embedded default, one process per file) or
    # postgresql://user@host/dbname (several processes). HARBOR_DATABASE overrides it.
    url: str = "sqlite:///harbor.db"


class RetentionSettings(_Section):
    # Finished outbox rows (sent, skipped, failed) are deleted after this many days;
    # milestone rows after milestone_days (their keys stop a second celebration).
    sent_days: int = Field(default=30, ge=1, le=3650)
    milestone_days: int = Field(default=400, ge=1, le=3650)
    # Platform update ids seen (to handle each once across processes) are kept this long.
    events_hours: int = Field(default=48, ge=1, le=24 * 365)


class Settings(_Section):
    harbor: HarborSettings = HarborSettings()
    storage: StorageSettings = StorageSettings()
    retention: RetentionSettings = RetentionSettings()
    community: CommunityDefaults = CommunityDefaults()
    telegram: TelegramSettings = TelegramSettings()
    discord: DiscordSettings = DiscordSettings()
    scheduler: SchedulerSettings = SchedulerSettings()
    crisis: CrisisSettings = CrisisSettings()
    meetings: MeetingSettings = MeetingSettings()


def _one_line(exc: ValidationError) -> str:
    err = exc.errors()[0]
    key = ".".join(str(part) for part in err["loc"])
    if err["type"] == "extra_forbidden":
        return f"config: unknown setting '{key}'"
    msg = err["msg"].removeprefix("Value error, ")
    more = f" (and {len(exc.errors()) - 1} more)" if len(exc.errors()) > 1 else ""
    return f"config: '{key}': {msg}{more}"


def load_settings(path: Path | None = None, env: dict[str, str] | None = None) -> Settings:
    """Read `path` (optional), apply HARBOR_* token variables, validate. Raises ConfigError."""
    env = dict(os.environ) if env is None else env
    data: dict[str, object] = {}
    if path is not None:
        try:
            data = tomllib.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            raise ConfigError(f"config: file not found: {path}") from None
        except UnicodeDecodeError:
            raise ConfigError(f"config: {path} is not UTF-8 text") from None
        except tomllib.TOMLDecodeError as exc:
            raise ConfigError(f"config: {path} is not valid TOML: {exc}") from None
        except OSError as exc:
            raise ConfigError(f"config: cannot read {path}: {exc.strerror}") from None
    for section, var in (
        ("telegram", "HARBOR_TELEGRAM_TOKEN"),
        ("discord", "HARBOR_DISCORD_TOKEN"),
    ):
        if env.get(var):
            table = data.setdefault(section, {})
            if not isinstance(table, dict):
                raise ConfigError(f"config: '{section}' must be a table")
            table["token"] = env[var]
    if env.get("HARBOR_DATABASE"):
        storage = data.setdefault("storage", {})
        if not isinstance(storage, dict):
            raise ConfigError("config: 'storage' must be a table")
        storage["url"] = env["HARBOR_DATABASE"]
    try:
        return Settings.model_validate(data)
    except ValidationError as exc:
        raise ConfigError(_one_line(exc)) from None


def start_up_warnings(settings: Settings) -> list[str]:
    """Settings that are valid but that an operator should hear about at every start: a
    community relying on Harbor must know when something it expects is switched off."""
    found = []
    if not settings.crisis.detection:
        found.append(
            "crisis detection is off ([crisis] detection = false): messages are not checked"
            " for crisis language, and only /crisis answers with crisis lines"
        )
    return found
