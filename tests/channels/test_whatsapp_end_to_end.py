"""A WhatsApp message arrives by webhook, an agent answers through the REST API, the worker
delivers exactly one request to (the fake) Cloud API, and Meta's status updates move the
message's delivery state; outside the 24-hour window only templates go out."""

from __future__ import annotations

import time
from typing import Any

import pytest
from whatsapp_fake_server import (
    CUSTOMER_WA_ID,
    PHONE_NUMBER_ID,
    WaDesk,
    fixture,
    status_payload,
    value_of,
)

CUSTOMER_MESSAGE = "wamid.HBgLMTY1MDU1NTEyMzQVAgASGBQzQTRBNjU5OUFFRTAzODEwMTQ0RgA="


def _text_from_customer(hours_ago: float = 0.1) -> dict[str, Any]:
    payload = fixture("text")
    value_of(payload)["messages"][0]["timestamp"] = str(int(time.time() - hours_ago * 3600))
    return payload


def _conversation_id(wa: WaDesk, hours_ago: float = 0.1) -> int:
    assert wa.deliver(_text_from_customer(hours_ago)).status_code == 200
    wa.process()
    listed = wa.get("/conversations").json()["items"]
    assert len(listed) == 1
    return int(listed[0]["id"])


def _sent_reply(wa: WaDesk) -> tuple[int, str]:
    """(conversation id, wamid) of an agent's reply the fake Cloud API accepted."""
    conversation_id = _conversation_id(wa)
    response = wa.post(
        f"/conversations/{conversation_id}/replies",
        {"text": "Sorry, Sheena! It ships today.", "visibility": "private"},
    )
    assert response.status_code == 202, response.text
    wa.process()
    [out] = _outbound(wa, conversation_id)
    assert out["delivery_state"] == "sent"
    return conversation_id, out["platform_message_id"]


def _outbound(wa: WaDesk, conversation_id: int) -> list[dict[str, Any]]:
    detail = wa.get(f"/conversations/{conversation_id}").json()
    return [m for m in detail["messages"] if m["direction"] == "out"]


def test_a_message_answered_through_the_api_reaches_whatsapp_once(wa: WaDesk) -> None:
    conversation_id = _conversation_id(wa)
    detail = wa.get(f"/conversations/{conversation_id}").json()
    [inbound] = detail["messages"]
    assert (inbound["visibility"], inbound["platform_message_id"]) == ("private", CUSTOMER_MESSAGE)

    response = wa.post(
        f"/conversations/{conversation_id}/replies",
        {
            "text": "Sorry about that! What would you like to do?",
            "visibility": "private",
            "buttons": ["Track my order", "Get a refund"],
        },
    )
    assert response.status_code == 202, response.text
    wa.process()

    [request] = wa.fake.requests
    assert (request.method, request.path) == ("POST", f"/v23.0/{PHONE_NUMBER_ID}/messages")
    assert request.body == {
        "messaging_product": "whatsapp",
        "recipient_type": "individual",
        "to": CUSTOMER_WA_ID,
        "type": "interactive",
        "interactive": {
            "type": "button",
            "body": {"text": "Sorry about that! What would you like to do?"},
            "action": {
                "buttons": [
                    {"type": "reply", "reply": {"id": "option-1", "title": "Track my order"}},
                    {"type": "reply", "reply": {"id": "option-2", "title": "Get a refund"}},
                ]
            },
        },
        "context": {"message_id": CUSTOMER_MESSAGE},
    }
    [out] = _outbound(wa, conversation_id)
    assert out["delivery_state"] == "sent"
    assert out["platform_message_id"].startswith("wamid.")
    assert out["reply_to_platform_id"] == CUSTOMER_MESSAGE

    # The customer taps a button: it answers our message in the same conversation.
    tap = fixture("interactive_button_reply")
    value_of(tap)["messages"][0]["context"]["id"] = out["platform_message_id"]
    value_of(tap)["messages"][0]["timestamp"] = str(int(time.time()) + 5)
    wa.deliver(tap)
    wa.process()
    assert len(wa.conversations()) == 1
    assert [m.text for m in wa.messages()][-1] == "Track my order"
    assert len(wa.fake.requests) == 1


