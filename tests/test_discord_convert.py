"""Pure conversion between Discord payloads and neutral types, with canned JSON."""

from __future__ import annotations

import json
from typing import Any

import pytest

from adapters import discord_convert as dc
from bot.kernel.types import Button, ChatRef, Document, EventKind, Member, Reply, SendStatus

BOT = "100"
GUILD = "200"
CHANNEL = "300"
USER = {"id": "400", "username": "sam", "global_name": "Sam", "discriminator": "0"}


def message(content: str, *, guild: bool = True, **extra: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "id": "500",
        "channel_id": CHANNEL,
        "author": USER,
        "content": content,
        "mentions": [],
        "attachments": [],
        "type": 0,
    }
    if guild:
        data["guild_id"] = GUILD
        data["member"] = {"roles": ["600"], "nick": "Sammy"}
    data.update(extra)
    return data


def interaction(kind: int, data: dict[str, Any], *, guild: bool = True, perms: int = 0) -> Any:
    payload: dict[str, Any] = {"id": "700", "type": kind, "data": data, "channel_id": CHANNEL}
    if guild:
        payload["guild_id"] = GUILD
        payload["member"] = {"user": USER, "roles": ["600"], "permissions": str(perms)}
        payload["channel"] = {"id": CHANNEL, "type": 0, "name": "general"}
    else:
        payload["user"] = USER
        payload["channel"] = {"id": "800", "type": 1}
    return payload


# --- messages --------------------------------------------------------------------------


def test_guild_message() -> None:
    incoming = dc.incoming_from_message(message("hello all"), bot_user_id=BOT)
    assert incoming is not None
    assert incoming.chat == ChatRef("discord", CHANNEL, False, guild_id=GUILD)
    assert incoming.chat.community_id == GUILD
    assert incoming.member == Member("discord", "400", "Sammy")
    assert incoming.text == "hello all"
    assert incoming.message_id == "500"
    assert not incoming.mentioned
    assert not incoming.is_moderator


def test_dm_is_private_keyed_by_user_and_addressed_to_the_bot() -> None:
    incoming = dc.incoming_from_message(message("hi", guild=False), bot_user_id=BOT)
    assert incoming is not None
    assert incoming.chat == ChatRef("discord", "400", True)
    assert incoming.member.display_name == "Sam"
    assert incoming.mentioned


@pytest.mark.parametrize(
    "extra",
    [
        {"content": f"<@{BOT}> how do I check in?", "mentions": [{"id": BOT}]},
        {"content": f"<@!{BOT}> how do I check in?"},
        {"content": "how do I check in?", "referenced_message": {"author": {"id": BOT}}},
    ],
)
def test_mentions_and_replies_to_the_bot(extra: dict[str, Any]) -> None:
    incoming = dc.incoming_from_message({**message(""), **extra}, bot_user_id=BOT)
    assert incoming is not None
    assert incoming.mentioned
    assert incoming.text == "how do I check in?"


@pytest.mark.parametrize(
    "extra",
    [
        {"author": {**USER, "bot": True}},
        {"webhook_id": "1"},
        {"type": 7},  # member join system message
        {"author": {**USER, "id": BOT}},
    ],
)
def test_ignored_messages(extra: dict[str, Any]) -> None:
    assert dc.incoming_from_message(message("x", **extra), bot_user_id=BOT) is None


def test_an_edit_is_scanned_once_per_edit_and_never_run() -> None:
    edited = {"edited_timestamp": "2026-11-25T12:01:00+00:00"}
    incoming = dc.incoming_from_edit(message("/forget now", **edited), bot_user_id=BOT)
    assert incoming is not None and incoming.edited and incoming.text == "/forget now"
    assert incoming.command is None and incoming.attachment is None
    assert incoming.event_id == "edit:500:2026-11-25T12:01:00+00:00"
    # Discord unfurling a link's preview is no edit; nor is anything a bot wrote.
    assert dc.incoming_from_edit(message("x", edited_timestamp=None), bot_user_id=BOT) is None
    bot_author = {**USER, "bot": True}
    assert dc.incoming_from_edit(message("x", author=bot_author, **edited), bot_user_id=BOT) is None
    assert dc.incoming_from_edit(message("", **edited), bot_user_id=BOT) is None


