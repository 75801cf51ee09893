"""Telegram updates (fixtures written from core.telegram.org/bots/api) into inbound events."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import pytest
from telegram_fake_server import CUSTOMER_ID, fixture

from socialdesk.channels.base import AccountInfo, ParseError
from socialdesk.channels.telegram import TelegramChannel, callback_query_id
from socialdesk.pipeline.events import InboundEvent

ACCOUNT = AccountInfo(
    id=7, workspace_id=1, platform="telegram", handle="acme_care_bot", external_id="7012345678"
)


def parse(update: dict[str, Any] | bytes) -> list[InboundEvent]:
    body = update if isinstance(update, bytes) else json.dumps(update).encode()
    return TelegramChannel().parse(ACCOUNT, body)


def test_a_private_message_is_a_private_event_from_its_author() -> None:
    [event] = parse(fixture("message"))

    assert event.platform == "telegram"
    assert event.platform_message_id == f"{CUSTOMER_ID}:1365"
    assert event.visibility == "private"
    assert event.direction == "in"
    assert event.channel_account_id == 7
    assert event.text.startswith("Hi! My fibre box shows a red light")
    assert event.platform_time == datetime(2025, 5, 19, 14, 0, tzinfo=UTC)
    assert event.author.external_id == CUSTOMER_ID
    assert event.author.handle == "dana_k"
    assert event.author.name == "Dana Kowalski"
    assert event.reply_to_platform_id is None
    assert event.attachments == []


def test_a_reply_links_to_the_message_it_answers_in_the_same_chat() -> None:
    [event] = parse(fixture("reply_to_bot"))

    assert event.platform_message_id == f"{CUSTOMER_ID}:1368"
    assert event.reply_to_platform_id == f"{CUSTOMER_ID}:1367"


def test_a_user_without_last_name_or_username_keeps_what_there_is() -> None:
    update = fixture("message")
    del update["message"]["from"]["last_name"]
    del update["message"]["from"]["username"]

    [event] = parse(update)

    assert (event.author.name, event.author.handle) == ("Dana", None)


def test_a_button_press_is_the_customers_message_with_the_buttons_label() -> None:
    [event] = parse(fixture("callback_query"))

    assert event.platform_message_id == "callback:4382bfdwdsb323b2d9"
    assert event.text == "No, still a red light"
    assert event.visibility == "private"
    assert event.author.external_id == CUSTOMER_ID
    # It answers the message that carried the keyboard.
    assert event.reply_to_platform_id == f"{CUSTOMER_ID}:1369"
    assert event.attachments == [{"type": "button_press", "data": "No, still a red light"}]


def test_a_button_whose_data_was_cut_to_64_bytes_reads_as_its_full_label() -> None:
    update = fixture("callback_query")
    label = "Please call me back tomorrow morning between nine and eleven o'clock"
    data = label.encode()[:64].decode()
    update["callback_query"]["message"]["reply_markup"]["inline_keyboard"] = [
        [{"text": label, "callback_data": data}]
    ]
    update["callback_query"]["data"] = data

    [event] = parse(update)

    assert event.text == label


def test_a_press_on_a_keyboard_we_cannot_see_uses_the_data() -> None:
    update = fixture("callback_query")
    del update["callback_query"]["message"]["reply_markup"]

    [event] = parse(update)

    assert event.text == "No, still a red light"


def test_an_edit_is_a_new_message_that_points_at_the_first_version() -> None:
    [event] = parse(fixture("edited_message"))

    assert event.platform_message_id == f"{CUSTOMER_ID}:1365:edited:1747663260"
    assert "blinking red light" in event.text
    assert event.platform_time == datetime.fromtimestamp(1747663260, UTC)
    assert event.attachments[0] == {
        "type": "edit",
        "original_platform_message_id": f"{CUSTOMER_ID}:1365",
    }


def test_a_photo_keeps_its_caption_and_the_largest_size() -> None:
    [event] = parse(fixture("photo"))

    assert event.text == "This is what the box looks like"
    assert event.attachments == [{"type": "photo", "file_id": "AgACAgQAAxkBAAIBQ2ZlargeAAE"}]


@pytest.mark.parametrize("name", ["group_message", "channel_post", "my_chat_member", "start"])
def test_groups_channels_and_other_updates_are_not_care_messages(name: str) -> None:
    events = parse(fixture(name))

    if name == "start":  # a private /start is the customer's first message
        assert [e.text for e in events] == ["/start"]
    else:
        assert events == []


def test_a_button_press_in_a_group_is_ignored() -> None:
    update = fixture("callback_query")
    update["callback_query"]["message"]["chat"] = {"id": -1001234567890, "type": "supergroup"}

    assert parse(update) == []


@pytest.mark.parametrize(
    "body",
    [
        b"not json",
        b"[]",
        b'{"message": {}}',
        b'{"update_id": "1", "message": {}}',
        b'{"update_id": 1, "message": "hello"}',
        b'{"update_id": 1, "message": {"message_id": 1, "date": 1, "chat": {"id": 5, '
        b'"type": "private"}, "text": "no author"}}',
        b'{"update_id": 1, "message": {"message_id": 1, "date": 1, "from": {"id": 5}}}',
        b'{"update_id": 1, "callback_query": {"from": {"id": 5}, "data": "x"}}',
    ],
)
def test_payloads_that_are_not_documented_updates_are_parse_errors(body: bytes) -> None:
    with pytest.raises(ParseError):
        parse(body)


def test_callback_query_id_is_found_only_in_button_presses() -> None:
    assert callback_query_id(json.dumps(fixture("callback_query")).encode()) == (
        "4382bfdwdsb323b2d9"
    )
    assert callback_query_id(json.dumps(fixture("message")).encode()) is None
