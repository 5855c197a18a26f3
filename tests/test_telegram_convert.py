"""Canned Bot API JSON → Incoming, and Reply → Bot API call arguments."""

from __future__ import annotations

import json
from typing import Any

import pytest
from telegram import Bot, InputFile, Update

from adapters.telegram_convert import (
    ANONYMOUS_ADMIN_ID,
    RETRY_POLICY,
    TEXT_LIMIT,
    CallbackDataTooLong,
    admin_change,
    can_receive_private,
    convert_update,
    keyboard,
    moderates,
    parse_command,
    reply_calls,
    split_text,
    timed_out_result,
    utf16_len,
)
from bot.kernel.types import Button, ChatRef, Document, EventKind, Member, Reply, SendStatus

BOT = "HarborBot"
BOT_ID = 999
ALICE = {"id": 11, "is_bot": False, "first_name": "Alice", "last_name": "B", "username": "ali"}
PRIVATE = {"id": 11, "type": "private", "first_name": "Alice"}
GROUP = {"id": -100123, "type": "supergroup", "title": "Recovery Circle"}


def message(text: str = "", chat: dict[str, Any] = PRIVATE, **extra: Any) -> dict[str, Any]:
    msg: dict[str, Any] = {"message_id": 7, "date": 1_700_000_000, "chat": chat, "from": ALICE}
    if text:
        msg["text"] = text
    msg.update(extra)
    return {"update_id": 1, "message": msg}


def convert(update: dict[str, Any]) -> Any:
    converted = convert_update(update, bot_username=BOT, bot_id=BOT_ID)
    return None if converted is None else converted.incoming


# --- commands ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("/sober@HarborBot 2026-03-14", ("sober", "2026-03-14")),
        ("/Sober 2026-03-14", ("sober", "2026-03-14")),
        ("/start", ("start", "")),
        ("/start@harborbot", ("start", "")),
        ("/meetings  online\nmonday ", ("meetings", "online\nmonday")),
        ("/sober@OtherBot 2026-03-14", None),
        ("hello /sober", None),
        ("/", None),
        ("/sober-now", None),
    ],
)
def test_parse_command(text: str, expected: tuple[str, str] | None) -> None:
    assert parse_command(text, BOT) == expected


def test_private_command_becomes_incoming() -> None:
    event = convert(message("/sober@HarborBot 2026-03-14"))
    assert event.command == "sober"
    assert event.args == "2026-03-14"
    assert event.text == "/sober@HarborBot 2026-03-14"
    assert event.kind is EventKind.MESSAGE
    assert event.chat == ChatRef("telegram", "11", private=True)
    assert event.member == Member("telegram", "11", "Alice B")
    assert event.message_id == "7"
    assert event.is_moderator is False


def test_command_for_another_bot_is_ignored() -> None:
    assert convert(message("/start@OtherBot", chat=GROUP)) is None


def test_plain_group_text() -> None:
    event = convert(message("feeling shaky today", chat=GROUP))
    assert event.command is None
    assert event.chat.private is False
    assert event.chat.title == "Recovery Circle"
    assert event.chat.community_id == "-100123"
    assert event.mentioned is False


def test_forum_topic_sets_thread_but_plain_reply_thread_does_not() -> None:
    topic = convert(message("hi", chat=GROUP, message_thread_id=5, is_topic_message=True))
    assert topic.chat.thread_id == "5"
    reply = convert(message("hi", chat=GROUP, message_thread_id=5))
    assert reply.chat.thread_id is None


def test_mention_by_entity_with_utf16_offsets() -> None:
    text = "💙 @HarborBot help"
    event = convert(
        message(text, chat=GROUP, entities=[{"type": "mention", "offset": 3, "length": 10}])
    )
    assert event.mentioned is True


def test_mention_of_someone_else_is_not_ours() -> None:
    text = "@HarborBotFan hi"
    entities = [{"type": "mention", "offset": 0, "length": 13}]
    assert convert(message(text, chat=GROUP, entities=entities)).mentioned is False


def test_reply_to_the_bot_counts_as_mention() -> None:
    bot_msg = {"message_id": 3, "date": 1, "chat": GROUP, "from": {"id": BOT_ID, "is_bot": True}}
    event = convert(message("thanks", chat=GROUP, reply_to_message=bot_msg))
    assert event.mentioned is True


def test_service_messages_edits_and_bots_are_ignored() -> None:
    assert convert(message("", chat=GROUP, new_chat_members=[ALICE])) is None
    edited = convert({"update_id": 2, "edited_message": message("x")["message"]})
    assert edited is not None and edited.edited and edited.text == "x"  # scanned again
    edited_command = convert({"update_id": 3, "edited_message": message("/forget")["message"]})
    assert edited_command is not None and edited_command.command is None  # never re-run
    bot_author = message("/start", chat=GROUP)
    bot_author["message"]["from"] = {"id": 5, "is_bot": True, "first_name": "Spam"}
    assert convert(bot_author) is None


