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


class Inbox(Protocol):
    """What an adapter hands events to: the kernel."""

    async def handle(self, event: Incoming) -> None:
        """Handle one event and deliver its replies through the adapters' verbs."""

    def answers_privately(self, event: Incoming) -> bool:
        """Whether the event's answer will be private (so an adapter that must acknowledge
        an interaction early can choose ephemeral before the handler is done)."""

    def command_infos(self) -> list[CommandInfo]: ...


@runtime_checkable
class Receiver(Protocol):
    """An adapter whose receiving starts apart from its sending, so the runtime decides where
    events are received: in gateway processes only, and where the platform admits one
    receiver per bot (Telegram long polling) only in the process that holds the lease."""

    @property
    def single_receiver(self) -> bool: ...

    async def start_receiving(self) -> None: ...

    async def stop_receiving(self) -> None: ...