def test_thread_message_keeps_parent_and_thread() -> None:
    incoming = dc.incoming_from_message(
        message("in a thread"), bot_user_id=BOT, parent_channel_id="301"
    )
    assert incoming is not None
    assert incoming.chat.chat_id == "301"
    assert incoming.chat.thread_id == CHANNEL


def test_attachment_metadata() -> None:
    payload = message("", attachments=[{"filename": "a.pdf", "content_type": "application/pdf"}])
    incoming = dc.incoming_from_message(payload, bot_user_id=BOT)
    assert incoming is not None
    assert incoming.attachment == Document("a.pdf", b"", "application/pdf")
    assert dc.message_attachment(payload) == dc.AttachmentRef("a.pdf", "application/pdf", None, "")
    assert dc.message_attachment(message("no file")) is None


@pytest.mark.parametrize(
    ("roles", "expected"),
    [
        ({"600": dc.MANAGE_GUILD}, True),
        ({"600": dc.ADMINISTRATOR}, True),
        ({"600": 1 << 13}, False),  # Manage Messages alone is not enough
        ({"@everyone": dc.ADMINISTRATOR}, True),
        ({"999": dc.ADMINISTRATOR}, False),  # a role the member does not hold
    ],
)
def test_moderator_from_cached_roles(roles: dict[str, int], expected: bool) -> None:
    incoming = dc.incoming_from_message(message("x"), bot_user_id=BOT, role_permissions=roles)
    assert incoming is not None
    assert incoming.is_moderator is expected


def test_moderator_by_role_id_or_ownership() -> None:
    by_role = dc.incoming_from_message(message("x"), bot_user_id=BOT, moderator_role_id="600")
    owner = dc.incoming_from_message(message("x"), bot_user_id=BOT, owner_id="400")
    dm = dc.incoming_from_message(message("x", guild=False), bot_user_id=BOT, owner_id="400")
    assert by_role is not None and by_role.is_moderator
    assert owner is not None and owner.is_moderator
    assert dm is not None and not dm.is_moderator


# --- interactions ----------------------------------------------------------------------


def test_slash_command_with_args() -> None:
    data = {"name": "CheckIn", "options": [{"name": "args", "type": 3, "value": " 7 calm "}]}
    incoming = dc.incoming_from_interaction(interaction(2, data))
    assert incoming is not None
    assert incoming.command == "checkin"
    assert incoming.args == "7 calm"
    assert incoming.text == "/checkin 7 calm"
    assert incoming.chat == ChatRef("discord", CHANNEL, False, "general", guild_id=GUILD)
    assert incoming.kind is EventKind.MESSAGE


FEED_URL = "https://cdn.discordapp.com/attachments/300/1234/feed.json?ex=1&is=2&hm=3"
FEED_ATTACHMENT: dict[str, Any] = {
    "id": "1234",
    "filename": "feed.json",
    "size": 2048,
    "url": FEED_URL,
    "proxy_url": "https://media.discordapp.net/attachments/300/1234/feed.json",
    "content_type": "application/json; charset=utf-8",
}