def test_anonymous_admin_is_flagged() -> None:
    update = message("/settings", chat=GROUP, sender_chat=GROUP)
    update["message"]["from"] = {
        "id": ANONYMOUS_ADMIN_ID,
        "is_bot": True,
        "first_name": "Group",
        "username": "GroupAnonymousBot",
    }
    converted = convert_update(update, bot_username=BOT, bot_id=BOT_ID)
    assert converted is not None
    assert converted.anonymous_admin is True
    assert converted.incoming.command == "settings"


def test_document_gives_file_reference_without_download() -> None:
    doc = {
        "file_id": "F1",
        "file_unique_id": "U1",
        "file_name": "meetings.json",
        "mime_type": "application/json",
        "file_size": 120,
    }
    converted = convert_update(
        message(document=doc, caption="/import"), bot_username=BOT, bot_id=BOT_ID
    )
    assert converted is not None
    assert converted.incoming.command == "import"
    assert converted.incoming.attachment is None
    assert converted.document is not None
    assert (converted.document.file_id, converted.document.size) == ("F1", 120)
    assert converted.document.filename == "meetings.json"


def test_callback_query_becomes_button() -> None:
    update = {
        "update_id": 3,
        "callback_query": {
            "id": "q1",
            "from": ALICE,
            "chat_instance": "c",
            "data": "checkin:ok",
            "message": {"message_id": 42, "date": 1, "chat": GROUP, "text": "How are you?"},
        },
    }
    event = convert(update)
    assert event.kind is EventKind.BUTTON
    assert event.button == "checkin:ok"
    assert event.message_id == "42"
    assert event.chat.chat_id == "-100123"


def test_lone_surrogates_from_telegram_become_replacement_characters() -> None:
    """A client that cut an emoji in half sends a lone surrogate ("\\ud800" in the JSON):
    every text Harbor takes from the update is cleaned, so storage and replies never fail."""
    raw = """{"update_id": 9, "message": {"message_id": 8, "date": 1,
      "from": {"id": 11, "is_bot": false, "first_name": "Al\\ud800", "last_name": "B\\udfff"},
      "chat": {"id": -100123, "type": "supergroup", "title": "Circle \\ud83d"},
      "text": "@HarborBot /x \\ud800 \\ud83d\\ude00",
      "entities": [{"type": "mention", "offset": 0, "length": 10}],
      "document": {"file_id": "F", "file_unique_id": "U", "file_name": "f\\ud800.json"}}}"""
    update = json.loads(raw)
    converted = convert_update(update, bot_username=BOT, bot_id=BOT_ID)
    assert converted is not None
    event = converted.incoming
    assert event.member.display_name == "Al\ufffd B\ufffd"
    assert event.chat.title == "Circle \ufffd"
    assert event.text == "@HarborBot /x \ufffd 😀"
    assert event.mentioned
    assert converted.document is not None and converted.document.filename == "f\ufffd.json"
    command = json.loads(raw.replace('"@HarborBot /x', '"/sober@HarborBot'))
    event = convert(command)
    assert (event.command, event.args) == ("sober", "\ufffd 😀")
    button = {
        "update_id": 10,
        "callback_query": {
            "id": "q", "from": json.loads('{"id": 11, "first_name": "\\udc00"}'),
            "chat_instance": "c", "data": json.loads('"checkin:\\ud800"'),
            "message": {"message_id": 42, "date": 1, "chat": GROUP, "text": "How are you?"},
        },
    }  # fmt: skip
    event = convert(button)
    assert (event.button, event.member.display_name) == ("checkin:\ufffd", "\ufffd")


def _membership(old: str, new: str, chat: dict[str, Any] = GROUP) -> dict[str, Any]:
    me = {"id": BOT_ID, "is_bot": True, "first_name": "Harbor", "username": BOT}
    return {
        "update_id": 4,
        "my_chat_member": {
            "chat": chat,
            "from": ALICE,
            "date": 1,
            "old_chat_member": {"status": old, "user": me},
            "new_chat_member": {"status": new, "user": me},
        },
    }


def test_my_chat_member_join_and_leave() -> None:
    assert convert(_membership("left", "member")).kind is EventKind.JOINED_GROUP
    assert convert(_membership("left", "administrator")).kind is EventKind.JOINED_GROUP
    assert convert(_membership("member", "kicked")).kind is EventKind.LEFT_GROUP
    assert convert(_membership("administrator", "left")).kind is EventKind.LEFT_GROUP
    assert convert(_membership("member", "administrator")) is None  # a promotion
    assert convert(_membership("member", "kicked", chat=PRIVATE)).kind is EventKind.BLOCKED
    assert convert(_membership("kicked", "member", chat=PRIVATE)).kind is EventKind.UNBLOCKED


