"""End to end: the real python-telegram-bot Application against the fake Bot API server."""

from __future__ import annotations

import asyncio
import datetime as dtm
import json
import logging
import socket
from collections.abc import AsyncIterator

import aiohttp
import pytest

from adapters.telegram_adapter import MAX_ATTACHMENT, TelegramAdapter, _seconds
from bot.kernel.clock import SystemClock
from bot.kernel.delivery import Delivery
from bot.kernel.i18n import ENGLISH, t
from bot.kernel.ports import CommandInfo
from bot.kernel.types import ChatRef, EventKind, Incoming, Member, Reply, SendStatus
from tests.fakes.telegram_api import FakeTelegramAPI, group_chat, private_chat, user

ALICE = user(11, "Alice")
MOD = user(22, "Morgan")
OWNER = user(33, "Olu")
GROUP = group_chat(-100500, "Recovery Circle")
COMMANDS = [
    CommandInfo("start", "Begin"),
    CommandInfo("sober", "Set your sober date", in_group=False),
    CommandInfo("meetings", "Find a meeting"),
    CommandInfo("settings", "Group settings", in_private=False, moderator=True),
]
WAIT = 5.0


class EchoCore:
    """A tiny real inbox: records events, answers like the real core would, and delivers
    through the kernel's real delivery step."""

    def __init__(self) -> None:
        self.events: asyncio.Queue[Incoming] = asyncio.Queue()
        self.delivery: Delivery | None = None

    def bind(self, adapter: TelegramAdapter) -> None:
        self.delivery = Delivery({adapter.platform: adapter}, {}, SystemClock())

    async def handle(self, event: Incoming) -> None:
        self.events.put_nowait(event)
        if event.text == "boom":
            raise RuntimeError("member said: my secret")
        replies: list[Reply] = []
        if event.command == "private":
            replies = [Reply(chat=event.chat, text="just for you", private=True,
                             member=event.member, resume="private")]  # fmt: skip
        elif event.kind is EventKind.BUTTON:
            replies = [Reply(chat=event.chat, text=f"chose {event.button}",
                             edit_message_id=event.message_id)]  # fmt: skip
        elif event.kind is EventKind.MESSAGE:
            replies = [Reply(chat=event.chat, text=f"echo: {event.text}")]
        assert self.delivery is not None
        await self.delivery.deliver(event, replies, ENGLISH)

    def answers_privately(self, event: Incoming) -> bool:
        return event.command == "private"

    def command_infos(self) -> list[CommandInfo]:
        return COMMANDS

    async def next(self) -> Incoming:
        return await asyncio.wait_for(self.events.get(), WAIT)


@pytest.fixture
def fake(telegram_fake: FakeTelegramAPI) -> FakeTelegramAPI:
    return telegram_fake


@pytest.fixture
def core() -> EchoCore:
    return EchoCore()


@pytest.fixture
async def adapter(fake: FakeTelegramAPI, core: EchoCore) -> AsyncIterator[TelegramAdapter]:
    tg = TelegramAdapter(fake.token, COMMANDS, base_url=fake.root_url)
    core.bind(tg)
    await tg.start(core)
    yield tg
    await tg.stop()


def texts_to(fake: FakeTelegramAPI, chat_id: int) -> list[str]:
    return [
        str(c.params.get("text"))
        for c in fake.calls_to("sendMessage")
        if c.params.get("chat_id") == str(chat_id)
    ]


async def test_private_start_round_trip(
    fake: FakeTelegramAPI, core: EchoCore, adapter: TelegramAdapter
) -> None:
    assert adapter.bot_username == "HarborTestBot"
    fake.push_message(private_chat(ALICE), ALICE, "/start@HarborTestBot dm")
    event = await core.next()
    assert (event.command, event.args, event.chat.private) == ("start", "dm", True)
    assert event.member == Member("telegram", "11", "Alice")
    call = await fake.wait_for_call("sendMessage", within=WAIT)
    assert call.params["chat_id"] == "11"
    assert call.params["text"] == "echo: /start@HarborTestBot dm"
    assert "parse_mode" not in call.params


async def test_command_menus_registered(fake: FakeTelegramAPI, adapter: TelegramAdapter) -> None:
    menus = {
        c.params["scope"]["type"]: c.params["commands"] for c in fake.calls_to("setMyCommands")
    }
    assert [c["command"] for c in menus["all_private_chats"]] == ["start", "sober", "meetings"]
    assert [c["command"] for c in menus["all_group_chats"]] == ["start", "meetings", "settings"]


