"""End to end: the real discord.py, driven by DiscordAdapter, against the fake Discord."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any

import discord
import discord.gateway
import discord.http
import pytest

from adapters import discord_adapter
from adapters import discord_convert as dc
from adapters.discord_adapter import DiscordAdapter
from adapters.discord_convert import nonce_for
from bot.kernel.clock import SystemClock
from bot.kernel.delivery import Delivery
from bot.kernel.i18n import ENGLISH, t
from bot.kernel.ports import CommandInfo
from bot.kernel.runtime import AdapterError
from bot.kernel.types import (
    Button,
    ChatRef,
    Document,
    EventKind,
    Incoming,
    Member,
    Reply,
    SendStatus,
)
from storage.rows import MemberUpdate
from storage.sql.store import SQLStore
from tests.fakes import discord_api as fd
from tests.fakes.discord_api import FakeDiscord
from tests.helpers.inbox import memory, no_suggestions

COMMANDS = [
    CommandInfo("checkin", "Daily check-in"),
    CommandInfo("announce", "Post an announcement", in_private=False, moderator=True),
    CommandInfo("meeting", "Meetings", takes_file=True),
]
WAIT = 5.0


class Recorder:
    """A small real inbox: records events, answers from a table of functions, and delivers
    through the kernel's real delivery step."""

    def __init__(self, store: SQLStore | None = None) -> None:
        self.events: asyncio.Queue[Incoming] = asyncio.Queue()
        self.answer: Callable[[Incoming], list[Reply]] = lambda _incoming: []
        self.slow: Callable[[Incoming], Awaitable[list[Reply]]] | None = None
        self.delivery: Delivery | None = None
        self.platforms = memory(store)
        self.suggest = no_suggestions

    def bind(self, adapter: DiscordAdapter) -> None:
        self.delivery = Delivery({adapter.platform: adapter}, {}, SystemClock())

    async def handle(self, incoming: Incoming) -> None:
        self.events.put_nowait(incoming)
        replies = await self.slow(incoming) if self.slow else self.answer(incoming)
        assert self.delivery is not None
        await self.delivery.deliver(incoming, replies, ENGLISH)

    def answers_privately(self, incoming: Incoming) -> bool:
        return incoming.command != "announce"

    def command_infos(self) -> list[CommandInfo]:
        return COMMANDS

    async def next(self) -> Incoming:
        return await asyncio.wait_for(self.events.get(), WAIT)


@pytest.fixture
def fake(discord_fake: FakeDiscord) -> FakeDiscord:
    return discord_fake


StartAdapter = Callable[..., Awaitable[tuple[DiscordAdapter, Recorder]]]


@pytest.fixture
async def start_adapter(fake: FakeDiscord) -> AsyncIterator[StartAdapter]:
    started: list[DiscordAdapter] = []

    async def start(
        store: SQLStore | None = None, **options: Any
    ) -> tuple[DiscordAdapter, Recorder]:
        adapter = DiscordAdapter(
            fd.TOKEN, COMMANDS, guild_ready_timeout=0.05, ready_timeout=WAIT, **options
        )
        handler = Recorder(store)
        handler.bind(adapter)
        await adapter.start(handler)
        started.append(adapter)
        return adapter, handler

    yield start
    for adapter in started:
        await asyncio.wait_for(adapter.stop(), WAIT)


def guild_chat(channel_id: str = fd.CHANNEL_ID) -> ChatRef:
    return ChatRef("discord", channel_id, False, guild_id=fd.GUILD_ID)


async def test_start_syncs_commands_and_identifies(
    fake: FakeDiscord, start_adapter: StartAdapter
) -> None:
    await start_adapter()
    assert [c["name"] for c in fake.commands] == ["checkin", "announce", "meeting"]
    checkin = fake.commands[0]
    assert [o["name"] for o in checkin["options"]] == ["args"]  # it reads no file
    assert checkin["options"][0]["required"] is False
    file_option = fake.commands[2]["options"][1]
    assert (file_option["type"], file_option["name"]) == (11, "file")
    assert file_option["required"] is False
    assert file_option["description"] == discord_adapter.FILE_DESCRIPTION
    assert file_option["name_localizations"]["es-ES"] == "archivo"
    assert checkin["contexts"] == [0, 1, 2]
    assert checkin["default_member_permissions"] is None
    assert fake.commands[1]["contexts"] == [0]
    assert int(fake.commands[1]["default_member_permissions"]) == fd.MANAGE_GUILD
    intents = discord.Intents._from_value(fake.identifies[0]["intents"])
    assert not intents.message_content


