"""Sending through the Bot API (channels/telegram) against the local fake Bot API server, and
how the outbox worker turns Telegram's answers into retries and failures."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import httpx
import pytest
from desk_kit import acme_agent
from fastapi.testclient import TestClient
from sqlalchemy import select
from telegram_fake_server import (
    BOT_HANDLE,
    BOT_ID,
    BOT_TOKEN,
    CUSTOMER_ID,
    WEBHOOK_SECRET,
    FakeTelegram,
    TelegramDesk,
    connect_bot,
    fixture,
)

from socialdesk.bootstrap import App
from socialdesk.channels.base import AccountInfo, OutboundMessage, SendError
from socialdesk.channels.telegram import TelegramChannel, register_webhook
from socialdesk.jobs.queue import JobStatus
from socialdesk.store.models import Job, Message
from socialdesk.store.types import utcnow


@pytest.fixture
def server() -> Iterator[FakeTelegram]:
    fake = FakeTelegram(token=BOT_TOKEN).start()
    try:
        yield fake
    finally:
        fake.stop()


def account(base_url: str, token: str = BOT_TOKEN, **settings: str) -> AccountInfo:
    return AccountInfo(
        id=3,
        workspace_id=1,
        platform="telegram",
        handle=BOT_HANDLE,
        external_id=BOT_ID,
        settings={"api_base_url": base_url, **settings},
        credentials={"bot_token": token, "webhook_secret": WEBHOOK_SECRET},
    )


def outbound(
    text: str = "Could you restart the router?",
    *,
    reply_to: str | None = f"{CUSTOMER_ID}:1365",
    buttons: list[str] | None = None,
    visibility: str = "private",
    recipient: str | None = CUSTOMER_ID,
) -> OutboundMessage:
    extras = ({"type": "quick_replies", "options": buttons},) if buttons else ()
    return OutboundMessage(
        idempotency_key="k1",
        visibility=visibility,
        text=text,
        recipient_external_id=recipient,
        recipient_handle="dana_k",
        reply_to_platform_id=reply_to,
        extras=extras,
    )


# -- the client against the fake server ------------------------------------------------------
def test_a_reply_is_one_send_message_quoting_the_customers_message(server: FakeTelegram) -> None:
    result = TelegramChannel().send(account(server.url), outbound())

    [request] = server.requests
    assert (request.method, request.token) == ("sendMessage", BOT_TOKEN)
    assert request.headers["content-type"] == "application/json"
    assert request.body == {
        "chat_id": int(CUSTOMER_ID),
        "text": "Could you restart the router?",
        "reply_parameters": {"message_id": 1365, "allow_sending_without_reply": True},
    }
    assert result.platform_message_id == f"{CUSTOMER_ID}:2001"


def test_buttons_become_an_inline_keyboard_one_per_row(server: FakeTelegram) -> None:
    TelegramChannel().send(
        account(server.url), outbound(buttons=["Yes, it works now", "No, still a red light"])
    )

    [request] = server.requests
    assert request.body["reply_markup"] == {
        "inline_keyboard": [
            [{"text": "Yes, it works now", "callback_data": "Yes, it works now"}],
            [{"text": "No, still a red light", "callback_data": "No, still a red light"}],
        ]
    }


def test_a_long_button_label_is_cut_to_64_bytes_of_callback_data(server: FakeTelegram) -> None:
    label = "Ich möchte einen Rückruf morgen früh zwischen neun und elf Uhr bitte"

    TelegramChannel().send(account(server.url), outbound(buttons=[label]))

    [[button]] = server.requests[0].body["reply_markup"]["inline_keyboard"]
    assert button["text"] == label
    assert len(button["callback_data"].encode()) <= 64
    assert label.startswith(button["callback_data"])


def test_quote_replies_false_sends_without_reply_parameters(server: FakeTelegram) -> None:
    TelegramChannel().send(account(server.url, quote_replies="false"), outbound())

    assert "reply_parameters" not in server.requests[0].body


def test_a_button_press_is_not_quoted(server: FakeTelegram) -> None:
    TelegramChannel().send(account(server.url), outbound(reply_to="callback:4382bfdwdsb323b2d9"))

    assert "reply_parameters" not in server.requests[0].body


def test_429_waits_for_the_retry_after_telegram_gives(server: FakeTelegram) -> None:
    server.answer_next(
        429,
        {
            "ok": False,
            "error_code": 429,
            "description": "Too Many Requests: retry after 35",
            "parameters": {"retry_after": 35},
        },
    )

    with pytest.raises(SendError) as limited:
        TelegramChannel().send(account(server.url), outbound())

    assert not limited.value.permanent
    assert limited.value.retry_after == 35
    assert "Too Many Requests" in limited.value.reason


def test_5xx_is_transient(server: FakeTelegram) -> None:
    server.answer_next(502, {"ok": False, "error_code": 502, "description": "Bad Gateway"})

    with pytest.raises(SendError) as outage:
        TelegramChannel().send(account(server.url), outbound())

    assert not outage.value.permanent
    assert outage.value.retry_after is None


def test_a_blocked_bot_is_permanent_with_telegrams_description(server: FakeTelegram) -> None:
    server.blocked_chats.add(int(CUSTOMER_ID))

    with pytest.raises(SendError) as refused:
        TelegramChannel().send(account(server.url), outbound())

    assert refused.value.permanent
    assert refused.value.reason == (
        "Telegram refused the message: 403 Forbidden: bot was blocked by the user"
    )


def test_a_wrong_token_is_permanent_says_reconnect_and_never_shows_the_token(
    server: FakeTelegram,
) -> None:
    with pytest.raises(SendError) as refused:
        TelegramChannel().send(account(server.url, token="123:revoked"), outbound())

    assert refused.value.permanent
    assert "401" in refused.value.reason
    assert "connect the account again" in refused.value.reason
    assert "123:revoked" not in refused.value.reason


def test_an_unreachable_api_is_retried_without_the_token_in_the_reason(
    server: FakeTelegram,
) -> None:
    url = server.url
    server.stop()

    with pytest.raises(SendError) as unreachable:
        TelegramChannel(timeout=2).send(account(url), outbound())

    assert not unreachable.value.permanent
    assert BOT_TOKEN not in unreachable.value.reason


def test_a_request_the_api_finds_invalid_is_permanent(server: FakeTelegram) -> None:
    with pytest.raises(SendError) as refused:
        TelegramChannel().send(account(server.url), outbound("x" * 4097))

    assert refused.value.permanent
    assert "message is too long" in refused.value.reason


@pytest.mark.parametrize(
    ("visibility", "recipient"), [("public", CUSTOMER_ID), ("private", None), ("private", "dana")]
)
def test_sends_telegram_cannot_take_are_refused_before_calling_it(
    server: FakeTelegram, visibility: str, recipient: str | None
) -> None:
    with pytest.raises(SendError) as refused:
        TelegramChannel().send(
            account(server.url), outbound(visibility=visibility, recipient=recipient)
        )

    assert refused.value.permanent
    assert server.requests == []


def test_a_success_without_a_message_id_is_not_sent_again() -> None:
    transport = httpx.MockTransport(
        lambda _request: httpx.Response(200, json={"ok": True, "result": {}})
    )

    with pytest.raises(SendError) as odd:
        TelegramChannel(transport=transport).send(account("https://tg.test"), outbound())

    assert odd.value.permanent


def test_register_webhook_sets_the_url_and_the_secret(server: FakeTelegram) -> None:
    url = register_webhook(TelegramChannel(), account(server.url), "https://desk.example.com/")

    assert url == "https://desk.example.com/hooks/telegram/3"
    assert server.webhook == {
        "url": url,
        "secret_token": WEBHOOK_SECRET,
        "allowed_updates": ["message", "edited_message", "callback_query"],
    }


def test_register_webhook_surfaces_telegrams_refusal(server: FakeTelegram) -> None:
    with pytest.raises(SendError) as refused:
        register_webhook(TelegramChannel(), account(server.url), "http://desk.example.com")

    assert "An HTTPS URL must be provided" in refused.value.reason


# -- the outbox worker with Telegram's answers ------------------------------------------------
@pytest.fixture
def tg(app: App, web: TestClient, server: FakeTelegram) -> TelegramDesk:
    workspace_id, _, token = acme_agent(app)
    account_id = connect_bot(app, workspace_id, server.url)
    return TelegramDesk(app, web, server, workspace_id, account_id, token)


def _queued_reply(tg: TelegramDesk) -> int:
    tg.deliver(fixture("message"))
    tg.process()
    [conversation] = tg.conversations()
    response = tg.post(
        f"/conversations/{conversation.id}/replies",
        {"text": "Sorry about that, Dana!", "visibility": "private"},
    )
    assert response.status_code in (200, 201, 202), response.text
    return int(response.json()["id"])


def _job(tg: TelegramDesk, message_id: int) -> Job:
    with tg.app.db.read_session() as session:
        job = session.scalar(select(Job).where(Job.idempotency_key == f"deliver:{message_id}"))
        assert job is not None
        return job


def _message(tg: TelegramDesk, message_id: int) -> Message:
    with tg.app.db.read_session() as session:
        message = session.get(Message, message_id)
        assert message is not None
        return message


def test_a_rate_limited_reply_waits_retry_after_then_is_sent(tg: TelegramDesk) -> None:
    message_id = _queued_reply(tg)
    tg.fake.answer_next(
        429,
        {
            "ok": False,
            "error_code": 429,
            "description": "Too Many Requests: retry after 120",
            "parameters": {"retry_after": 120},
        },
    )

    tg.process()

    job = _job(tg, message_id)
    assert job.status == JobStatus.QUEUED
    assert timedelta(seconds=110) < job.run_at - utcnow() <= timedelta(seconds=120)
    assert _message(tg, message_id).delivery_state == "queued"
    with tg.app.db.session() as session:  # time passes
        stored = session.get(Job, job.id)
        assert stored is not None
        stored.run_at = utcnow()
    tg.process()
    sent = _message(tg, message_id)
    assert sent.delivery_state == "sent"
    assert sent.platform_message_id == f"{CUSTOMER_ID}:2001"
    assert len(tg.fake.calls("sendMessage")) == 2


def test_an_outage_is_retried_with_backoff(tg: TelegramDesk) -> None:
    message_id = _queued_reply(tg)
    tg.fake.answer_next(500, {"ok": False, "error_code": 500, "description": "Internal"})

    tg.process()

    job = _job(tg, message_id)
    assert job.status == JobStatus.QUEUED
    assert job.run_at > utcnow()
    assert "500" in (job.last_error or "")
    assert _message(tg, message_id).delivery_state == "queued"


def test_a_refused_reply_fails_with_telegrams_reason_on_the_message(tg: TelegramDesk) -> None:
    message_id = _queued_reply(tg)
    tg.fake.blocked_chats.add(int(CUSTOMER_ID))

    tg.process()

    failed = _message(tg, message_id)
    assert failed.delivery_state == "failed"
    assert failed.delivery_error == (
        "Telegram refused the message: 403 Forbidden: bot was blocked by the user"
    )
    assert _job(tg, message_id).status == JobStatus.FAILED
    detail = tg.get(f"/conversations/{failed.conversation_id}").json()
    [out] = [m for m in detail["messages"] if m["direction"] == "out"]
    assert out["delivery_state"] == "failed"
    assert "blocked" in out["delivery_error"]
