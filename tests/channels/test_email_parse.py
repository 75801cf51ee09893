"""Raw mail of several clients and shapes into inbound events (no storage needed)."""

from __future__ import annotations

import base64
import json
from datetime import UTC, datetime

import pytest
from email_support import (
    ACCOUNT,
    BOUNCE,
    BRAND,
    CUSTOMER,
    FORWARDED_INLINE,
    GMAIL_REPLY,
    HTML_ONLY,
    IPHONE_REPLY,
    LATIN1_8BIT,
    NEWSLETTER,
    OUT_OF_OFFICE,
    OUTLOOK_REPLY,
    forwarded_as_attachment,
    plain_mail,
    with_attachment,
)

from socialdesk.channels.base import ParseError
from socialdesk.channels.email import EmailChannel, envelope, message_id_of, read_envelope
from socialdesk.domain.types import AuthorKind, Direction, Visibility
from socialdesk.pipeline.events import InboundEvent

RECEIVED = datetime(2025, 5, 19, 20, 0, tzinfo=UTC)


def parse(raw: bytes) -> InboundEvent:
    [event] = EmailChannel().parse(ACCOUNT, envelope(raw, via="imap", received_at=RECEIVED))
    return event


def meta(event: InboundEvent) -> dict[str, object]:
    [found] = [a for a in event.attachments if a.get("type") == "email"]
    return found


def files(event: InboundEvent) -> list[dict[str, object]]:
    return [a for a in event.attachments if a.get("type") == "file"]


def test_plain_mail() -> None:
    event = parse(plain_mail())
    assert event.platform == "email"
    assert event.platform_message_id == "plain-1@mail.example.com"
    assert event.author.external_id == CUSTOMER  # lower-cased address
    assert (event.author.handle, event.author.name) == (CUSTOMER, "Dana K")
    assert event.text == "Hi, my router drops the connection every evening.\n\nDana"
    assert event.platform_time == datetime(2025, 5, 19, 14, 2, tzinfo=UTC)
    assert event.visibility == Visibility.PRIVATE
    assert (event.direction, event.author_kind) == (Direction.IN, AuthorKind.CONTACT)
    assert event.reply_to_platform_id is None
    assert event.channel_account_id == ACCOUNT.id
    assert meta(event)["subject"] == "My router keeps dropping"
    assert "auto_submitted" not in meta(event)
    assert files(event) == []


def test_html_only_mail_is_converted_to_text_and_its_quote_trimmed() -> None:
    event = parse(HTML_ONLY)
    assert event.text == "Hello,\n\nI was charged twice for May & June.\nCan you refund one?"
    assert event.platform_time == datetime(2025, 5, 19, 13, 0, tzinfo=UTC)  # +0200 to UTC
    assert meta(event)["trimmed"] is True


def test_multipart_prefers_plain_text_and_lists_attachments() -> None:
    event = parse(with_attachment())
    assert event.text == "Please see the invoice attached."
    assert files(event) == [
        {
            "type": "file",
            "name": "invoice-0525.pdf",
            "content_type": "application/pdf",
            "size": len(b"%PDF-1.4 fake invoice") + 256,
        },
        {"type": "file", "name": "bill.png", "content_type": "image/png", "size": 12},
    ]


def test_an_inline_forward_keeps_the_forwarded_content() -> None:
    event = parse(FORWARDED_INLINE)
    assert event.text.startswith("This says shipped but nothing arrived.")
    assert "Your order #48213 is on its way." in event.text
    assert meta(event)["trimmed"] is False


def test_a_forward_as_attachment_lists_the_forwarded_message() -> None:
    event = parse(forwarded_as_attachment())
    assert event.text == "See below: it never came."
    [attached] = files(event)
    assert attached["content_type"] == "message/rfc822"
    assert attached["name"] == "forwarded message.eml"
    assert isinstance(attached["size"], int) and attached["size"] > 50


