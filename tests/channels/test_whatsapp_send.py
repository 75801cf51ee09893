"""Sending through the Cloud API (channels/whatsapp) against the local fake server, the 24-hour
window, and how the outbox worker turns Meta's answers into retries and failures."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy import select
from whatsapp_fake_server import (
    ACCESS_TOKEN,
    CUSTOMER_WA_ID,
    PHONE_NUMBER_ID,
    VERSION,
    FakeWhatsApp,
    WaDesk,
    fixture,
    graph_error,
)

from socialdesk.channels.base import AccountInfo, OutboundMessage, SendContext, SendError
from socialdesk.channels.whatsapp import WhatsAppChannel
from socialdesk.jobs.queue import JobStatus
from socialdesk.services.events import Actor
from socialdesk.services.replies import reply
from socialdesk.store.models import Job
from socialdesk.store.types import utcnow

CUSTOMER_MESSAGE = "wamid.HBgLMTY1MDU1NTEyMzQVAgASGBQzQTRBNjU5OUFFRTAzODEwMTQ0RgA="
TEMPLATES = json.dumps(
    [{"name": "order_update", "language": "en_US", "parameters": 2, "text": "Hi {{1}}: {{2}}"}]
)


@pytest.fixture
def server() -> Iterator[FakeWhatsApp]:
    fake = FakeWhatsApp().start()
    try:
        yield fake
    finally:
        fake.stop()


def account(base_url: str, token: str = ACCESS_TOKEN, **settings: str) -> AccountInfo:
    return AccountInfo(
        id=1,
        workspace_id=1,
        platform="whatsapp",
        handle="15550783881",
        external_id=PHONE_NUMBER_ID,
        settings={"api_base_url": base_url, "api_version": VERSION, **settings},
        credentials={"app_secret": "s", "verify_token": "v", "access_token": token},
    )


def outbound(
    text: str = "Sorry about that! Your parcel is on its way.",
    *extras: dict[str, Any],
    reply_to: str | None = CUSTOMER_MESSAGE,
    visibility: str = "private",
) -> OutboundMessage:
    return OutboundMessage(
        idempotency_key="k1",
        visibility=visibility,
        text=text,
        recipient_external_id=CUSTOMER_WA_ID,
        recipient_handle=f"+{CUSTOMER_WA_ID}",
        reply_to_platform_id=reply_to,
        extras=extras,
    )


def send(server: FakeWhatsApp, message: OutboundMessage, **settings: str) -> str:
    return WhatsAppChannel().send(account(server.url, **settings), message).platform_message_id


# -- request shapes ---------------------------------------------------------------------------
def test_a_text_reply_is_one_documented_post_with_the_reply_context(server: FakeWhatsApp) -> None:
    wamid = send(server, outbound())

    [request] = server.requests
    assert (request.method, request.path) == ("POST", f"/{VERSION}/{PHONE_NUMBER_ID}/messages")
    assert request.headers["authorization"] == f"Bearer {ACCESS_TOKEN}"
    assert request.headers["content-type"] == "application/json"
    assert request.body == {
        "messaging_product": "whatsapp",
        "recipient_type": "individual",
        "to": CUSTOMER_WA_ID,
        "type": "text",
        "text": {"body": "Sorry about that! Your parcel is on its way."},
        "context": {"message_id": CUSTOMER_MESSAGE},
    }
    assert wamid.startswith("wamid.")


def test_without_a_message_to_answer_there_is_no_context(server: FakeWhatsApp) -> None:
    send(server, outbound(reply_to=None))

    assert "context" not in server.requests[0].body


def test_up_to_three_short_options_are_reply_buttons(server: FakeWhatsApp) -> None:
    quick = {"type": "quick_replies", "options": ["Track my order", "Refund", " Talk to us "]}

    send(server, outbound("How can we help?", quick))

    body = server.requests[0].body
    assert body["type"] == "interactive"
    assert body["interactive"] == {
        "type": "button",
        "body": {"text": "How can we help?"},
        "action": {
            "buttons": [
                {"type": "reply", "reply": {"id": "option-1", "title": "Track my order"}},
                {"type": "reply", "reply": {"id": "option-2", "title": "Refund"}},
                {"type": "reply", "reply": {"id": "option-3", "title": "Talk to us"}},
            ]
        },
    }
    assert body["context"] == {"message_id": CUSTOMER_MESSAGE}


@pytest.mark.parametrize(
    "options",
    [
        ["Track", "Refund", "Exchange", "Talk to us"],  # four: WhatsApp takes at most three
        ["Track my order please", "Refund"],  # 21 characters: titles hold at most 20
        ["Yes", "yes"],  # titles must be unique
    ],
)
def test_options_beyond_whatsapps_limits_become_a_numbered_list(
    server: FakeWhatsApp, options: list[str]
) -> None:
    send(server, outbound("How can we help?", {"type": "quick_replies", "options": options}))

    body = server.requests[0].body
    assert body["type"] == "text"
    listed = "\n".join(f"{n}. {o}" for n, o in enumerate(options, start=1))
    assert body["text"] == {"body": f"How can we help?\n\n{listed}"}


def test_a_template_names_its_language_and_body_parameters(server: FakeWhatsApp) -> None:
    template = {
        "type": "template",
        "name": "order_update",
        "language": "en_US",
        "parameters": ["Sheena", "your parcel left our depot"],
    }

    send(server, outbound("(template order_update)", template), templates=TEMPLATES)

    body = server.requests[0].body
    assert body["type"] == "template"
    assert body["template"] == {
        "name": "order_update",
        "language": {"code": "en_US"},
        "components": [
            {
                "type": "body",
                "parameters": [
                    {"type": "text", "text": "Sheena"},
                    {"type": "text", "text": "your parcel left our depot"},
                ],
            }
        ],
    }
    assert "text" not in body


def test_a_template_without_parameters_has_no_components(server: FakeWhatsApp) -> None:
    send(
        server, outbound("hello", {"type": "template", "name": "hello_world", "language": "en_US"})
    )

    assert server.requests[0].body["template"] == {
        "name": "hello_world",
        "language": {"code": "en_US"},
    }


def test_a_template_not_on_the_accounts_list_is_refused_before_calling_meta(
    server: FakeWhatsApp,
) -> None:
    template = {"type": "template", "name": "spring_sale", "language": "en_US", "parameters": []}

    with pytest.raises(SendError) as refused:
        send(server, outbound("sale", template), templates=TEMPLATES)

    assert refused.value.permanent
    assert "spring_sale (en_US) is not among" in refused.value.reason
    assert "order_update (en_US)" in refused.value.reason
    assert server.requests == []


def test_a_template_with_the_wrong_number_of_parameters_is_refused(server: FakeWhatsApp) -> None:
    template = {
        "type": "template",
        "name": "order_update",
        "language": "en_US",
        "parameters": ["x"],
    }

    with pytest.raises(SendError, match="takes 2 parameter"):
        send(server, outbound("t", template), templates=TEMPLATES)

    assert server.requests == []


def test_an_unreadable_templates_setting_is_a_permanent_error(server: FakeWhatsApp) -> None:
    template = {"type": "template", "name": "order_update", "language": "en_US"}

    with pytest.raises(SendError, match="templates setting is not JSON") as refused:
        send(server, outbound("t", template), templates="[{oops")

    assert refused.value.permanent


def test_public_messages_and_unknown_recipients_never_reach_meta(server: FakeWhatsApp) -> None:
    with pytest.raises(SendError, match="always private"):
        send(server, outbound(visibility="public"))
    nobody = OutboundMessage("k", "private", "hi", None, None, None)
    with pytest.raises(SendError, match="no WhatsApp id"):
        send(server, nobody)

    assert server.requests == []


# -- Meta's errors ----------------------------------------------------------------------------
def test_re_engagement_error_is_permanent_and_says_to_send_a_template(server: FakeWhatsApp) -> None:
    server.answer_next(
        400,
        graph_error(
            131047,
            "(#131047) Re-engagement message",
            "Message failed to send because more than 24 hours have passed since the customer "
            "last replied to this number.",
        ),
    )

    with pytest.raises(SendError) as refused:
        send(server, outbound())

    assert refused.value.permanent
    assert "send an approved template instead" in refused.value.reason
    assert "more than 24 hours have passed" in refused.value.reason


@pytest.mark.parametrize(
    ("code", "message", "waits"),
    [
        (130429, "(#130429) Rate limit hit", 30.0),
        (131056, "(#131056) (Business Account, Consumer Account) pair rate limit hit", 10.0),
    ],
)
def test_rate_limit_codes_are_retried_later(
    server: FakeWhatsApp, code: int, message: str, waits: float
) -> None:
    server.answer_next(400, graph_error(code, message, "Too many messages"))

    with pytest.raises(SendError) as limited:
        send(server, outbound())

    assert not limited.value.permanent
    assert limited.value.retry_after == waits
    assert "rate limit" in limited.value.reason


def test_429_with_retry_after_waits_that_long(server: FakeWhatsApp) -> None:
    server.answer_next(429, graph_error(130429, "(#130429) Rate limit hit"), {"Retry-After": "75"})

    with pytest.raises(SendError) as limited:
        send(server, outbound())

    assert not limited.value.permanent
    assert limited.value.retry_after == 75


def test_5xx_is_transient(server: FakeWhatsApp) -> None:
    server.answer_next(503, graph_error(131016, "(#131016) Service unavailable"))

    with pytest.raises(SendError) as outage:
        send(server, outbound())

    assert not outage.value.permanent
    assert outage.value.retry_after is None  # the worker's backoff decides


def test_other_4xx_are_permanent_with_metas_message_and_details(server: FakeWhatsApp) -> None:
    server.answer_next(
        400,
        graph_error(
            131026,
            "(#131026) Message undeliverable",
            "Unable to deliver message. Reasons can include: the recipient phone number is not "
            "a WhatsApp phone number.",
        ),
    )

    with pytest.raises(SendError) as refused:
        send(server, outbound())

    assert refused.value.permanent
    assert "Message undeliverable" in refused.value.reason
    assert "not a WhatsApp phone number" in refused.value.reason


def test_a_text_that_outgrows_4096_characters_with_its_list_is_refused_before_sending(
    server: FakeWhatsApp,
) -> None:
    options = {"type": "quick_replies", "options": [f"Option {n}" for n in range(12)]}

    with pytest.raises(SendError) as refused:
        send(server, outbound("x" * 4000, options))

    assert refused.value.permanent
    assert "4,096" in refused.value.reason
    assert server.requests == []


def test_a_request_meta_finds_invalid_fails_with_its_details(server: FakeWhatsApp) -> None:
    odd = OutboundMessage("k", "private", "hi", "not-a-number", None, None)

    with pytest.raises(SendError) as refused:
        send(server, odd)

    assert refused.value.permanent
    assert "to must be a phone number" in refused.value.reason
    assert len(server.requests) == 1


def test_a_wrong_token_is_permanent_and_says_to_reconnect(server: FakeWhatsApp) -> None:
    with pytest.raises(SendError) as refused:
        WhatsAppChannel().send(account(server.url, token="expired"), outbound())

    assert refused.value.permanent
    assert "connect the account again" in refused.value.reason


def test_an_unreachable_cloud_api_is_retried(server: FakeWhatsApp) -> None:
    url = server.url
    server.stop()

    with pytest.raises(SendError) as unreachable:
        WhatsAppChannel(timeout=2).send(account(url), outbound())

    assert not unreachable.value.permanent


def test_a_success_without_a_wamid_is_not_sent_again() -> None:
    transport = httpx.MockTransport(lambda _r: httpx.Response(200, json={"messages": []}))

    with pytest.raises(SendError) as odd:
        WhatsAppChannel(transport=transport).send(account("https://graph.test"), outbound())

    assert odd.value.permanent


def test_base_url_and_version_are_configurable() -> None:
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200, json={"messages": [{"id": "wamid.X"}]})

    channel = WhatsAppChannel(transport=httpx.MockTransport(handler))
    info = account("https://graph.test/", api_version="v99.0")

    assert channel.send(info, outbound()).platform_message_id == "wamid.X"
    assert str(seen[0].url) == f"https://graph.test/v99.0/{PHONE_NUMBER_ID}/messages"


# -- the 24-hour customer service window -------------------------------------------------------
def context(
    hours_ago: float | None, *, template: bool = False, visibility: str = "private"
) -> SendContext:
    now = utcnow()
    return SendContext(
        visibility=visibility,
        now=now,
        last_inbound_private_at=None if hours_ago is None else now - timedelta(hours=hours_ago),
        is_template=template,
    )


def test_free_text_is_allowed_within_24_hours_of_the_customers_message() -> None:
    decision = WhatsAppChannel().check_send(account("x"), context(23.9))

    assert decision.allowed


@pytest.mark.parametrize("hours_ago", [24, 30, None])
def test_free_text_is_refused_outside_the_window_with_the_reason(hours_ago: float | None) -> None:
    decision = WhatsAppChannel().check_send(account("x"), context(hours_ago))

    assert not decision.allowed
    assert decision.reason is not None
    assert "send an approved template instead" in decision.reason


def test_templates_are_allowed_outside_the_window() -> None:
    assert WhatsAppChannel().check_send(account("x"), context(72, template=True)).allowed
    assert WhatsAppChannel().check_send(account("x"), context(None, template=True)).allowed


def test_public_visibility_is_refused_with_a_reason() -> None:
    decision = WhatsAppChannel().check_send(account("x"), context(1, visibility="public"))

    assert not decision.allowed
    assert decision.reason is not None and "no public posts" in decision.reason


# -- the outbox worker with Meta's answers ------------------------------------------------------
def _queued_reply(wa: WaDesk) -> int:
    assert wa.deliver(fixture("text")).status_code == 200
    wa.process()
    [conversation] = wa.conversations()
    with wa.app.db.session() as session:
        message = reply(
            session,
            wa.workspace_id,
            conversation.id,
            Actor("api"),
            text="Sorry, Sheena! Checking now.",
            visibility="private",
        )
        return message.id


def _job(wa: WaDesk, message_id: int) -> Job:
    with wa.app.db.read_session() as session:
        job = session.scalar(select(Job).where(Job.idempotency_key == f"deliver:{message_id}"))
        assert job is not None
        return job


def test_a_rate_limited_reply_waits_then_is_sent(wa: WaDesk) -> None:
    message_id = _queued_reply(wa)
    wa.fake.answer_next(400, graph_error(131056, "(#131056) pair rate limit hit"))

    wa.process()

    job = _job(wa, message_id)
    assert job.status == JobStatus.QUEUED
    assert timedelta(seconds=5) < job.run_at - utcnow() <= timedelta(seconds=10)
    assert wa.message(message_id).delivery_state == "queued"
    with wa.app.db.session() as session:  # time passes
        stored = session.get(Job, job.id)
        assert stored is not None
        stored.run_at = utcnow()
    wa.process()
    assert wa.message(message_id).delivery_state == "sent"
    assert len(wa.fake.sent()) == 2


def test_an_outage_is_retried_with_backoff(wa: WaDesk) -> None:
    message_id = _queued_reply(wa)
    wa.fake.answer_next(500, graph_error(1, "An unknown error occurred"))

    wa.process()

    job = _job(wa, message_id)
    assert job.status == JobStatus.QUEUED
    assert job.run_at > utcnow()
    assert wa.message(message_id).delivery_state == "queued"


def test_a_refused_reply_fails_with_metas_reason_on_the_message(wa: WaDesk) -> None:
    message_id = _queued_reply(wa)
    wa.fake.answer_next(
        400,
        graph_error(
            131047,
            "(#131047) Re-engagement message",
            "Message failed to send because more than 24 hours have passed since the customer "
            "last replied to this number.",
        ),
    )

    wa.process()

    failed = wa.message(message_id)
    assert failed.delivery_state == "failed"
    assert failed.delivery_error is not None
    assert "send an approved template instead" in failed.delivery_error
    assert _job(wa, message_id).status == JobStatus.FAILED
    detail = wa.get(f"/conversations/{failed.conversation_id}").json()
    [out] = [m for m in detail["messages"] if m["direction"] == "out"]
    assert out["delivery_state"] == "failed"
    assert "24 hours" in out["delivery_error"]
