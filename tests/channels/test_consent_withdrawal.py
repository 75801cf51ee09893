"""Withdrawn consent is enforced: a customer who continued on email or SMS and withdrew their
consent (an agent recorded it, or they texted STOP) gets no more email or SMS, neither agent
replies, nor auto-replies, nor messages queued before; until they write to us there again.

Through the real paths on SQLite and PostgreSQL: X webhooks and the REST API, the fake SMTP
server and our SMTP receiver for email, signed Twilio webhooks and the fake Twilio for SMS.
"""

from __future__ import annotations

import smtplib
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from typing import Any

import httpx
import pytest
from email_support import BRAND, CUSTOMER, connect_email, raw
from smtp_fake_server import FakeSmtp
from sqlalchemy import select
from twilio_fake_server import (
    CUSTOMER_NUMBER,
    SmsDesk,
    fixture,
    replace,
)
from x_support import XDesk
from x_support import fixture as x_fixture

from socialdesk.channels.email.receiver import MailReceiver
from socialdesk.services.autoreply import save_settings
from socialdesk.services.continuation import CONSENT_WITHDRAWN, opt_out_keyword
from socialdesk.store.models import ContactConsent, Conversation, Event, Message
from socialdesk.store.types import utcnow

ASK = "May we continue by email or text? Please send us your address or number."
PROBLEM_JSON = "application/problem+json"


# -- fixtures -------------------------------------------------------------------------------------


@dataclass
class Continued:
    conversation_id: int
    contact_id: int
    consent_id: int


def _continue(x: XDesk, channel: str, address: str) -> Continued:
    """Dana mentions @acmecare and sends a DM on X, then agrees to continue on ``channel``."""
    x.deliver(x_fixture("mention"))
    x.deliver(x_fixture("direct_message"))
    x.process()
    [listed] = x.get("/conversations").json()["items"]
    conversation_id = int(listed["id"])
    dm = x.get(f"/conversations/{conversation_id}").json()["messages"][1]
    response = x.post(
        f"/conversations/{conversation_id}/continue",
        {
            "channel": channel,
            "address": address,
            "request_text": ASK,
            "consent_message_id": dm["id"],
        },
    )
    assert response.status_code == 200, response.text
    body = response.json()
    return Continued(conversation_id, body["conversation"]["contact"]["id"], body["consent"]["id"])


def _reply(x: XDesk, conversation_id: int, text: str) -> httpx.Response:
    return x.post(
        f"/conversations/{conversation_id}/replies", {"text": text, "visibility": "private"}
    )


def _withdraw(x: XDesk, c: Continued) -> httpx.Response:
    return x.post(f"/contacts/{c.contact_id}/consents/{c.consent_id}/withdraw", {})


def _consent(x: XDesk, consent_id: int) -> ContactConsent:
    with x.app.db.read_session() as session:
        return session.get_one(ContactConsent, consent_id)


def _outbound(x: XDesk, conversation_id: int) -> list[Message]:
    with x.app.db.read_session() as session:
        return list(
            session.scalars(
                select(Message)
                .where(Message.conversation_id == conversation_id, Message.direction == "out")
                .order_by(Message.id)
            )
        )


def _assert_refusal(response: httpx.Response, *, channel: str, address: str) -> str:
    assert response.status_code == 409, response.text
    assert response.headers["content-type"].startswith(PROBLEM_JSON)
    problem = response.json()
    assert problem["status"] == 409 and problem["title"] == "Conflict"
    detail: str = problem["detail"]
    today = datetime.now(UTC).strftime("%Y-%m-%d")
    assert f"withdrew their consent to {channel} on {today} at " in detail
    assert f"nothing may go to {address} by {channel}" in detail
    # Where to answer instead: the account the conversation started on, named.
    assert "Answer them on X instead, where this conversation started (Acme on X, @acmecare)" in (
        detail
    )
    return detail


