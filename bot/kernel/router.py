"""The command router: features export their routes with named constants; `bot/app.py`
lists the features; the router refuses any name, alias, button prefix or conversation
state claimed twice, so two features can never silently overwrite each other."""

from __future__ import annotations

import difflib
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from enum import Enum

from bot.kernel.context import ConversationFn, HandlerFn, SuggestFn
from bot.kernel.ports import CommandInfo


class Where(Enum):
    ANYWHERE = "anywhere"
    PRIVATE = "private"  # refused in a group (private data): the member is sent to the DM
    GROUP = "group"  # only makes sense in a group (community settings)


@dataclass(frozen=True, slots=True, kw_only=True)
class Command:
    name: str
    handler: HandlerFn
    help_key: str  # catalog key of the one-line description
    where: Where = Where.ANYWHERE
    moderator: bool = False
    aliases: tuple[str, ...] = ()
    # Its answer in a group is public (an announcement, a listing): interactions are then
    # acknowledged publicly; everything else answers privately.
    public: bool = False
    # First words of the argument whose answer is private even so (`/meetings now`): a
    # slow answer's acknowledgement must already be ephemeral, or Discord shows it to all.
    private_args: frozenset[str] = frozenset()
    # Autocomplete for its argument, where the platform offers it (Discord).
    suggest: SuggestFn | None = None
    # It reads the event's attachment (CommandInfo.takes_file): files sent with any other
    # command are never downloaded.
    takes_file: bool = False


@dataclass(frozen=True, slots=True)
class ButtonRoute:
    prefix: str  # callback data is "<prefix>:<rest>"
    handler: HandlerFn


@dataclass(frozen=True, slots=True)
class ConversationRoute:
    """Free text in a private chat goes to the feature that asked a question."""

    state_prefix: str
    handler: ConversationFn


@dataclass(frozen=True, slots=True)
class Routes:
    """What one feature answers to."""

    commands: Sequence[Command] = ()
    buttons: Sequence[ButtonRoute] = ()
    conversations: Sequence[ConversationRoute] = field(default_factory=tuple)


class Router:
    def __init__(self, features: Sequence[Routes]) -> None:
        self.commands = tuple(c for f in features for c in f.commands)
        self._by_name: dict[str, Command] = {}
        for cmd in self.commands:
            for name in (cmd.name, *cmd.aliases):
                if name in self._by_name:
                    raise ValueError(f"command /{name} listed twice")
                self._by_name[name] = cmd
        self._buttons: dict[str, ButtonRoute] = {}
        for route in (b for f in features for b in f.buttons):
            if route.prefix in self._buttons or ":" in route.prefix:
                raise ValueError(f"button prefix {route.prefix!r} listed twice or malformed")
            self._buttons[route.prefix] = route
        self._conversations = tuple(c for f in features for c in f.conversations)
        prefixes = [c.state_prefix for c in self._conversations]
        for i, a in enumerate(prefixes):
            for b in prefixes[i + 1 :]:
                if a.startswith(b) or b.startswith(a):
                    raise ValueError(f"conversation states {a!r} and {b!r} overlap")

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

    def command_infos(
        self, describe: Callable[[str, str], str | None], langs: Sequence[str]
    ) -> list[CommandInfo]:
        return [
            CommandInfo(
                name=cmd.name,
                description=(describe(cmd.help_key, "en") or cmd.name)[:100],
                in_private=cmd.where is not Where.GROUP,
                in_group=cmd.where is not Where.PRIVATE,
                moderator=cmd.moderator,
                suggests=cmd.suggest is not None,
                takes_file=cmd.takes_file,
                translations={
                    lang: text[:100]
                    for lang in langs
                    if lang != "en" and (text := describe(cmd.help_key, lang))
                },
            )
            for cmd in self.commands
        ]
