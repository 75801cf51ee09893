"""Sending an SMS through Twilio's Messages API (channels/sms) against the local fake Twilio,
and how the outbox worker turns Twilio's answers into retries and failures."""

from __future__ import annotations

import base64
from collections.abc import Iterator
from datetime import timedelta

import httpx
import pytest
from desk_kit import acme_agent
from fastapi.testclient import TestClient
from sqlalchemy import select
from twilio_fake_server import (
    ACCOUNT_SID,
    AUTH_TOKEN,
    BRAND_NUMBER,
    CUSTOMER_NUMBER,
    PUBLIC_URL,
    FakeTwilio,
    SmsDesk,
    connect_number,
    fixture,
)

from socialdesk.bootstrap import App
from socialdesk.channels.base import AccountInfo, OutboundMessage, SendError
from socialdesk.channels.sms import SmsChannel
from socialdesk.jobs.queue import JobStatus
from socialdesk.store.models import Job, Message
from socialdesk.store.types import utcnow

MESSAGES_PATH = f"/2010-04-01/Accounts/{ACCOUNT_SID}/Messages.json"


@pytest.fixture
def server() -> Iterator[FakeTwilio]:
    fake = FakeTwilio(account_sid=ACCOUNT_SID, auth_token=AUTH_TOKEN).start()
    try:
        yield fake
    finally:
        fake.stop()


def account(base_url: str, token: str = AUTH_TOKEN, **settings: str) -> AccountInfo:
    return AccountInfo(
        id=9,
        workspace_id=1,
        platform="sms",
        handle=BRAND_NUMBER,
        external_id=BRAND_NUMBER,
        settings={"api_base_url": base_url, "account_sid": ACCOUNT_SID, **settings},
        credentials={"auth_token": token},
    )


def outbound(text: str = "We're on it!", to: str | None = CUSTOMER_NUMBER) -> OutboundMessage:
    return OutboundMessage(
        idempotency_key="k1",
        visibility="private",
        text=text,
        recipient_external_id=to,
        recipient_handle=to,
        reply_to_platform_id="SM3f9a1c2b7d4e4c0a9b8e5d6f7a8b9c0d",
    )


def test_a_reply_is_one_form_post_with_basic_auth_and_a_status_callback(
    server: FakeTwilio,
) -> None:
    result = SmsChannel().send(account(server.url, public_url=PUBLIC_URL + "/"), outbound())

    [request] = server.requests
    assert (request.method, request.path) == ("POST", MESSAGES_PATH)
    assert (
        request.headers["authorization"]
        == "Basic " + base64.b64encode(f"{ACCOUNT_SID}:{AUTH_TOKEN}".encode()).decode()
    )
    assert request.headers["content-type"] == "application/x-www-form-urlencoded"
    assert request.form == {
        "To": CUSTOMER_NUMBER,
        "Body": "We're on it!",
        "From": BRAND_NUMBER,
        "StatusCallback": f"{PUBLIC_URL}/hooks/sms/9/status",
    }
    assert result.platform_message_id.startswith("SM")


def test_a_messaging_service_replaces_from_and_no_public_url_means_no_callback(
    server: FakeTwilio,
) -> None:
    SmsChannel().send(
        account(server.url, messaging_service_sid="MG2b7e8d9c0a1f4e3b8c7d6e5f4a3b2c1d"),
        outbound(),
    )

    assert server.requests[0].form == {
        "To": CUSTOMER_NUMBER,
        "Body": "We're on it!",
        "MessagingServiceSid": "MG2b7e8d9c0a1f4e3b8c7d6e5f4a3b2c1d",
    }


def test_429_is_retried_after_retry_after(server: FakeTwilio) -> None:
    server.answer_next(
        429,
        {"code": 20429, "message": "Too Many Requests", "more_info": "", "status": 429},
        {"Retry-After": "30"},
    )

    with pytest.raises(SendError) as limited:
        SmsChannel().send(account(server.url), outbound())

    assert not limited.value.permanent
    assert limited.value.retry_after == 30
    assert "20429" in limited.value.reason


def test_503_is_transient(server: FakeTwilio) -> None:
    server.answer_next(503, {"code": 20503, "message": "Service unavailable", "status": 503})

    with pytest.raises(SendError) as outage:
        SmsChannel().send(account(server.url), outbound())

    assert not outage.value.permanent


def test_an_invalid_number_is_permanent_with_twilios_code_message_and_link(
    server: FakeTwilio,
) -> None:
    with pytest.raises(SendError) as refused:
        SmsChannel().send(account(server.url), outbound(to="+1555"))

    assert refused.value.permanent
    assert refused.value.reason == (
        "Twilio refused the SMS: 400 error 21211: The 'To' number +1555 is not a valid phone "
        "number. (https://www.twilio.com/docs/errors/21211)"
    )