@pytest.mark.parametrize(
    ("raw", "text", "reply_to"),
    [
        pytest.param(
            GMAIL_REPLY,
            "Thanks, the line works again!",
            "ours-1.socialdesk@acme.example",
            id="gmail: In-Reply-To wins",
        ),
        pytest.param(
            OUTLOOK_REPLY,
            "Refund received, thank you.",
            "ours-2.socialdesk@acme.example",
            id="outlook: the last References id",
        ),
        pytest.param(
            IPHONE_REPLY, "Perfect, all sorted.", "ours-3.socialdesk@acme.example", id="iphone"
        ),
    ],
)
def test_replies_of_several_clients(raw: bytes, text: str, reply_to: str) -> None:
    event = parse(raw)
    assert event.text == text
    assert event.reply_to_platform_id == reply_to
    assert meta(event)["trimmed"] is True
    assert event.author_kind == AuthorKind.CONTACT


def test_references_are_kept_for_threading_our_answer() -> None:
    assert meta(parse(GMAIL_REPLY))["references"] == [
        "older@acme.example",
        "ours-1.socialdesk@acme.example",
    ]


@pytest.mark.parametrize(
    ("raw", "reason"),
    [
        pytest.param(OUT_OF_OFFICE, "auto-submitted: auto-replied", id="out of office"),
        pytest.param(BOUNCE, "delivery report (delivery-status)", id="bounce"),
        pytest.param(NEWSLETTER, "precedence: bulk", id="bulk"),
        pytest.param(
            plain_mail(sender="noreply@shop.example", message_id="n-1@shop.example"),
            "automated sender noreply@shop.example",
            id="no-reply sender",
        ),
    ],
)
def test_machine_mail_is_stored_flagged_and_not_as_a_customer(raw: bytes, reason: str) -> None:
    event = parse(raw)
    assert meta(event)["auto_submitted"] == reason
    # Routing only acts on author_kind 'contact': no rules, SLA or auto-reply for these.
    assert event.author_kind == AuthorKind.BOT
    assert event.direction == Direction.IN


def test_auto_submitted_no_is_a_person() -> None:
    event = parse(plain_mail(extra_headers={"Auto-Submitted": "no"}))
    assert event.author_kind == AuthorKind.CONTACT
    assert "auto_submitted" not in meta(event)


def test_mail_from_the_brand_itself_is_outbound() -> None:
    event = parse(plain_mail(sender=f"Acme Care <{BRAND.upper()}>", message_id="own@acme"))
    assert (event.direction, event.author_kind) == (Direction.OUT, AuthorKind.BRAND)


def test_a_message_without_message_id_gets_a_stable_digest() -> None:
    raw = plain_mail(message_id="")
    first, second = parse(raw), parse(raw)
    assert first.platform_message_id.startswith("sha256:")
    assert first.platform_message_id == second.platform_message_id == message_id_of(raw)
    assert parse(plain_mail(message_id="", body="other")).platform_message_id != (
        first.platform_message_id
    )


def test_eight_bit_latin1_mail_survives_the_envelope() -> None:
    stored = envelope(LATIN1_8BIT, via="smtp", received_at=RECEIVED)
    stored.decode("ascii")  # raw events are text: the envelope is plain ASCII JSON
    assert read_envelope(stored)[0] == LATIN1_8BIT
    event = parse(LATIN1_8BIT)
    assert event.text == "Ma facture est erronée, merci de vérifier."
    assert event.author.name == "Renée Dupré"
    assert meta(event)["subject"] == "Problème de facture"


def test_a_missing_date_falls_back_to_when_it_was_received() -> None:
    raw = plain_mail().replace(b"Date: Mon, 19 May 2025 14:02:00 +0000\n", b"")
    assert b"Date:" not in raw
    assert parse(raw).platform_time == RECEIVED


@pytest.mark.parametrize(
    "payload",
    [
        b"not json",
        b"[]",
        json.dumps({"format": "mbox", "rfc822": ""}).encode(),
        json.dumps({"format": "rfc822"}).encode(),
        json.dumps({"format": "rfc822", "rfc822": "***"}).encode(),
        json.dumps(
            {
                "format": "rfc822",
                "received_at": RECEIVED.isoformat(),
                "rfc822": base64.b64encode(b"Subject: no sender\r\n\r\nhello").decode(),
            }
        ).encode(),
    ],
)
def test_malformed_payloads_are_parse_errors(payload: bytes) -> None:
    with pytest.raises(ParseError):
        EmailChannel().parse(ACCOUNT, payload)
