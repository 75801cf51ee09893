"""WhatsApp Cloud API webhook payloads (channels/whatsapp/_parse.py) into events and receipts."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from whatsapp_fake_server import CUSTOMER_WA_ID, PHONE_NUMBER_ID, encode, fixture, value_of

from socialdesk.channels.base import AccountInfo, ParseError
from socialdesk.channels.whatsapp import WhatsAppChannel, phone_number_ids
from socialdesk.domain.types import DeliveryState


def account(external_id: str | None = PHONE_NUMBER_ID) -> AccountInfo:
    return AccountInfo(
        id=7, workspace_id=1, platform="whatsapp", handle="15550783881", external_id=external_id
    )


def parse(name: str) -> list:  # type: ignore[type-arg]
    return WhatsAppChannel().parse(account(), encode(fixture(name)))


def test_a_text_message_is_a_private_message_from_the_contact() -> None:
    [event] = parse("text")

    assert event.platform == "whatsapp"
    assert event.platform_message_id.startswith("wamid.")
    assert (event.visibility, event.direction, event.author_kind) == ("private", "in", "contact")
    assert event.text == "Hi, my order #88123 never arrived. Can you help?"
    assert event.author.external_id == CUSTOMER_WA_ID
    assert event.author.name == "Sheena Nelson"
    assert event.author.handle == f"+{CUSTOMER_WA_ID}"
    assert event.platform_time == datetime.fromtimestamp(1739321024, UTC)
    assert event.channel_account_id == 7
    assert event.reply_to_platform_id is None


def test_a_button_reply_keeps_its_choice_and_the_message_it_answers() -> None:
    [event] = parse("interactive_button_reply")

    assert event.text == "Track my order"
    assert event.attachments == [
        {"type": "button_reply", "id": "option-1", "title": "Track my order"}
    ]
    assert (
        event.reply_to_platform_id == "wamid.HBgLMTY1MDU1NTEyMzQVAgARGBI1RjQ3MEQ2NzQ3QzMxQjlEOTMA"
    )


def test_a_list_reply_keeps_its_description() -> None:
    [event] = parse("interactive_list_reply")

    assert event.text == "Ask for a refund"
    assert event.attachments[0]["type"] == "list_reply"
    assert event.attachments[0]["id"] == "refund"
    assert event.attachments[0]["description"] == "Money back to your card in 5 days"


def test_a_template_quick_reply_button_is_its_text_and_payload() -> None:
    [event] = parse("template_quick_reply")

    assert event.text == "Yes, call me"
    assert event.attachments == [
        {"type": "button", "payload": "Yes, call me", "text": "Yes, call me"}
    ]
    assert event.reply_to_platform_id is not None


def test_media_become_attachments_with_their_media_ids() -> None:
    image, document, voice = parse("media")

    assert image.text == "The box arrived like this"
    assert image.attachments == [
        {
            "type": "image",
            "id": "1003383421387256",
            "mime_type": "image/jpeg",
            "sha256": "pJ2ZyNU2yUhXlHsGpYXJPzFD/0Lqg6V4lnlEp+4d1dA=",
            "caption": "The box arrived like this",
        }
    ]
    assert document.text == ""
    assert document.attachments[0]["filename"] == "receipt-88123.pdf"
    assert document.attachments[0]["id"] == "1197390054924302"
    assert voice.attachments[0]["type"] == "audio"
    assert voice.attachments[0]["voice"] is True


def test_a_location_reads_as_its_name_and_keeps_coordinates() -> None:
    [event] = parse("location")

    assert event.text == "Location: Pickup point, 1 Hacker Way, Menlo Park, CA 94025"
    assert event.attachments[0]["latitude"] == pytest.approx(37.483307)
    assert event.attachments[0]["longitude"] == pytest.approx(-122.148981)


def test_a_reaction_answers_the_message_it_reacts_to() -> None:
    [event] = parse("reaction")

    assert event.text == "\N{THUMBS UP SIGN}"
    assert (
        event.reply_to_platform_id == "wamid.HBgLMTY1MDU1NTEyMzQVAgARGBI1RjQ3MEQ2NzQ3QzMxQjlEOTMA"
    )
    assert event.attachments[0]["type"] == "reaction"


def test_an_unsupported_message_is_kept_with_whatsapps_reason() -> None:
    [event] = parse("unsupported")

    assert event.text == "[unsupported message]"
    assert "131051" in event.attachments[0]["error"]
    assert "not supported" in event.attachments[0]["error"]


def test_statuses_are_receipts_not_messages() -> None:
    payload = encode(fixture("status_delivered"))

    assert WhatsAppChannel().parse(account(), payload) == []
    [receipt] = WhatsAppChannel().parse_receipts(account(), payload)
    assert receipt.platform_message_id == "wamid.OUTBOUND"
    assert receipt.state == DeliveryState.DELIVERED
    assert receipt.at == datetime.fromtimestamp(1739321031, UTC)
    assert receipt.error is None


def test_a_failed_status_carries_code_title_and_details() -> None:
    [receipt] = WhatsAppChannel().parse_receipts(account(), encode(fixture("status_failed")))

    assert receipt.state == DeliveryState.FAILED
    assert receipt.error is not None
    assert "131047" in receipt.error
    assert "send an approved template instead" in receipt.error
    assert "more than 24 hours have passed" in receipt.error


def test_unknown_status_values_move_nothing() -> None:
    payload = fixture("status_read")
    value_of(payload)["statuses"][0]["status"] = "deleted"

    assert WhatsAppChannel().parse_receipts(account(), encode(payload)) == []


def test_changes_of_another_phone_number_are_not_this_accounts() -> None:
    payload = fixture("text")
    value_of(payload)["metadata"]["phone_number_id"] = "999000111"

    assert WhatsAppChannel().parse(account(), encode(payload)) == []
    assert phone_number_ids(encode(payload)) == ["999000111"]
    assert len(WhatsAppChannel().parse(account(external_id=None), encode(payload))) == 1


def test_other_webhook_fields_are_ignored() -> None:
    payload = fixture("text")
    payload["entry"][0]["changes"][0]["field"] = "message_template_status_update"

    assert WhatsAppChannel().parse(account(), encode(payload)) == []


@pytest.mark.parametrize(
    ("body", "says"),
    [
        (b"not json", "not JSON"),
        (b"[]", "JSON object"),
        (b'{"object": "page", "entry": []}', "whatsapp_business_account"),
        (b'{"object": "whatsapp_business_account", "entry": {}}', "entry"),
    ],
)
def test_payloads_that_are_not_whatsapp_webhooks_are_parse_errors(body: bytes, says: str) -> None:
    with pytest.raises(ParseError, match=says):
        WhatsAppChannel().parse(account(), body)


def test_a_message_without_a_timestamp_is_a_parse_error() -> None:
    payload = fixture("text")
    del value_of(payload)["messages"][0]["timestamp"]

    with pytest.raises(ParseError, match="timestamp"):
        WhatsAppChannel().parse(account(), encode(payload))
