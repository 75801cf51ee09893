"""Continue on email: a customer who mentioned the brand on X and sent it a DM gives an
email address with consent; the next reply goes by SMTP and their emailed answer threads back
into the same conversation (issue 4's check), plus the API's refusals."""

from __future__ import annotations

import smtplib
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

import pytest
from email_support import BRAND, CUSTOMER, connect_email, raw
from smtp_fake_server import FakeSmtp
from sqlalchemy import select
from x_support import XDesk, fixture

from socialdesk.channels.email.receiver import MailReceiver
from socialdesk.store.models import ContactConsent, ContactIdentity

ASK = "Could we continue by email? Please reply with your address and we'll write to you there."


def _x_conversation(x: XDesk) -> tuple[int, dict[str, object]]:
    x.deliver(fixture("mention"))
    x.deliver(fixture("direct_message"))
    x.process()
    [listed] = x.get("/conversations").json()["items"]
    detail = x.get(f"/conversations/{listed['id']}").json()
    return listed["id"], detail


def _customer_answer(in_reply_to: str, subject: str) -> bytes:
    # Written a minute after our reply (which is stamped with the real time).
    return raw(
        f"""
        From: Dana K <Dana.K@example.com>
        To: Acme Care <{BRAND}>
        Subject: Re: {subject}
        Date: {format_datetime(datetime.now(UTC) + timedelta(minutes=1))}
        Message-ID: <CA-dana-answer-1@mail.gmail.com>
        In-Reply-To: <{in_reply_to}>
        References: <{in_reply_to}>
        Content-Type: text/plain; charset="UTF-8"

        Yes, the router is back online. Thank you!

        On Mon, 19 May 2025 at 15:00, Acme Care <{BRAND}> wrote:
        > The engineer reset your line.
        """
    )


