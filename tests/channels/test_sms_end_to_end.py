"""A customer texts the number, an agent answers through the API, the worker sends exactly
one message to (the fake) Twilio with our status callback URL, and Twilio's signed status
callbacks move the reply to delivered, or to failed with Twilio's reason."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from desk_kit import acme_agent
from fastapi.testclient import TestClient
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
    replace,
)

from socialdesk.bootstrap import App


@pytest.fixture
def desk(app: App, web: TestClient) -> Iterator[SmsDesk]:
    fake = FakeTwilio(account_sid=ACCOUNT_SID, auth_token=AUTH_TOKEN).start()
    try:
        workspace_id, _, token = acme_agent(app, email="a@acme.example")
        account_id = connect_number(app, workspace_id, fake.url)
        yield SmsDesk(app, web, fake, workspace_id, account_id, token)
    finally:
        fake.stop()


def _answer(desk: SmsDesk) -> tuple[int, str]:
    assert desk.deliver(fixture("inbound_sms")).status_code == 200
    desk.process()
    [listed] = desk.get("/conversations").json()["items"]
    response = desk.post(
        f"/conversations/{listed['id']}/replies",
        {"text": "Sorry! Your line is being reset now.", "visibility": "private"},
    )
    assert response.status_code in (200, 201, 202), response.text
    desk.process()
    desk.process()
    [request] = desk.fake.requests
    assert request.form == {
        "To": CUSTOMER_NUMBER,
        "From": BRAND_NUMBER,
        "Body": "Sorry! Your line is being reset now.",
        "StatusCallback": f"{PUBLIC_URL}/hooks/sms/{desk.account_id}/status",
    }
    detail = desk.get(f"/conversations/{listed['id']}").json()
    [out] = [m for m in detail["messages"] if m["direction"] == "out"]
    assert out["delivery_state"] == "sent"
    return int(listed["id"]), str(out["platform_message_id"])


def _out(desk: SmsDesk, conversation_id: int) -> dict[str, str]:
    detail = desk.get(f"/conversations/{conversation_id}").json()
    [out] = [m for m in detail["messages"] if m["direction"] == "out"]
    return dict(out)


def test_sms_answered_through_the_api_is_sent_once_then_delivered(desk: SmsDesk) -> None:
    conversation_id, sid = _answer(desk)

    for status in ("sent", "delivered"):
        callback = replace(
            fixture("status_delivered"), MessageSid=sid, SmsSid=sid, MessageStatus=status
        )
        assert desk.status(callback).status_code == 200
    desk.process()

    out = _out(desk, conversation_id)
    assert out["delivery_state"] == "delivered"
    # A late "sent" never moves it back.
    late = replace(fixture("status_delivered"), MessageSid=sid, MessageStatus="queued")
    desk.status(late)
    desk.process()
    assert _out(desk, conversation_id)["delivery_state"] == "delivered"
    assert len(desk.fake.requests) == 1


def test_an_undelivered_sms_shows_twilios_reason(desk: SmsDesk) -> None:
    conversation_id, sid = _answer(desk)

    desk.status(replace(fixture("status_undelivered"), MessageSid=sid, SmsSid=sid))
    desk.process()

    out = _out(desk, conversation_id)
    assert out["delivery_state"] == "failed"
    assert "30003" in out["delivery_error"]
    assert "unreachable destination handset" in out["delivery_error"]
