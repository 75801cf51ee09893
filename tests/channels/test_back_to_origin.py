"""Back to the original channel: a conversation continued on email or SMS, where the customer
then withdrew their consent (or texted STOP), moves back to the X account it came from, and the
next replies go out on X again.

Through the real paths on SQLite and PostgreSQL: X webhooks and the REST API with the fake X
server, the fake SMTP server and our SMTP receiver for email, signed Twilio webhooks and the
fake Twilio for SMS.
"""

from __future__ import annotations

import smtplib
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from typing import Any

import httpx
from email_support import BRAND, CUSTOMER, connect_email, raw
from smtp_fake_server import FakeSmtp
from sqlalchemy import delete, select
from twilio_fake_server import (
    CUSTOMER_NUMBER,
    SmsDesk,
    fixture,
    replace,
)
from x_support import CUSTOMER_ID, MENTION_ID, XDesk
from x_support import fixture as x_fixture

from socialdesk.channels.email.receiver import MailReceiver
from socialdesk.services.accounts import create_token
from socialdesk.services.channel_accounts import pause_account, resume_account
from socialdesk.services.continuation import CHANNEL_CHANGED, return_target, return_to_origin
from socialdesk.services.events import Actor
from socialdesk.services.workspaces import get_or_create_workspace
from socialdesk.store.models import ChannelAccount, Conversation, Event, Message

ASK = "May we continue by email or text? Please send us your address or number."
PROBLEM_JSON = "application/problem+json"
NEVER_CONTINUED = "this conversation has not been continued on another channel"


@dataclass
class Continued:
    conversation_id: int
    contact_id: int
    consent_id: int
    account_id: int  # the email or SMS account it moved to


def _x_conversation(x: XDesk) -> int:
    """Dana mentions @acmecare and sends a DM on X: one conversation."""
    x.deliver(x_fixture("mention"))
    x.deliver(x_fixture("direct_message"))
    x.process()
    [listed] = x.get("/conversations").json()["items"]
    return int(listed["id"])


def _continue(x: XDesk, conversation_id: int, channel: str, address: str) -> Continued:
    response = x.post(
        f"/conversations/{conversation_id}/continue",
        {"channel": channel, "address": address, "request_text": ASK},
    )
    assert response.status_code == 200, response.text
    body = response.json()
    return Continued(
        conversation_id,
        body["conversation"]["contact"]["id"],
        body["consent"]["id"],
        body["channel_account"]["id"],
    )


def _reply(x: XDesk, conversation_id: int, text: str, visibility: str = "private") -> Any:
    return x.post(
        f"/conversations/{conversation_id}/replies", {"text": text, "visibility": visibility}
    )


def _withdraw(x: XDesk, c: Continued) -> None:
    response = x.post(f"/contacts/{c.contact_id}/consents/{c.consent_id}/withdraw", {})
    assert response.status_code == 200, response.text


def _return(x: XDesk, conversation_id: int) -> httpx.Response:
    return x.post(f"/conversations/{conversation_id}/continuation/return", {})


def _account_of(x: XDesk, conversation_id: int) -> int:
    with x.app.db.read_session() as session:
        return session.get_one(Conversation, conversation_id).channel_account_id


def _changes(x: XDesk, conversation_id: int) -> list[dict[str, Any]]:
    with x.app.db.read_session() as session:
        return [
            dict(data)
            for data in session.scalars(
                select(Event.data)
                .where(Event.conversation_id == conversation_id, Event.type == CHANNEL_CHANGED)
                .order_by(Event.id)
            )
        ]


def _assert_problem(response: httpx.Response, status: int) -> str:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith(PROBLEM_JSON)
    detail: str = response.json()["detail"]
    return detail


# -- email withdrawn: back to X -------------------------------------------------------------------


