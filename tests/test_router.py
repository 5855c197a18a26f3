"""The router refuses anything two features claim: a command or alias, a button prefix, or
overlapping conversation states; and the real feature list claims nothing twice."""

from __future__ import annotations

import pytest

from bot.app import FEATURES
from bot.kernel.context import Context
from bot.kernel.router import ButtonRoute, Command, ConversationRoute, Router, Routes


async def _noop(ctx: Context) -> None:
    return None


async def _no(ctx: Context) -> bool:
    return False


def test_a_command_or_alias_claimed_twice_is_refused() -> None:
    a = Routes(commands=[Command(name="sober", handler=_noop, help_key="x")])
    b = Routes(commands=[Command(name="clean", handler=_noop, help_key="x", aliases=("sober",))])
    with pytest.raises(ValueError, match="/sober listed twice"):
        Router([a, b])


def test_a_button_prefix_claimed_twice_or_malformed_is_refused() -> None:
    with pytest.raises(ValueError, match="'ci'"):
        Router(
            [Routes(buttons=[ButtonRoute("ci", _noop)]), Routes(buttons=[ButtonRoute("ci", _noop)])]
        )
    with pytest.raises(ValueError, match="malformed"):
        Router([Routes(buttons=[ButtonRoute("a:b", _noop)])])


def test_overlapping_conversation_states_are_refused() -> None:
    with pytest.raises(ValueError, match="overlap"):
        Router(
            [
                Routes(conversations=[ConversationRoute("urges:", _no)]),
                Routes(conversations=[ConversationRoute("urges:check", _no)]),
            ]
        )


def test_the_shipped_features_claim_nothing_twice() -> None:
    router = Router(FEATURES)
    assert router.command("urge") is not None and router.button("ci:x") is not None
