"""Harbor end to end on Discord: the real core and the real discord.py (via DiscordAdapter)
against the fake Discord REST API and gateway on 127.0.0.1, with a real SQLite file and the
injected clock for scheduled work. Every assertion is on REST calls the fake recorded (or on
the store); waits are bounded waits on the fake, never sleeps."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from adapters.discord_adapter import MAX_ATTACHMENT_BYTES
from adapters.discord_convert import nonce_for
from bot.kernel.clock import ManualClock
from bot.kernel.config import Settings
from bot.kernel.i18n import t
from bot.kernel.runtime import Harbor
from storage.rows import MemberUpdate
from storage.sql.store import SQLStore
from tests.fakes import discord_api as fd
from tests.fakes.discord_api import FakeDiscord, Recorded
from tests.helpers.fake_calls import (
    CALLBACK,
    DM_POST,
    MODERATOR,
    PUBLIC,
    WAIT,
    content,
    custom_ids,
    discord_adapter,
    flags,
    on_discord,
    settled,
)

TODAY = "2026-11-25"  # conftest's clock: Wednesday 2026-11-25 12:00 UTC
FOLLOWUP = rf"^/webhooks/{fd.APP_ID}/[^/]+$"
CHANNELS = r"^/channels/\d+/messages$"
ANNOUNCE = rf"^/channels/{fd.ANNOUNCE_ID}/messages$"


@pytest.fixture
def fake(discord_fake: FakeDiscord) -> FakeDiscord:
    return discord_fake


@pytest.fixture
def settings() -> Settings:
    return Settings.model_validate({"community": {"country": "GB"}})


@pytest.fixture
async def bot(
    fake: FakeDiscord, store: SQLStore, clock: ManualClock, settings: Settings
) -> AsyncIterator[Harbor]:
    async with on_discord(store, clock, settings) as harbor:
        yield harbor


def in_channel(payload: dict[str, Any], channel_id: str, name: str) -> dict[str, Any]:
    """An interaction payload as if used in another channel of the fake's guild."""
    return {
        **payload,
        "channel_id": channel_id,
        "channel": {**payload["channel"], "id": channel_id, "name": name},
    }


async def member_id(store: SQLStore, user_id: str = fd.MEMBER_ID) -> int:
    member = await store.members.find("discord", user_id)
    assert member is not None
    return member.id


async def slash(fake: FakeDiscord, name: str, args: str | None = None, **kw: Any) -> Recorded:
    """Run a slash command; return the interaction's first answer (its callback)."""
    before = len(fake.requests_to("POST", CALLBACK))
    await fake.dispatch("INTERACTION_CREATE", fd.slash_command(fake, name, args, **kw))
    calls = await fake.wait_for_request("POST", CALLBACK, count=before + 1, within=WAIT)
    return calls[before]


# --- 1. check-in through buttons ---------------------------------------------------------


@pytest.mark.parametrize("guild", [False, True], ids=["dm", "server"])
async def test_checkin_mood_buttons_record_the_mood(
    fake: FakeDiscord, bot: Harbor, store: SQLStore, guild: bool
) -> None:
    ask = await slash(fake, "checkin", guild=guild)
    assert ask.body["type"] == 4
    assert content(ask) == t("checkin.ask_mood")
    assert bool(flags(ask) & 64) is guild  # ephemeral in a server, plain in DMs
    ids = custom_ids(ask)
    assert len(ids) == 5 and all(i.startswith(f"ci:mood:{TODAY}:") for i in ids)

    press = fd.button_press(fake, next(i for i in ids if i.endswith(":4")), guild=guild)
    await fake.dispatch("INTERACTION_CREATE", press)
    _, answer = await fake.wait_for_request("POST", CALLBACK, count=2, within=WAIT)
    assert content(answer) == t("checkin.ask_cravings")
    assert all(i.startswith(f"ci:crav:{TODAY}:") for i in custom_ids(answer))
    if guild:
        assert answer.body["type"] == 4 and flags(answer) & 64  # a new ephemeral message
    else:
        assert answer.body["type"] == 7  # the pressed message is edited in place

    row = await store.checkins.get(await member_id(store), TODAY)
    assert row is not None and row.mood == 4
    await settled(bot)
    assert not fake.requests_to("POST", CHANNELS)  # nothing public, no DM


# --- 2. a private answer in a server is ephemeral -----------------------------------------


