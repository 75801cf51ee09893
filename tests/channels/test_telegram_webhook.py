"""The Telegram webhook (web/hooks/telegram.py): the secret token header, storage before the
answer, redeliveries recognised by update_id, and the ingest job's result."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from desk_kit import acme_agent
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from telegram_fake_server import (
    BOT_TOKEN,
    CUSTOMER_ID,
    WEBHOOK_SECRET,
    FakeTelegram,
    TelegramDesk,
    connect_bot,
    fixture,
)

from socialdesk.bootstrap import App
from socialdesk.services.sandbox import create_sandbox_account
from socialdesk.store.models import ContactIdentity, RawEvent


@pytest.fixture
def fake_telegram() -> Iterator[FakeTelegram]:
    server = FakeTelegram(token=BOT_TOKEN).start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def tg(app: App, web: TestClient, fake_telegram: FakeTelegram) -> TelegramDesk:
    workspace_id, _, token = acme_agent(app)
    account_id = connect_bot(app, workspace_id, fake_telegram.url)
    return TelegramDesk(app, web, fake_telegram, workspace_id, account_id, token)


def raw_events(tg: TelegramDesk) -> int:
    with tg.app.db.read_session() as session:
        return session.scalar(select(func.count()).select_from(RawEvent)) or 0


def test_an_update_with_the_secret_is_stored_then_becomes_a_private_conversation(
    tg: TelegramDesk,
) -> None:
    response = tg.deliver(fixture("message"))

    assert response.status_code == 200, response.text
    assert response.json()["duplicate"] is False
    assert raw_events(tg) == 1
    assert tg.messages() == []  # stored first; the ingest job parses it
    tg.process()
    [message] = tg.messages()
    assert (message.direction, message.visibility) == ("in", "private")
    assert message.platform_message_id == f"{CUSTOMER_ID}:1365"
    [conversation] = tg.conversations()
    assert conversation.has_private and not conversation.has_public
    with tg.app.db.read_session() as session:
        identity = session.scalar(
            select(ContactIdentity).where(ContactIdentity.platform == "telegram")
        )
        assert identity is not None
        assert (identity.external_id, identity.handle, identity.display_name) == (
            CUSTOMER_ID,
            "dana_k",
            "Dana Kowalski",
        )


def test_a_missing_secret_is_401_and_nothing_is_stored(tg: TelegramDesk) -> None:
    response = tg.deliver(fixture("message"), secret=None)

    assert response.status_code == 401
    assert response.headers["content-type"].startswith("application/problem+json")
    assert "X-Telegram-Bot-Api-Secret-Token" in response.json()["detail"]
    assert raw_events(tg) == 0


@pytest.mark.parametrize(
    "secret", ["wrong", WEBHOOK_SECRET + "x", WEBHOOK_SECRET[:-1], WEBHOOK_SECRET.upper()]
)
def test_a_wrong_secret_is_403_and_nothing_is_stored(tg: TelegramDesk, secret: str) -> None:
    response = tg.deliver(fixture("message"), secret=secret)

    assert response.status_code == 403
    assert response.headers["content-type"].startswith("application/problem+json")
    assert raw_events(tg) == 0


def test_an_unknown_account_is_404(tg: TelegramDesk) -> None:
    response = tg.deliver(fixture("message"), account_id=tg.account_id + 100)

    assert response.status_code == 404
    assert response.headers["content-type"].startswith("application/problem+json")


def test_an_account_of_another_platform_is_404(tg: TelegramDesk) -> None:
    with tg.app.db.session() as session:
        other = create_sandbox_account(session, tg.workspace_id, name="Sandbox", handle="s").id

    response = tg.deliver(fixture("message"), account_id=other)

    assert response.status_code == 404
    assert raw_events(tg) == 0


@pytest.mark.parametrize("body", [b"not json", b"{}", b'{"update_id": 5, "message": []}'])
def test_a_signed_body_that_is_not_an_update_is_400(tg: TelegramDesk, body: bytes) -> None:
    response = tg.deliver(body)

    assert response.status_code == 400
    assert response.headers["content-type"].startswith("application/problem+json")
    assert raw_events(tg) == 0


def test_a_redelivered_update_is_stored_once_and_changes_nothing(tg: TelegramDesk) -> None:
    first = tg.deliver(fixture("message"))
    tg.process()
    again = tg.deliver(fixture("message"))
    tg.process()

    assert again.status_code == 200
    assert again.json() == {"raw_event_id": first.json()["raw_event_id"], "duplicate": True}
    assert raw_events(tg) == 1
    assert len(tg.messages()) == 1


def test_the_same_message_in_another_update_is_one_message(tg: TelegramDesk) -> None:
    tg.deliver(fixture("message"))
    update = fixture("message")
    update["update_id"] += 1000
    tg.deliver(update)
    tg.process()

    assert raw_events(tg) == 2
    assert len(tg.messages()) == 1  # deduplicated on chat:message id


def test_a_button_press_is_answered_in_the_webhook_response(tg: TelegramDesk) -> None:
    response = tg.deliver(fixture("callback_query"))

    assert response.status_code == 200
    assert response.json() == {
        "method": "answerCallbackQuery",
        "callback_query_id": "4382bfdwdsb323b2d9",
    }
    assert raw_events(tg) == 1
    tg.process()
    [message] = tg.messages()
    assert message.text == "No, still a red light"


def test_group_traffic_is_acknowledged_and_kept_but_makes_no_conversation(
    tg: TelegramDesk,
) -> None:
    response = tg.deliver(fixture("group_message"))
    tg.process()

    assert response.status_code == 200
    assert raw_events(tg) == 1
    assert tg.messages() == []
