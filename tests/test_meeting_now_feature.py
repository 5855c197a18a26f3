"""'A meeting right now' through the console: /meetings now over a community's online feed and
the installation's ([meetings] online_feed), in the member's zone and language, with join
links and "Report wrong info"; the offer other features may make (soonest_online); and the
platform timestamps Discord shows in each reader's own time."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime

import pytest

from adapters.console import ConsoleAdapter, Said
from bot.app import build
from bot.kernel.clock import ManualClock
from bot.kernel.config import Settings
from bot.kernel.i18n import translator
from bot.kernel.ports import Capabilities
from bot.kernel.runtime import Harbor
from bot.kernel.types import ChatRef, Incoming, Member
from bot.meetings.model import MeetingSpec
from bot.meetings.now_commands import soonest_online
from bot.meetings.occurrences import Occurrence
from bot.meetings.reminders import reminder_text
from storage.meetings_base import PURPOSE_ONLINE, NewSource
from storage.sql.store import SQLStore
from tests.fakes.feed_server import ONLINE_PATH, FakeFeedServer

# 2026-11-25 12:00 UTC, a Wednesday: 07:00 in New York, 12:00 in London, 06:00 in Chicago.


@pytest.fixture
def settings() -> Settings:
    return Settings.model_validate({"meetings": {"allow_private_feed_urls": True}})


@pytest.fixture
async def feeds() -> AsyncIterator[FakeFeedServer]:
    server = FakeFeedServer()
    await server.start()
    yield server
    await server.stop()


def texts(said: list[Said]) -> str:
    return "\n---\n".join(s.text for s in said)


async def online_group(console: ConsoleAdapter, feeds: FakeFeedServer) -> None:
    await console.push(":group recovery")
    await console.push(":mod on")
    await console.push("/community tz America/New_York")
    said = await console.push(f"/meeting source add online {feeds.url(ONLINE_PATH)}")
    assert "Added online feed #1" in said[0].text, said[0].text


async def test_meetings_now_in_the_members_zone_and_language(
    console: ConsoleAdapter, feeds: FakeFeedServer, store: SQLStore
) -> None:
    await online_group(console, feeds)
    await console.push(":as Sam")
    said = await console.push("/meetings now")
    # In a group the answer is private: a member looking for a meeting now is not announced.
    assert said[0].to == "Sam (private)" and said[1].text == "I've sent you a private message."
    now = said[0].text
    assert now.startswith("Online meetings in English starting soon")
    # 07:00 New York, no zone in the row: the community's; London 12:30 and Denver 06:00
    # (13:00 UTC, exactly an hour ahead) are in; Bogotá's Spanish meeting is not.
    assert "Wed 25 Nov 07:00 (America/New_York), starting now: Morning Coffee Eastern" in now
    assert "Wed 25 Nov 07:30 (America/New_York), in 30 minutes: London Lunchtime" in now
    assert "Mountain Meditation" in now and "Grupo Amanecer Virtual" not in now
    assert "Join: https://zoom.example/j/" in now
    assert "Manila Sharing" in now  # 20:00 in Manila, tagged English
    rows = {row[0].label: row for row in said[0].buttons}
    join, report = rows["Join Morning Coffee Eastern"]
    assert join.url is not None
    assert report.label == "Report wrong info" and "morning-coffee-eastern" in (report.url or "")
    await console.push(":dm")
    await console.push("/settings tz Europe/London")
    said = await console.push("/meetings now spanish")
    assert "Online meetings in Spanish" in said[0].text
    assert "Wed 25 Nov 12:00 (Europe/London), starting now: Grupo Amanecer Virtual" in said[0].text
    assert "Morning Coffee" not in said[0].text
    any_language = texts(await console.push("/meetings now any"))
    assert "Grupo Amanecer Virtual" in any_language and "Morning Coffee Eastern" in any_language
    assert "don't know the language" in texts(await console.push("/meetings now klingon"))


async def test_in_progress_for_under_15_minutes_and_nothing_soon(
    console: ConsoleAdapter, feeds: FakeFeedServer
) -> None:
    await online_group(console, feeds)
    await console.push(":dm")
    await console.push(":time 2026-11-25T12:14+00:00")
    said = texts(await console.push("/meetings now"))
    assert "started 14 minutes ago: Morning Coffee Eastern" in said
    await console.push(":time 2026-11-25T12:16+00:00")
    assert "Morning Coffee Eastern" not in texts(await console.push("/meetings now"))
    # A quiet hour for Hindi speakers: the answer says so kindly, and where help is.
    await console.push(":time 2026-11-25T12:50+00:00")
    said = texts(await console.push("/meetings now hindi"))
    assert "No online meeting in Hindi starts in the next hour, but" in said
    await console.push(":time 2026-11-25T14:30+00:00")
    said = texts(await console.push("/meetings now hindi"))
    assert "No online meeting starts in the next hour" in said and "/crisis" in said


async def test_daylight_saving_moves_a_feed_meeting_for_members_elsewhere(
    console: ConsoleAdapter, feeds: FakeFeedServer
) -> None:
    """'Eastern Evening Speaker' meets daily at 19:00 New York time: 00:00 UTC in winter,
    23:00 UTC in summer; a member in London sees 00:00, then 23:00 between the US change
    (14 March 2027) and the UK's (28 March), then 00:00 again."""
    await online_group(console, feeds)
    await console.push(":dm")
    await console.push("/settings tz Europe/London")
    for moment, shown in (
        ("2027-03-09T23:30+00:00", "Wed 10 Mar 00:00 (Europe/London), in 30 minutes"),
        ("2027-03-16T22:30+00:00", "Tue 16 Mar 23:00 (Europe/London), in 30 minutes"),
        ("2027-03-29T22:30+00:00", "Tue 30 Mar 00:00 (Europe/London), in 30 minutes"),
    ):
        await console.push(f":time {moment}")
        said = texts(await console.push("/meetings now any"))
        assert f"{shown}: Eastern Evening Speaker" in said, (moment, said)


