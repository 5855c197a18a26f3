"""Assembly: the one place that knows every feature. The lists below are the whole surface
of the bot: its features' routes (in the order /help shows them), what they schedule, and
the guard that sees every event first. Adapters are attached by the caller (`cli.py`)."""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from datetime import timedelta

from bot.announcements import commands as announcements
from bot.announcements.source import AnnouncementSource
from bot.checkins import commands as checkins
from bot.community import commands as community
from bot.crisis import commands as crisis
from bot.crisis.alerts import CrisisAlerts, EscalationSource
from bot.crisis.helplines import Helplines
from bot.crisis.responder import CrisisResponder
from bot.events import commands as events
from bot.events.source import EventSource
from bot.kernel.clock import Clock
from bot.kernel.config import Settings
from bot.kernel.core import Core, Guard
from bot.kernel.delivery import Delivery
from bot.kernel.dispatcher import Dispatcher, worker_name
from bot.kernel.hhmm import parse_hhmm
from bot.kernel.pacing import Pacer
from bot.kernel.ports import Adapter
from bot.kernel.router import Router, Routes
from bot.kernel.runtime import Harbor
from bot.kernel.scheduling import Source, Sweeper
from bot.kernel.services import Services
from bot.meetings import reminders as meeting_reminders
from bot.meetings import routes as meetings
from bot.meetings.sources import SourceSweep
from bot.members import commands as members
from bot.mentors import commands as mentors
from bot.mentors.source import MentorSource
from bot.resources import commands as resources
from bot.resources.source import ResourceReviewSource
from bot.service import commands as service
from bot.service.source import ServiceSource
from bot.sobriety import commands as sobriety
from bot.supporters import commands as supporters
from bot.supporters.source import SupporterSource
from bot.urges import commands as urges
from storage.base import Store

FEATURES: Sequence[Routes] = (
    members.ROUTES,
    crisis.ROUTES,
    checkins.ROUTES,
    sobriety.ROUTES,
    meetings.ROUTES,
    community.ROUTES,
    mentors.ROUTES,
    supporters.ROUTES,
    resources.ROUTES,
    events.ROUTES,
    service.ROUTES,
    urges.ROUTES,
    announcements.ROUTES,
)


def build_sources(store: Store, settings: Settings) -> list[Source]:
    return [
        EscalationSource(store),
        meeting_reminders.MeetingSource(
            store,
            settings.community.timezone,
            settings.community.language,
            # Reminders are planned one sweep early, due at their own time.
            ahead=timedelta(seconds=settings.scheduler.sweep_seconds),
        ),
        sobriety.MilestoneSource(
            store, parse_hhmm(settings.community.celebration_time), settings.community.program
        ),
        checkins.CheckinSource(
            store,
            timedelta(minutes=settings.scheduler.stale_after_minutes),
            settings.scheduler.nudge_after_days,
        ),
        MentorSource(store, settings.community.timezone),
        SupporterSource(
            store, parse_hhmm(settings.community.celebration_time), settings.community.timezone
        ),
        ResourceReviewSource(store),
        EventSource(store, settings.community.timezone, settings.community.language),
        ServiceSource(store),
        AnnouncementSource(store, settings.community.timezone, settings.community.language),
        SourceSweep(store, settings),  # last: a sync downloads, the others only plan
    ]


def build(
    store: Store,
    clock: Clock,
    settings: Settings,
    *,
    helplines: Helplines | None = None,
    guards: Sequence[Guard] | None = None,
    sources: Sequence[Source] | None = None,
    monotonic: Callable[[], float] = time.monotonic,
) -> Harbor:
    """The bot with every feature, ready for adapters to be attached."""
    router = Router(FEATURES)
    lines = helplines or Helplines.load()
    adapters: dict[str, Adapter] = {}
    pacers: dict[str, Pacer] = {}  # the runtime fills both as adapters are attached
    delivery = Delivery(adapters, pacers, clock, store)
    if guards is None:
        alerts = CrisisAlerts(store, delivery, clock)
        guards = [CrisisResponder(lines, settings, store, delivery, clock, alerts)]
    # Lines other features add to /history, by the member's choice (service given).
    services = Services(router, lines, history_lines=(service.service_summary,))
    core = Core(store, clock, settings, services, router, delivery, guards)
    sweeper = Sweeper(
        sources if sources is not None else build_sources(store, settings),
        settings.scheduler.batch_size,
        # Several processes share PostgreSQL: one sweeps each source at a time.
        leases=store.leases if store.backend == "postgresql" else None,
        holder=worker_name(),
    )
    dispatcher = Dispatcher(store, delivery, clock, settings.scheduler)
    return Harbor(
        store=store,
        clock=clock,
        settings=settings,
        core=core,
        sweeper=sweeper,
        delivery=delivery,
        dispatcher=dispatcher,
        adapters=adapters,
        pacers=pacers,
        monotonic=monotonic,
    )
