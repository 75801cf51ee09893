"""A customer comments on the Page, gets a private reply, then writes on Messenger: one
conversation with public and private messages; the 24-hour window is checked before a reply
is queued (409 with the reason) and a reply inside it reaches the fake Send API once; a
reply Meta refuses fails on the message with Meta's reason."""

from __future__ import annotations

from datetime import timedelta

from meta_fake_server import (
    COMMENT_ID,
    COMMENTER_ID,
    PAGE_ID,
    PSID,
    VERSION,
    MetaDesk,
    at_time,
    fixture,
    graph_error,
)
from sqlalchemy import select

from socialdesk.store.models import ContactIdentity, Message
from socialdesk.store.types import utcnow


def _messenger(fb: MetaDesk, mid: str, text: str, ago: timedelta) -> None:
    payload = at_time(fixture("facebook_message"), utcnow() - ago)
    payload["entry"][0]["messaging"][0]["message"] = {"mid": mid, "text": text}
    assert fb.deliver(payload).status_code == 200
    fb.process()


def test_comment_then_messenger_is_one_conversation_and_the_window_is_enforced(
    fb: MetaDesk,
) -> None:
    assert fb.deliver(at_time(fixture("facebook_comment"), utcnow() - timedelta(days=4))).is_success
    fb.process()
    [listed] = fb.get("/conversations").json()["items"]
    conversation = f"/conversations/{listed['id']}"

    # 1. A private reply to the comment (the customer never wrote on Messenger).
    first = fb.post(
        f"{conversation}/replies",
        {"text": "Hi Dana, could you DM us your account number?", "visibility": "private"},
    )
    assert first.status_code == 202, first.text
    fb.process()
    [private_reply] = fb.fake.requests
    assert private_reply.path == f"/{VERSION}/{PAGE_ID}/messages"
    assert private_reply.body == {
        "recipient": {"comment_id": COMMENT_ID},
        "message": {"text": "Hi Dana, could you DM us your account number?"},
    }
    with fb.app.db.read_session() as session:
        identities = session.scalars(
            select(ContactIdentity.external_id).order_by(ContactIdentity.id)
        ).all()
        sent = session.get(Message, first.json()["id"])
        assert sent is not None
    assert identities == [COMMENTER_ID, PSID]  # Meta's answer named the PSID: linked
    assert sent.delivery_state == "sent"
    with fb.app.db.session() as session:  # the reply went out four days ago
        stored = session.get(Message, sent.id)
        assert stored is not None
        stored.platform_time = utcnow() - timedelta(days=3, hours=20)

    # 2. The customer answers on Messenger three days ago: same person, same conversation.
    _messenger(fb, "m_dana_1", "Sure, it's 4471-220", timedelta(days=3))
    [again] = fb.get("/conversations").json()["items"]
    assert again["id"] == listed["id"]
    detail = fb.get(conversation).json()
    inbound = [(m["visibility"], m["text"]) for m in detail["messages"] if m["direction"] == "in"]
    assert inbound == [
        ("public", "My fibre has been down since this morning, any news?"),
        ("private", "Sure, it's 4471-220"),
    ]

    # 3. Three days later the window is closed: refused before anything is queued.
    refused = fb.post(f"{conversation}/replies", {"text": "Any luck?", "visibility": "private"})
    assert refused.status_code == 409
    assert refused.headers["content-type"] == "application/problem+json"
    assert refused.json()["detail"].startswith(
        "The customer last wrote on Messenger 3 days ago and last commented 4 days ago; "
        "Messenger allows replies within 24 hours of the customer's last message"
    )
    fb.process()
    assert len(fb.fake.requests) == 1

    # 4. The customer writes again: inside the window one Send API request goes out.
    _messenger(fb, "m_dana_2", "Still down!", timedelta(minutes=5))
    answer = fb.post(
        f"{conversation}/replies", {"text": "An engineer is on the way.", "visibility": "private"}
    )
    assert answer.status_code == 202, answer.text
    fb.process()
    assert len(fb.fake.requests) == 2
    send = fb.fake.requests[1]
    assert send.path == f"/{VERSION}/{PAGE_ID}/messages"
    assert send.body == {
        "recipient": {"id": PSID},
        "messaging_type": "RESPONSE",
        "message": {"text": "An engineer is on the way."},
    }
    out = [m for m in fb.get(conversation).json()["messages"] if m["direction"] == "out"]
    assert [m["delivery_state"] for m in out] == ["sent", "sent"]
    assert all(m["platform_message_id"].startswith("m_fake") for m in out)
    assert len(fb.conversations()) == 1


def test_a_public_reply_answers_the_comment_once_and_its_echo_changes_nothing(
    fb: MetaDesk,
) -> None:
    fb.deliver(at_time(fixture("facebook_comment"), utcnow() - timedelta(hours=1)))
    fb.process()
    [conversation] = fb.conversations()

    response = fb.post(
        f"/conversations/{conversation.id}/replies",
        {"text": "Sorry Dana, checking now.", "visibility": "public"},
    )
    assert response.status_code == 202
    fb.process()

    [request] = fb.fake.requests
    assert request.path == f"/{VERSION}/{COMMENT_ID}/comments"
    assert request.body == {"message": "Sorry Dana, checking now."}
    [out] = [m for m in fb.messages() if m.direction == "out"]
    echo = at_time(fixture("facebook_page_comment"), utcnow())
    echo["entry"][0]["changes"][0]["value"]["comment_id"] = out.platform_message_id
    fb.deliver(echo)
    fb.process()
    assert [(m.direction, m.visibility) for m in fb.messages()] == [
        ("in", "public"),
        ("out", "public"),
    ]


def test_a_reply_meta_refuses_fails_with_metas_reason(fb: MetaDesk) -> None:
    _messenger(fb, "m_dana_1", "Hello?", timedelta(minutes=1))
    [conversation] = fb.conversations()
    fb.fake.answer_next(400, graph_error("(#551) This person isn't available right now.", 551))

    fb.post(f"/conversations/{conversation.id}/replies", {"text": "Hi!", "visibility": "private"})
    fb.process()

    [out] = [
        m
        for m in fb.get(f"/conversations/{conversation.id}").json()["messages"]
        if m["direction"] == "out"
    ]
    assert out["delivery_state"] == "failed"
    assert out["delivery_error"] == (
        "Meta refused the private message: 400 (#551) (#551) This person isn't available right now."
    )


def test_a_rate_limited_reply_waits_and_is_retried(fb: MetaDesk) -> None:
    _messenger(fb, "m_dana_1", "Hello?", timedelta(minutes=1))
    [conversation] = fb.conversations()
    fb.fake.answer_next(
        400,
        graph_error("(#613) Calls to this api have exceeded the rate limit.", 613),
        {"retry-after": "120"},
    )

    fb.post(f"/conversations/{conversation.id}/replies", {"text": "Hi!", "visibility": "private"})
    fb.process()

    [out] = [m for m in fb.messages() if m.direction == "out"]
    assert out.delivery_state == "queued"
    assert len(fb.fake.requests) == 1