def test_after_email_consent_is_withdrawn_the_conversation_goes_back_to_x(
    x: XDesk, smtp: FakeSmtp
) -> None:
    conversation_id = _x_conversation(x)
    connect_email(x.app, x.workspace_id, smtp=smtp)
    continued = _continue(x, conversation_id, "email", CUSTOMER)
    assert _reply(x, conversation_id, "The engineer reset your line.").status_code == 202
    x.process()
    assert len(smtp.received) == 1 and x.fake.requests == []
    _withdraw(x, continued)

    refused = _reply(x, conversation_id, "One more thing about your bill.")
    detail = _assert_problem(refused, 409)
    # The refusal names the way out: the button that moves it back.
    assert (
        "Answer them on X instead, where this conversation started (Acme on X, @acmecare): "
        "“Back to X” moves it there; email opens again only when they email us first."
    ) in detail

    back = _return(x, conversation_id)

    assert back.status_code == 200, back.text
    body = back.json()
    assert body["conversation"]["id"] == conversation_id
    assert body["conversation"]["channel_account"]["id"] == x.account_id
    assert body["channel_account"] == {
        "id": x.account_id,
        "platform": "twitter",
        "handle": "acmecare",
        "name": "Acme on X",
    }
    assert body["previous_channel_account_id"] == continued.account_id
    assert _account_of(x, conversation_id) == x.account_id
    changes = _changes(x, conversation_id)
    assert changes[-1] == {
        "from": continued.account_id,
        "to": x.account_id,
        "platform": "twitter",
        "returned": True,
    }
    with x.app.db.read_session() as session:
        event = session.scalars(
            select(Event).where(Event.type == CHANNEL_CHANGED).order_by(Event.id.desc())
        ).first()
        assert event is not None
        assert (event.actor_kind, event.contact_id) == ("agent", continued.contact_id)
        assert event.actor_user_id is not None

    # A private reply now goes out as an X DM: exactly one request, nothing by email.
    assert _reply(x, conversation_id, "Sorry, Dana! Let's continue here.").status_code == 202
    x.process()
    [dm] = x.fake.requests
    assert dm.path == f"/2/dm_conversations/with/{CUSTOMER_ID}/messages"
    assert dm.body == {"text": "Sorry, Dana! Let's continue here."}
    assert len(smtp.received) == 1
    # And a public reply answers the customer's mention on X.
    assert _reply(x, conversation_id, "We're on it, Dana.", "public").status_code == 202
    x.process()
    assert len(x.fake.requests) == 2
    tweet = x.fake.requests[1]
    assert tweet.path == "/2/tweets"
    assert tweet.body["reply"] == {"in_reply_to_tweet_id": MENTION_ID}
    with x.app.db.read_session() as session:
        sent = session.scalars(
            select(Message)
            .where(Message.conversation_id == conversation_id, Message.direction == "out")
            .order_by(Message.id)
        ).all()
    assert [(m.platform, m.visibility, m.delivery_state) for m in sent] == [
        ("email", "private", "sent"),
        ("twitter", "private", "sent"),
        ("twitter", "public", "sent"),
    ]

    # The timeline tells it.
    detail_json = x.get(f"/conversations/{conversation_id}").json()
    returned = [
        e
        for e in detail_json["events"]
        if e["type"] == CHANNEL_CHANGED and (e.get("data") or {}).get("returned")
    ]
    assert len(returned) == 1
    assert returned[0]["data"]["to"] == x.account_id

    # Back already: a second return is a conflict, and nothing moves.
    again = _return(x, conversation_id)
    assert NEVER_CONTINUED in _assert_problem(again, 409)
    assert _account_of(x, conversation_id) == x.account_id
    assert len(_changes(x, conversation_id)) == 2