def test_slash_command_with_attached_file() -> None:
    data = {
        "name": "meeting",
        "type": 1,
        "options": [
            {"name": "args", "type": 3, "value": "import"},
            {"name": "file", "type": 11, "value": "1234"},
        ],
        "resolved": {"attachments": {"1234": FEED_ATTACHMENT}},
    }
    payload = interaction(2, data, perms=dc.MANAGE_GUILD)
    incoming = dc.incoming_from_interaction(payload)
    assert incoming is not None
    assert (incoming.command, incoming.args) == ("meeting", "import")
    assert incoming.text == "/meeting import"
    assert incoming.is_moderator
    # Metadata only: the bytes are the adapter's to fetch, from the URL.
    assert incoming.attachment == Document("feed.json", b"", "application/json; charset=utf-8")
    ref = dc.interaction_attachment(payload)
    assert ref == dc.AttachmentRef("feed.json", "application/json; charset=utf-8", 2048, FEED_URL)
    assert ref.document(b"[]") == Document("feed.json", b"[]", "application/json; charset=utf-8")


def test_attachment_option_edge_cases() -> None:
    only_file = {
        "name": "meeting",
        "options": [{"name": "file", "type": 11, "value": "1234"}],
        "resolved": {"attachments": {"1234": {"id": "1234", "filename": "x", "url": "u"}}},
    }
    incoming = dc.incoming_from_interaction(interaction(2, only_file, guild=False))
    assert incoming is not None and incoming.args == "" and incoming.text == "/meeting"
    assert dc.interaction_attachment(interaction(2, only_file)) == dc.AttachmentRef(
        "x", "application/octet-stream", None, "u"
    )
    unresolved = {"name": "meeting", "options": [{"name": "file", "type": 11, "value": "9"}]}
    assert dc.interaction_attachment(interaction(2, unresolved)) is None
    missing = dc.incoming_from_interaction(interaction(2, unresolved))
    assert missing is not None and missing.attachment is None
    assert dc.interaction_attachment(interaction(2, {"name": "help"})) is None
    button = interaction(3, {"custom_id": "x", "component_type": 2, **only_file})
    assert dc.interaction_attachment(button) is None


def test_slash_command_without_args_in_dm() -> None:
    incoming = dc.incoming_from_interaction(interaction(2, {"name": "help"}, guild=False))
    assert incoming is not None
    assert incoming.command == "help"
    assert incoming.args == ""
    assert incoming.chat == ChatRef("discord", "400", True)
    assert not incoming.is_moderator


@pytest.mark.parametrize(
    ("perms", "role", "expected"),
    [
        (dc.MANAGE_GUILD, None, True),
        (dc.ADMINISTRATOR | 1024, None, True),
        (1024, None, False),
        (1024, "600", True),
        (1024, "601", False),
    ],
)
def test_interaction_moderator(perms: int, role: str | None, expected: bool) -> None:
    payload = interaction(2, {"name": "announce"}, perms=perms)
    incoming = dc.incoming_from_interaction(payload, moderator_role_id=role)
    assert incoming is not None
    assert incoming.is_moderator is expected


def test_button_press() -> None:
    payload = interaction(3, {"custom_id": "ci:good", "component_type": 2})
    payload["message"] = {"id": "555"}
    incoming = dc.incoming_from_interaction(payload)
    assert incoming is not None
    assert incoming.kind is EventKind.BUTTON
    assert incoming.button == "ci:good"
    assert incoming.message_id == "555"


def test_thread_interaction() -> None:
    payload = interaction(2, {"name": "checkin"})
    payload["channel"] = {"id": CHANNEL, "type": 11, "parent_id": "301", "name": "t"}
    incoming = dc.incoming_from_interaction(payload)
    assert incoming is not None
    assert (incoming.chat.chat_id, incoming.chat.thread_id) == ("301", CHANNEL)


def test_other_interactions_are_ignored() -> None:
    assert dc.incoming_from_interaction(interaction(4, {"name": "x"})) is None  # autocomplete
    select = interaction(3, {"custom_id": "s", "component_type": 3})
    assert dc.incoming_from_interaction(select) is None


LONE = json.loads('"\\ud800"')  # a lone surrogate, as a JSON decoder hands it over


