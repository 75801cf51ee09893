"""Twilio's form-encoded webhooks (fixtures written from Twilio's docs) into inbound events
and delivery receipts."""

from __future__ import annotations

from urllib.parse import urlencode

import pytest
from twilio_fake_server import BRAND_NUMBER, CUSTOMER_NUMBER, fixture, replace

from socialdesk.channels.base import AccountInfo, ParseError
from socialdesk.channels.sms import SmsChannel
from socialdesk.domain.types import DeliveryState

ACCOUNT = AccountInfo(
    id=4, workspace_id=1, platform="sms", handle=BRAND_NUMBER, external_id=BRAND_NUMBER
)


def body(params: list[tuple[str, str]]) -> bytes:
    return urlencode(params).encode()


def test_an_incoming_sms_is_a_private_message_from_the_number() -> None:
    channel = SmsChannel()
    [event] = channel.parse(ACCOUNT, body(fixture("inbound_sms")))

    assert event.platform == "sms"
    assert event.platform_message_id == "SM3f9a1c2b7d4e4c0a9b8e5d6f7a8b9c0d"
    assert event.visibility == "private"
    assert event.text == "Hi, my internet has been down since 7am. Account 4471-22."
    assert event.author.external_id == CUSTOMER_NUMBER
    assert event.author.handle == CUSTOMER_NUMBER
    assert event.attachments == []
    assert channel.parse_receipts(ACCOUNT, body(fixture("inbound_sms"))) == []


def test_an_mms_keeps_its_media_urls_and_types() -> None:
    [event] = SmsChannel().parse(ACCOUNT, body(fixture("inbound_mms")))

    assert [a["type"] for a in event.attachments] == ["image/jpeg", "image/png"]
    assert all(a["url"].startswith("https://api.twilio.com/") for a in event.attachments)


def test_a_sender_written_nationally_is_normalised_with_the_accounts_country() -> None:
    account = AccountInfo(
        id=4,
        workspace_id=1,
        platform="sms",
        handle=BRAND_NUMBER,
        external_id=BRAND_NUMBER,
        settings={"default_country_code": "44"},
    )
    params = replace(fixture("inbound_sms"), From="07700 900123")

    [event] = SmsChannel().parse(account, body(params))

    assert event.author.external_id == "+447700900123"


def test_a_short_code_sender_is_kept_as_given() -> None:
    [event] = SmsChannel().parse(ACCOUNT, body(replace(fixture("inbound_sms"), From="72345")))

    assert event.author.external_id == "72345"


def test_a_delivered_status_is_a_receipt_and_no_message() -> None:
    channel = SmsChannel()
    payload = body(fixture("status_delivered"))

    assert channel.parse(ACCOUNT, payload) == []
    [receipt] = channel.parse_receipts(ACCOUNT, payload)
    assert receipt.platform_message_id == "SMa1b2c3d4e5f60718293a4b5c6d7e8f90"
    assert receipt.state == DeliveryState.DELIVERED
    assert receipt.error is None


def test_an_undelivered_status_fails_with_twilios_error_code_explained() -> None:
    [receipt] = SmsChannel().parse_receipts(ACCOUNT, body(fixture("status_undelivered")))

    assert receipt.state == DeliveryState.FAILED
    assert receipt.error == (
        "Twilio reports the SMS undelivered: error 30003, unreachable destination handset "
        "(https://www.twilio.com/docs/errors/30003)"
    )


@pytest.mark.parametrize(
    ("status", "state"),
    [
        ("queued", DeliveryState.QUEUED),
        ("sent", DeliveryState.SENT),
        ("read", DeliveryState.READ),
        ("failed", DeliveryState.FAILED),
    ],
)
def test_statuses_map_to_delivery_states(status: str, state: DeliveryState) -> None:
    params = replace(fixture("status_delivered"), MessageStatus=status, SmsStatus=status)

    [receipt] = SmsChannel().parse_receipts(ACCOUNT, body(params))

    assert receipt.state == state


def test_an_unknown_status_is_no_receipt() -> None:
    params = replace(fixture("status_delivered"), MessageStatus="partially_delivered")

    assert SmsChannel().parse_receipts(ACCOUNT, body(params)) == []


@pytest.mark.parametrize(
    "payload",
    [
        b"",
        b"\xff\xfe",
        b"From=%2B14155550199&Body=hi",  # no MessageSid
        b"MessageSid=SM1&Body=hi",  # no From
        b"MessageSid=SM1&From=%2B14155550199",  # neither Body nor NumMedia
        b"MessageSid=SM1&From=%2B14155550199&Body=hi&NumMedia=two",
        b"MessageStatus=delivered",  # a status without MessageSid
    ],
)
def test_bodies_that_are_not_twilio_webhooks_are_parse_errors(payload: bytes) -> None:
    channel = SmsChannel()
    with pytest.raises(ParseError):
        channel.parse(ACCOUNT, payload)
        channel.parse_receipts(ACCOUNT, payload)
