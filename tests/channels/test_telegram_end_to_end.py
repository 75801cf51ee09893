"""A customer writes to the bot, an agent answers with buttons through the API, the worker
sends exactly one sendMessage to (the fake) Telegram, and the customer's button press comes
back into the same conversation as their answer."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from desk_kit import acme_agent
from fastapi.testclient import TestClient
from telegram_fake_server import (
    BOT_TOKEN,
    CUSTOMER_ID,
    FakeTelegram,
    TelegramDesk,
    connect_bot,
    fixture,
)

from socialdesk.bootstrap import App


@pytest.fixture
def tg(app: App, web: TestClient) -> Iterator[TelegramDesk]:
    fake = FakeTelegram(token=BOT_TOKEN).start()
    try:
        workspace_id, _, token = acme_agent(app, email="a@acme.example")
        account_id = connect_bot(app, workspace_id, fake.url)
        yield TelegramDesk(app, web, fake, workspace_id, account_id, token)
    finally:
        fake.stop()


def test_message_answered_with_buttons_reaches_telegram_once_and_the_press_comes_back(
    tg: TelegramDesk,
) -> None:
    assert tg.deliver(fixture("message")).status_code == 200
    tg.process()

    [listed] = tg.get("/conversations").json()["items"]
    response = tg.post(
        f"/conversations/{listed['id']}/replies",
        {
            "text": "Sorry Dana! Did restarting the router help?",
            "visibility": "private",
            "buttons": ["Yes, it works now", "No, still a red light"],
        },
    )
    assert response.status_code in (200, 201, 202), response.text
    tg.process()
    tg.process()  # a second pass sends nothing more

    [request] = tg.fake.requests
    assert (request.method, request.token) == ("sendMessage", BOT_TOKEN)
    assert request.body == {
        "chat_id": int(CUSTOMER_ID),
        "text": "Sorry Dana! Did restarting the router help?",
        "reply_parameters": {"message_id": 1365, "allow_sending_without_reply": True},
        "reply_markup": {
            "inline_keyboard": [
                [{"text": "Yes, it works now", "callback_data": "Yes, it works now"}],
                [{"text": "No, still a red light", "callback_data": "No, still a red light"}],
            ]
        },
    }
    detail = tg.get(f"/conversations/{listed['id']}").json()
    [out] = [m for m in detail["messages"] if m["direction"] == "out"]
    assert out["delivery_state"] == "sent"
    assert out["visibility"] == "private"
    sent_id = out["platform_message_id"]
    assert sent_id == f"{CUSTOMER_ID}:2001"

    # Dana presses a button under that very message.
    press = fixture("callback_query")
    press["callback_query"]["message"]["message_id"] = 2001
    answer = tg.deliver(press)
    assert answer.json()["method"] == "answerCallbackQuery"
    tg.process()

    detail = tg.get(f"/conversations/{listed['id']}").json()
    assert [(m["direction"], m["text"]) for m in detail["messages"]] == [
        ("in", fixture("message")["message"]["text"]),
        ("out", "Sorry Dana! Did restarting the router help?"),
        ("in", "No, still a red light"),
    ]
    assert detail["messages"][-1]["reply_to_platform_id"] == sent_id
    assert len(tg.get("/conversations").json()["items"]) == 1
    assert len(tg.fake.requests) == 1