def _customer_email(subject: str = "Re: Your conversation with Acme Care") -> bytes:
    return raw(
        f"""
        From: Dana K <Dana.K@example.com>
        To: Acme Care <{BRAND}>
        Subject: {subject}
        Date: {format_datetime(datetime.now(UTC) + timedelta(minutes=1))}
        Message-ID: <CA-dana-again-1@mail.gmail.com>
        Content-Type: text/plain; charset="UTF-8"

        Actually, email is fine again: the router is still dropping.
        """
    )


def _text(sms: SmsDesk, body: str, sid: str, sender: str = CUSTOMER_NUMBER) -> None:
    """The customer texts the number (a signed Twilio webhook)."""
    params = replace(
        fixture("inbound_sms"),
        Body=body,
        MessageSid=sid,
        SmsSid=sid,
        SmsMessageSid=sid,
        From=sender,
    )
    response = sms.deliver(params)
    assert response.status_code == 200, response.text


# -- email: withdrawn by an agent -----------------------------------------------------------------


def test_email_reply_is_refused_after_withdrawal_until_the_customer_writes_again(
    x: XDesk, smtp: FakeSmtp, receiver: MailReceiver
) -> None:
    connect_email(x.app, x.workspace_id, smtp=smtp)
    continued = _continue(x, "email", CUSTOMER)
    assert _reply(x, continued.conversation_id, "The engineer reset your line.").status_code == 202
    x.process()
    assert len(smtp.received) == 1

    withdrawn = _withdraw(x, continued)
    assert withdrawn.status_code == 200, withdrawn.text
    assert withdrawn.json()["withdrawn_at"] is not None

    refused = _reply(x, continued.conversation_id, "One more thing about your bill.")
    detail = _assert_refusal(refused, channel="email", address=CUSTOMER)
    assert "(recorded by Ana)" in detail  # who recorded the withdrawal
    assert "email opens again only when they email us first" in detail
    x.process()
    assert len(smtp.received) == 1  # nothing more went out
    assert len(_outbound(x, continued.conversation_id)) == 1  # and nothing was queued

    # The customer writes by email: that re-opens email for them.
    with smtplib.SMTP(receiver.host, receiver.port, timeout=10) as client:
        client.sendmail("Dana.K@example.com", [BRAND], _customer_email())
    x.process()
    texts = [
        m["text"] for m in x.get(f"/conversations/{continued.conversation_id}").json()["messages"]
    ]
    assert "Actually, email is fine again: the router is still dropping." in texts[-1]
    again = _reply(x, continued.conversation_id, "Sorry to hear it, we are on it.")
    assert again.status_code == 202, again.text
    x.process()
    assert len(smtp.received) == 2
    assert smtp.received[1].message["To"] == CUSTOMER
    # The consent itself stays withdrawn, for the record.
    assert _consent(x, continued.consent_id).withdrawn_at is not None


def test_a_reply_queued_before_the_withdrawal_is_not_sent_after_it(
    x: XDesk, smtp: FakeSmtp
) -> None:
    connect_email(x.app, x.workspace_id, smtp=smtp)
    continued = _continue(x, "email", CUSTOMER)
    queued = _reply(x, continued.conversation_id, "Your invoice is attached.")
    assert queued.status_code == 202, queued.text
    assert _withdraw(x, continued).status_code == 200  # before the worker ran

    x.process()

    assert smtp.received == []
    [message] = _outbound(x, continued.conversation_id)
    assert message.delivery_state == "failed"
    assert message.delivery_error is not None
    assert "withdrew their consent to email" in message.delivery_error
    assert "Answer them on X instead" in message.delivery_error
    with x.app.db.read_session() as session:
        delivery = session.scalars(
            select(Event).where(Event.type == "message.delivery", Event.message_id == message.id)
        ).one()
    assert delivery.data["state"] == "failed"
    x.process()  # not retried
    assert smtp.received == []


# -- SMS: the customer texts STOP -----------------------------------------------------------------