def test_accepts_a_telegram_update_object() -> None:
    bot = Bot("123:abc")
    update = Update.de_json(message("/start@HarborBot dm"), bot)
    assert update is not None
    event = convert_update(update, bot_username=BOT, bot_id=BOT_ID)
    assert event is not None
    assert (event.incoming.command, event.incoming.args) == ("start", "dm")
    assert event.incoming.member.display_name == "Alice B"


# --- replies -----------------------------------------------------------------------------

PRIVATE_REF = ChatRef("telegram", "11", private=True)
GROUP_REF = ChatRef("telegram", "-100123", private=False, thread_id="5")
ALICE_MEMBER = Member("telegram", "11", "Alice")


def test_plain_reply_is_unescaped_plain_text() -> None:
    text = "<b>not bold</b> & *not italic* _x_"
    (call,) = reply_calls(Reply(chat=PRIVATE_REF, text=text))
    assert call.method == "send_message"
    assert call.kwargs == {"chat_id": "11", "text": text}  # no parse_mode: nothing to escape


def test_group_reply_keeps_topic() -> None:
    (call,) = reply_calls(Reply(chat=GROUP_REF, text="hi"))
    assert call.kwargs["chat_id"] == "-100123"
    assert call.kwargs["message_thread_id"] == 5


def test_private_reply_goes_to_member_never_the_group() -> None:
    (call,) = reply_calls(Reply(chat=GROUP_REF, text="secret", private=True, member=ALICE_MEMBER))
    assert call.kwargs["chat_id"] == "11"
    assert "message_thread_id" not in call.kwargs
    assert reply_calls(Reply(chat=GROUP_REF, text="secret", private=True)) == []


def test_buttons_become_inline_keyboard_on_last_message() -> None:
    buttons = (
        (Button("Yes", data="y"), Button("No", data="n")),
        (Button("Open chat", url="https://t.me/HarborBot?start=dm"),),
    )
    calls = reply_calls(Reply(chat=PRIVATE_REF, text="x\n" * 3000, buttons=buttons))
    assert len(calls) == 2
    assert "reply_markup" not in calls[0].kwargs
    markup = calls[-1].kwargs["reply_markup"].to_dict()
    assert markup == {
        "inline_keyboard": [
            [{"text": "Yes", "callback_data": "y"}, {"text": "No", "callback_data": "n"}],
            [{"text": "Open chat", "url": "https://t.me/HarborBot?start=dm"}],
        ]
    }
    assert keyboard(()) is None


def test_split_at_line_boundaries() -> None:
    lines = [f"line {i:05d} " + "x" * 40 for i in range(300)]
    text = "\n".join(lines)
    pieces = split_text(text)
    assert len(pieces) > 1
    assert all(utf16_len(p) <= TEXT_LIMIT for p in pieces)
    # Every piece starts at a line start, and nothing is lost.
    assert all(p.startswith("line ") for p in pieces)
    assert "\n".join(pieces) == text


def test_split_exactly_at_limit_is_one_message() -> None:
    assert split_text("a" * TEXT_LIMIT) == ["a" * TEXT_LIMIT]


def test_split_overlong_line_and_emoji_counted_as_two() -> None:
    words = " ".join(["word"] * 2000)  # one 9999-character line
    pieces = split_text(words)
    assert all(utf16_len(p) <= TEXT_LIMIT for p in pieces)
    assert " ".join(pieces) == words
    emoji = "💙" * 3000  # 3000 characters, 6000 UTF-16 units, no spaces
    parts = split_text(emoji)
    assert [utf16_len(p) for p in parts] == [4096, 1904]
    assert "".join(parts) == emoji


def test_image_with_short_caption_and_buttons() -> None:
    buttons = ((Button("ok"),),)
    reply = Reply(chat=PRIVATE_REF, text="Your streak", image=b"\x89PNG", buttons=buttons)
    (call,) = reply_calls(reply)
    assert call.method == "send_photo"
    assert isinstance(call.kwargs["photo"], InputFile)
    assert call.kwargs["caption"] == "Your streak"
    assert call.kwargs["reply_markup"].to_dict()["inline_keyboard"][0][0]["callback_data"] == "ok"


def test_document_with_long_text_sends_text_separately() -> None:
    doc = Document("meetings.ics", b"BEGIN:VCALENDAR", "text/calendar")
    calls = reply_calls(Reply(chat=PRIVATE_REF, text="y" * 2000, document=doc))
    assert [c.method for c in calls] == ["send_document", "send_message"]
    assert "caption" not in calls[0].kwargs
    assert calls[0].kwargs["document"].filename == "meetings.ics"