async def test_slash_command_reply_with_buttons(
    fake: FakeDiscord, start_adapter: StartAdapter
) -> None:
    _, handler = await start_adapter()
    handler.answer = lambda incoming: [
        Reply(
            chat=incoming.chat,
            text="How are you today?",
            buttons=((Button("Good", "ci:good"), Button("Help", url="https://example.org")),),
        )
    ]
    await fake.dispatch("INTERACTION_CREATE", fd.slash_command(fake, "checkin", "mood"))
    incoming = await handler.next()
    assert incoming.command == "checkin"
    assert incoming.args == "mood"
    assert incoming.chat.guild_id == fd.GUILD_ID
    assert not incoming.is_moderator

    [call] = await fake.wait_for_request("POST", r"/interactions/\d+/[^/]+/callback$")
    assert call.body["type"] == 4
    data = call.body["data"]
    assert data["content"] == "How are you today?"
    assert not data.get("flags", 0) & 64
    [row] = data["components"]
    good, link = row["components"]
    assert good["custom_id"] == "ci:good"
    assert link["url"] == "https://example.org"
    assert link["style"] == 5


async def test_private_reply_to_slash_command_in_server_is_ephemeral(
    fake: FakeDiscord, start_adapter: StartAdapter
) -> None:
    _, handler = await start_adapter()
    handler.answer = lambda incoming: [
        Reply(chat=incoming.chat, text="Only you see this.", private=True, member=incoming.member),
        Reply(chat=incoming.chat, text="And this too.", private=True, member=incoming.member),
    ]
    await fake.dispatch("INTERACTION_CREATE", fd.slash_command(fake, "checkin"))
    [callback] = await fake.wait_for_request("POST", r"/callback$")
    assert callback.body["data"]["content"] == "Only you see this."
    assert callback.body["data"]["flags"] & 64
    [followup] = await fake.wait_for_request("POST", rf"^/webhooks/{fd.APP_ID}/[^/]+$")
    assert followup.body["content"] == "And this too."
    assert followup.body["flags"] & 64
    assert not fake.requests_to("POST", r"^/channels/")  # nothing public, no DM


async def test_no_reply_is_acknowledged_ephemerally(
    fake: FakeDiscord, start_adapter: StartAdapter
) -> None:
    await start_adapter()
    await fake.dispatch("INTERACTION_CREATE", fd.slash_command(fake, "checkin"))
    [callback] = await fake.wait_for_request("POST", r"/callback$")
    assert callback.body["type"] == 5  # deferred, ephemeral "thinking"
    assert callback.body["data"]["flags"] & 64
    await fake.wait_for_request("DELETE", r"/messages/@original$")


async def test_channel_message_private_reply_goes_to_dm(
    fake: FakeDiscord, start_adapter: StartAdapter
) -> None:
    _, handler = await start_adapter(read_messages=True)
    handler.answer = lambda incoming: [
        Reply(chat=incoming.chat, text="You're not alone.", private=True, member=incoming.member)
    ]
    await fake.dispatch("MESSAGE_CREATE", fd.message_create(fake, "rough day today"))
    incoming = await handler.next()
    assert incoming.text == "rough day today"
    assert incoming.chat == ChatRef(
        "discord", fd.CHANNEL_ID, False, "general", guild_id=fd.GUILD_ID
    )
    assert not incoming.mentioned
    [dm] = await fake.wait_for_request("POST", r"^/users/@me/channels$")
    assert str(dm.body["recipient_id"]) == fd.MEMBER_ID
    [message] = await fake.wait_for_request("POST", r"^/channels/\d+/messages$")
    assert message.path != f"/channels/{fd.CHANNEL_ID}/messages"  # the DM, nothing public
    assert message.body["content"] == "You're not alone."
    intents = discord.Intents._from_value(fake.identifies[0]["intents"])
    assert intents.message_content


async def test_without_message_content_only_mentions_and_dms_pass(
    fake: FakeDiscord, start_adapter: StartAdapter
) -> None:
    _, handler = await start_adapter()
    # Without the intent Discord sends guild messages without text: nothing to pass on.
    await fake.dispatch("MESSAGE_CREATE", fd.message_create(fake, ""))
    mention = fd.message_create(
        fake, f"<@{fd.BOT_ID}> hello", author_id=fd.MODERATOR_ID, mentions=[fd.BOT_USER]
    )
    await fake.dispatch("MESSAGE_CREATE", mention)
    incoming = await handler.next()
    assert incoming.text == "hello"
    assert incoming.mentioned
    assert incoming.is_moderator  # from the cached guild role with Manage Server
    dm = fd.message_create(fake, "hi there", channel_id="800000000000000009", guild=False)
    await fake.dispatch("MESSAGE_CREATE", dm)
    incoming = await handler.next()
    assert incoming.chat == ChatRef("discord", fd.MEMBER_ID, True)
    assert handler.events.empty()


