"""Private forms (Discord modals) and images through the one message shape: the pure
converters with canned JSON, and the outbox round trip of an image with its alt text."""

from __future__ import annotations

import json

import pytest

from adapters import discord_convert as convert
from adapters.console import ConsoleAdapter
from bot.kernel.clock import ManualClock
from bot.kernel.outbox import encode, planned, reply_for
from bot.kernel.runtime import Harbor
from bot.kernel.types import ChatRef, EventKind, Form, Member, Reply
from storage.rows import OutboxRow
from storage.sql.store import SQLStore

GUILD = "910000000000000001"
CHANNEL = "920000000000000001"
USER = {"id": "940000000000000002", "username": "sam", "global_name": "Sam"}


def _submit(components: list[dict[str, object]], *, guild: bool = True) -> dict[str, object]:
    payload: dict[str, object] = {
        "id": "1234",
        "type": convert.INTERACTION_MODAL_SUBMIT,
        "channel_id": CHANNEL,
        "channel": {"id": CHANNEL, "type": 0, "name": "general"},
        "locale": "en-GB",
        "data": {"custom_id": "rsn:add", "components": components},
    }
    if guild:
        payload["guild_id"] = GUILD
        payload["member"] = {"user": USER, "roles": [], "permissions": "0"}
    else:
        payload["user"] = USER
    return payload


def test_a_submitted_form_becomes_a_form_event_in_the_action_row_layout() -> None:
    rows = [{"type": 1, "components": [{"type": 4, "custom_id": "text", "value": "my kids"}]}]
    event = convert.incoming_from_interaction(_submit(rows))
    assert event is not None
    assert event.kind is EventKind.FORM
    assert (event.button, event.text) == ("rsn:add", "my kids")
    assert event.interaction == "1234" and event.locale == "en-GB"
    assert not event.chat.private and event.chat.guild_id == GUILD


def test_a_submitted_form_in_the_label_layout_and_in_a_dm() -> None:
    labels = [{"type": 18, "component": {"type": 4, "custom_id": "text", "value": "مريم"}}]
    event = convert.incoming_from_interaction(_submit(labels, guild=False))
    assert event is not None and event.kind is EventKind.FORM
    assert event.text == "مريم" and event.chat.private


def test_a_form_without_a_value_gives_empty_text() -> None:
    event = convert.incoming_from_interaction(_submit([]))
    assert event is not None and event.text == ""


def test_modal_spec_keeps_within_discords_limits() -> None:
    form = Form(
        data="ci:note:2026-11-25:-" + "x" * 200,
        title="A very long title that goes on and on beyond forty-five characters",
        label="L" * 80,
        placeholder="p" * 300,
        max_length=99_999,
        value="v" * 5000,
    )
    spec = convert.modal_spec(form)
    assert len(spec.custom_id) <= 100 and len(spec.title) <= 45 and spec.title.endswith("…")
    assert len(spec.label) <= 45 and len(spec.placeholder) <= 100
    assert spec.max_length == 4000 and len(spec.value) == 4000
    body = convert.modal_json(spec)
    field = body["components"][0]["components"][0]
    assert body["custom_id"] == spec.custom_id and field["custom_id"] == convert.FORM_INPUT_ID
    assert field["type"] == 4 and field["style"] == 2 and field["required"] is True


def test_an_image_keeps_its_alt_text_to_discord() -> None:
    reply = Reply(
        chat=ChatRef("discord", USER["id"], private=True),
        text="Congratulations!",
        image=b"\x89PNG",
        image_alt="A green keytag: 60 days",
    )
    (message,) = convert.render(reply)
    assert [(f.filename, f.description) for f in message.files] == [
        ("image.png", "A green keytag: 60 days")
    ]


def _row(body: str, *, private: bool = True) -> OutboxRow:
    return OutboxRow(
        id=1,
        dedupe_key="milestone:1:2026-01-01:30d",
        kind="milestone",
        platform="telegram",
        chat_id="11",
        private=private,
        thread_id=None,
        member_id=1,
        subject_id=None,
        body=body,
        priority=1,
        due_at=0,
        stale_at=None,
        expires_at=None,
        attempts=0,
        user_id="11",
        display_name="Alice",
        dm_channel_id=None,
    )


def test_an_image_and_its_alt_text_survive_the_outbox() -> None:
    png = bytes(range(256)) * 40
    reply = Reply(
        chat=ChatRef("telegram", "11", private=True),
        text="🎉 30 days",
        image=png,
        image_alt="An orange keytag: 30 days",
        private=True,
        member=Member("telegram", "11", "Alice"),
    )
    item = planned(reply, key="milestone:1:2026-01-01:30d", kind="milestone", due=0)
    back = reply_for(_row(item.body))
    assert back.image == png and back.image_alt == "An orange keytag: 30 days"
    assert back.text == "🎉 30 days"


def test_rows_written_before_alt_text_existed_still_read() -> None:
    old = json.loads(encode(Reply(chat=ChatRef("telegram", "11", private=True), text="x")))
    old["image"] = "iVBORw=="
    back = reply_for(_row(json.dumps(old)))
    assert back.image is not None and back.image_alt == ""


def test_no_alt_text_is_stored_without_an_image() -> None:
    body = json.loads(
        encode(Reply(chat=ChatRef("telegram", "11", private=True), text="x", image_alt="y"))
    )
    assert "image_alt" not in body and "image" not in body


# -- the console, Discord-like: forms open and answer as they do on Discord ----------------


@pytest.fixture
async def discord_console(harbor: Harbor, clock: ManualClock) -> ConsoleAdapter:
    adapter = ConsoleAdapter(clock=clock, on_time=harbor.tick, discord_like=True)
    harbor.attach(adapter)
    await adapter.start(harbor.core)
    return adapter


async def test_a_discord_like_console_opens_a_form_and_takes_its_answer(
    discord_console: ConsoleAdapter, store: SQLStore
) -> None:
    await discord_console.push(":group recovery")
    (opened,) = await discord_console.push("/reasons add")
    assert opened.form is not None and opened.form.data == "rsn:add"
    assert opened.to == "Alex (only you)"
    said = await discord_console.push(":form to be there for my sister")
    assert said[0].to == "Alex (only you, in recovery)" and "Kept" in said[0].text
    assert [s for s in said if s.to == "group recovery"] == []  # nothing in the channel
    member = await store.members.find("console", "alex")
    assert member is not None
    assert [r.text for r in await store.recovery.reasons(member.id)] == [
        "to be there for my sister"
    ]
    assert await discord_console.push(":form again") == []  # no form open any more


async def test_without_forms_the_question_goes_to_the_private_chat(
    console: ConsoleAdapter,
) -> None:
    (asked,) = await console.push("/reasons add")
    assert asked.form is None and "Send it here as a message" in asked.text
