"""The Twilio SMS webhooks (web/hooks/sms.py): the signature over the exact public URL,
storage before the empty TwiML answer, redeliveries, and status callbacks."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from desk_kit import acme_agent
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from twilio_fake_server import (
    ACCOUNT_SID,
    AUTH_TOKEN,
    CUSTOMER_NUMBER,
    PUBLIC_URL,
    FakeTwilio,
    SmsDesk,
    connect_number,
    fixture,
    replace,
    sign,
)

from socialdesk.bootstrap import App
from socialdesk.store.models import ContactIdentity, RawEvent


@pytest.fixture
def desk(app: App, web: TestClient) -> Iterator[SmsDesk]:
    fake = FakeTwilio(account_sid=ACCOUNT_SID, auth_token=AUTH_TOKEN).start()
    try:
        workspace_id, _, token = acme_agent(app, email="a@acme.example")
        account_id = connect_number(app, workspace_id, fake.url)
        yield SmsDesk(app, web, fake, workspace_id, account_id, token)
    finally:
        fake.stop()


def raw_events(desk: SmsDesk) -> int:
    with desk.app.db.read_session() as session:
        return session.scalar(select(func.count()).select_from(RawEvent)) or 0


def test_a_signed_sms_is_stored_answered_with_empty_twiml_then_ingested(desk: SmsDesk) -> None:
    response = desk.deliver(fixture("inbound_sms"))

    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/xml")
    assert response.text == '<?xml version="1.0" encoding="UTF-8"?><Response/>'
    assert raw_events(desk) == 1
    assert desk.messages() == []
    desk.process()
    [message] = desk.messages()
    assert (message.direction, message.visibility, message.platform) == ("in", "private", "sms")
    with desk.app.db.read_session() as session:
        identity = session.scalar(select(ContactIdentity).where(ContactIdentity.platform == "sms"))
        assert identity is not None
        assert identity.external_id == CUSTOMER_NUMBER


def test_the_signature_is_over_the_configured_public_url_not_the_local_one(
    desk: SmsDesk,
) -> None:
    path = f"/hooks/sms/{desk.account_id}"
    local = desk.deliver(fixture("inbound_sms"), signed_url=f"http://testserver{path}")

    assert local.status_code == 403
    assert PUBLIC_URL in local.json()["detail"]
    ok = desk.deliver(fixture("inbound_sms"), signed_url=f"https://desk.example.com:443{path}")
    assert ok.status_code == 200


def test_a_query_string_is_part_of_the_signed_url(desk: SmsDesk) -> None:
    path = f"/hooks/sms/{desk.account_id}?source=console"

    signed = desk.deliver(fixture("inbound_sms"), path=path)
    unsigned_query = desk.deliver(
        fixture("inbound_sms"), path=path, signed_url=f"{PUBLIC_URL}/hooks/sms/{desk.account_id}"
    )

    assert signed.status_code == 200
    assert unsigned_query.status_code == 403


def test_without_a_public_url_the_url_requested_is_signed(app: App, desk: SmsDesk) -> None:
    other = connect_number(
        app, desk.workspace_id, desk.fake.url, handle="+14155550111", public_url=""
    )
    path = f"/hooks/sms/{other}"

    response = desk.deliver(
        fixture("inbound_sms"), path=path, signed_url=f"http://testserver{path}"
    )

    assert response.status_code == 200, response.text


def test_a_missing_signature_is_401(desk: SmsDesk) -> None:
    response = desk.deliver(fixture("inbound_sms"), signature="")

    assert response.status_code == 401
    assert response.headers["content-type"].startswith("application/problem+json")
    assert raw_events(desk) == 0


def test_a_tampered_body_or_another_token_is_403(desk: SmsDesk) -> None:
    params = fixture("inbound_sms")
    good = sign(AUTH_TOKEN, f"{PUBLIC_URL}/hooks/sms/{desk.account_id}", params)
    tampered = replace(params, Body="Send the refund to my other account")

    assert desk.deliver(tampered, signature=good).status_code == 403
    assert desk.deliver(params, token="another-token").status_code == 403
    assert raw_events(desk) == 0


def test_an_unknown_account_is_404(desk: SmsDesk) -> None:
    response = desk.deliver(fixture("inbound_sms"), path=f"/hooks/sms/{desk.account_id + 50}")

    assert response.status_code == 404


def test_json_or_a_signed_body_without_a_message_is_400(desk: SmsDesk) -> None:
    path = f"/hooks/sms/{desk.account_id}"
    as_json = desk.client.post(
        path,
        json={"MessageSid": "SM1"},
        headers={"X-Twilio-Signature": sign(AUTH_TOKEN, PUBLIC_URL + path, [])},
    )
    no_sid = desk.deliver([("From", CUSTOMER_NUMBER), ("Body", "hi")])

    assert as_json.status_code == 400
    assert no_sid.status_code == 400
    assert no_sid.headers["content-type"].startswith("application/problem+json")
    assert raw_events(desk) == 0


def test_a_redelivered_sms_is_stored_once(desk: SmsDesk) -> None:
    desk.deliver(fixture("inbound_sms"))
    desk.process()
    again = desk.deliver(fixture("inbound_sms"))
    desk.process()

    assert again.status_code == 200
    assert raw_events(desk) == 1
    assert len(desk.messages()) == 1


def test_status_callbacks_are_signed_stored_once_per_status_and_not_messages(
    desk: SmsDesk,
) -> None:
    delivered = desk.status(fixture("status_delivered"))
    repeated = desk.status(fixture("status_delivered"))
    sent = desk.status(replace(fixture("status_delivered"), MessageStatus="sent"))
    forged = desk.deliver(
        fixture("status_delivered"), path=f"/hooks/sms/{desk.account_id}/status", token="x"
    )

    assert [r.status_code for r in (delivered, repeated, sent, forged)] == [200, 200, 200, 403]
    assert raw_events(desk) == 2
    desk.process()
    assert desk.messages() == []


def test_the_status_route_wants_a_status_and_the_message_route_a_message(
    desk: SmsDesk,
) -> None:
    assert desk.status(fixture("inbound_sms")).status_code == 400
    assert desk.deliver(fixture("status_delivered")).status_code == 400
    assert raw_events(desk) == 0