async def test_the_installations_online_feed_serves_everyone(
    store: SQLStore, clock: ManualClock, feeds: FakeFeedServer
) -> None:
    settings = Settings.model_validate(
        {"meetings": {"allow_private_feed_urls": True, "online_feed": feeds.url(ONLINE_PATH)}}
    )
    harbor = build(store, clock, settings)
    console = ConsoleAdapter(clock=clock, on_time=harbor.tick)
    harbor.attach(console)
    await console.start(harbor.core)
    await harbor.tick()  # the first sweep adds the configured feed and syncs it
    await console.push(":as Newcomer")
    said = texts(await console.push("/meetings now"))
    assert "London Lunchtime" in said
    # Without a group, /meetings explains how to connect one rather than "none".
    said = texts(await console.push("/meetings"))
    assert "I don't know your group yet" in said and "/meetings now" in said
    # The feed's meetings are nobody's: no community lists them.
    assert int(await store.db.fetchval("SELECT COUNT(*) FROM meetings")) == 0
    # A changed setting replaces the old feed at the next start.
    restarted = build(store, clock, Settings())
    await restarted.tick()
    assert int(await store.db.fetchval("SELECT COUNT(*) FROM meeting_sources")) == 0
    assert int(await store.db.fetchval("SELECT COUNT(*) FROM online_meetings")) == 0


async def test_before_the_first_sync_it_says_the_list_is_on_its_way(
    store: SQLStore, clock: ManualClock, feeds: FakeFeedServer
) -> None:
    settings = Settings.model_validate(
        {"meetings": {"allow_private_feed_urls": True, "online_feed": feeds.url(ONLINE_PATH)}}
    )
    harbor = build(store, clock, settings)
    console = ConsoleAdapter(clock=clock, on_time=harbor.tick)
    harbor.attach(console)
    await console.start(harbor.core)
    ts = int(clock.now().timestamp())
    await store.meetings.add_source(
        NewSource(None, feeds.url(ONLINE_PATH), "", PURPOSE_ONLINE, ts), ts
    )  # as the first sweep does, before its fetch came back
    said = texts(await console.push("/meetings now"))
    assert "still fetching" in said and "don't know of any" not in said
    await harbor.tick()
    assert "London Lunchtime" in texts(await console.push("/meetings now"))