def test_stop_by_sms_withdraws_consent_and_the_next_reply_is_refused(
    x: XDesk, sms: SmsDesk
) -> None:
    continued = _continue(x, "sms", CUSTOMER_NUMBER)
    assert _reply(x, continued.conversation_id, "Hi Dana, it's Acme by text.").status_code == 202
    x.process()
    assert len(sms.fake.requests) == 1

    _text(sms, "  Stop ", "SMfeed0000000000000000000000000001")
    x.process()

    consent = _consent(x, continued.consent_id)
    assert consent.withdrawn_at is not None
    with x.app.db.read_session() as session:
        [event] = session.scalars(select(Event).where(Event.type == CONSENT_WITHDRAWN)).all()
        stop = session.scalars(
            select(Message).where(
                Message.platform_message_id == "SMfeed0000000000000000000000000001"
            )
        ).one()
    assert event.actor_kind == "contact"
    assert event.data == {"consent_id": consent.id, "channel": "sms", "keyword": "STOP"}
    assert event.message_id == stop.id
    assert event.conversation_id == continued.conversation_id
    assert stop.conversation_id == continued.conversation_id  # the STOP is in the timeline
    assert consent.withdrawn_at == stop.platform_time

    detail = _assert_refusal(
        _reply(x, continued.conversation_id, "Can we help with anything else?"),
        channel="SMS",
        address=CUSTOMER_NUMBER,
    )
    assert "(they texted STOP)" in detail
    assert "SMS opens again only when they text us first" in detail
    x.process()
    assert len(sms.fake.requests) == 1

    # START is no consent by itself, but it is the customer texting us again.
    _text(sms, "START", "SMfeed0000000000000000000000000002")
    x.process()
    assert _consent(x, continued.consent_id).withdrawn_at == consent.withdrawn_at
    allowed = _reply(x, continued.conversation_id, "Welcome back! How can we help?")
    assert allowed.status_code == 202, allowed.text
    x.process()
    assert [r.form["Body"] for r in sms.fake.requests][-1] == "Welcome back! How can we help?"
    assert len(sms.fake.requests) == 2

    # And STOP again closes it again, although the consent was withdrawn already.
    _text(sms, "unsubscribe", "SMfeed0000000000000000000000000003")
    x.process()
    detail = _assert_refusal(
        _reply(x, continued.conversation_id, "Are you sure?"),
        channel="SMS",
        address=CUSTOMER_NUMBER,
    )
    assert "(they texted UNSUBSCRIBE)" in detail


def test_stop_in_a_sentence_is_no_opt_out(x: XDesk, sms: SmsDesk) -> None:
    continued = _continue(x, "sms", CUSTOMER_NUMBER)

    _text(sms, "stop sending me the wrong bill", "SMfeed0000000000000000000000000011")
    x.process()

    assert _consent(x, continued.consent_id).withdrawn_at is None
    with x.app.db.read_session() as session:
        assert session.scalars(select(Event).where(Event.type == CONSENT_WITHDRAWN)).all() == []
    response = _reply(x, continued.conversation_id, "Sorry! We are correcting your bill now.")
    assert response.status_code == 202, response.text
    x.process()
    assert [r.form["Body"] for r in sms.fake.requests] == [
        "Sorry! We are correcting your bill now."
    ]


def test_stop_skips_the_auto_reply_without_breaking_the_ingest_batch(
    x: XDesk, sms: SmsDesk
) -> None:
    continued = _continue(x, "sms", CUSTOMER_NUMBER)
    with x.app.db.session() as session:
        save_settings(
            session,
            x.workspace_id,
            enabled=True,
            in_hours_enabled=True,
            in_hours_text="Thanks! An agent will be with you in {{expected_wait}}.",
        )

    # Two texts in one batch: Dana's STOP and another customer's question.
    _text(sms, "STOP", "SMfeed0000000000000000000000000021")
    _text(sms, "Is there an outage in 94105?", "SMfeed0000000000000000000000000022", "+14155550142")
    x.process()

    assert _consent(x, continued.consent_id).withdrawn_at is not None
    with x.app.db.read_session() as session:
        stored = session.scalars(
            select(Message.platform_message_id).where(
                Message.direction == "in", Message.platform == "sms"
            )
        ).all()
        other = session.scalars(
            select(Conversation)
            .where(Conversation.id != continued.conversation_id)
            .where(Conversation.channel_account_id == sms.account_id)
        ).one()
    assert sorted(stored) == [
        "SMfeed0000000000000000000000000021",
        "SMfeed0000000000000000000000000022",
    ]
    # No auto-reply to Dana; the other customer got theirs, by SMS.
    assert [m for m in _outbound(x, continued.conversation_id) if m.is_auto] == []
    [ack] = _outbound(x, other.id)
    assert ack.is_auto and ack.text.startswith("Thanks! An agent will be with you in")
    assert [(r.form["To"], r.form["Body"]) for r in sms.fake.requests] == [
        ("+14155550142", ack.text)
    ]