async def test_sober_in_server_is_ephemeral(fake: FakeDiscord, bot: Harbor) -> None:
    answer = await slash(fake, "sober", "2026-10-01 alcohol")
    assert answer.body["type"] == 4
    assert flags(answer) & 64
    assert "alcohol: 55 days" in content(answer)
    await settled(bot)
    assert not fake.requests_to("POST", CHANNELS)  # no channel post and no DM
    answers = [*fake.requests_to("POST", CALLBACK), *fake.requests_to("POST", FOLLOWUP)]
    public = [c for c in answers if not flags(c) & 64]
    assert all("alcohol" not in content(c) for c in public)
    assert all(t("private.sent") not in content(c) for c in answers)  # no "sent you a DM"


# --- 3. crisis words in a channel: numbers by DM, nothing public -------------------------


async def test_crisis_in_channel_answers_by_dm_with_the_countrys_numbers(
    fake: FakeDiscord, bot: Harbor
) -> None:
    await fake.dispatch(
        "MESSAGE_CREATE", fd.message_create(fake, "honestly I want to kill myself tonight")
    )
    [dm] = await fake.wait_for_request("POST", r"^/users/@me/channels$", within=WAIT)
    assert str(dm.body["recipient_id"]) == fd.MEMBER_ID
    sent = await fake.wait_for_request("POST", DM_POST, within=WAIT)
    text = "\n".join(content(c) for c in sent)
    assert "116 123" in text  # Samaritans (GB)
    assert "999" in text  # the emergency number
    assert "988" not in text  # not the US line
    assert "automated message" in text
    await settled(bot)
    assert not fake.requests_to("POST", PUBLIC)  # nothing in the channel
    assert not fake.requests_to("POST", CALLBACK)


# --- 4. meeting reminder in the announcement channel -------------------------------------


async def test_meeting_reminder_posted_once_in_the_announcement_channel(
    fake: FakeDiscord, bot: Harbor, clock: ManualClock
) -> None:
    announce = in_channel(
        fd.slash_command(
            fake, "community", "announce", user_id=fd.MODERATOR_ID, permissions=MODERATOR
        ),
        fd.ANNOUNCE_ID,
        "announcements",
    )
    await fake.dispatch("INTERACTION_CREATE", announce)
    [ok] = await fake.wait_for_request("POST", CALLBACK, within=WAIT)
    assert content(ok) == t("community.announce_set")

    line = "Wednesday Circle | wed | 14:00 | UTC | 60 | https://zoom.us/j/1 | O | side door"
    saved = await slash(
        fake, "meeting", f"add {line}", user_id=fd.MODERATOR_ID, permissions=MODERATOR
    )
    assert "Wednesday Circle" in content(saved) and "Saved" in content(saved), content(saved)

    assert (await bot.tick()).sent == 0  # 12:00: the reminder is due at 13:00
    clock.set(datetime(2026, 11, 25, 13, 0, tzinfo=UTC))
    first = await bot.tick()
    assert first.sent == 1
    clock.set(clock.now() + timedelta(minutes=5))
    second = await bot.tick()
    assert second.sent == 0
    [post] = fake.requests_to("POST", ANNOUNCE)
    assert "Wednesday Circle" in content(post)
    assert "https://zoom.us/j/1" in content(post)
    assert post.body["nonce"] == nonce_for(f"reminder:1:{TODAY}")
    assert not fake.requests_to("POST", rf"^/channels/{fd.CHANNEL_ID}/messages$")


# --- 5. DMs closed: the member is paused, the message held -------------------------------


async def test_closed_dms_pause_the_member_and_hold_the_message(
    fake: FakeDiscord, bot: Harbor, clock: ManualClock, store: SQLStore
) -> None:
    on = await slash(fake, "checkin", "on", guild=False)
    assert "Daily check-ins are on" in content(on)
    fake.fail_dm_closed()
    clock.set(clock.now() + timedelta(days=1))  # tomorrow's 09:00 UTC prompt is due
    stats = await bot.tick()
    assert stats.held == 1 and stats.sent == 0
    [refused] = fake.requests_to("POST", DM_POST)  # answered 403 / 50007
    assert "check-in" in content(refused)
    member = await store.members.find("discord", fd.MEMBER_ID)
    assert member is not None and member.paused
    assert (await store.outbox.stats()).get("held") == 1
    clock.set(clock.now() + timedelta(hours=1))
    again = await bot.tick()
    assert again.sent == 0 and again.held == 0
    assert len(fake.requests_to("POST", DM_POST)) == 1  # held: not tried again
    assert not fake.requests_to("POST", PUBLIC)  # no public "your DMs are closed"


