"""Agents' replies to web chat visitors: stored for the widget, pushed live over server-sent
events, confirmed as delivered and read by the widget; offline visitors followed up by email."""

from __future__ import annotations

import json
import threading
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from webchat_support import ORIGIN, WebchatDesk, make_site

from socialdesk.bootstrap import App
from socialdesk.store.models import ChannelAccount, Message, WebchatMessage
from socialdesk.web.hooks import webchat as webchat_hook


@pytest.fixture
def site(app: App, web: TestClient) -> WebchatDesk:
    desk = make_site(app, web)
    desk.set_online(True)
    return desk


def _visitor_writes(site: WebchatDesk, text: str, **extra: Any) -> tuple[str, int, int]:
    """A visitor's first message, processed: (token, its transcript id, conversation id)."""
    token = site.start_session()["token"]
    response = site.say(token, text, **extra)
    assert response.status_code == 202, response.text
    site.process()
    [conversation] = site.conversations()
    return token, response.json()["message"]["id"], conversation["id"]


def _agent_replies(site: WebchatDesk, conversation_id: int, text: str) -> int:
    response = site.api(
        "POST", f"/conversations/{conversation_id}/replies", {"text": text, "visibility": "private"}
    )
    assert response.status_code in (200, 201, 202), response.text
    return int(response.json()["id"])


def _message(site: WebchatDesk, conversation_id: int, message_id: int) -> dict[str, Any]:
    detail = site.api("GET", f"/conversations/{conversation_id}").json()
    [found] = [m for m in detail["messages"] if m["id"] == message_id]
    return found


