"""Sending to X (channels/twitter/_client.py) against the local fake X server, and how the
outbox worker turns X's answers into retries and failures (services/replies.py)."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from datetime import timedelta
from email.utils import format_datetime

import httpx
import pytest
from sqlalchemy import select
from x_fake_server import FakeX
from x_support import ACCESS_TOKEN, BRAND_HANDLE, BRAND_ID, CUSTOMER_ID, MENTION_ID, XDesk, fixture

from socialdesk.channels.base import AccountInfo, OutboundMessage, SendError
from socialdesk.channels.twitter import TwitterChannel, retry_after_seconds
from socialdesk.jobs.queue import JobStatus
from socialdesk.services.events import Actor
from socialdesk.services.replies import reply
from socialdesk.store.models import Job, Message
from socialdesk.store.types import utcnow


@pytest.fixture
def server() -> Iterator[FakeX]:
    fake = FakeX(token=ACCESS_TOKEN).start()
    try:
        yield fake
    finally:
        fake.stop()


def account(base_url: str, token: str = ACCESS_TOKEN) -> AccountInfo:
    return AccountInfo(
        id=1,
        workspace_id=1,
        platform="twitter",
        handle=BRAND_HANDLE,
        external_id=BRAND_ID,
        settings={"api_base_url": base_url},
        credentials={"consumer_secret": "s", "access_token": token},
    )


def public_reply(text: str = "We're on it, Dana!") -> OutboundMessage:
    return OutboundMessage(
        idempotency_key="k1",
        visibility="public",
        text=text,
        recipient_external_id=CUSTOMER_ID,
        recipient_handle="dana_k",
        reply_to_platform_id=MENTION_ID,
    )


def private_reply(text: str = "Could you send us your address?") -> OutboundMessage:
    return OutboundMessage(
        idempotency_key="k2",
        visibility="private",
        text=text,
        recipient_external_id=CUSTOMER_ID,
        recipient_handle="dana_k",
        reply_to_platform_id=None,
    )


# -- the client against the fake server ------------------------------------------------------
def test_a_public_reply_is_one_documented_post_to_2_tweets(server: FakeX) -> None:
    result = TwitterChannel().send(account(server.url), public_reply())

    [request] = server.requests
    assert (request.method, request.path) == ("POST", "/2/tweets")
    assert request.headers["authorization"] == f"Bearer {ACCESS_TOKEN}"
    assert request.headers["content-type"] == "application/json"
    assert request.body == {
        "text": "We're on it, Dana!",
        "reply": {"in_reply_to_tweet_id": MENTION_ID},
    }
    assert result.platform_message_id.isdigit()


def test_a_private_reply_is_a_dm_to_the_customer(server: FakeX) -> None:
    result = TwitterChannel().send(account(server.url), private_reply())

    [request] = server.requests
    assert request.path == f"/2/dm_conversations/with/{CUSTOMER_ID}/messages"
    assert request.body == {"text": "Could you send us your address?"}
    assert result.platform_message_id.isdigit()


def test_a_dm_without_a_recipient_is_refused_before_calling_x(server: FakeX) -> None:
    message = OutboundMessage(
        idempotency_key="k3",
        visibility="private",
        text="hi",
        recipient_external_id=None,
        recipient_handle=None,
        reply_to_platform_id=None,
    )

    with pytest.raises(SendError) as refused:
        TwitterChannel().send(account(server.url), message)

    assert refused.value.permanent
    assert server.requests == []


def test_429_with_retry_after_is_retried_after_that_many_seconds(server: FakeX) -> None:
    server.answer_next(
        429,
        {"title": "Too Many Requests", "detail": "Too Many Requests", "status": 429},
        {"retry-after": "120", "x-rate-limit-remaining": "0"},
    )

    with pytest.raises(SendError) as limited:
        TwitterChannel().send(account(server.url), public_reply())

    assert not limited.value.permanent
    assert limited.value.retry_after == 120
    assert "rate limit" in limited.value.reason


def test_429_with_only_x_rate_limit_reset_waits_until_the_reset(server: FakeX) -> None:
    reset = int(time.time()) + 600
    server.answer_next(
        429,
        {"errors": [{"code": 88, "message": "Rate limit exceeded"}]},
        {
            "x-rate-limit-limit": "100",
            "x-rate-limit-remaining": "0",
            "x-rate-limit-reset": str(reset),
        },
    )

    with pytest.raises(SendError) as limited:
        TwitterChannel().send(account(server.url), public_reply())

    assert not limited.value.permanent
    assert limited.value.retry_after is not None
    assert 590 <= limited.value.retry_after <= 600
    assert "Rate limit exceeded" in limited.value.reason


def test_503_is_retried(server: FakeX) -> None:
    server.answer_next(503, {"title": "Service Unavailable", "detail": "Service Unavailable"})

    with pytest.raises(SendError) as outage:
        TwitterChannel().send(account(server.url), public_reply())

    assert not outage.value.permanent
    assert outage.value.retry_after is None  # the worker's exponential backoff decides
    assert "503" in outage.value.reason


def test_403_is_permanent_and_carries_xs_reason(server: FakeX) -> None:
    server.answer_next(
        403,
        {
            "title": "Forbidden",
            "detail": "You are not allowed to create a Tweet with duplicate content.",
            "type": "about:blank",
            "status": 403,
        },
    )

    with pytest.raises(SendError) as refused:
        TwitterChannel().send(account(server.url), public_reply())

    assert refused.value.permanent
    assert refused.value.reason == (
        "X refused the reply: 403 Forbidden - You are not allowed to create a Tweet with "
        "duplicate content."
    )


def test_a_wrong_token_is_permanent_and_says_to_reconnect(server: FakeX) -> None:
    with pytest.raises(SendError) as refused:
        TwitterChannel().send(account(server.url, token="expired"), public_reply())

    assert refused.value.permanent
    assert "401" in refused.value.reason
    assert "connect the account again" in refused.value.reason


def test_a_request_x_finds_invalid_is_permanent_with_its_message(server: FakeX) -> None:
    with pytest.raises(SendError) as refused:
        TwitterChannel().send(account(server.url), public_reply("x" * 281))

    assert refused.value.permanent
    assert "text is longer than 280 characters" in refused.value.reason


def test_an_unreachable_x_is_retried(server: FakeX) -> None:
    url = server.url
    server.stop()

    with pytest.raises(SendError) as unreachable:
        TwitterChannel(timeout=2).send(account(url), public_reply())

    assert not unreachable.value.permanent


def test_an_injected_transport_carries_the_requests() -> None:
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(201, json={"data": {"id": "1924999", "text": "ok"}})

    channel = TwitterChannel(transport=httpx.MockTransport(handler))
    result = channel.send(account("https://api.x.test"), public_reply())

    assert result.platform_message_id == "1924999"
    assert str(seen[0].url) == "https://api.x.test/2/tweets"
    assert json.loads(seen[0].content)["reply"] == {"in_reply_to_tweet_id": MENTION_ID}


def test_a_success_without_an_id_is_not_sent_again() -> None:
    transport = httpx.MockTransport(lambda _request: httpx.Response(201, json={"data": {}}))

    with pytest.raises(SendError) as odd:
        TwitterChannel(transport=transport).send(account("https://api.x.test"), public_reply())

    assert odd.value.permanent


def test_retry_after_may_be_an_http_date() -> None:
    now = time.time()
    when = format_datetime(utcnow() + timedelta(seconds=90), usegmt=True)

    waited = retry_after_seconds(httpx.Headers({"retry-after": when}), now=now)

    assert waited is not None and 85 <= waited <= 91


def test_no_retry_headers_leave_the_wait_to_the_worker() -> None:
    assert retry_after_seconds(httpx.Headers({})) is None


# -- the outbox worker with X's answers --------------------------------------------------------
def _queued_reply(x: XDesk, visibility: str = "public") -> int:
    x.deliver(fixture("mention"))
    x.deliver(fixture("direct_message"))
    x.process()
    [conversation] = x.conversations()
    with x.app.db.session() as session:
        message = reply(
            session,
            x.workspace_id,
            conversation.id,
            Actor("api"),
            text="Sorry about the trouble, Dana!",
            visibility=visibility,
        )
        return message.id


def _job(x: XDesk, message_id: int) -> Job:
    with x.app.db.read_session() as session:
        job = session.scalar(select(Job).where(Job.idempotency_key == f"deliver:{message_id}"))
        assert job is not None
        return job


def _message(x: XDesk, message_id: int) -> Message:
    with x.app.db.read_session() as session:
        message = session.get(Message, message_id)
        assert message is not None
        return message


def test_a_rate_limited_reply_waits_for_retry_after_then_is_sent(x: XDesk) -> None:
    message_id = _queued_reply(x)
    x.fake.answer_next(429, {"title": "Too Many Requests"}, {"retry-after": "120"})

    x.process()

    job = _job(x, message_id)
    assert job.status == JobStatus.QUEUED
    assert timedelta(seconds=110) < job.run_at - utcnow() <= timedelta(seconds=120)
    assert _message(x, message_id).delivery_state == "queued"
    with x.app.db.session() as session:  # time passes
        stored = session.get(Job, job.id)
        assert stored is not None
        stored.run_at = utcnow()
    x.process()
    sent = _message(x, message_id)
    assert sent.delivery_state == "sent"
    assert len(x.fake.posts("/2/tweets")) == 2  # the refused attempt and the accepted one


def test_an_outage_is_retried_with_backoff(x: XDesk) -> None:
    message_id = _queued_reply(x)
    x.fake.answer_next(503, {"title": "Service Unavailable"})

    x.process()

    job = _job(x, message_id)
    assert job.status == JobStatus.QUEUED
    assert job.run_at > utcnow()
    assert "503" in (job.last_error or "")
    assert _message(x, message_id).delivery_state == "queued"


def test_a_refused_reply_fails_with_xs_reason_on_the_message(x: XDesk) -> None:
    message_id = _queued_reply(x)
    x.fake.answer_next(
        403,
        {
            "title": "Forbidden",
            "detail": "You are not permitted to perform this action.",
            "type": "about:blank",
            "status": 403,
        },
    )

    x.process()

    failed = _message(x, message_id)
    assert failed.delivery_state == "failed"
    assert failed.delivery_error == (
        "X refused the reply: 403 Forbidden - You are not permitted to perform this action."
    )
    assert _job(x, message_id).status == JobStatus.FAILED
    response = x.get(f"/conversations/{failed.conversation_id}")
    [out] = [m for m in response.json()["messages"] if m["direction"] == "out"]
    assert out["delivery_state"] == "failed"
    assert "not permitted" in out["delivery_error"]


def test_a_private_reply_goes_out_as_a_dm_with_the_decrypted_token(x: XDesk) -> None:
    message_id = _queued_reply(x, visibility="private")

    x.process()

    [request] = x.fake.requests
    assert request.path == f"/2/dm_conversations/with/{CUSTOMER_ID}/messages"
    assert request.headers["authorization"] == f"Bearer {ACCESS_TOKEN}"
    assert _message(x, message_id).delivery_state == "sent"