# --- 6. rate limits: nothing is lost -----------------------------------------------------


async def test_short_rate_limit_is_waited_out_by_discord_py(
    fake: FakeDiscord, bot: Harbor, clock: ManualClock
) -> None:
    await slash(fake, "checkin", "on", guild=False)
    fake.rate_limit_next("POST", DM_POST, retry_after=0.05)
    clock.set(clock.now() + timedelta(hours=21))  # the 09:00 UTC prompt is due
    stats = await bot.tick()
    assert stats.sent == 1 and stats.retried == 0  # discord.py slept 0.05 s and retried
    limited, delivered = fake.requests_to("POST", DM_POST)
    assert limited.body["nonce"] == delivered.body["nonce"]  # the same message, not two
    assert "check-in" in content(delivered)


async def test_long_rate_limit_is_retried_by_the_dispatcher(
    fake: FakeDiscord, bot: Harbor, clock: ManualClock, store: SQLStore
) -> None:
    await slash(fake, "checkin", "on", guild=False)
    fake.rate_limit_next("POST", DM_POST, retry_after=120.0)  # above max_ratelimit_timeout
    clock.set(clock.now() + timedelta(hours=21))
    first = await bot.tick()
    assert first.deferred == 1 and first.sent == 0  # rescheduled: no attempt used
    clock.set(clock.now() + timedelta(seconds=60))
    assert (await bot.tick()).sent == 0  # still inside "retry after 120 s"
    assert len(fake.requests_to("POST", DM_POST)) == 1
    clock.set(clock.now() + timedelta(seconds=60))
    second = await bot.tick()
    assert second.sent == 1
    limited, delivered = fake.requests_to("POST", DM_POST)
    assert limited.body["nonce"] == delivered.body["nonce"]
    assert "check-in" in content(delivered)
    assert (await store.outbox.stats()).get("sent") == 1


# --- 7. /meeting import with an attached feed file ---------------------------------------

SAMPLE_FEED = Path(__file__).parent / "data" / "meeting_guide_sample.json"


async def meetings_of_the_server(store: SQLStore) -> list[str]:
    community = await store.communities.find("discord", fd.GUILD_ID)
    assert community is not None
    return sorted(row.name for row in await store.meetings.of_communities([community.id]))


async def test_meeting_import_with_an_attached_feed(
    fake: FakeDiscord, bot: Harbor, store: SQLStore
) -> None:
    feed = fake.upload("meetings.json", SAMPLE_FEED.read_bytes())
    answer = await slash(
        fake, "meeting", "import", user_id=fd.MODERATOR_ID, permissions=MODERATOR, file=feed
    )
    assert fake.downloads == [f"/attachments/{feed['id']}/meetings.json"]
    done = t("meeting.import_done", imported=5, updated=0, skipped=9)
    assert done in content(answer), content(answer)
    names = await meetings_of_the_server(store)
    assert len(names) == 5
    assert "Sunday Serenity" in names
    await settled(bot)


async def test_meeting_import_with_an_oversized_file_asks_for_a_file_or_url(
    fake: FakeDiscord, bot: Harbor, store: SQLStore
) -> None:
    # A valid feed, padded past the adapter's 5 MB cap: only the cap keeps it out.
    padded = SAMPLE_FEED.read_bytes() + b" " * MAX_ATTACHMENT_BYTES
    big = fake.upload("meetings.json", padded)
    answer = await slash(
        fake, "meeting", "import", user_id=fd.MODERATOR_ID, permissions=MODERATOR, file=big
    )
    assert content(answer) == t("meeting.import_usage")
    assert fake.downloads == []  # Discord declared the size: not even fetched
    community = await store.communities.find("discord", fd.GUILD_ID)
    assert community is None or not await store.meetings.of_communities([community.id])
    await settled(bot)


async def test_only_meeting_takes_a_file_and_crisis_never_downloads_one(
    fake: FakeDiscord, bot: Harbor
) -> None:
    """Only a command that uses a file offers the option; a file sent to any other command
    (an old command list, a forged request) is never fetched: /crisis never waits for it."""
    options = {c["name"]: [o["name"] for o in c.get("options", ())] for c in fake.commands}
    assert options["meeting"] == ["args", "file"]
    assert [name for name, names in options.items() if "file" in names] == ["meeting"]
    assert options["crisis"] == ["args"]
    big = fake.upload("feed.json", b"[" + b" " * 4_000_000 + b"]")
    answer = await slash(fake, "crisis", guild=False, file=big)
    assert "116 123" in content(answer)  # Samaritans (GB)
    await settled(bot)
    assert fake.downloads == []


