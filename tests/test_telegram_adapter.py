"""End to end: the real python-telegram-bot Application against the fake Bot API server."""

from __future__ import annotations

import asyncio
import datetime as dtm
import json
import logging
import socket
from collections.abc import AsyncIterator

import aiohttp
import httpx
import pytest
from telegram.error import TimedOut

from adapters.telegram_adapter import (
    MAX_ATTACHMENT,
    TelegramAdapter,
    _may_have_arrived,
    _seconds,
)
from bot.kernel.clock import SystemClock
from bot.kernel.delivery import Delivery
from bot.kernel.i18n import ENGLISH, t
from bot.kernel.ports import CommandInfo, PlatformBook
from bot.kernel.runtime import AdapterError
from bot.kernel.types import Button, ChatRef, EventKind, Incoming, Member, Reply, SendStatus
from storage.sql.store import SQLStore
from tests.fakes.telegram_api import (
    FakeTelegramAPI,
    chat_member,
    group_chat,
    private_chat,
    user,
)
from tests.helpers.inbox import memory, no_suggestions

ALICE = user(11, "Alice")
MOD = user(22, "Morgan")
OWNER = user(33, "Olu")
GROUP = group_chat(-100500, "Recovery Circle")
COMMANDS = [
    CommandInfo("start", "Begin"),
    CommandInfo("sober", "Set your sober date", in_group=False),
    CommandInfo("meetings", "Find a meeting"),
    CommandInfo("settings", "Group settings", in_private=False, moderator=True),
    CommandInfo("meeting", "Meetings", takes_file=True),
]
WAIT = 5.0


class EchoCore:
    """A tiny real inbox: records events, answers like the real core would, and delivers
    through the kernel's real delivery step."""

    def __init__(self) -> None:
        self.events: asyncio.Queue[Incoming] = asyncio.Queue()
        self.delivery: Delivery | None = None
        self.platforms: PlatformBook = memory(None)
        self.suggest = no_suggestions

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
    private = ["start", "sober", "meetings", "meeting"]
    assert [c["command"] for c in menus["all_private_chats"]] == private
    # Moderator commands only in the administrators' menu, never in every member's.
    assert [c["command"] for c in menus["all_group_chats"]] == ["start", "meetings", "meeting"]
    assert [c["command"] for c in menus["all_chat_administrators"]] == [
        "start",
        "meetings",
        "settings",
        "meeting",
    ]


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
    fake.push_message(private_chat(ALICE), ALICE, document=doc, caption="/meeting import")
    event = await core.next()
    assert (event.command, event.args) == ("meeting", "import")
    assert event.attachment is not None
    assert event.attachment.content == content
    assert event.attachment.filename == "meetings.json"
    assert event.attachment.mime == "application/json"



async def test_a_document_sent_with_a_command_that_reads_none_is_never_downloaded(
    fake: FakeTelegramAPI, core: EchoCore, adapter: TelegramAdapter
) -> None:
    """Only a command that reads a file (CommandInfo.takes_file) waits for a download: a
    document captioned /start, or with plain words, is never fetched."""
    doc = fake.add_file(b"[" + b" " * 100_000 + b"]", "big.json")
    fake.push_message(private_chat(ALICE), ALICE, document=doc, caption="/start")
    event = await core.next()
    assert event.command == "start" and event.attachment is None
    fake.push_message(private_chat(ALICE), ALICE, document=doc, caption="hard day today")
    event = await core.next()
    assert event.text == "hard day today" and event.attachment is None
    assert fake.calls_to("getFile") == []

async def test_oversized_documents_are_not_attached(
    fake: FakeTelegramAPI, core: EchoCore, adapter: TelegramAdapter
) -> None:
    declared = fake.add_file(b"[]", "big.json") | {"file_size": MAX_ATTACHMENT + 1}
    fake.push_message(private_chat(ALICE), ALICE, document=declared, caption="/meeting")
    first = await core.next()
    assert first.attachment is None and first.text == "/meeting"
    assert fake.calls_to("getFile") == []
    # No size announced: the download happens, and the result is still dropped.
    undeclared = fake.add_file(b"x" * (MAX_ATTACHMENT + 1), "big2.json")
    del undeclared["file_size"]
    fake.push_message(private_chat(ALICE), ALICE, document=undeclared, caption="/meeting")
    second = await core.next()
    assert second.attachment is None and second.command == "meeting"


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


