"""The crisis feature's commands and buttons. /crisis itself is answered by the guard in
`responder.py` before storage is touched; it is listed here for /help and the menus."""

from __future__ import annotations

from bot.crisis.alerts import ALERT_BUTTON, alert_button
from bot.kernel.context import Context
from bot.kernel.router import ButtonRoute, Command, Routes, Where


async def crisis(ctx: Context) -> None:
    """Only reached when a Core runs without the crisis guard (some tests, tools)."""
    ctx.whisper(ctx.text("crisis.opening"))


async def supporter(ctx: Context) -> None:
    """/supporter on|off: a moderator on duty gets unclaimed crisis alerts first."""
    assert ctx.community is not None
    arg = ctx.event.args.strip().casefold()
    if arg in ("on", "off"):
        await ctx.store.crisis.set_supporter(
            ctx.member.id, ctx.community.id, arg == "on", ctx.now_ts()
        )
        ctx.whisper(ctx.text(f"crisis.supporter_{arg}"))
        return
    on_duty = await ctx.store.crisis.supporters(ctx.community.id)
    names = ctx.tr.join(m.display_name for m in on_duty) or ctx.text("crisis.supporter_nobody")
    ctx.whisper(ctx.text("crisis.supporter_list", names=names))


ROUTES = Routes(
    commands=[
        Command(name="crisis", handler=crisis, help_key="crisis.help", aliases=("sos",)),
        Command(
            name="supporter",
            handler=supporter,
            help_key="crisis.supporter_help",
            where=Where.GROUP,
            moderator=True,
        ),
    ],
    buttons=[ButtonRoute(ALERT_BUTTON, alert_button)],
)