def test_after_the_return_x_messages_thread_here_and_email_opens_a_new_conversation(
    x: XDesk, smtp: FakeSmtp, receiver: MailReceiver
) -> None:
    """What the module docstring promises: the conversation's account decides threading."""
    conversation_id = _x_conversation(x)
    connect_email(x.app, x.workspace_id, smtp=smtp)
    continued = _continue(x, conversation_id, "email", CUSTOMER)
    _withdraw(x, continued)
    assert _return(x, conversation_id).status_code == 200

    dm = x_fixture("direct_message")
    event = dm["direct_message_events"][0]
    event["id"] = "1924466600000000099"
    event["created_timestamp"] = str(int(datetime.now(UTC).timestamp() * 1000))
    event["message_create"]["message_data"]["text"] = "Thanks, X is fine for me."
    assert x.deliver(dm).status_code == 200
    with smtplib.SMTP(receiver.host, receiver.port, timeout=10) as client:
        client.sendmail("Dana.K@example.com", [BRAND], _customer_email())
    x.process()

    with x.app.db.read_session() as session:
        rows = session.execute(
            select(Message.platform, Message.conversation_id, Message.text).where(
                Message.direction == "in"
            )
        ).all()
    by_text = {text: (platform, conv) for platform, conv, text in rows}
    assert by_text["Thanks, X is fine for me."] == ("twitter", conversation_id)
    platform, email_conversation = by_text["Email is fine again, actually."]
    assert platform == "email" and email_conversation is not None
    assert email_conversation != conversation_id
    assert _account_of(x, email_conversation) == continued.account_id
    assert _account_of(x, conversation_id) == x.account_id


def _customer_email() -> bytes:
    return raw(
        f"""
        From: Dana K <Dana.K@example.com>
        To: Acme Care <{BRAND}>
        Subject: Re: Your conversation with Acme Care
        Date: {format_datetime(datetime.now(UTC) + timedelta(minutes=1))}
        Message-ID: <CA-dana-back-1@mail.gmail.com>
        Content-Type: text/plain; charset="UTF-8"

        Email is fine again, actually.
        """
    )


# -- SMS: the customer texts STOP -----------------------------------------------------------------


def test_after_stop_by_sms_the_conversation_goes_back_to_x(x: XDesk, sms: SmsDesk) -> None:
    conversation_id = _x_conversation(x)
    continued = _continue(x, conversation_id, "sms", CUSTOMER_NUMBER)
    assert continued.account_id == sms.account_id
    params = replace(
        fixture("inbound_sms"),
        Body="STOP",
        MessageSid="SMfeed0000000000000000000000000041",
        SmsSid="SMfeed0000000000000000000000000041",
        SmsMessageSid="SMfeed0000000000000000000000000041",
        From=CUSTOMER_NUMBER,
    )
    assert sms.deliver(params).status_code == 200
    x.process()
    detail = _assert_problem(_reply(x, conversation_id, "Are you still there?"), 409)
    assert "(they texted STOP)" in detail and "“Back to X” moves it there" in detail

    back = _return(x, conversation_id)

    assert back.status_code == 200, back.text
    assert back.json()["previous_channel_account_id"] == sms.account_id
    assert _reply(x, conversation_id, "No more texts, promised.").status_code == 202
    x.process()
    [dm] = x.fake.requests
    assert dm.body == {"text": "No more texts, promised."}
    assert sms.fake.requests == []


# -- refusals -------------------------------------------------------------------------------------


def test_a_conversation_never_continued_cannot_return(x: XDesk) -> None:
    conversation_id = _x_conversation(x)
    before = x.row_counts()

    response = _return(x, conversation_id)

    detail = _assert_problem(response, 409)
    assert detail == NEVER_CONTINUED
    assert response.json()["title"] == "Conflict"
    assert x.row_counts() == before
    assert _account_of(x, conversation_id) == x.account_id