# --- menus per language ------------------------------------------------------------------


async def test_menus_per_language_with_english_fallback(
    fake: FakeTelegramAPI, core: EchoCore
) -> None:
    commands = [
        CommandInfo("start", "Begin", translations={"es": "Empezar"}),
        CommandInfo("meetings", "Find a meeting"),  # not translated: English in every menu
        CommandInfo(
            "community",
            "Group settings",
            in_private=False,
            moderator=True,
            translations={"es": "Ajustes del grupo"},
        ),
    ]
    tg = TelegramAdapter(fake.token, commands, base_url=fake.root_url)
    core.bind(tg)
    await tg.start(core)
    await tg.stop()
    menus = {
        (c.params["scope"]["type"], c.params.get("language_code")): {
            m["command"]: m["description"] for m in c.params["commands"]
        }
        for c in fake.calls_to("setMyCommands")
    }
    assert menus[("all_private_chats", None)] == {"start": "Begin", "meetings": "Find a meeting"}
    assert menus[("all_private_chats", "es")] == {"start": "Empezar", "meetings": "Find a meeting"}
    assert menus[("all_group_chats", "es")] == {"start": "Empezar", "meetings": "Find a meeting"}
    assert menus[("all_chat_administrators", "es")]["community"] == "Ajustes del grupo"
    assert "community" not in menus[("all_group_chats", None)]
    assert len(menus) == 6  # three scopes, English and Spanish


# --- start-up and supervision -------------------------------------------------------------

SECRET = "999999:WRONG-secret-never-in-a-log"


def ptb_tasks() -> list[str]:
    """PTB's own background tasks still alive (a half-started Application leaves them)."""
    names = ("Application:", "Updater:", "Bot:")
    return [t.get_name() for t in asyncio.all_tasks() if t.get_name().startswith(names)]