def _status(wa: WaDesk, wamid: str, state: str, timestamp: str) -> None:
    assert wa.deliver(status_payload(wamid, state, timestamp)).status_code == 200
    wa.process()


def test_statuses_sent_delivered_read_move_the_delivery_state(wa: WaDesk) -> None:
    conversation_id, wamid = _sent_reply(wa)

    states = []
    for state, at in (("sent", "1739321030"), ("delivered", "1739321031"), ("read", "1739321090")):
        _status(wa, wamid, state, at)
        states.append(_outbound(wa, conversation_id)[0]["delivery_state"])

    assert states == ["sent", "delivered", "read"]
    assert len(wa.messages()) == 2  # statuses are no messages


def test_read_before_delivered_stays_read(wa: WaDesk) -> None:
    conversation_id, wamid = _sent_reply(wa)

    _status(wa, wamid, "read", "1739321090")
    _status(wa, wamid, "delivered", "1739321031")  # Meta's webhooks may arrive out of order
    _status(wa, wamid, "read", "1739321090")  # and twice

    assert _outbound(wa, conversation_id)[0]["delivery_state"] == "read"


def test_a_failed_status_shows_whatsapps_reason_on_the_message(wa: WaDesk) -> None:
    conversation_id, wamid = _sent_reply(wa)

    _status(wa, wamid, "failed", "1739321031")
    _status(wa, wamid, "read", "1739321090")  # nothing moves a failed message again

    [out] = _outbound(wa, conversation_id)
    assert out["delivery_state"] == "failed"
    assert "131047" in out["delivery_error"]
    assert "send an approved template instead" in out["delivery_error"]
    assert "more than 24 hours have passed" in out["delivery_error"]


def test_outside_24_hours_free_text_is_refused_and_a_template_is_sent(wa: WaDesk) -> None:
    conversation_id = _conversation_id(wa, hours_ago=30)

    refused = wa.post(
        f"/conversations/{conversation_id}/replies",
        {"text": "Hi Sheena, any news?", "visibility": "private"},
    )
    assert refused.status_code == 409
    assert refused.headers["content-type"].startswith("application/problem+json")
    assert "send an approved template instead" in refused.json()["detail"]
    assert _outbound(wa, conversation_id) == []

    sent = wa.post(
        f"/conversations/{conversation_id}/replies",
        {
            "text": "Hi Sheena: your parcel left our depot",
            "visibility": "private",
            "template": {
                "name": "order_update",
                "language": "en_US",
                "parameters": ["Sheena", "your parcel left our depot"],
            },
        },
    )
    assert sent.status_code == 202, sent.text
    wa.process()

    [request] = wa.fake.requests
    assert request.body["type"] == "template"
    assert request.body["template"]["name"] == "order_update"
    assert request.body["template"]["language"] == {"code": "en_US"}
    assert [p["text"] for p in request.body["template"]["components"][0]["parameters"]] == [
        "Sheena",
        "your parcel left our depot",
    ]
    assert _outbound(wa, conversation_id)[0]["delivery_state"] == "sent"


def test_a_public_reply_is_refused_with_a_reason(wa: WaDesk) -> None:
    conversation_id = _conversation_id(wa)

    response = wa.post(
        f"/conversations/{conversation_id}/replies", {"text": "Hello all", "visibility": "public"}
    )

    assert response.status_code == 422  # no public post to answer: WhatsApp has none
    assert wa.fake.requests == []


@pytest.mark.parametrize(
    "extra",
    [
        {"template": {"name": "Order Update", "language": "en_US"}},
        {"template": {"name": "order_update", "language": "English"}},
        {"template": {"name": "order_update"}},
        {"template": {"name": "order_update", "language": "en_US", "parameters": [""]}},
        {"buttons": []},
        {"buttons": [""]},
        {"buttons": [f"Option {n}" for n in range(11)]},
    ],
)
def test_malformed_templates_and_buttons_are_422(wa: WaDesk, extra: dict[str, Any]) -> None:
    conversation_id = _conversation_id(wa)

    response = wa.post(
        f"/conversations/{conversation_id}/replies",
        {"text": "hi", "visibility": "private", **extra},
    )

    assert response.status_code == 422, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    assert _outbound(wa, conversation_id) == []