def test_unknown_or_another_workspaces_conversation_is_404(x: XDesk, smtp: FakeSmtp) -> None:
    conversation_id = _x_conversation(x)
    connect_email(x.app, x.workspace_id, smtp=smtp)
    continued = _continue(x, conversation_id, "email", CUSTOMER)
    with x.app.db.session() as session:
        globex = get_or_create_workspace(session, "globex").id
        token = create_token(session, globex, name="globex").secret
    before = x.row_counts()

    unknown = _return(x, 424242)
    foreign = x.client.post(
        f"/api/v1/conversations/{conversation_id}/continuation/return",
        json={},
        headers={"Authorization": f"Bearer {token}"},
    )
    anonymous = x.client.post(f"/api/v1/conversations/{conversation_id}/continuation/return")

    _assert_problem(unknown, 404)
    _assert_problem(foreign, 404)
    assert anonymous.status_code == 401
    assert x.row_counts() == before
    assert _account_of(x, conversation_id) == continued.account_id


def test_a_paused_x_account_is_fine_and_the_reply_waits_for_the_resume(
    x: XDesk, smtp: FakeSmtp
) -> None:
    conversation_id = _x_conversation(x)
    connect_email(x.app, x.workspace_id, smtp=smtp)
    continued = _continue(x, conversation_id, "email", CUSTOMER)
    _withdraw(x, continued)
    with x.app.db.session() as session:
        pause_account(session, x.workspace_id, x.account_id)

    assert _return(x, conversation_id).status_code == 200
    assert _reply(x, conversation_id, "Back on X.").status_code == 202
    x.process()
    assert x.fake.requests == []  # waiting for the resume

    with x.app.db.session() as session:
        resume_account(session, x.workspace_id, x.account_id)
    x.process()
    [dm] = x.fake.requests
    assert dm.body == {"text": "Back on X."}


def test_a_deleted_x_account_is_named_in_the_conflict(x: XDesk, smtp: FakeSmtp) -> None:
    conversation_id = _x_conversation(x)
    connect_email(x.app, x.workspace_id, smtp=smtp)
    continued = _continue(x, conversation_id, "email", CUSTOMER)
    with x.app.db.session() as session:
        session.execute(delete(ChannelAccount).where(ChannelAccount.id == x.account_id))
        conv = session.get_one(Conversation, conversation_id)
        assert return_target(session, conv) is None  # so the UI offers no button

    detail = _assert_problem(_return(x, conversation_id), 409)

    assert f"(#{x.account_id}) no longer exists in this workspace" in detail
    assert _account_of(x, conversation_id) == continued.account_id


# -- a conversation continued twice goes back one step at a time ----------------------------------


def test_returns_undo_the_continuations_one_at_a_time(
    x: XDesk, smtp: FakeSmtp, sms: SmsDesk
) -> None:
    conversation_id = _x_conversation(x)
    email_account = connect_email(x.app, x.workspace_id, smtp=smtp)
    _continue(x, conversation_id, "email", CUSTOMER)
    _continue(x, conversation_id, "sms", CUSTOMER_NUMBER)
    actor = Actor("api")

    with x.app.db.session() as session:
        conv = session.get_one(Conversation, conversation_id)
        target = return_target(session, conv)
        assert target is not None and target.id == email_account
        assert return_to_origin(session, x.workspace_id, conversation_id, actor).id == (
            conversation_id
        )
        assert conv.channel_account_id == email_account
        target = return_target(session, conv)
        assert target is not None and target.id == x.account_id
    back = _return(x, conversation_id)
    assert back.status_code == 200, back.text
    assert back.json()["previous_channel_account_id"] == email_account
    assert _account_of(x, conversation_id) == x.account_id
    assert NEVER_CONTINUED in _assert_problem(_return(x, conversation_id), 409)
    assert [
        (c["from"], c["to"], c.get("returned", False)) for c in _changes(x, conversation_id)
    ] == [
        (x.account_id, email_account, False),
        (email_account, sms.account_id, False),
        (sms.account_id, email_account, True),
        (email_account, x.account_id, True),
    ]

    # Continued once more after coming back: it may return again.
    _continue(x, conversation_id, "email", CUSTOMER)
    assert _return(x, conversation_id).status_code == 200
    assert _account_of(x, conversation_id) == x.account_id
