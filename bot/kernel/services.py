"""Long-lived helpers the handlers share, passed in explicitly (no global singletons)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Any, Protocol


class HelpEntry(Protocol):
    @property
    def name(self) -> str: ...

    @property
    def help_key(self) -> str: ...

    @property
    def moderator(self) -> bool: ...


class Runnable(Protocol):
    @property
    def handler(self) -> Callable[[Any], Awaitable[None]]: ...


class CommandList(Protocol):
    """The commands a member can see (the router): /help lists them."""

    def visible(self, private: bool, moderator: bool) -> Sequence[HelpEntry]: ...

    def command(self, name: str) -> Runnable | None:
        """The command called `name` (a link from a group continues with it in private)."""


class CountryLines(Protocol):
    """The packaged helplines: which countries have lines."""

    def known(self, country: str) -> bool: ...

    def countries(self) -> list[str]: ...

    def is_country(self, code: str) -> bool:
        """A real ISO 3166 country code, whether or not Harbor has lines for it."""

    def has_service(self, country: str, service: str) -> bool:
        """A packaged line of that country has this name."""


# A feature's own line at the end of /history (service given, ...): None when it has none
# for this member. Arguments: the store, the member row, now (unix seconds).
HistoryLine = Callable[[Any, Any, int], Awaitable[str | None]]


@dataclass
class Services:
    commands: CommandList
    helplines: CountryLines
    history_lines: Sequence[HistoryLine] = ()