def test_public_and_dm_on_x_then_email_is_one_conversation(
    x: XDesk, smtp: FakeSmtp, receiver: MailReceiver
) -> None:
    conversation_id, detail = _x_conversation(x)
    messages = detail["messages"]
    assert isinstance(messages, list)
    assert [m["visibility"] for m in messages] == ["public", "private"]
    dm_id = messages[1]["id"]
    email_account = connect_email(x.app, x.workspace_id, smtp=smtp)

    response = x.post(
        f"/conversations/{conversation_id}/continue",
        {
            "channel": "email",
            "address": "Dana.K@Example.com ",
            "request_text": ASK,
            "consent_message_id": dm_id,
        },
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["conversation"]["id"] == conversation_id
    assert body["channel_account"]["id"] == email_account
    assert body["previous_channel_account_id"] == x.account_id
    assert body["consent"]["address"] == CUSTOMER
    assert body["consent"]["source"] == "message"
    assert body["consent"]["source_message_id"] == dm_id
    assert body["consent"]["request_text"] == ASK

    # The next reply goes by SMTP, not as an X DM.
    reply = x.post(
        f"/conversations/{conversation_id}/replies",
        {"text": "The engineer reset your line.", "visibility": "private"},
    )
    assert reply.status_code == 202, reply.text
    x.process()
    assert x.fake.requests == []
    [sent] = smtp.received
    mail = sent.message
    assert sent.rcpt_tos == [CUSTOMER]
    assert mail["From"] == f"Acme Care <{BRAND}>"
    assert mail["To"] == CUSTOMER
    assert mail["Subject"] == "Your conversation with Acme Care"
    assert mail["In-Reply-To"] is None  # the DM's X id is no Message-ID
    our_id = mail["Message-ID"].strip("<>")

    # The customer answers by email; it threads into the same conversation.
    with smtplib.SMTP(receiver.host, receiver.port, timeout=10) as client:
        client.sendmail("Dana.K@example.com", [BRAND], _customer_answer(our_id, mail["Subject"]))
    x.process()

    listed = x.get("/conversations").json()["items"]
    assert [c["id"] for c in listed] == [conversation_id]
    assert listed[0]["channel_account"]["platform"] == "email"
    detail = x.get(f"/conversations/{conversation_id}").json()
    assert [(m["direction"], m["visibility"]) for m in detail["messages"]] == [
        ("in", "public"),
        ("in", "private"),
        ("out", "private"),
        ("in", "private"),
    ]
    answer = detail["messages"][3]
    assert answer["text"] == "Yes, the router is back online. Thank you!"  # quote trimmed
    assert answer["reply_to_platform_id"] == our_id
    assert detail["messages"][2]["platform_message_id"] == our_id
    types = [e["type"] for e in detail["events"]]
    assert "conversation.channel_changed" in types

    # And the agent's next email answers the customer's mail, threaded.
    x.post(
        f"/conversations/{conversation_id}/replies",
        {"text": "Glad to hear it!", "visibility": "private"},
    )
    x.process()
    assert len(smtp.received) == 2
    second = smtp.received[1].message
    assert second["In-Reply-To"] == "<CA-dana-answer-1@mail.gmail.com>"
    assert second["References"] == f"<{our_id}> <CA-dana-answer-1@mail.gmail.com>"
    assert second["Subject"] == "Re: Your conversation with Acme Care"  # no "Re: Re:"
    assert x.fake.requests == []

    with x.app.db.read_session() as session:
        identities = session.execute(
            select(ContactIdentity.platform, ContactIdentity.external_id).order_by(
                ContactIdentity.id
            )
        ).all()
        consents = session.scalars(select(ContactConsent)).all()
    assert [tuple(i) for i in identities] == [("twitter", "6253282"), ("email", CUSTOMER)]
    assert len(consents) == 1 and consents[0].withdrawn_at is None


def test_the_receiver_refuses_mail_for_unknown_addresses(
    x: XDesk, smtp: FakeSmtp, receiver: MailReceiver
) -> None:
    connect_email(x.app, x.workspace_id, smtp=smtp)
    with (
        smtplib.SMTP(receiver.host, receiver.port, timeout=10) as client,
        pytest.raises(smtplib.SMTPRecipientsRefused) as refused,
    ):
        client.sendmail(CUSTOMER, ["nobody@acme.example"], b"Subject: hi\r\n\r\nhello")
    assert refused.value.recipients["nobody@acme.example"][0] == 550


def test_continuing_needs_an_account_of_that_channel(x: XDesk) -> None:
    conversation_id, _ = _x_conversation(x)
    response = x.post(
        f"/conversations/{conversation_id}/continue",
        {"channel": "email", "address": CUSTOMER, "request_text": ASK},
    )
    assert response.status_code == 409
    assert response.headers["content-type"].startswith("application/problem+json")
    assert "no email channel account" in response.json()["detail"]
    response = x.post(
        f"/conversations/{conversation_id}/continue",
        {"channel": "sms", "address": "+14155550100", "request_text": ASK},
    )
    assert response.status_code == 409
    [conv] = x.conversations()  # nothing moved, nothing linked
    assert conv.channel_account_id == x.account_id


@pytest.mark.parametrize(
    ("body", "needle"),
    [
        ({"channel": "email", "address": "dana@", "request_text": ASK}, "domain"),
        ({"channel": "email", "address": "dana at example.com", "request_text": ASK}, "email"),
        ({"channel": "sms", "address": "415 555", "request_text": ASK}, "country code"),
        ({"channel": "email", "address": CUSTOMER, "request_text": "   "}, "request_text"),
        ({"channel": "fax", "address": CUSTOMER, "request_text": ASK}, "channel"),
        ({"channel": "email", "address": CUSTOMER}, "request_text"),
    ],
)
def test_bad_input_is_422(x: XDesk, smtp: FakeSmtp, body: dict[str, str], needle: str) -> None:
    conversation_id, _ = _x_conversation(x)
    connect_email(x.app, x.workspace_id, smtp=smtp)
    response = x.post(f"/conversations/{conversation_id}/continue", body)
    assert response.status_code == 422, response.text
    assert needle in response.text
    with x.app.db.read_session() as session:
        assert session.scalars(select(ContactConsent)).all() == []


def test_the_consent_message_must_be_the_customers_in_this_conversation(
    x: XDesk, smtp: FakeSmtp
) -> None:
    conversation_id, _ = _x_conversation(x)
    connect_email(x.app, x.workspace_id, smtp=smtp)
    response = x.post(
        f"/conversations/{conversation_id}/continue",
        {"channel": "email", "address": CUSTOMER, "request_text": ASK, "consent_message_id": 999},
    )
    assert response.status_code == 422
    assert "not a message from the customer" in response.json()["detail"]


def test_an_address_of_another_contact_is_a_conflict(x: XDesk, smtp: FakeSmtp) -> None:
    conversation_id, _ = _x_conversation(x)
    connect_email(x.app, x.workspace_id, smtp=smtp)
    with x.app.db.session() as session:
        other = ContactIdentity(
            workspace_id=x.workspace_id,
            contact_id=_other_contact(x),
            platform="email",
            external_id=CUSTOMER,
        )
        session.add(other)
    response = x.post(
        f"/conversations/{conversation_id}/continue",
        {"channel": "email", "address": CUSTOMER, "request_text": ASK},
    )
    assert response.status_code == 409
    assert "merge" in response.json()["detail"]


def _other_contact(x: XDesk) -> int:
    from socialdesk.store.models import Contact

    with x.app.db.session() as session:
        contact = Contact(workspace_id=x.workspace_id, name="Someone else")
        session.add(contact)
        session.flush()
        return contact.id


def test_unknown_conversation_is_404(x: XDesk) -> None:
    response = x.post(
        "/conversations/424242/continue",
        {"channel": "email", "address": CUSTOMER, "request_text": ASK},
    )
    assert response.status_code == 404