def test_wrong_credentials_are_permanent_and_say_to_reconnect(server: FakeTwilio) -> None:
    with pytest.raises(SendError) as refused:
        SmsChannel().send(account(server.url, token="wrong"), outbound())

    assert refused.value.permanent
    assert "20003" in refused.value.reason
    assert "connect the account again" in refused.value.reason


@pytest.mark.parametrize("visibility", ["public"])
def test_public_sends_and_missing_numbers_never_reach_twilio(
    server: FakeTwilio, visibility: str
) -> None:
    public = OutboundMessage("k", visibility, "hi", CUSTOMER_NUMBER, None, None)
    with pytest.raises(SendError):
        SmsChannel().send(account(server.url), public)
    with pytest.raises(SendError):
        SmsChannel().send(account(server.url), outbound(to=None))

    assert server.requests == []


def test_a_success_without_a_sid_is_not_sent_again() -> None:
    transport = httpx.MockTransport(lambda _r: httpx.Response(201, json={"status": "queued"}))

    with pytest.raises(SendError) as odd:
        SmsChannel(transport=transport).send(account("https://twilio.test"), outbound())

    assert odd.value.permanent


# -- the outbox worker -------------------------------------------------------------------------
@pytest.fixture
def desk(app: App, web: TestClient, server: FakeTwilio) -> SmsDesk:
    workspace_id, _, token = acme_agent(app, email="a@acme.example")
    account_id = connect_number(app, workspace_id, server.url)
    return SmsDesk(app, web, server, workspace_id, account_id, token)


def _queued_reply(desk: SmsDesk, visibility: str = "private") -> int:
    desk.deliver(fixture("inbound_sms"))
    desk.process()
    [conversation] = desk.conversations()
    response = desk.post(
        f"/conversations/{conversation.id}/replies",
        {"text": "Sorry about that! A technician is on the way.", "visibility": visibility},
    )
    assert response.status_code in (200, 201, 202), response.text
    return int(response.json()["id"])


def _job(desk: SmsDesk, message_id: int) -> Job:
    with desk.app.db.read_session() as session:
        job = session.scalar(select(Job).where(Job.idempotency_key == f"deliver:{message_id}"))
        assert job is not None
        return job


def _message(desk: SmsDesk, message_id: int) -> Message:
    with desk.app.db.read_session() as session:
        message = session.get(Message, message_id)
        assert message is not None
        return message


def test_a_rate_limited_sms_waits_then_is_sent(desk: SmsDesk) -> None:
    message_id = _queued_reply(desk)
    desk.fake.answer_next(
        429, {"code": 20429, "message": "Too Many Requests", "status": 429}, {"Retry-After": "60"}
    )

    desk.process()

    job = _job(desk, message_id)
    assert job.status == JobStatus.QUEUED
    assert timedelta(seconds=50) < job.run_at - utcnow() <= timedelta(seconds=60)
    with desk.app.db.session() as session:
        stored = session.get(Job, job.id)
        assert stored is not None
        stored.run_at = utcnow()
    desk.process()
    assert _message(desk, message_id).delivery_state == "sent"
    assert len(desk.fake.requests) == 2


def test_an_outage_is_retried_with_backoff(desk: SmsDesk) -> None:
    message_id = _queued_reply(desk)
    desk.fake.answer_next(500, {"code": 20500, "message": "Internal Server Error", "status": 500})

    desk.process()

    job = _job(desk, message_id)
    assert job.status == JobStatus.QUEUED
    assert job.run_at > utcnow()
    assert _message(desk, message_id).delivery_state == "queued"


def test_a_refused_sms_fails_with_twilios_reason_on_the_message(desk: SmsDesk) -> None:
    message_id = _queued_reply(desk)
    desk.fake.answer_next(
        400,
        {
            "code": 21610,
            "message": "Attempt to send to unsubscribed recipient",
            "more_info": "https://www.twilio.com/docs/errors/21610",
            "status": 400,
        },
    )

    desk.process()

    failed = _message(desk, message_id)
    assert failed.delivery_state == "failed"
    assert failed.delivery_error == (
        "Twilio refused the SMS: 400 error 21610: Attempt to send to unsubscribed recipient "
        "(https://www.twilio.com/docs/errors/21610)"
    )
    assert _job(desk, message_id).status == JobStatus.FAILED


def test_a_public_sms_reply_is_refused_before_it_is_queued(desk: SmsDesk) -> None:
    desk.deliver(fixture("inbound_sms"))
    desk.process()
    [conversation] = desk.conversations()

    response = desk.post(
        f"/conversations/{conversation.id}/replies", {"text": "hi", "visibility": "public"}
    )

    assert response.status_code in (409, 422)
    assert response.headers["content-type"].startswith("application/problem+json")
    assert [m.direction for m in desk.messages()] == ["in"]