async def test_button_press_reaches_handler_and_edits(
    fake: FakeDiscord, start_adapter: StartAdapter
) -> None:
    _, handler = await start_adapter()
    handler.answer = lambda incoming: [
        Reply(
            chat=incoming.chat, text="Thanks for checking in.", edit_message_id=incoming.message_id
        )
    ]
    press = fd.button_press(fake, "ci:good")
    await fake.dispatch("INTERACTION_CREATE", press)
    incoming = await handler.next()
    assert incoming.kind is EventKind.BUTTON
    assert incoming.button == "ci:good"
    assert incoming.message_id == press["message"]["id"]
    [callback] = await fake.wait_for_request("POST", r"/callback$")
    assert callback.body["type"] == 7  # update the pressed message
    assert callback.body["data"]["content"] == "Thanks for checking in."
    assert callback.body["data"]["components"] == []


async def test_button_press_without_reply_is_deferred(
    fake: FakeDiscord, start_adapter: StartAdapter
) -> None:
    await start_adapter()
    await fake.dispatch("INTERACTION_CREATE", fd.button_press(fake, "noop"))
    [callback] = await fake.wait_for_request("POST", r"/callback$")
    assert callback.body["type"] == 6  # deferred update: silent


async def test_announcement_to_public_channel_with_nonce(
    fake: FakeDiscord, start_adapter: StartAdapter
) -> None:
    adapter, _ = await start_adapter()
    reply = Reply(
        chat=guild_chat(fd.ANNOUNCE_ID), text="Meeting moved to 7pm.", dedupe_key="outbox-42"
    )
    result = await adapter.send(reply)
    assert result.status is SendStatus.SENT
    assert result.message_id
    [call] = fake.requests_to("POST", rf"^/channels/{fd.ANNOUNCE_ID}/messages$")
    assert call.body["content"] == "Meeting moved to 7pm."
    assert call.body["nonce"] == nonce_for("outbox-42")
    assert call.body["enforce_nonce"] is True
    assert call.body["allowed_mentions"]["parse"] == []


async def test_long_text_is_split_and_image_attached(
    fake: FakeDiscord, start_adapter: StartAdapter
) -> None:
    adapter, _ = await start_adapter()
    text = ("word " * 500).strip()  # 2499 characters
    document = Document("progress.csv", b"day,mood\n1,ok\n", "text/csv")
    reply = Reply(
        chat=guild_chat(), text=text, image=b"\x89PNG fake", document=document, dedupe_key="k1"
    )
    result = await adapter.send(reply)
    assert result.ok
    first, second = fake.requests_to("POST", rf"^/channels/{fd.CHANNEL_ID}/messages$")
    assert len(first.body["content"]) <= 2000
    assert first.body["content"] + " " + second.body["content"] == text
    assert first.body["nonce"] != second.body["nonce"]
    assert second.files == [
        ("image.png", b"\x89PNG fake"),
        ("progress.csv", b"day,mood\n1,ok\n"),
    ]
    assert second.body["nonce"] == nonce_for("k1", 1)


async def test_dm_closed_is_blocked_and_the_channel_gets_a_neutral_line(
    fake: FakeDiscord, start_adapter: StartAdapter
) -> None:
    adapter, handler = await start_adapter(read_messages=True)
    handler.answer = lambda incoming: [
        Reply(chat=incoming.chat, text="Private words.", private=True, member=incoming.member)
    ]
    fake.fail_dm_closed()
    await fake.dispatch("MESSAGE_CREATE", fd.message_create(fake, "I need help"))
    await handler.next()
    [notice] = await fake.wait_for_request("POST", rf"^/channels/{fd.CHANNEL_ID}/messages$")
    # Nobody is called out by name: a neutral line, no mention, no reply to their message.
    assert notice.body["content"] == t("private.dm_closed")
    assert "message_reference" not in notice.body and "<@" not in notice.body["content"]
    assert "Private words." not in notice.body["content"]

    # Outside any conversation (e.g. scheduled): just BLOCKED, nothing posted publicly.
    fake.fail_dm_closed()
    member = Member("discord", fd.MEMBER_ID, "Sam")
    result = await adapter.send(
        Reply(
            chat=ChatRef("discord", fd.MEMBER_ID, True),
            text="Reminder",
            private=True,
            member=member,
        )
    )
    assert result.status is SendStatus.BLOCKED
    assert len(fake.requests_to("POST", rf"^/channels/{fd.CHANNEL_ID}/messages$")) == 1


async def test_rate_limit_is_waited_out_by_discord_py(
    fake: FakeDiscord, start_adapter: StartAdapter
) -> None:
    adapter, _ = await start_adapter()
    fake.rate_limit_next("POST", rf"^/channels/{fd.ANNOUNCE_ID}/messages$", retry_after=0.05)
    result = await adapter.send(
        Reply(chat=guild_chat(fd.ANNOUNCE_ID), text="Hello", dedupe_key="k2")
    )
    # discord.py sleeps retry_after and retries itself: the send succeeds.
    assert result.status is SendStatus.SENT
    calls = fake.requests_to("POST", rf"^/channels/{fd.ANNOUNCE_ID}/messages$")
    assert len(calls) == 2
    assert calls[0].body["nonce"] == calls[1].body["nonce"]


