"""What the kernel needs from a chat platform, and what a platform adapter gets from the
kernel. An adapter only offers platform verbs and declares its limits; every rule about how
a message reaches a person lives in the kernel's delivery step."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Protocol, runtime_checkable

from bot.kernel.types import Incoming, Reply, SendResult


@dataclass(frozen=True, slots=True)
class CommandInfo:
    """What an adapter needs to register a command menu or slash command."""

    name: str
    description: str  # one short line, <= 100 characters, in English
    in_private: bool = True
    in_group: bool = True
    moderator: bool = False
    # The description in other languages, by language code ("es": "…").
    translations: Mapping[str, str] = field(default_factory=dict)
    suggests: bool = False  # its argument has autocomplete (Inbox.suggest)
    # It reads an attached file (/meeting import): only then does a platform offer a file
    # option (Discord) and fetch what is attached; other commands never wait for a download.
    takes_file: bool = False


@dataclass(frozen=True, slots=True)
class Limits:
    """A platform's sending limits, declared by its adapter and applied by the kernel's
    pacing layer to every send, direct or scheduled."""

    per_second: float  # all sends of the bot together
    group_per_minute: int | None = None  # to one group chat in any 60 s (Telegram: 20)
    max_text: int = 4000


@dataclass(frozen=True, slots=True)
class Capabilities:
    # Interactions can be answered so only the member sees it (Discord): a private reply
    # to an interaction needs no DM.
    ephemeral: bool = False
    # A bot may write to a member who never wrote to it privately (Discord, unless the
    # member closed DMs). Telegram bots may not.
    dm_first: bool = True
    # The platform shows a timestamp in each reader's own zone (Discord's <t:UNIX:t>).
    timestamps: bool = False
    # An interaction can be answered with a private form (Discord's modals): private text is
    # typed there, never in a channel. See types.Form.
    forms: bool = False


class Adapter(Protocol):
    """A chat platform: start and stop, and a few verbs. Adapters translate; they hold no
    feature logic and no delivery rules."""

    platform: str
    limits: Limits
    capabilities: Capabilities

    async def start(self, inbox: Inbox) -> None:
        """Connect and begin handing events to `inbox`; return once running."""

    async def stop(self) -> None:
        """Finish what is in flight (bounded), then disconnect."""

    async def send(self, reply: Reply) -> SendResult:
        """Deliver one reply (to a chat, or privately to `reply.member`); map the
        platform's errors to a neutral SendResult."""

    async def answer(self, event: Incoming, reply: Reply, *, ephemeral: bool) -> SendResult:
        """Answer the event's interaction; SendStatus.EXPIRED when it can no longer be."""

    async def is_moderator(self, community_id: str, user_id: str) -> bool:
        """Whether the user moderates the community now (asked of the platform)."""

    def private_link(self, payload: str) -> str | None:
        """A link that opens the private chat with the bot and continues with `payload`
        (a Telegram deep link), or None where the platform has none."""


@dataclass(frozen=True, slots=True)
class GroupInfo:
    community_id: str  # the platform's id of the group (Telegram chat, Discord server)
    title: str
    reads_messages: bool | None


Choice = tuple[str, str]  # an autocomplete choice: (label shown, value filled in)


class PlatformBook(Protocol):
    """What the kernel remembers for adapters, so that adapters never touch storage."""

    async def note_group(
        self, platform: str, community_id: str, title: str, reads_messages: bool | None
    ) -> None:
        """Whether the bot can read the group's ordinary messages (crisis detection needs
        them), as the adapter found at start-up or when the bot's rights changed."""

    async def groups(self, platform: str) -> list[GroupInfo]:
        """The platform's active groups Harbor knows."""

    async def moderator_role(self, platform: str, community_id: str) -> str | None:
        """The role a community's moderators chose to moderate with (Discord)."""

    async def private_chat(self, platform: str, user_id: str) -> str | None:
        """The id of the member's private chat with the bot, when the platform has one."""

    async def note_private_chat(self, platform: str, user_id: str, chat_id: str | None) -> None:
        ...


class Inbox(Protocol):
    """What an adapter hands events to: the kernel."""

    @property
    def platforms(self) -> PlatformBook: ...

    async def handle(self, event: Incoming) -> None:
        """Handle one event and deliver its replies through the adapters' verbs."""

    def answers_privately(self, event: Incoming) -> bool:
        """Whether the event's answer will be private (so an adapter that must acknowledge
        an interaction early can choose ephemeral before the handler is done)."""

    def command_infos(self) -> list[CommandInfo]: ...

    async def suggest(self, event: Incoming, current: str) -> list[Choice]:
        """Autocomplete for the command in `event` as the member types `current` (its
        feature knows what fits: meeting ids, counter names, time zones)."""


@runtime_checkable
class Receiver(Protocol):
    """An adapter whose receiving starts apart from its sending, so the runtime decides where
    events are received: in gateway processes only, and where the platform admits one
    receiver per bot (Telegram long polling) only in the process that holds the lease."""

    @property
    def single_receiver(self) -> bool: ...

    async def start_receiving(self) -> None: ...

    async def stop_receiving(self) -> None: ...