# --- 8. autocomplete --------------------------------------------------------------------

AUTOCOMPLETE = CALLBACK


async def choices(fake: FakeDiscord, name: str, typed: str, **kw: Any) -> list[dict[str, Any]]:
    before = len(fake.requests_to("POST", AUTOCOMPLETE))
    await fake.dispatch("INTERACTION_CREATE", fd.autocomplete(fake, name, typed, **kw))
    calls = await fake.wait_for_request("POST", AUTOCOMPLETE, count=before + 1, within=WAIT)
    body = calls[before].body
    assert body["type"] == 8  # the autocomplete result
    return list(body["data"]["choices"])


async def test_autocomplete_meetings_counters_and_time_zones(
    fake: FakeDiscord, bot: Harbor
) -> None:
    line = "Wednesday Circle | wed | 14:00 | UTC | 60 | https://zoom.us/j/1"
    await slash(fake, "meeting", f"add {line}", user_id=fd.MODERATOR_ID, permissions=MODERATOR)
    assert await choices(fake, "meeting", "") == [{"name": "#1 Wednesday Circle", "value": "1"}]
    assert await choices(fake, "remind", "wed") == [{"name": "#1 Wednesday Circle", "value": "1"}]
    assert await choices(fake, "going", "circus") == []
    await slash(fake, "sober", "2026-10-01 alcohol", guild=False)
    await slash(fake, "sober", "2026-11-01 nicotine", guild=False)
    assert [c["value"] for c in await choices(fake, "reset", "")] == ["alcohol", "nicotine"]
    assert [c["value"] for c in await choices(fake, "sober", "remove nic")] == ["remove nicotine"]
    zones = await choices(fake, "settings", "tz new york")
    assert zones[0] == {"name": "America/New_York", "value": "tz America/New_York"}
    london = await choices(fake, "settings", "tz lond")
    assert {"name": "Europe/London", "value": "tz Europe/London"} in london
    await settled(bot)


# --- 9. a moderator role per server --------------------------------------------------------


async def test_a_servers_moderator_role_makes_moderators(
    fake: FakeDiscord, bot: Harbor, store: SQLStore
) -> None:
    # The regular member holds the helpers role, without Manage Server: not a moderator.
    refused = await slash(fake, "community", "crisis_alerts on")
    assert content(refused) == t("core.moderators_only", name="community")
    saved = await slash(fake, "community", f"modrole <@&{fd.HELPER_ROLE_ID}>",
                        user_id=fd.MODERATOR_ID, permissions=MODERATOR)  # fmt: skip
    assert "modrole" in content(saved)
    community = await store.communities.find("discord", fd.GUILD_ID)
    assert community is not None and community.moderator_role_id == fd.HELPER_ROLE_ID
    allowed = await slash(fake, "community", "crisis_alerts on")
    assert "Saved" in content(allowed), content(allowed)
    assert await discord_adapter(bot).is_moderator(fd.GUILD_ID, fd.MEMBER_ID)
    bad = await slash(fake, "community", "modrole helpers", user_id=fd.MODERATOR_ID,
                      permissions=MODERATOR)  # fmt: skip
    assert content(bad) == t("community.bad_role", value="helpers")
    off = await slash(fake, "community", "modrole off", user_id=fd.MODERATOR_ID,
                      permissions=MODERATOR)  # fmt: skip
    assert "modrole" in content(off)
    assert not await discord_adapter(bot).is_moderator(fd.GUILD_ID, fd.MEMBER_ID)
    await settled(bot)


# --- 10. opening DMs too fast is not a closed DM ---------------------------------------------


async def test_opening_dms_too_fast_defers_without_pausing(
    fake: FakeDiscord, bot: Harbor, clock: ManualClock, store: SQLStore
) -> None:
    await slash(fake, "checkin", "on", guild=False)
    member = await store.members.find("discord", fd.MEMBER_ID)
    assert member is not None
    await store.members.update(member.id, MemberUpdate(dm_channel_id=None))
    discord_adapter(bot)._dm_channels.clear()  # as after a restart, before any DM
    fake.fail_opening_dms_too_fast()
    clock.set(clock.now() + timedelta(hours=21))
    stats = await bot.tick()
    assert stats.sent == 0 and stats.held == 0
    again = await store.members.find("discord", fd.MEMBER_ID)
    assert again is not None and not again.paused  # still subscribed
    clock.set(clock.now() + timedelta(minutes=1))
    assert (await bot.tick()).sent == 1