async def test_long_rate_limit_becomes_retry_after(
    fake: FakeDiscord, start_adapter: StartAdapter
) -> None:
    adapter, _ = await start_adapter()
    fake.rate_limit_next("POST", r"/messages$", retry_after=120.0)
    result = await adapter.send(Reply(chat=guild_chat(), text="Hello"))
    assert result.status is SendStatus.RETRY_AFTER
    assert result.retry_after == 120.0


async def test_http_errors_map_to_send_results(
    fake: FakeDiscord, start_adapter: StartAdapter
) -> None:
    adapter, _ = await start_adapter()
    fake.fail_next("POST", r"/messages$", 404, {"code": 10003, "message": "Unknown Channel"})
    assert (await adapter.send(Reply(chat=guild_chat(), text="x"))).status is SendStatus.REJECTED
    fake.fail_next("POST", r"/messages$", 400, {"code": 50035, "message": "Invalid Form Body"})
    assert (await adapter.send(Reply(chat=guild_chat(), text="x"))).status is SendStatus.REJECTED
    fake.fail_next("POST", r"/messages$", 503, {"code": 0, "message": "unavailable"})
    assert (await adapter.send(Reply(chat=guild_chat(), text="x"))).status is SendStatus.FAILED


async def test_handler_exception_does_not_kill_the_client(
    fake: FakeDiscord, start_adapter: StartAdapter, caplog: pytest.LogCaptureFixture
) -> None:
    _, handler = await start_adapter(read_messages=True)

    def answer(incoming: Incoming) -> list[Reply]:
        if incoming.command is None:
            raise RuntimeError(incoming.text)  # an error message quoting the member
        return [Reply(chat=incoming.chat, text="still here")]

    handler.answer = answer
    with caplog.at_level(logging.ERROR, logger="adapters.discord_adapter"):
        await fake.dispatch("MESSAGE_CREATE", fd.message_create(fake, "my private words"))
        await handler.next()
        await fake.dispatch("INTERACTION_CREATE", fd.slash_command(fake, "checkin"))
        await handler.next()
        [callback] = await fake.wait_for_request("POST", r"/callback$")
    assert callback.body["data"]["content"] == "still here"
    assert "handler raised RuntimeError" in caplog.text
    assert "my private words" not in caplog.text