def test_a_customer_without_a_consent_record_is_not_affected(x: XDesk, sms: SmsDesk) -> None:
    """A conversation the customer started by SMS: no consent to withdraw, nothing refused."""
    _text(sms, "My internet is down", "SMfeed0000000000000000000000000031")
    x.process()
    [conversation] = sms.conversations()
    assert _reply(x, conversation.id, "Sorry! Resetting your line now.").status_code == 202


def test_stop_from_a_customer_who_texted_first_stops_every_sms_until_they_text_again(
    x: XDesk, sms: SmsDesk
) -> None:
    """No consent on record, but STOP is STOP: replies and auto-replies are refused (rather
    than left for Twilio to reject) until the customer texts again."""
    with x.app.db.session() as session:
        save_settings(session, x.workspace_id, enabled=True, in_hours_enabled=True)
    _text(sms, "My internet is down", "SMfeed0000000000000000000000000041")
    x.process()
    [conversation] = sms.conversations()
    acks_before = len([m for m in _outbound(x, conversation.id) if m.is_auto])

    _text(sms, "STOP", "SMfeed0000000000000000000000000042")
    x.process()
    assert len([m for m in _outbound(x, conversation.id) if m.is_auto]) == acks_before
    refused = _reply(x, conversation.id, "Did the reset work?")
    assert refused.status_code == 409, refused.text
    assert "texted STOP" in refused.json()["detail"]

    _text(sms, "start", "SMfeed0000000000000000000000000043")
    x.process()
    assert _reply(x, conversation.id, "Welcome back!").status_code == 202


# -- the API --------------------------------------------------------------------------------------


def test_consents_are_listed_newest_first_and_withdrawn_idempotently(
    x: XDesk, smtp: FakeSmtp, sms: SmsDesk
) -> None:
    connect_email(x.app, x.workspace_id, smtp=smtp)
    first = _continue(x, "email", CUSTOMER)
    second = x.post(
        f"/conversations/{first.conversation_id}/continue",
        {"channel": "sms", "address": "+1 415 555 0199", "request_text": "Text you instead?"},
    )
    assert second.status_code == 200, second.text
    second_id = second.json()["consent"]["id"]

    listed = x.get(f"/contacts/{first.contact_id}/consents")
    assert listed.status_code == 200, listed.text
    items = listed.json()["items"]
    assert [(c["id"], c["channel"], c["address"]) for c in items] == [
        (second_id, "sms", CUSTOMER_NUMBER),
        (first.consent_id, "email", CUSTOMER),
    ]
    assert items[1]["source"] == "message" and items[1]["request_text"] == ASK
    assert all(c["withdrawn_at"] is None and c["contact_id"] == first.contact_id for c in items)
    assert items[1]["conversation_id"] == first.conversation_id

    once = _withdraw(x, first)
    twice = _withdraw(x, first)
    assert once.status_code == twice.status_code == 200
    assert once.json()["withdrawn_at"] == twice.json()["withdrawn_at"] is not None
    with x.app.db.read_session() as session:
        events = session.scalars(select(Event).where(Event.type == CONSENT_WITHDRAWN)).all()
    assert [(e.actor_kind, e.data["consent_id"]) for e in events] == [("agent", first.consent_id)]
    items = x.get(f"/contacts/{first.contact_id}/consents").json()["items"]
    assert [c["withdrawn_at"] is None for c in items] == [True, False]
    # Only the email consent is withdrawn: SMS may still be written to.
    assert _reply(x, first.conversation_id, "Texting you now.").status_code == 202