async def test_button_press_is_answered_and_edits(
    fake: FakeTelegramAPI, core: EchoCore, adapter: TelegramAdapter
) -> None:
    sent = await adapter.send(Reply(chat=ChatRef("telegram", "11", True), text="How are you?"))
    assert sent.ok and sent.message_id is not None
    fake.push_callback(private_chat(ALICE), ALICE, "mood:ok", message_id=int(sent.message_id))
    event = await core.next()
    assert (event.kind, event.button, event.message_id) == (
        EventKind.BUTTON,
        "mood:ok",
        sent.message_id,
    )
    answer = await fake.wait_for_call("answerCallbackQuery", within=WAIT)
    assert answer.params["callback_query_id"].startswith("cbq-")
    edit = await fake.wait_for_call("editMessageText", within=WAIT)
    assert edit.params["text"] == "chose mood:ok"


async def test_failed_edit_falls_back_to_new_message(
    fake: FakeTelegramAPI, adapter: TelegramAdapter
) -> None:
    result = await adapter.send(
        Reply(chat=ChatRef("telegram", "11", True), text="fresh", edit_message_id="999")
    )
    assert result.ok
    assert texts_to(fake, 11) == ["fresh"]


async def test_group_admin_is_moderator_and_cached(
    fake: FakeTelegramAPI, core: EchoCore, adapter: TelegramAdapter
) -> None:
    fake.set_admins(GROUP["id"], [OWNER, MOD])
    fake.push_message(GROUP, MOD, "/settings")
    fake.push_message(GROUP, ALICE, "/meetings")
    first, second = await core.next(), await core.next()
    assert (first.member.user_id, first.is_moderator) == ("22", True)
    assert (second.member.user_id, second.is_moderator) == ("11", False)
    assert len(fake.calls_to("getChatAdministrators")) == 1


async def test_private_reply_without_dm_shows_only_the_deep_link(
    fake: FakeTelegramAPI, core: EchoCore, adapter: TelegramAdapter
) -> None:
    fake.fail_cannot_initiate("sendMessage", chat_id=ALICE["id"])
    fake.push_message(GROUP, ALICE, "/private")
    await core.next()
    notice = await fake.wait_for_call(
        "sendMessage", lambda c: c.params["chat_id"] == str(GROUP["id"]), within=WAIT
    )
    assert notice.params["text"] == t("private.open_dm")
    (row,) = notice.params["reply_markup"]["inline_keyboard"]
    assert row == [
        {"text": t("private.open_dm_button"), "url": "https://t.me/HarborTestBot?start=private"}
    ]
    assert all("just for you" not in text for text in texts_to(fake, GROUP["id"]))


async def test_private_reply_result_is_no_private_chat(
    fake: FakeTelegramAPI, adapter: TelegramAdapter
) -> None:
    fake.fail_cannot_initiate("sendMessage", chat_id=11)
    group = ChatRef("telegram", str(GROUP["id"]), False)
    alice = Member("telegram", "11", "Alice")
    result = await adapter.send(
        Reply(chat=group, text="your streak", private=True, member=alice)
    )
    assert result.status is SendStatus.NO_PRIVATE_CHAT
    assert texts_to(fake, GROUP["id"]) == []  # what the group sees is the kernel's decision
    # Without a recipient a private reply is dropped, never posted in the group.
    dropped = await adapter.send(Reply(chat=group, text="your streak", private=True))
    assert dropped.status is SendStatus.REJECTED
    assert texts_to(fake, GROUP["id"]) == []


async def test_send_errors_map_to_neutral_results(
    fake: FakeTelegramAPI, adapter: TelegramAdapter
) -> None:
    dm = Reply(chat=ChatRef("telegram", "11", True), text="hi")
    fake.fail_blocked("sendMessage")
    assert (await adapter.send(dm)).status is SendStatus.BLOCKED
    fake.fail_retry_after("sendMessage", 7)
    limited = await adapter.send(dm)
    assert (limited.status, limited.retry_after) == (SendStatus.RETRY_AFTER, 7.0)
    fake.fail_next("sendMessage", status=400, description="Bad Request: chat not found")
    assert (await adapter.send(dm)).status is SendStatus.REJECTED
    fake.fail_next("sendMessage", status=502, description="Bad Gateway")
    assert (await adapter.send(dm)).status is SendStatus.FAILED
    assert (await adapter.send(dm)).status is SendStatus.SENT