async def test_slow_handler_defers_then_answers_privately(
    fake: FakeDiscord, start_adapter: StartAdapter, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(discord_adapter, "DEFER_AFTER", 0.01)
    _, handler = await start_adapter()
    release = asyncio.Event()

    async def slow(incoming: Incoming) -> list[Reply]:
        await release.wait()
        return [Reply(chat=incoming.chat, text="Done.", private=True, member=incoming.member)]

    handler.slow = slow  # a handler that waits for the test
    await fake.dispatch("INTERACTION_CREATE", fd.slash_command(fake, "checkin"))
    [callback] = await fake.wait_for_request("POST", r"/callback$")
    assert callback.body == {"type": 5, "data": {"flags": 64}}  # ephemeral "thinking"
    release.set()
    [followup] = await fake.wait_for_request("POST", rf"^/webhooks/{fd.APP_ID}/[^/]+$")
    assert followup.body["content"] == "Done."
    assert followup.body["flags"] & 64


async def test_guild_join_and_remove_events(fake: FakeDiscord, start_adapter: StartAdapter) -> None:
    _, handler = await start_adapter()
    # A guild the bot was just added to: no "unavailable" key, unlike startup's guilds.
    other = {**fd.guild_payload(), "id": "910000000000000002", "name": "New Server"}
    del other["unavailable"]
    await fake.dispatch("GUILD_CREATE", other)
    joined = await handler.next()
    assert joined.kind is EventKind.JOINED_GROUP
    assert joined.chat.guild_id == "910000000000000002"
    await fake.dispatch("GUILD_DELETE", {"id": "910000000000000002"})
    left = await handler.next()
    assert left.kind is EventKind.LEFT_GROUP


async def test_sharded_client_connects_via_gateway_bot(
    fake: FakeDiscord, start_adapter: StartAdapter
) -> None:
    adapter, handler = await start_adapter(sharded=True)
    assert fake.requests_to("GET", r"^/gateway/bot$")
    assert fake.identifies[0]["shard"] == [0, 1]
    await fake.dispatch("INTERACTION_CREATE", fd.slash_command(fake, "checkin", guild=False))
    incoming = await handler.next()
    assert incoming.chat.private
    assert (await adapter.send(Reply(chat=guild_chat(), text="hi"))).ok


async def test_bad_token_fails_start(fake: FakeDiscord) -> None:
    adapter = DiscordAdapter("wrong-secret", COMMANDS, ready_timeout=WAIT)
    with pytest.raises(AdapterError) as info:
        await adapter.start(Recorder())
    assert info.value.fatal and "rejected the bot token" in str(info.value)
    assert "wrong-secret" not in str(info.value)
    await adapter.stop()
    assert not fake.identifies


# --- attachments -------------------------------------------------------------------------

FEED = b'[{"name": "Wednesday Circle", "slug": "wed"}]'


async def test_slash_command_file_is_downloaded(
    fake: FakeDiscord, start_adapter: StartAdapter
) -> None:
    _, handler = await start_adapter()
    handler.answer = lambda incoming: [Reply(chat=incoming.chat, text="got it")]
    file = fake.upload("feed.json", FEED)
    await fake.dispatch(
        "INTERACTION_CREATE", fd.slash_command(fake, "meeting", "import", file=file)
    )
    incoming = await handler.next()
    assert incoming.args == "import"
    assert incoming.attachment == Document("feed.json", FEED, "application/json")
    assert fake.downloads == [f"/attachments/{file['id']}/feed.json"]
    [callback] = await fake.wait_for_request("POST", r"/callback$")
    assert callback.body["data"]["content"] == "got it"


async def test_a_file_sent_with_a_command_that_reads_none_is_never_downloaded(
    fake: FakeDiscord, start_adapter: StartAdapter
) -> None:
    _, handler = await start_adapter()
    file = fake.upload("feed.json", FEED)
    await fake.dispatch("INTERACTION_CREATE", fd.slash_command(fake, "checkin", file=file))
    incoming = await handler.next()
    assert incoming.command == "checkin" and incoming.attachment is None
    assert fake.downloads == []


async def test_files_on_messages_are_never_downloaded(
    fake: FakeDiscord, start_adapter: StartAdapter
) -> None:
    """A message is never a command that reads a file (only slash commands are), so neither
    a file shared in a channel nor one sent in a DM is fetched: the message (crisis words
    above all) is handled at once, with the file's name and type only."""
    _, handler = await start_adapter(read_messages=True)
    shared = fake.upload("photo.png", b"\x89PNG...", "image/png")
    await fake.dispatch(
        "MESSAGE_CREATE", fd.message_create(fake, "look at this", attachments=[shared])
    )
    incoming = await handler.next()
    assert incoming.attachment == Document("photo.png", b"", "image/png")  # metadata only
    dm_file = fake.upload("feed.json", FEED)
    dm = fd.message_create(
        fake, "hard day", channel_id="800000000000000009", guild=False, attachments=[dm_file]
    )
    await fake.dispatch("MESSAGE_CREATE", dm)
    incoming = await handler.next()
    assert incoming.chat.private
    assert incoming.attachment == Document("feed.json", b"", "application/json")
    assert fake.downloads == []


async def test_oversized_files_are_not_attached(
    fake: FakeDiscord, start_adapter: StartAdapter
) -> None:
    _, handler = await start_adapter(max_attachment_bytes=100)
    declared = fake.upload("big.json", b"x" * 101)  # Discord says 101 bytes: not fetched
    await fake.dispatch("INTERACTION_CREATE", fd.slash_command(fake, "meeting", file=declared))
    assert (await handler.next()).attachment is None
    assert fake.downloads == []
    # Declared small but bigger when read: the download stops at the cap.
    lying = fake.upload("lying.json", b"x" * 5000, size=10)
    await fake.dispatch("INTERACTION_CREATE", fd.slash_command(fake, "meeting", file=lying))
    assert (await handler.next()).attachment is None
    assert fake.downloads == [f"/attachments/{lying['id']}/lying.json"]
    # A failed download (the file is gone): no attachment, the command still runs.
    gone = {**declared, "url": f"http://127.0.0.1:{fake.port}/attachments/1/gone.json"}
    gone["size"] = 10
    await fake.dispatch("INTERACTION_CREATE", fd.slash_command(fake, "meeting", file=gone))
    incoming = await handler.next()
    assert incoming.command == "meeting" and incoming.attachment is None
    assert fake.downloads[-1] == "/attachments/1/gone.json"  # tried: answered 404
    await fake.wait_for_request("DELETE", r"/messages/@original$", count=3)  # acknowledged


# --- DM channels: kept, not reopened ------------------------------------------------------

DM_OPEN = r"^/users/@me/channels$"
OTHER_ID = "940000000000000009"


def dm_channel_of(user_id: str) -> str:
    return str(800_000_000_000_000_000 + int(user_id) % 10**15)  # the fake's DM ids


def dm(user_id: str, text: str) -> Reply:
    return Reply(chat=ChatRef("discord", user_id, True), text=text, private=True,
                 member=Member("discord", user_id, "Sam"))  # fmt: skip


async def test_dm_channels_are_kept_so_create_dm_is_called_once_per_member(
    fake: FakeDiscord, start_adapter: StartAdapter, store: SQLStore
) -> None:
    for user_id in (fd.MEMBER_ID, OTHER_ID):
        await store.members.touch("discord", user_id, "Sam", 1, False)
    adapter, _ = await start_adapter(store=store)
    for round_ in range(2):  # 4 DMs to 2 members
        for user_id in (fd.MEMBER_ID, OTHER_ID):
            assert (await adapter.send(dm(user_id, f"hello {round_}"))).ok
    assert len(fake.requests_to("POST", DM_OPEN)) == 2
    assert len(fake.requests_to("POST", rf"^/channels/{dm_channel_of(OTHER_ID)}/messages$")) == 2
    row = await store.members.find("discord", fd.MEMBER_ID)
    assert row is not None and row.dm_channel_id == dm_channel_of(fd.MEMBER_ID)
    await adapter.stop()
    # After a restart the ids come from the database: no request to open a DM at all.
    again, _ = await start_adapter(store=store)
    assert (await again.send(dm(fd.MEMBER_ID, "after a restart"))).ok
    assert len(fake.requests_to("POST", DM_OPEN)) == 2


async def test_a_dm_from_the_member_tells_the_channel(
    fake: FakeDiscord, start_adapter: StartAdapter, store: SQLStore
) -> None:
    adapter, handler = await start_adapter(store=store)
    await store.members.touch("discord", fd.MEMBER_ID, "Sam", 1, True)
    channel = dm_channel_of(fd.MEMBER_ID)
    await fake.dispatch("MESSAGE_CREATE", fd.message_create(fake, "hi", channel_id=channel,
                                                            guild=False))  # fmt: skip
    await handler.next()
    assert (await adapter.send(dm(fd.MEMBER_ID, "hello"))).ok
    assert fake.requests_to("POST", DM_OPEN) == []


async def test_a_vanished_dm_channel_is_opened_again_once(
    fake: FakeDiscord, start_adapter: StartAdapter, store: SQLStore
) -> None:
    member = await store.members.touch("discord", fd.MEMBER_ID, "Sam", 1, False)
    await store.members.update(member.id, MemberUpdate(dm_channel_id="810000000000000001"))
    adapter, _ = await start_adapter(store=store)
    fake.fail_unknown_channel("810000000000000001")
    assert (await adapter.send(dm(fd.MEMBER_ID, "still there?"))).ok
    assert len(fake.requests_to("POST", DM_OPEN)) == 1
    row = await store.members.find("discord", fd.MEMBER_ID)
    assert row is not None and row.dm_channel_id == dm_channel_of(fd.MEMBER_ID)


async def test_opening_dms_too_fast_is_retry_later_not_blocked(
    fake: FakeDiscord, start_adapter: StartAdapter
) -> None:
    adapter, _ = await start_adapter()
    fake.fail_opening_dms_too_fast()
    result = await adapter.send(dm(fd.MEMBER_ID, "later"))
    assert result.status is SendStatus.RETRY_AFTER and not result.unreachable
    fake.fail_next("POST", DM_OPEN, 403, {"code": 50013, "message": "Missing Permissions"})
    assert (await adapter.send(dm(OTHER_ID, "x"))).status is SendStatus.REJECTED  # not BLOCKED


# --- interaction deadlines ----------------------------------------------------------------


async def test_a_slow_public_answer_is_deferred_publicly(
    fake: FakeDiscord, start_adapter: StartAdapter, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(discord_adapter, "DEFER_AFTER", 0.01)
    _, handler = await start_adapter()
    release = asyncio.Event()

    async def slow(incoming: Incoming) -> list[Reply]:
        await release.wait()
        return [Reply(chat=incoming.chat, text="Meeting moved to 7pm.")]

    handler.slow = slow
    await fake.dispatch("INTERACTION_CREATE", fd.slash_command(fake, "announce", "7pm"))
    [callback] = await fake.wait_for_request("POST", r"/callback$")
    assert callback.body["type"] == 5  # "thinking", for everyone to see
    assert not (callback.body.get("data") or {}).get("flags", 0) & 64
    release.set()
    [followup] = await fake.wait_for_request("POST", rf"^/webhooks/{fd.APP_ID}/[^/]+$")
    assert followup.body["content"] == "Meeting moved to 7pm."
    assert not followup.body.get("flags", 0) & 64  # public, as the answer was meant


@pytest.mark.parametrize("private", [True, False], ids=["private", "public"])
async def test_a_missed_deadline_falls_back(
    fake: FakeDiscord, start_adapter: StartAdapter, private: bool
) -> None:
    _, handler = await start_adapter()
    handler.answer = lambda incoming: [
        Reply(chat=incoming.chat, text="The answer.", private=private, member=incoming.member)
    ]
    fake.fail_interaction_expired()  # 10062: too late to answer the interaction
    await fake.dispatch("INTERACTION_CREATE", fd.slash_command(fake, "checkin"))
    [sent] = await fake.wait_for_request("POST", r"^/channels/\d+/messages$")
    assert sent.body["content"] == "The answer."
    expected = dm_channel_of(fd.MEMBER_ID) if private else fd.CHANNEL_ID
    assert sent.path == f"/channels/{expected}/messages"


async def test_events_beyond_the_bound_wait_but_are_acknowledged_in_time(
    fake: FakeDiscord, start_adapter: StartAdapter, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(discord_adapter, "DEFER_AFTER", 0.01)
    _, handler = await start_adapter(max_concurrent_events=1)
    release = asyncio.Event()
    entered: list[str] = []

    async def slow(incoming: Incoming) -> list[Reply]:
        entered.append(incoming.args)
        await release.wait()
        return [Reply(chat=incoming.chat, text=f"done {incoming.args}")]

    handler.slow = slow
    await fake.dispatch("INTERACTION_CREATE", fd.slash_command(fake, "announce", "one"))
    await handler.next()
    await fake.dispatch("INTERACTION_CREATE", fd.slash_command(fake, "announce", "two"))
    # Both are deferred before their deadline; only one handler runs at a time.
    await fake.wait_for_request("POST", r"/callback$", count=2)
    assert entered == ["one"]
    release.set()
    await handler.next()
    await fake.wait_for_request("POST", rf"^/webhooks/{fd.APP_ID}/[^/]+$", count=2)
    assert entered == ["one", "two"]


# --- stopping -----------------------------------------------------------------------------


async def test_stop_lets_handlers_in_flight_finish(
    fake: FakeDiscord, start_adapter: StartAdapter
) -> None:
    adapter, handler = await start_adapter()
    release = asyncio.Event()

    async def slow(incoming: Incoming) -> list[Reply]:
        await release.wait()
        return [Reply(chat=incoming.chat, text="Finished before closing.")]

    handler.slow = slow
    await fake.dispatch("INTERACTION_CREATE", fd.slash_command(fake, "announce"))
    await handler.next()
    stopping = asyncio.create_task(adapter.stop())
    await asyncio.sleep(0)
    assert not stopping.done()  # waiting for the handler
    await fake.dispatch("INTERACTION_CREATE", fd.slash_command(fake, "announce", "late"))
    release.set()
    await asyncio.wait_for(stopping, WAIT)
    answers = fake.requests_to("POST", r"/callback$") + fake.requests_to("POST", r"^/webhooks/")
    assert [a.body.get("data", a.body).get("content") for a in answers] == [
        "Finished before closing."
    ]
    assert handler.events.qsize() == 0  # the late one was not taken any more


async def test_stop_is_bounded(fake: FakeDiscord, start_adapter: StartAdapter) -> None:
    adapter, handler = await start_adapter(stop_grace=0.1)

    async def stuck(incoming: Incoming) -> list[Reply]:
        await asyncio.Event().wait()
        return []

    handler.slow = stuck
    await fake.dispatch("INTERACTION_CREATE", fd.slash_command(fake, "checkin"))
    await handler.next()
    await asyncio.wait_for(adapter.stop(), WAIT)


# --- the gateway after start-up ---------------------------------------------------------


async def test_a_bad_token_close_after_start_is_fatal(
    fake: FakeDiscord, start_adapter: StartAdapter
) -> None:
    adapter, _ = await start_adapter()
    watching = asyncio.create_task(adapter.watch())
    await fake.close_gateway(4004)
    with pytest.raises(AdapterError) as info:
        await asyncio.wait_for(watching, WAIT)
    assert info.value.fatal and "4004" in str(info.value)


async def test_a_refused_intent_is_fatal_at_start(fake: FakeDiscord) -> None:
    fake.message_content_enabled = False  # the portal switch is off
    adapter = DiscordAdapter(fd.TOKEN, COMMANDS, read_messages=True, guild_ready_timeout=0.05,
                             ready_timeout=WAIT)  # fmt: skip
    with pytest.raises(AdapterError) as info:
        await adapter.start(Recorder())
    assert info.value.fatal and "Message Content intent" in str(info.value)
    assert fake.closes == [4014]


async def test_a_refused_intent_after_start_is_fatal(
    fake: FakeDiscord, start_adapter: StartAdapter
) -> None:
    adapter, _ = await start_adapter(read_messages=True)
    watching = asyncio.create_task(adapter.watch())
    await fake.close_gateway(4014)
    with pytest.raises(AdapterError) as info:
        await asyncio.wait_for(watching, WAIT)
    assert info.value.fatal and "4014" in str(info.value)


async def test_other_closes_are_resumed(fake: FakeDiscord, start_adapter: StartAdapter) -> None:
    adapter, handler = await start_adapter()
    watching = asyncio.create_task(adapter.watch())
    await fake.close_gateway(4000)  # unknown error: Discord says reconnect
    await fake.wait_connected()
    await fake.dispatch("INTERACTION_CREATE", fd.slash_command(fake, "checkin", guild=False))
    assert (await handler.next()).command == "checkin"
    assert fake.resumes == 1 and not watching.done()
    watching.cancel()


def test_ready_timeout_grows_with_the_shards() -> None:
    def deadline(**options: Any) -> float:
        adapter = DiscordAdapter(fd.TOKEN, COMMANDS, **options)
        return adapter._ready_deadline(adapter._make_client())

    assert deadline() == 60.0
    assert deadline(shard_count=12) == 60.0 + 6.0 * 11
    assert deadline(shard_ids=[0, 1, 2], shard_count=12) == 60.0 + 6.0 * 2
    assert deadline(ready_timeout=300.0, shard_count=12) == 300.0


async def test_shards_can_be_split_across_processes(
    fake: FakeDiscord, start_adapter: StartAdapter
) -> None:
    await start_adapter(shard_ids=[1], shard_count=2)
    assert [i["shard"] for i in fake.identifies] == [[1, 2]]


# --- command sync -------------------------------------------------------------------------

GLOBAL_PUT = r"^/applications/\d+/commands$"


async def test_commands_are_synced_only_when_they_change(
    fake: FakeDiscord, start_adapter: StartAdapter, tmp_path: Path
) -> None:
    kept = tmp_path / "discord-commands.sha256"
    first, _ = await start_adapter(commands_hash_file=kept)
    await first.stop()
    second, _ = await start_adapter(commands_hash_file=kept)
    await second.stop()
    assert len(fake.requests_to("PUT", GLOBAL_PUT)) == 1  # the second start sent nothing
    changed = DiscordAdapter(
        fd.TOKEN, [*COMMANDS, CommandInfo("help", "What I can do")], guild_ready_timeout=0.05,
        ready_timeout=WAIT, commands_hash_file=kept,
    )  # fmt: skip
    await changed.start(Recorder())
    await changed.stop()
    assert len(fake.requests_to("PUT", GLOBAL_PUT)) == 2
    assert [c["name"] for c in fake.commands] == ["checkin", "announce", "meeting", "help"]


async def test_a_development_server_gets_the_commands_alone(
    fake: FakeDiscord, start_adapter: StartAdapter
) -> None:
    await start_adapter(dev_guild_id=fd.GUILD_ID)
    assert fake.requests_to("PUT", GLOBAL_PUT) == []
    names = [c["name"] for c in fake.guild_commands[fd.GUILD_ID]]
    assert names == ["checkin", "announce", "meeting"]


async def test_descriptions_are_localised(fake: FakeDiscord) -> None:
    commands = [CommandInfo("checkin", "Daily check-in", translations={"es": "Chequeo diario"})]
    adapter = DiscordAdapter(fd.TOKEN, commands, guild_ready_timeout=0.05, ready_timeout=WAIT)
    await adapter.start(Recorder())
    await adapter.stop()
    [checkin] = fake.commands
    assert checkin["description_localizations"] == {
        "es-ES": "Chequeo diario",
        "es-419": "Chequeo diario",
    }
    args = checkin["options"][0]
    assert args["name_localizations"]["es-419"] == "detalles"
    assert args["description_localizations"]["es-ES"].startswith("detalles, p. ej.")


# --- the invite link and what the bot reads -----------------------------------------------


def test_the_invite_asks_for_what_harbor_needs_and_nothing_more() -> None:
    needed = discord_adapter.INVITE_PERMISSIONS
    assert needed.value == 277025508352
    assert needed.send_messages and needed.send_messages_in_threads and needed.attach_files
    assert needed.read_message_history and needed.embed_links and needed.view_channel
    assert needed.use_application_commands
    assert not needed.manage_guild and not needed.administrator and not needed.add_reactions
    readme = Path(__file__).resolve().parent.parent / "README.md"
    assert "permissions=277025508352" in readme.read_text(encoding="utf-8")
    assert "274877908320" not in readme.read_text(encoding="utf-8")
    assert needed.value == dc.INVITE_PERMISSIONS
    link = dc.invite_link("123")
    assert link.endswith("scope=bot+applications.commands&permissions=277025508352")


@pytest.mark.parametrize("reads", [False, True])
async def test_what_the_bot_reads_is_recorded_per_server(
    fake: FakeDiscord, start_adapter: StartAdapter, store: SQLStore, reads: bool
) -> None:
    await store.communities.ensure("discord", fd.GUILD_ID, "Harbor Test Server", 1)
    await start_adapter(store=store, read_messages=reads)
    for _ in range(100):
        row = await store.communities.find("discord", fd.GUILD_ID)
        if row is not None and row.reads_messages is not None:
            break
        await asyncio.sleep(0.02)
    assert row is not None and row.reads_messages is reads
