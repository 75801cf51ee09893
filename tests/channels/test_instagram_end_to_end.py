"""Instagram through the webhook and the fake Graph API: the subscription check and
signatures, a comment answered publicly (POST /{comment}/replies), a private reply to it,
then direct messages inside and outside the window."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from meta_fake_server import (
    IG_COMMENT_ID,
    IG_ID,
    IGSID,
    VERIFY_TOKEN,
    VERSION,
    FakeGraph,
    MetaDesk,
    at_time,
    fixture,
    instagram_graph,
    make_desk,
)

from socialdesk.bootstrap import App
from socialdesk.store.types import utcnow


@pytest.fixture
def fake() -> Iterator[FakeGraph]:
    server = instagram_graph().start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def ig(app: App, web: TestClient, fake: FakeGraph) -> MetaDesk:
    return make_desk(app, web, "instagram", fake)


def _comment(ig: MetaDesk, ago: timedelta) -> int:
    payload = fixture("instagram_comment")
    payload["entry"][0]["time"] = int((utcnow() - ago).timestamp())
    assert ig.deliver(payload).status_code == 200
    ig.process()
    [conversation] = ig.conversations()
    return conversation.id


def test_the_subscription_check_and_signatures(ig: MetaDesk) -> None:
    ok = ig.client.get(
        f"/hooks/instagram/{ig.account_id}",
        params={"hub.mode": "subscribe", "hub.verify_token": VERIFY_TOKEN, "hub.challenge": "42"},
    )
    wrong = ig.deliver(fixture("instagram_comment"), secret="other")
    facebook = ig.client.get(f"/hooks/facebook/{ig.account_id}")

    assert (ok.status_code, ok.text) == (200, "42")
    assert wrong.status_code == 403
    assert facebook.status_code == 404  # an Instagram account is not a Facebook Page


def test_a_comment_answered_publicly_reaches_instagram_once(ig: MetaDesk) -> None:
    conversation_id = _comment(ig, timedelta(hours=2))

    response = ig.post(
        f"/conversations/{conversation_id}/replies",
        {"text": "@dana.k Yes, fixed since 10am!", "visibility": "public"},
    )
    assert response.status_code == 202, response.text
    ig.process()

    [request] = ig.fake.requests
    assert (request.method, request.path) == ("POST", f"/{VERSION}/{IG_COMMENT_ID}/replies")
    assert request.body == {"message": "@dana.k Yes, fixed since 10am!"}
    detail = ig.get(f"/conversations/{conversation_id}").json()
    [out] = [m for m in detail["messages"] if m["direction"] == "out"]
    assert out["delivery_state"] == "sent"
    assert out["reply_to_platform_id"] == IG_COMMENT_ID


def test_comment_private_reply_then_direct_messages(ig: MetaDesk) -> None:
    conversation_id = _comment(ig, timedelta(days=2))
    path = f"/conversations/{conversation_id}/replies"

    assert ig.post(path, {"text": "Sent you a DM", "visibility": "private"}).status_code == 202
    ig.process()
    [private_reply] = ig.fake.requests
    assert private_reply.path == f"/{VERSION}/{IG_ID}/messages"
    assert private_reply.body["recipient"] == {"comment_id": IG_COMMENT_ID}

    # A second private reply to the same comment is not offered: Meta allows one.
    second = ig.post(path, {"text": "Hello again", "visibility": "private"})
    assert second.status_code == 202
    ig.process()
    assert len(ig.fake.requests) == 1
    failed = [m for m in ig.messages() if m.direction == "out" and m.delivery_state == "failed"]
    assert len(failed) == 1
    assert "already had its private reply" in (failed[0].delivery_error or "")

    # The customer answers by DM (IGSID linked by the private reply): same conversation.
    dm = at_time(fixture("instagram_message"), utcnow() - timedelta(minutes=3))
    assert ig.deliver(dm).status_code == 200
    ig.process()
    assert [c.id for c in ig.conversations()] == [conversation_id]

    assert ig.post(path, {"text": "Thanks, all fixed?", "visibility": "private"}).status_code == 202
    ig.process()
    assert len(ig.fake.requests) == 2
    assert ig.fake.requests[1].body == {
        "recipient": {"id": IGSID},
        "messaging_type": "RESPONSE",
        "message": {"text": "Thanks, all fixed?"},
    }