def _other_workspace_consent(x: XDesk) -> tuple[int, int]:
    """A consent of a contact of another workspace: (contact id, consent id)."""
    from socialdesk.services.workspaces import get_or_create_workspace
    from socialdesk.store.models import Contact

    with x.app.db.session() as session:
        other = get_or_create_workspace(session, "globex").id
        contact = Contact(workspace_id=other, name="Olaf")
        session.add(contact)
        session.flush()
        consent = ContactConsent(
            workspace_id=other,
            contact_id=contact.id,
            channel="email",
            address="olaf@example.com",
            source="agent",
            request_text="Email?",
            given_at=utcnow(),
        )
        session.add(consent)
        session.flush()
        return contact.id, consent.id


def test_unknown_or_foreign_consents_are_404(x: XDesk, smtp: FakeSmtp) -> None:
    connect_email(x.app, x.workspace_id, smtp=smtp)
    ours = _continue(x, "email", CUSTOMER)
    their_contact, their_consent = _other_workspace_consent(x)

    cases: list[tuple[str, Any]] = [
        ("get", f"/contacts/{their_contact}/consents"),
        ("get", "/contacts/424242/consents"),
        ("post", f"/contacts/{their_contact}/consents/{their_consent}/withdraw"),
        ("post", f"/contacts/{ours.contact_id}/consents/{their_consent}/withdraw"),  # not ours
        ("post", f"/contacts/{ours.contact_id}/consents/424242/withdraw"),
        ("post", f"/contacts/424242/consents/{ours.consent_id}/withdraw"),
    ]
    for method, path in cases:
        response = x.get(path) if method == "get" else x.post(path, {})
        assert response.status_code == 404, (path, response.text)
        assert response.headers["content-type"].startswith(PROBLEM_JSON)
    assert _consent(x, ours.consent_id).withdrawn_at is None
    with x.app.db.read_session() as session:
        assert session.get_one(ContactConsent, their_consent).withdrawn_at is None
    unauthenticated = x.client.get(f"/api/v1/contacts/{ours.contact_id}/consents")
    assert unauthenticated.status_code == 401


def test_a_merged_contacts_consent_still_counts(x: XDesk, smtp: FakeSmtp) -> None:
    """Merging moves the consents over with the identities and messages (and consents of
    contacts merged before that was so are still found through the merge)."""
    connect_email(x.app, x.workspace_id, smtp=smtp)
    continued = _continue(x, "email", CUSTOMER)
    from socialdesk.store.models import Contact

    with x.app.db.session() as session:
        survivor = Contact(workspace_id=x.workspace_id, name="Dana (CRM)")
        session.add(survivor)
        session.flush()
        survivor_id = survivor.id
    merged = x.post(f"/contacts/{survivor_id}/merge", {"other_contact_id": continued.contact_id})
    assert merged.status_code == 200, merged.text

    items = x.get(f"/contacts/{survivor_id}/consents").json()["items"]
    assert [c["id"] for c in items] == [continued.consent_id]
    assert items[0]["contact_id"] == survivor_id  # moved, not only found
    withdrawn = x.post(f"/contacts/{survivor_id}/consents/{continued.consent_id}/withdraw", {})
    assert withdrawn.status_code == 200, withdrawn.text
    _assert_refusal(
        _reply(x, continued.conversation_id, "Still there?"), channel="email", address=CUSTOMER
    )


# -- the keywords ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "keyword"),
    [
        ("STOP", "STOP"),
        ("stop", "STOP"),
        ("  Stop\n", "STOP"),
        ("StopAll", "STOPALL"),
        ("unsubscribe", "UNSUBSCRIBE"),
        ("Cancel", "CANCEL"),
        ("END", "END"),
        ("quit", "QUIT"),
        ("optout", "OPTOUT"),
        ("Revoke", "REVOKE"),
        ("stop sending me the wrong bill", None),
        ("STOP!", None),
        ("please stop", None),
        ("START", None),
        ("UNSTOP", None),
        ("yes", None),
        ("", None),
    ],
)
def test_opt_out_keywords(text: str, keyword: str | None) -> None:
    assert opt_out_keyword(text) == keyword