def test_retry_after_accepts_int_and_timedelta() -> None:
    assert _seconds(7) == 7.0
    assert _seconds(dtm.timedelta(seconds=7)) == 7.0


async def test_handler_crash_does_not_stop_polling(
    fake: FakeTelegramAPI,
    core: EchoCore,
    adapter: TelegramAdapter,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    fake.push_message(private_chat(ALICE), ALICE, "boom")
    await core.next()
    fake.push_message(private_chat(ALICE), ALICE, "still there?")
    assert (await core.next()).text == "still there?"
    await fake.wait_for_call("sendMessage", within=WAIT)
    assert texts_to(fake, 11) == ["echo: still there?"]
    ours = " ".join(r.getMessage() for r in caplog.records if r.name == "adapters.telegram_adapter")
    assert "RuntimeError" in ours
    assert "my secret" not in ours and "boom" not in ours


async def test_bot_added_to_group(
    fake: FakeTelegramAPI, core: EchoCore, adapter: TelegramAdapter
) -> None:
    fake.push_my_chat_member(GROUP, OWNER, old="left", new="member")
    event = await core.next()
    assert event.kind is EventKind.JOINED_GROUP
    assert event.chat.chat_id == str(GROUP["id"])
    assert event.member.user_id == "33"


async def test_document_is_downloaded(
    fake: FakeTelegramAPI, core: EchoCore, adapter: TelegramAdapter
) -> None:
    content = json.dumps([{"name": "Daily Reflections", "slug": "dr"}]).encode()
    doc = fake.add_file(content, "meetings.json")
    fake.push_message(private_chat(ALICE), ALICE, document=doc, caption="/import")
    event = await core.next()
    assert event.command == "import"
    assert event.attachment is not None
    assert event.attachment.content == content
    assert event.attachment.filename == "meetings.json"
    assert event.attachment.mime == "application/json"


async def test_oversized_documents_are_not_attached(
    fake: FakeTelegramAPI, core: EchoCore, adapter: TelegramAdapter
) -> None:
    declared = fake.add_file(b"[]", "big.json") | {"file_size": MAX_ATTACHMENT + 1}
    fake.push_message(private_chat(ALICE), ALICE, document=declared, caption="/import")
    first = await core.next()
    assert first.attachment is None and first.text == "/import"
    assert fake.calls_to("getFile") == []
    # No size announced: the download happens, and the result is still dropped.
    undeclared = fake.add_file(b"x" * (MAX_ATTACHMENT + 1), "big2.json")
    del undeclared["file_size"]
    fake.push_message(private_chat(ALICE), ALICE, document=undeclared, caption="/import")
    second = await core.next()
    assert second.attachment is None and second.command == "import"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


async def test_webhook_checks_the_secret(fake: FakeTelegramAPI, core: EchoCore) -> None:
    port = _free_port()
    url = f"http://127.0.0.1:{port}/tg-hook"
    tg = TelegramAdapter(
        fake.token,
        COMMANDS,
        base_url=fake.root_url,
        webhook_url=url,
        webhook_secret="s3cret-token",
        webhook_listen="127.0.0.1",
        webhook_port=port,
    )
    core.bind(tg)
    await tg.start(core)
    try:
        hook = await fake.wait_for_call("setWebhook", within=WAIT)
        assert (hook.params["url"], hook.params["secret_token"]) == (url, "s3cret-token")
        update = {
            "update_id": 77,
            "message": {
                "message_id": 1,
                "date": 1_700_000_000,
                "chat": private_chat(ALICE),
                "from": ALICE,
                "text": "hello via webhook",
            },
        }
        async with aiohttp.ClientSession() as http:
            wrong = {"X-Telegram-Bot-Api-Secret-Token": "guess"}
            async with http.post(url, json=update, headers=wrong) as response:
                assert response.status == 403
            async with http.post(url, json=update) as response:
                assert response.status == 403
            right = {"X-Telegram-Bot-Api-Secret-Token": "s3cret-token"}
            async with http.post(url, json=update, headers=right) as response:
                assert response.status == 200
        event = await core.next()
        assert event.text == "hello via webhook"
        assert core.events.empty()  # the refused posts never reached the core
        assert fake.calls_to("getUpdates") == []
    finally:
        await tg.stop()
