"""The command router: an explicit list of commands and button prefixes, no registries."""

from __future__ import annotations

import difflib
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from enum import Enum

from bot.kernel.context import Context
from bot.kernel.ports import CommandInfo

HandlerFn = Callable[[Context], Awaitable[None]]


class Where(Enum):
    ANYWHERE = "anywhere"
    PRIVATE = "private"  # refused in a group (private data): the member is sent to the DM
    GROUP = "group"  # only makes sense in a group (community settings)


@dataclass(frozen=True, slots=True)
class Command:
    name: str
    handler: HandlerFn
    help_key: str  # catalog key of the one-line description
    where: Where = Where.ANYWHERE
    moderator: bool = False
    aliases: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class ButtonRoute:
    prefix: str  # callback data is "<prefix>:<rest>"
    handler: HandlerFn


@dataclass(frozen=True, slots=True)
class ConversationRoute:
    """Free text in a private chat goes to the feature that asked a question."""

    state_prefix: str
    handler: HandlerFn


class Router:
    def __init__(
        self,
        commands: Sequence[Command],
        buttons: Sequence[ButtonRoute] = (),
        conversations: Sequence[ConversationRoute] = (),
    ) -> None:
        self.commands = tuple(commands)
        self._by_name: dict[str, Command] = {}
        for cmd in self.commands:
            for name in (cmd.name, *cmd.aliases):
                if name in self._by_name:
                    raise ValueError(f"command /{name} listed twice")
                self._by_name[name] = cmd
        self._buttons = {b.prefix: b for b in buttons}
        self._conversations = tuple(conversations)

    def command(self, name: str) -> Command | None:
        return self._by_name.get(name)

    def button(self, data: str) -> ButtonRoute | None:
        return self._buttons.get(data.partition(":")[0])

    def conversation(self, state: str) -> ConversationRoute | None:
        for route in self._conversations:
            if state.startswith(route.state_prefix):
                return route
        return None

    def closest(self, name: str) -> str | None:
        match = difflib.get_close_matches(name, list(self._by_name), n=1, cutoff=0.6)
        return match[0] if match else None

    def visible(self, private: bool, moderator: bool) -> list[Command]:
        """The commands that fit where the member is: for /help and the command menus."""
        out = []
        for cmd in self.commands:
            if cmd.moderator and not moderator:
                continue
            if cmd.where is Where.GROUP and private:
                continue
            if cmd.where is Where.PRIVATE and not private:
                continue  # only answered in the private chat: not offered in a group
            out.append(cmd)
        return out

    def command_infos(self, describe: Callable[[str], str]) -> list[CommandInfo]:
        return [
            CommandInfo(
                name=cmd.name,
                description=describe(cmd.help_key)[:100],
                in_private=cmd.where is not Where.GROUP,
                in_group=cmd.where is not Where.PRIVATE,
                moderator=cmd.moderator,
            )
            for cmd in self.commands
        ]