async def test_no_feeds_at_all(console: ConsoleAdapter) -> None:
    said = texts(await console.push("/meetings now"))
    assert "I don't know of any online meetings yet" in said


async def test_soonest_online_offers_one_line(
    console: ConsoleAdapter, feeds: FakeFeedServer, store: SQLStore, clock: ManualClock
) -> None:
    await online_group(console, feeds)
    community = await store.communities.find("console", "recovery")
    at = datetime(2026, 11, 25, 12, 5, tzinfo=UTC)
    line = await soonest_online(store, community, at, "en")
    assert line == (  # two started at 12:00 UTC: the first by name
        "There's an online meeting started 5 minutes ago: Manila Sharing. "
        "Join: https://zoom.example/j/82000000033"
    )
    line = await soonest_online(store, community, at, "es")
    assert line is not None and "Grupo Amanecer Virtual" in line
    assert await soonest_online(store, community, at, "hi") is None
    assert await soonest_online(store, None, at, "en") is None  # no installation feed here


# -- every member sees their own time ---------------------------------------------------------


async def test_discord_listings_use_platform_timestamps(console: ConsoleAdapter) -> None:
    console.capabilities = Capabilities(timestamps=True)
    await console.push(":group recovery")
    await console.push(":mod on")
    await console.push("/community tz America/New_York")
    await console.push("/meeting add Tuesday Night | tue | 19:00 | | 90 | https://zoom.us/j/1")
    said = texts(await console.push("/meetings"))
    start = int(datetime(2026, 12, 2, 0, 0, tzinfo=UTC).timestamp())
    assert f"• <t:{start}:f> (<t:{start}:R>): Tuesday Night (#1)" in said
    assert "America/New_York)" not in said.split("\n")[1]  # no zone named: each reader's own


def test_scheduled_reminders_are_formatted_for_their_platform() -> None:
    spec = MeetingSpec(
        "Tuesday Night", (1,), datetime(2026, 1, 1, 19).time(), tz="America/New_York"
    )
    start = datetime(2026, 12, 2, 0, 0, tzinfo=UTC)
    occ = Occurrence(start, start.replace(hour=1), start.date())
    now = datetime(2026, 12, 1, 23, 0, tzinfo=UTC)
    tr = translator("en")
    discord = reminder_text(
        tr, "remind.group", 1, spec, occ, "America/New_York", now, timestamps=True
    )
    unix = int(start.timestamp())
    assert discord == f"⏰ Tuesday Night starts <t:{unix}:R>: <t:{unix}:f>."
    plain = reminder_text(tr, "remind.private", 1, spec, occ, "Europe/London", now, yours=True)
    assert plain == (
        "⏰ Reminder: Tuesday Night starts in 1 hour, at Wed 2 Dec 00:00 your time"
        " (Europe/London)."
    )


@pytest.mark.parametrize(
    ("args", "private"),
    [("", False), ("now", True), ("NOW spanish", True), ("ics", True), ("tomorrow", False)],
)
def test_a_slow_meetings_answer_is_acknowledged_where_it_will_go(
    harbor: Harbor, args: str, private: bool
) -> None:
    """Discord: the acknowledgement of a slow answer decides whether it is ephemeral, so
    `/meetings now` and `ics` (answered privately) must be acknowledged privately too."""
    group = ChatRef("discord", "g1", private=False, title="Recovery Circle")
    event = Incoming(member=Member("discord", "u1", "Alex"), chat=group, command="meetings",
                     args=args)  # fmt: skip
    assert harbor.core.answers_privately(event) is private