def test_edit_reply() -> None:
    reply = Reply(chat=PRIVATE_REF, text="Saved", edit_message_id="42")
    (call,) = reply_calls(reply)
    assert call.method == "edit_message_text"
    assert call.kwargs == {"chat_id": "11", "message_id": 42, "text": "Saved"}
    # Too long to edit in place: new messages instead.
    long_edit = Reply(chat=PRIVATE_REF, text="z" * 5000, edit_message_id="42")
    assert {c.method for c in reply_calls(long_edit)} == {"send_message"}


# --- linked channels, anonymous admins, moderator rights ----------------------------------

CHANNEL = {"id": -100999, "type": "channel", "title": "Harbor News"}
TELEGRAM_SERVICE = {"id": 777000, "is_bot": False, "first_name": "Telegram"}


def test_linked_channel_posts_are_not_a_member_speaking() -> None:
    post = message("I want to end it all (a quote from our article)", chat=GROUP,
                   sender_chat=CHANNEL, is_automatic_forward=True)  # fmt: skip
    post["message"]["from"] = TELEGRAM_SERVICE
    assert convert(post) is None
    # Even without the flag, Telegram's service account is nobody to answer.
    bare = message("/start", chat=GROUP)
    bare["message"]["from"] = TELEGRAM_SERVICE
    assert convert(bare) is None


def test_anonymous_admins_are_keyed_per_group() -> None:
    anonymous = {"id": ANONYMOUS_ADMIN_ID, "is_bot": True, "first_name": "Group"}
    other = {"id": -100456, "type": "supergroup", "title": "Second Circle"}
    first = message("/community", chat=GROUP, sender_chat=GROUP, author_signature="Chair")
    second = message("/community", chat=other, sender_chat=other)
    first["message"]["from"] = second["message"]["from"] = anonymous
    a, b = convert(first), convert(second)
    assert a.member == Member("telegram", "anonymous-admin:-100123", "Chair")
    assert b.member == Member("telegram", "anonymous-admin:-100456", "Second Circle")
    assert not can_receive_private(a.member.user_id)
    assert can_receive_private("11")
    reply = Reply(chat=a.chat, text="private", private=True, member=a.member)
    assert reply_calls(reply) == []  # never the group in the member's place


@pytest.mark.parametrize(
    ("member", "expected"),
    [
        ({"status": "creator"}, True),
        ({"status": "administrator", "can_change_info": True}, True),
        ({"status": "administrator", "can_restrict_members": True}, True),
        ({"status": "administrator", "can_invite_users": True, "can_pin_messages": True}, False),
        ({"status": "member"}, False),
        ({"status": "restricted", "can_change_info": True}, False),
    ],
)
def test_who_moderates(member: dict[str, Any], expected: bool) -> None:
    assert moderates(member) is expected


def test_only_administrator_changes_refresh_the_moderators() -> None:
    def change(old: str, new: str) -> dict[str, Any]:
        return {"old_chat_member": {"status": old}, "new_chat_member": {"status": new}}

    assert not admin_change(change("left", "member"))  # a join
    assert not admin_change(change("member", "kicked"))
    assert admin_change(change("member", "administrator"))
    assert admin_change(change("administrator", "member"))
    assert admin_change(change("administrator", "administrator"))  # rights changed


# --- callback data and timeouts -----------------------------------------------------------


def test_callback_data_over_64_bytes_is_refused() -> None:
    chat = ChatRef("telegram", "11", True)
    fits = "x" * 64
    assert keyboard([[Button("ok", fits)]]) is not None
    with pytest.raises(CallbackDataTooLong) as info:
        reply_calls(Reply(chat=chat, text="pick", buttons=((Button("no", "y" * 71),),)))
    assert info.value.size == 71
    # Bytes, not characters: 22 three-byte characters are 66 bytes.
    with pytest.raises(CallbackDataTooLong):
        keyboard([[Button("ü", "set:" + "€" * 21)]])


def test_timed_out_sends_are_not_resent_when_they_may_have_arrived() -> None:
    maybe = timed_out_result("sendMessage", may_have_arrived=True)
    assert maybe.status is SendStatus.REJECTED and "may have been delivered" in maybe.detail
    never_left = timed_out_result("sendMessage", may_have_arrived=False)
    assert never_left.status is SendStatus.FAILED
    assert timed_out_result("editMessageText", may_have_arrived=True).status is SendStatus.FAILED
    assert RETRY_POLICY["sendMessage"] == 0 and RETRY_POLICY["getChatAdministrators"] > 0


def test_a_timed_out_crisis_reply_is_resent_even_if_it_may_have_arrived() -> None:
    # A second copy of the crisis lines is better than none.
    crisis = timed_out_result("sendMessage", may_have_arrived=True, crisis=True)
    assert crisis.status is SendStatus.FAILED