async def test_rejected_token_is_fatal_and_never_shown(
    fake: FakeTelegramAPI, core: EchoCore, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    tg = TelegramAdapter(SECRET, COMMANDS, base_url=fake.root_url, bootstrap_retries=3)
    with pytest.raises(AdapterError) as info:
        await tg.start(core)
    assert info.value.fatal
    assert "rejected the bot token 999999:…" in str(info.value)
    assert "WRONG-secret" not in str(info.value)
    assert "WRONG-secret" not in caplog.text
    assert fake.unauthorized == 1  # a refused token is not retried
    assert tg.application is None and ptb_tasks() == []


async def test_a_network_blip_at_boot_is_retried(fake: FakeTelegramAPI, core: EchoCore) -> None:
    fake.fail_next("getMe", status=502, description="Bad Gateway", count=2)
    tg = TelegramAdapter(
        fake.token, COMMANDS, base_url=fake.root_url, bootstrap_retries=2, bootstrap_delay=0.01
    )
    core.bind(tg)
    await tg.start(core)
    try:
        assert len(fake.calls_to("getMe")) == 3
        fake.push_message(private_chat(ALICE), ALICE, "hello")
        assert (await core.next()).text == "hello"
    finally:
        await tg.stop()


async def test_unreachable_api_is_a_passing_failure(core: EchoCore) -> None:
    port = _free_port()  # nothing listens there
    tg = TelegramAdapter(
        SECRET, COMMANDS, base_url=f"http://127.0.0.1:{port}", bootstrap_retries=1,
        bootstrap_delay=0.01,
    )  # fmt: skip
    with pytest.raises(AdapterError) as info:
        await tg.start(core)
    assert not info.value.fatal  # the runtime retries it with backoff
    assert "cannot reach the Telegram Bot API at 127.0.0.1" in str(info.value)
    assert ptb_tasks() == []


async def test_ptb_is_shut_down_when_polling_fails_to_start(
    fake: FakeTelegramAPI, core: EchoCore
) -> None:
    # getMe works, then polling's bootstrap (deleteWebhook) fails: PTB was initialised and
    # started, and must not be left running.
    fake.fail_next("deleteWebhook", status=502, description="Bad Gateway")
    tg = TelegramAdapter(fake.token, COMMANDS, base_url=fake.root_url, bootstrap_retries=0)
    with pytest.raises(AdapterError) as info:
        await tg.start(core)
    assert not info.value.fatal
    assert ptb_tasks() == []
    # The same adapter starts cleanly afterwards.
    core.bind(tg)
    await tg.start(core)
    try:
        fake.push_message(private_chat(ALICE), ALICE, "again")
        assert (await core.next()).text == "again"
    finally:
        await tg.stop()
    assert ptb_tasks() == []


async def test_ptb_is_shut_down_when_the_webhook_is_refused(
    fake: FakeTelegramAPI, core: EchoCore
) -> None:
    fake.fail_next(
        "setWebhook", status=400, description="Bad Request: bad webhook: HTTPS url must be provided"
    )
    port = _free_port()
    tg = TelegramAdapter(
        fake.token, COMMANDS, base_url=fake.root_url, webhook_url=f"http://127.0.0.1:{port}/h",
        webhook_port=port, bootstrap_retries=0,
    )  # fmt: skip
    with pytest.raises(AdapterError) as info:
        await tg.start(core)
    assert info.value.fatal and "webhook" in str(info.value)
    assert ptb_tasks() == []


async def test_a_token_revoked_while_polling_is_reported_as_fatal(
    fake: FakeTelegramAPI, core: EchoCore
) -> None:
    tg = TelegramAdapter(fake.token, COMMANDS, base_url=fake.root_url, watch_interval=0.05)
    core.bind(tg)
    await tg.start(core)
    try:
        fake.revoke_token()  # PTB's polling loop ends on the 401, without a word
        with pytest.raises(AdapterError) as info:
            await asyncio.wait_for(tg.watch(), WAIT)
        assert info.value.fatal and "while running" in str(info.value)
        assert "TEST-token" not in str(info.value)
    finally:
        await tg.stop()


async def test_a_stopped_polling_loop_is_restarted(
    fake: FakeTelegramAPI, core: EchoCore, adapter: TelegramAdapter,
    caplog: pytest.LogCaptureFixture,
) -> None:  # fmt: skip
    app = adapter.application
    assert app is not None and app.updater is not None
    await app.updater.stop()  # the loop is gone; nothing else would notice
    await adapter.check_health()
    assert app.updater.running
    assert "polling had stopped; restarting it" in caplog.text
    fake.push_message(private_chat(ALICE), ALICE, "still listening?")
    assert (await core.next()).text == "still listening?"


async def test_a_second_poller_is_reported_loudly(
    fake: FakeTelegramAPI, adapter: TelegramAdapter, caplog: pytest.LogCaptureFixture
) -> None:
    before = len(fake.calls_to("getUpdates"))
    fake.fail_next("getUpdates", status=409, description="Conflict: terminated by other getUpdates")
    # The 409, then the retry that shows PTB has taken it in.
    await fake.wait_for_call(
        "getUpdates", lambda _c: len(fake.calls_to("getUpdates")) >= before + 2, within=WAIT
    )
    await adapter.check_health()
    errors = [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert any("409 Conflict" in r.getMessage() for r in errors)


async def test_drop_pending_updates(fake: FakeTelegramAPI, core: EchoCore) -> None:
    fake.push_message(private_chat(ALICE), ALICE, "sent while Harbor was down")
    tg = TelegramAdapter(fake.token, COMMANDS, base_url=fake.root_url, drop_pending_updates=True)
    core.bind(tg)
    await tg.start(core)
    try:
        [delete] = fake.calls_to("deleteWebhook")
        assert delete.params["drop_pending_updates"] in ("true", "True", True)
        fake.push_message(private_chat(ALICE), ALICE, "after the start")
        assert (await core.next()).text == "after the start"
        assert core.events.empty()
    finally:
        await tg.stop()


# --- moderators ---------------------------------------------------------------------------

HELPER = user(44, "Hana")


async def test_an_admin_moderates_only_with_a_meaningful_right(
    fake: FakeTelegramAPI, core: EchoCore, adapter: TelegramAdapter
) -> None:
    fake.set_admins(
        GROUP["id"],
        [OWNER, chat_member(MOD, rights=("can_restrict_members",)),
         chat_member(HELPER, rights=("can_invite_users", "can_pin_messages"))],
    )  # fmt: skip
    gid = str(GROUP["id"])
    assert await adapter.is_admin(gid, "33")  # the owner
    assert await adapter.is_admin(gid, "22")
    assert not await adapter.is_admin(gid, "44")  # may invite and pin, nothing more
    assert not await adapter.is_admin(gid, "11")


async def test_moderator_rights_are_configurable(fake: FakeTelegramAPI, core: EchoCore) -> None:
    fake.set_admins(GROUP["id"], [OWNER, chat_member(HELPER, rights=("can_invite_users",))])
    tg = TelegramAdapter(
        fake.token, COMMANDS, base_url=fake.root_url, moderator_rights=["can_invite_users"]
    )
    await tg.start(core)
    try:
        assert await tg.is_admin(str(GROUP["id"]), "44")
    finally:
        await tg.stop()


async def test_admin_cache_is_refreshed_by_admin_changes_only(
    fake: FakeTelegramAPI, core: EchoCore, adapter: TelegramAdapter
) -> None:
    fake.set_admins(GROUP["id"], [OWNER, MOD])
    fake.push_message(GROUP, MOD, "/settings")
    assert (await core.next()).is_moderator
    # Someone joins: the administrators did not change, nothing is looked up again.
    fake.push_chat_member(GROUP, ALICE, ALICE, {"status": "left"}, {"status": "member"})
    fake.push_message(GROUP, ALICE, "/settings")
    assert not (await core.next()).is_moderator
    assert len(fake.calls_to("getChatAdministrators")) == 1
    # Alice is promoted: the next message sees it at once, without waiting for the cache.
    fake.set_admins(GROUP["id"], [OWNER, MOD, ALICE])
    promoted = chat_member(ALICE)
    del promoted["user"]
    fake.push_chat_member(GROUP, OWNER, ALICE, {"status": "member"}, promoted)
    fake.push_message(GROUP, ALICE, "/settings")
    assert (await core.next()).is_moderator
    assert len(fake.calls_to("getChatAdministrators")) == 2


async def test_one_admin_lookup_for_many_questions(
    fake: FakeTelegramAPI, adapter: TelegramAdapter
) -> None:
    fake.set_admins(GROUP["id"], [OWNER, MOD])
    gid = str(GROUP["id"])
    answers = await asyncio.gather(*(adapter.is_admin(gid, str(i)) for i in (22, 33, 11, 22)))
    assert answers == [True, True, False, True]
    assert len(fake.calls_to("getChatAdministrators")) == 1


async def test_anonymous_admins_are_someone_different_in_every_group(
    fake: FakeTelegramAPI, core: EchoCore, adapter: TelegramAdapter
) -> None:
    other = group_chat(-100777, "Second Circle")
    anonymous_bot = {"id": 1087968824, "is_bot": True, "first_name": "Group",
                     "username": "GroupAnonymousBot"}  # fmt: skip
    fake.set_admins(GROUP["id"], [OWNER, chat_member(MOD, anonymous=True)])
    fake.set_admins(other["id"], [OWNER, chat_member(MOD, rights=("can_invite_users",),
                                                     anonymous=True)])  # fmt: skip
    fake.push_message(GROUP, anonymous_bot, "/settings", sender_chat=GROUP,
                      author_signature="Chair")  # fmt: skip
    fake.push_message(other, anonymous_bot, "/settings", sender_chat=other)
    first, second = await core.next(), await core.next()
    assert first.member == Member("telegram", f"anonymous-admin:{GROUP['id']}", "Chair")
    assert first.is_moderator  # an anonymous admin here holds a moderator right
    assert second.member.user_id == f"anonymous-admin:{other['id']}"
    assert not second.is_moderator  # there, anonymous admins may only invite
    # Nothing private can reach them (and never the group in their place).
    result = await adapter.send(
        Reply(chat=ChatRef("telegram", str(GROUP["id"]), False), text="your data",
              private=True, member=first.member)
    )  # fmt: skip
    assert result.status is SendStatus.NO_PRIVATE_CHAT
    assert all("your data" not in t for t in texts_to(fake, GROUP["id"]))


# --- what a send may and may not do again -------------------------------------------------


async def test_callback_data_over_64_bytes_is_refused_before_sending(
    fake: FakeTelegramAPI, adapter: TelegramAdapter
) -> None:
    long = "meeting:remind:" + "x" * 56  # 71 bytes
    result = await adapter.send(
        Reply(chat=ChatRef("telegram", "11", True), text="Remind me?",
              buttons=((Button("Yes", long),),))
    )  # fmt: skip
    assert result.status is SendStatus.REJECTED and "71 bytes" in result.detail
    assert fake.calls_to("sendMessage") == []


async def test_a_timed_out_send_is_never_sent_twice(fake: FakeTelegramAPI, core: EchoCore) -> None:
    tg = TelegramAdapter(fake.token, COMMANDS, base_url=fake.root_url, read_timeout=0.5)
    await tg.start(core)
    try:
        fake.delay_next("sendMessage", 3.0)  # Telegram got it, but answers too late
        result = await tg.send(Reply(chat=ChatRef("telegram", "11", True), text="once"))
        assert result.status is SendStatus.REJECTED  # never retried by anyone
        assert "may have been delivered" in result.detail
        assert texts_to(fake, 11) == ["once"]
    finally:
        await tg.stop()


def test_only_a_timeout_before_sending_may_be_retried() -> None:
    read = TimedOut()
    read.__cause__ = httpx.ReadTimeout("slow")
    connect = TimedOut()
    connect.__cause__ = httpx.ConnectTimeout("no route")
    assert not _may_have_arrived(connect)
    assert _may_have_arrived(read)
    assert not _may_have_arrived(TimedOut("Pool timeout: All connections are occupied."))


# --- what the bot can read in each group (issue #11) --------------------------------------


async def test_group_visibility_is_logged_and_recorded(
    fake: FakeTelegramAPI, core: EchoCore, store: SQLStore, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    for chat_id in ("-100500", "-100600"):
        await store.communities.ensure("telegram", chat_id, "Circle", 1)
    core.platforms = memory(store)
    fake.set_bot_status(-100600, "administrator")  # privacy mode is on (the default)
    tg = TelegramAdapter(fake.token, COMMANDS, base_url=fake.root_url,
                         survey_groups=False)  # fmt: skip
    await tg.start(core)
    try:
        assert await tg.survey_groups() == {"-100500": False, "-100600": True}
        fake.set_privacy(reads_all=True)
    finally:
        await tg.stop()
    plain = await store.communities.find("telegram", "-100500")
    admin = await store.communities.find("telegram", "-100600")
    assert plain is not None and plain.reads_messages is False
    assert admin is not None and admin.reads_messages is True
    assert "telegram group -100500: Harbor sees only commands" in caplog.text
    # Privacy mode off: every group is readable, no per-group question needed.
    tg = TelegramAdapter(fake.token, COMMANDS, base_url=fake.root_url,
                         survey_groups=False)  # fmt: skip
    await tg.start(core)
    try:
        asked = len(fake.calls_to("getChatMember"))
        assert await tg.survey_groups() == {"-100500": True, "-100600": True}
        assert len(fake.calls_to("getChatMember")) == asked
    finally:
        await tg.stop()


async def test_promotion_of_the_bot_updates_what_it_reads(
    fake: FakeTelegramAPI, core: EchoCore, store: SQLStore
) -> None:
    await store.communities.ensure("telegram", str(GROUP["id"]), "Circle", 1)
    core.platforms = memory(store)
    tg = TelegramAdapter(fake.token, COMMANDS, base_url=fake.root_url,
                         survey_groups=False)  # fmt: skip
    core.bind(tg)
    await tg.start(core)
    try:
        fake.push_my_chat_member(GROUP, OWNER, old="member", new="administrator")
        fake.push_message(GROUP, ALICE, "after")
        await core.next()
    finally:
        await tg.stop()
    row = await store.communities.find("telegram", str(GROUP["id"]))
    assert row is not None and row.reads_messages is True
