"""Long-lived helpers the handlers share, passed in explicitly (no global singletons)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from bot.kernel.context import Context


class HelpEntry(Protocol):
    @property
    def name(self) -> str: ...

    @property
    def help_key(self) -> str: ...

    @property
    def moderator(self) -> bool: ...


class CommandList(Protocol):
    """The commands a member can see (the router): /help lists them, /start <payload>
    continues with one."""

    def visible(self, private: bool, moderator: bool) -> Sequence[HelpEntry]: ...

    def runnable(self, name: str) -> Callable[[Context], Awaitable[None]] | None:
        """The handler of a member command (not a moderator one) by name, for deep links."""


class CountryLines(Protocol):
    """The packaged helplines: which countries have lines."""

    def known(self, country: str) -> bool: ...

    def countries(self) -> list[str]: ...

    def is_country(self, code: str) -> bool:
        """A real ISO 3166 country code, whether or not Harbor has lines for it."""

    def has_service(self, country: str, service: str) -> bool:
        """A packaged line of that country has this name."""


@dataclass
class Services:
    commands: CommandList
    helplines: CountryLines