def test_an_agent_reply_reaches_the_visitors_event_stream(
    site: WebchatDesk, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Only the wake-up can bring the reply: the stream's periodic look is an hour away.
    monkeypatch.setattr(webchat_hook, "KEEPALIVE_SECONDS", 3600.0)
    token, first_id, conversation_id = _visitor_writes(site, "Where is my parcel?")
    events: list[dict[str, Any]] = []
    opened = threading.Event()
    done = threading.Event()

    def listen() -> None:
        url = site.hook(f"/events?token={token}&after={first_id}")
        with site.client.stream("GET", url, headers={"Origin": ORIGIN}) as response:
            assert response.status_code == 200
            assert response.headers["content-type"].startswith("text/event-stream")
            for line in response.iter_lines():
                if line.startswith("event: hello"):
                    opened.set()
                if line.startswith("data: {") and '"direction"' in line:
                    events.append(json.loads(line.removeprefix("data: ")))
                    done.set()
                    return

    listener = threading.Thread(target=listen, daemon=True)
    listener.start()
    assert opened.wait(10), "the event stream did not open"
    reply_id = _agent_replies(site, conversation_id, "It left our warehouse this morning.")
    site.process()  # the worker delivers: the reply is stored and the stream woken
    assert done.wait(10), "the reply did not reach the visitor's stream"
    [event] = events
    assert (event["direction"], event["text"]) == ("out", "It left our warehouse this morning.")
    sent = _message(site, conversation_id, reply_id)
    assert sent["delivery_state"] == "sent"
    assert sent["platform_message_id"] == event["platform_message_id"]


def test_replies_are_confirmed_delivered_then_read_by_the_widget(site: WebchatDesk) -> None:
    token, first_id, conversation_id = _visitor_writes(site, "Hi!")
    reply_id = _agent_replies(site, conversation_id, "Hello, how can I help?")
    site.process()
    # The polling fallback sees it too.
    items = site.transcript(token, after=first_id)["items"]
    assert [(i["direction"], i["text"]) for i in items] == [("out", "Hello, how can I help?")]
    out_id = items[0]["id"]

    delivered = site.receipts(token, delivered_up_to=out_id)
    assert delivered.status_code == 200, delivered.text
    assert delivered.json()["delivered"] == 1
    site.process()
    assert _message(site, conversation_id, reply_id)["delivery_state"] == "delivered"

    read = site.receipts(token, delivered_up_to=out_id, read_up_to=out_id)
    assert read.json() == {"delivered": 0, "read": 1, "raw_event_id": read.json()["raw_event_id"]}
    site.process()
    assert _message(site, conversation_id, reply_id)["delivery_state"] == "read"
    # Said again: nothing new to record.
    again = site.receipts(token, delivered_up_to=out_id, read_up_to=out_id)
    assert again.json() == {"delivered": 0, "read": 0, "raw_event_id": None}


def test_a_reply_is_stored_once_when_the_delivery_runs_twice(site: WebchatDesk) -> None:
    token, _first_id, conversation_id = _visitor_writes(site, "Hi!")
    reply_id = _agent_replies(site, conversation_id, "Hello!")
    site.process()
    channel = site.app.channels["webchat"]
    from socialdesk.channels.base import OutboundMessage
    from socialdesk.pipeline.intake import account_info

    with site.app.db.read_session() as session:
        message = session.get(Message, reply_id)
        account = session.get(ChannelAccount, site.account_id)
        assert message is not None and account is not None
        outbound = OutboundMessage(
            idempotency_key=str(message.idempotency_key),
            visibility="private",
            text=message.text,
            recipient_external_id=_visitor_id(site),
            recipient_handle=None,
            reply_to_platform_id=None,
        )
        info = account_info(account)
    again = channel.send(info, outbound)
    assert (
        again.platform_message_id
        == _message(site, conversation_id, reply_id)["platform_message_id"]
    )
    assert [i["direction"] for i in site.transcript(token)["items"]] == ["in", "out"]


def _visitor_id(site: WebchatDesk) -> str:
    from socialdesk.store.models import WebchatVisitor

    with site.app.db.read_session() as session:
        return str(session.scalar(select(WebchatVisitor.visitor_id)))


def _events(site: WebchatDesk, conversation_id: int, kind: str) -> list[dict[str, Any]]:
    detail = site.api("GET", f"/conversations/{conversation_id}").json()
    return [e for e in detail["events"] if e["type"] == kind]


def test_offline_visitor_leaves_an_email_and_replies_are_queued_by_email(
    app: App, web: TestClient
) -> None:
    site = make_site(app, web, followup_email="care@acme.example")  # nobody online
    session = site.start_session()
    assert session["online"] is False
    response = site.say(
        session["token"], "My bill is wrong", name="Eli Park", email="Eli@Example.org"
    )
    accepted = response.json()
    assert (accepted["offline"], accepted["email_followup"]) == (True, True)
    site.process()
    [conversation] = site.conversations()
    detail = site.api("GET", f"/conversations/{conversation['id']}").json()
    identities = {(i["platform"], i["external_id"]) for i in detail["contact"]["identities"]}
    assert ("email", "eli@example.org") in identities
    [linked] = _events(site, conversation["id"], "webchat.email_followup")
    assert linked["data"]["identity"] == "linked"

    # No email account yet: the reply still waits in the widget, and the event says why.
    first = _agent_replies(site, conversation["id"], "Sorry! We corrected it.")
    site.process()
    assert _message(site, conversation["id"], first)["delivery_state"] == "sent"
    assert [i["text"] for i in site.transcript(session["token"])["items"]][-1] == (
        "Sorry! We corrected it."
    )
    reasons = [e["data"] for e in _events(site, conversation["id"], "webchat.email_followup")]
    assert {"queued": False, "reason": "no email channel account"}.items() <= reasons[-1].items()

    # With an email account (paused here: no mail server in this test) the next reply is
    # queued on it, in a conversation of that account with the same contact.
    with app.db.session() as db:
        mailbox = ChannelAccount(
            workspace_id=site.workspace_id,
            platform="email",
            name="Care mailbox",
            handle="care@acme.example",
            settings={},
            is_paused=True,
        )
        db.add(mailbox)
        db.flush()
        mailbox_id = mailbox.id
    second = _agent_replies(site, conversation["id"], "Your refund is on its way.")
    site.process()
    queued = _events(site, conversation["id"], "webchat.email_followup")[-1]["data"]
    assert queued["queued"] is True
    assert queued["email_channel_account_id"] == mailbox_id
    with app.db.read_session() as db:
        email = db.get(Message, queued["email_message_id"])
        assert email is not None
        assert (email.channel_account_id, email.text) == (mailbox_id, "Your refund is on its way.")
        assert (email.direction, email.visibility, email.delivery_state) == (
            "out",
            "private",
            "queued",
        )
        assert {"type": "email", "subject": "Your chat with Chat with Acme"} in email.attachments
        assert email.contact_id == detail["contact"]["id"]
        assert email.author_user_id == site.agent_id
        rows = db.scalars(select(WebchatMessage.text).where(WebchatMessage.direction == "out"))
        assert list(rows) == ["Sorry! We corrected it.", "Your refund is on its way."]
    assert second != first

    # Back online and chatting live: replies no longer go by email.
    site.set_online(True)
    live = site.say(session["token"], "Thanks, one more question")
    assert (live.json()["offline"], live.json()["email_followup"]) == (False, False)