def test_lone_surrogates_from_discord_become_replacement_characters() -> None:
    """Half an emoji in a name, a message, a channel name, an argument, a form or a file
    name: cleaned in the converter, so storage and replies never fail on it."""
    payload = message(
        f"<@{BOT}> hi {LONE}",
        author={**USER, "global_name": f"Sam{LONE}"},
        attachments=[{"filename": f"f{LONE}.json", "url": f"https://cdn/{LONE}"}],
    )
    payload["member"] = {"roles": ["600"], "nick": "\udfffSammy"}
    incoming = dc.incoming_from_message(payload, bot_user_id=BOT, channel_title=f"gen{LONE}")
    assert incoming is not None
    assert incoming.text == "hi \ufffd" and incoming.mentioned
    assert incoming.member.display_name == "\ufffdSammy"
    assert incoming.chat.title == "gen\ufffd"
    assert incoming.attachment is not None and incoming.attachment.filename == "f\ufffd.json"
    ref = dc.message_attachment(payload)
    assert ref is not None and ref.filename == "f\ufffd.json"
    command = interaction(2, {"name": "sober", "options": [{"name": "args", "value": LONE}]})
    command["member"]["nick"] = f"S{LONE}"
    command["channel"]["name"] = f"c{LONE}"
    incoming = dc.incoming_from_interaction(command)
    assert incoming is not None
    assert (incoming.args, incoming.text) == ("\ufffd", "/sober \ufffd")
    assert (incoming.member.display_name, incoming.chat.title) == ("S\ufffd", "c\ufffd")
    button = interaction(3, {"custom_id": f"ci:{LONE}", "component_type": 2}, guild=False)
    incoming = dc.incoming_from_interaction(button)
    assert incoming is not None and incoming.button == "ci:\ufffd"
    form = {
        "custom_id": f"why:{LONE}",
        "components": [{"type": 1, "components": [{"type": 4, "value": f"a{LONE}b"}]}],
    }
    incoming = dc.incoming_from_interaction(interaction(dc.INTERACTION_MODAL_SUBMIT, form))
    assert incoming is not None
    assert (incoming.button, incoming.text) == ("why:\ufffd", "a\ufffdb")


# --- commands --------------------------------------------------------------------------


def test_commands_hash_changes_with_what_a_sync_would_send() -> None:
    one = [{"name": "checkin", "description": "Daily check-in"}]
    same = dc.commands_hash(one, application_id="1", scope="global")
    assert same == dc.commands_hash([dict(one[0])], application_id="1", scope="global")
    reworded = [{"name": "checkin", "description": "Check in"}]
    assert dc.commands_hash(reworded, application_id="1", scope="global") != same
    assert dc.commands_hash(one, application_id="2", scope="global") != same
    assert dc.commands_hash(one, application_id="1", scope="guild:5") != same


def test_discord_locales_and_languages() -> None:
    assert dc.language_of("es-419") == dc.language_of("es-ES") == "es"
    assert dc.language_of("en-US") == "en"
    assert dc.DISCORD_LOCALES["es"] == ("es-ES", "es-419")


# --- outgoing --------------------------------------------------------------------------


def test_split_content_prefers_line_breaks_and_keeps_words() -> None:
    text = "a" * 1500 + "\n" + "b" * 1000
    assert dc.split_content(text) == ["a" * 1500, "b" * 1000]
    words = ("word " * 1000).strip()
    pieces = dc.split_content(words)
    assert all(len(p) <= 2000 for p in pieces)
    assert " ".join(pieces) == words
    assert dc.split_content("x" * 4001) == ["x" * 2000, "x" * 2000, "x"]
    assert dc.split_content("") == [""]


def test_nonce_is_stable_short_and_per_piece() -> None:
    key = "outbox-" + "9" * 100
    assert dc.nonce_for(key) == dc.nonce_for(key)
    assert dc.nonce_for(key) != dc.nonce_for("outbox-2")
    assert len(dc.nonce_for(key, 0) or "") <= 25
    assert len(dc.nonce_for(key, 99) or "") <= 25
    assert dc.nonce_for(key, 1) != dc.nonce_for(key, 0)
    assert dc.nonce_for(None) is None


