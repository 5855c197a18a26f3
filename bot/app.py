"""Assembly: build the store, core, sweep and dispatcher, and run them with the adapters in
one asyncio loop. This is the only place that knows every feature; the command list below is
the whole surface of the bot, in the order /help shows it."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from apscheduler.schedulers.asyncio import AsyncIOScheduler

from bot.checkins import commands as checkins
from bot.common.hhmm import parse_hhmm
from bot.community import commands as community
from bot.crisis.helplines import Helplines
from bot.crisis.responder import CrisisResponder
from bot.kernel.clock import Clock
from bot.kernel.config import Settings
from bot.kernel.context import Context
from bot.kernel.core import Core, Guard
from bot.kernel.dispatcher import Dispatcher, DispatchStats
from bot.kernel.i18n import t
from bot.kernel.ports import Adapter, CommandInfo
from bot.kernel.router import ButtonRoute, Command, ConversationRoute, Router, Where
from bot.kernel.scheduling import Source, Sweeper
from bot.kernel.services import Services
from bot.meetings import attendance
from bot.meetings import commands as meetings
from bot.meetings import reminders as meeting_reminders
from bot.members import commands as basics
from bot.sobriety import commands as sobriety
from storage.base import Store

log = logging.getLogger("harbor")


def build_router() -> Router:
    commands = [
        Command("start", basics.start, "help.start"),
        Command("help", basics.help_, "help.help"),
        Command("crisis", crisis_command, "crisis.help", aliases=("sos",)),
        Command("settings", basics.settings, "help.settings"),
        Command("privacy", basics.privacy, "help.privacy"),
        Command("mydata", basics.mydata, "help.mydata", where=Where.PRIVATE),
        Command("forget", basics.forget, "help.forget", where=Where.PRIVATE),
        Command("checkin", checkins.checkin, "checkin.help"),
        Command("progress", checkins.progress, "progress.help"),
        Command("buddy", checkins.buddy, "buddy.help"),
        Command("sober", sobriety.sober, "sober.help"),
        Command("reset", sobriety.reset, "reset.help", aliases=("slip",)),
        Command("history", sobriety.history, "history.help"),
        Command("celebrate", sobriety.celebrate, "celebrate.help"),
        Command("share", sobriety.share, "share.help"),
        Command("leaderboard", sobriety.leaderboard, "leaderboard.help", where=Where.GROUP),
        Command("meetings", meetings.meetings_cmd, "meetings.help"),
        Command("meeting", meetings.meeting_cmd, "meeting.help"),
        Command("remind", meetings.remind, "remind.help"),
        Command("going", meetings.going, "going.help"),
        Command("attended", attendance.attended, "attend.help_attended", where=Where.PRIVATE),
        Command("attendance", attendance.attendance, "attend.help_attendance", where=Where.PRIVATE),
        Command(
            "community", community.community, "help.community", where=Where.GROUP, moderator=True
        ),
    ]
    buttons = [
        ButtonRoute("set", basics.settings_button),
        ButtonRoute("forget", basics.forget_button),
        ButtonRoute("reset", sobriety.reset_button),
        ButtonRoute("ci", checkins.checkin_button),
        ButtonRoute("cio", checkins.optin_button),
        ButtonRoute("bud", checkins.buddy_button),
    ]
    conversations = [
        ConversationRoute("settings:tz", basics.settings_reply),
        ConversationRoute("sober:restart:", sobriety.restart_reply),
        ConversationRoute("checkin:note:", checkins.note_reply),
        ConversationRoute("meeting:add", meetings.add_reply),
    ]
    return Router(commands, buttons, conversations)


async def crisis_command(ctx: Context) -> None:
    """/crisis is answered by the crisis guard before storage is touched; this only runs
    when a Core is built without the guard (then it answers the same way)."""
    responder = CrisisResponder(ctx.services.helplines, ctx.settings, ctx.store)
    ctx.replies.extend(await responder.answer(ctx.event, detection=None))


def build_sources(store: Store, settings: Settings) -> list[Source]:
    return [
        checkins.CheckinSource(
            store,
            t,
            timedelta(minutes=settings.scheduler.stale_after_minutes),
            settings.scheduler.nudge_after_days,
        ),
        sobriety.MilestoneSource(
            store, parse_hhmm(settings.community.celebration_time), settings.community.program, t
        ),
        meeting_reminders.MeetingSource(store, t, settings.community.timezone),
    ]


@dataclass
class Harbor:
    """The running bot: one core, one sweep, one dispatcher, any number of adapters."""

    store: Store
    clock: Clock
    settings: Settings
    core: Core
    sweeper: Sweeper
    adapters: dict[str, Adapter] = field(default_factory=dict)
    dispatcher: Dispatcher | None = None
    # Real time for rate limits; tests tie it to their manual clock.
    monotonic: Callable[[], float] = time.monotonic

    @classmethod
    def build(
        cls,
        store: Store,
        clock: Clock,
        settings: Settings,
        helplines: Helplines | None = None,
        guards: Sequence[Guard] | None = None,
        sources: Sequence[Source] | None = None,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> Harbor:
        router = build_router()
        services = Services(router=router, helplines=helplines or Helplines.load())
        if guards is None:
            crisis = CrisisResponder(services.helplines, settings, store, monotonic)
            guards = [crisis.guard]
        core = Core(store, clock, settings, services, router, guards=list(guards))
        sweeper = Sweeper(
            sources if sources is not None else build_sources(store, settings),
            settings.scheduler.batch_size,
        )
        return cls(
            store=store,
            clock=clock,
            settings=settings,
            core=core,
            sweeper=sweeper,
            monotonic=monotonic,
        )

    def attach(self, adapter: Adapter) -> None:
        self.adapters[adapter.platform] = adapter
        self.dispatcher = Dispatcher(
            self.store,
            self.adapters,
            self.clock,
            self.settings.scheduler,
            monotonic=self.monotonic,
        )

    async def tick(self) -> DispatchStats:
        """One round of scheduled work: sweep what is due, then send what is ready."""
        now: datetime = self.clock.now()
        await self.sweeper.run(now)
        if self.dispatcher is None:
            return DispatchStats()
        return await self.dispatcher.drain()

    def command_infos(self) -> list[CommandInfo]:
        return self.core.router.command_infos(t)

    async def run_forever(self, stop: asyncio.Event) -> None:
        """Start the adapters and the sweep job; return after `stop` is set, cleanly."""
        scheduler = AsyncIOScheduler(timezone="UTC")
        scheduler.add_job(
            self._tick_safely,
            "interval",
            seconds=self.settings.scheduler.sweep_seconds,
            max_instances=1,
            coalesce=True,
            misfire_grace_time=None,
            next_run_time=self.clock.now(),
        )
        started: list[Adapter] = []
        try:
            for adapter in self.adapters.values():
                await adapter.start(self.core.handle)
                started.append(adapter)
                log.info("%s adapter started", adapter.platform)
            scheduler.start()
            await stop.wait()
        finally:
            scheduler.shutdown(wait=False)
            for adapter in reversed(started):
                try:
                    await adapter.stop()
                except Exception:
                    log.exception("stopping the %s adapter failed", adapter.platform)
            await self.store.close()
            log.info("stopped cleanly")

    async def _tick_safely(self) -> None:
        try:
            await self.tick()
        except Exception:
            log.exception("scheduled work failed; it will run again at the next sweep")