def test_render_reply() -> None:
    chat = ChatRef("discord", CHANNEL, False, guild_id=GUILD)
    reply = Reply(
        chat=chat,
        text="x" * 2500,
        buttons=(
            (Button("Yes", "q:yes"), Button("No", "q:no")),
            (Button("Open", url="https://discord.com/users/100"),),
        ),
        image=b"png",
        document=Document("log.csv", b"a,b", "text/csv"),
        dedupe_key="k",
    )
    first, last = dc.render(reply)
    assert (len(first.content), len(last.content)) == (2000, 500)
    assert first.buttons == () and first.files == ()
    assert [f.filename for f in last.files] == ["image.png", "log.csv"]
    assert first.nonce == dc.nonce_for("k", 0) and last.nonce == dc.nonce_for("k", 1)
    assert dc.components_json(last.buttons) == [
        {
            "type": 1,
            "components": [
                {"type": 2, "label": "Yes", "style": 2, "custom_id": "q:yes"},
                {"type": 2, "label": "No", "style": 2, "custom_id": "q:no"},
            ],
        },
        {
            "type": 1,
            "components": [
                {"type": 2, "label": "Open", "style": 5, "url": "https://discord.com/users/100"}
            ],
        },
    ]


@pytest.mark.parametrize(
    ("status", "code", "expected"),
    [
        (403, 50007, SendStatus.BLOCKED),
        (403, 50013, SendStatus.REJECTED),  # missing permissions: not a blocked member
        (404, 10003, SendStatus.REJECTED),
        (403, 40003, SendStatus.RETRY_AFTER),  # opening DMs too fast: later
        (404, 10062, SendStatus.EXPIRED),  # the interaction's deadline passed
        (429, 0, SendStatus.RETRY_AFTER),
        (500, 0, SendStatus.FAILED),
        (503, 0, SendStatus.FAILED),
        (400, 50035, SendStatus.REJECTED),
        (401, 0, SendStatus.REJECTED),
    ],
)
def test_error_mapping(status: int, code: int, expected: SendStatus) -> None:
    assert dc.result_for_error(status, code, 2.5).status is expected
    assert dc.is_cannot_dm(status, code) is (status == 403 and code == 50007)


# --- markdown, per-community moderator roles ------------------------------------------


def test_member_text_never_renders_as_markdown_or_a_disguised_link() -> None:
    member = Member("discord", "400", "[Support team](https://evil.example)")
    reply = Reply(
        chat=ChatRef("discord", "300", False, guild_id="200"),
        text=f"{member.display_name} invited you to be check-in buddies. *Accept?* ||yes||",
    )
    [out] = dc.render(reply)
    assert out.content == (
        "\\[Support team\\](https://evil.example) invited you to be check-in buddies. "
        "\\*Accept?\\* \\|\\|yes\\|\\|"
    )


def test_escaping_keeps_addresses_timestamps_and_plain_text() -> None:
    text = "Join: https://zoom.us/j/1_2?pwd=a_b\nNext: <t:1764000000:f> (<t:1764000000:R>)"
    assert dc.escape_markdown(text) == text
    assert dc.escape_markdown("# Heading\n- item\n> quote") == "\\# Heading\n\\- item\n\\> quote"
    assert dc.escape_markdown("19:00, 2026-10-01, day 45") == "19:00, 2026-10-01, day 45"


def test_community_moderator_role() -> None:
    payload = interaction(2, {"name": "community"}, perms=1024)
    mod = dc.incoming_from_interaction(payload, moderator_roles={"600"})
    other = dc.incoming_from_interaction(payload, moderator_roles={"601"})
    assert mod is not None and mod.is_moderator
    assert other is not None and not other.is_moderator
    msg = dc.incoming_from_message(message("x"), bot_user_id=BOT, moderator_roles=["600"])
    assert msg is not None and msg.is_moderator
