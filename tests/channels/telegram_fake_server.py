"""A local stand-in for the Telegram Bot API methods socialdesk calls, on 127.0.0.1.

``POST /bot<token>/<method>`` with a JSON body; answers ``{"ok": true, "result": ...}`` or
``{"ok": false, "error_code": ..., "description": ...}`` as core.telegram.org/bots/api
documents. It checks the token and the documented shapes of ``sendMessage`` (chat_id, text
of 1-4096 characters, reply_parameters, an inline keyboard whose callback_data is 1-64
bytes) and ``setWebhook`` (secret_token of 1-256 of A-Z a-z 0-9 _ -), records every request,
and can be told to answer the next request with a rate limit, an outage or a refusal.

The bottom of the module is the test kit of the Telegram tests (the bot, its secrets,
fixtures, a desk wired to this server).
"""

from __future__ import annotations

import copy
import itertools
import json
import re
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from typing import Any

import httpx

try:
    from desk_kit import FakeDesk, connect
    from fake_http import Answer, FakeHttpServer, json_or_text, lower_headers
except ModuleNotFoundError:  # imported as channels.telegram_fake_server (tests/test_cli_*.py)
    from channels.desk_kit import FakeDesk, connect
    from channels.fake_http import Answer, FakeHttpServer, json_or_text, lower_headers

import socialdesk.channels.telegram as telegram
from socialdesk.bootstrap import App

__all__ = ["FakeTelegram", "Recorded", "TelegramDesk"]

_PATH = re.compile(r"^/bot(?P<token>[^/]+)/(?P<method>[A-Za-z]+)$")
_SECRET = re.compile(r"^[A-Za-z0-9_-]{1,256}$")
_REPLY_PARAMETERS = {"message_id", "chat_id", "allow_sending_without_reply", "quote"}
_SEND_FIELDS = {"chat_id", "text", "reply_parameters", "reply_to_message_id", "reply_markup"}


@dataclass
class Recorded:
    method: str  # the Bot API method (sendMessage...)
    token: str
    headers: dict[str, str]
    body: Any


class FakeTelegram(FakeHttpServer[Recorded]):
    """``url`` is the Bot API base URL to give the client; ``requests`` what it received."""

    def __init__(self, *, token: str, bot_id: int = 7012345678) -> None:
        super().__init__()
        self.token = token
        self.bot_id = bot_id
        self.webhook: dict[str, Any] | None = None
        self.blocked_chats: set[int] = set()
        self._ids = itertools.count(2001)

    def calls(self, method: str) -> list[Recorded]:
        return [r for r in self.requests if r.method == method]

    # -- the server side ----------------------------------------------------------------------
    def handle(self, handler: BaseHTTPRequestHandler, raw: bytes) -> Answer:
        match = _PATH.match(handler.path)
        if match is None:
            return 404, _error(404, "Not Found"), {}
        request = Recorded(
            match["method"], match["token"], lower_headers(handler), json_or_text(raw, empty={})
        )
        self.record(request)
        return self.route(request)

    def route(self, request: Recorded) -> Answer:
        token, method, headers, body = request.token, request.method, request.headers, request.body
        if token != self.token:
            return 401, _error(401, "Unauthorized"), {}
        scripted = self.scripted()
        if scripted is not None:
            return scripted
        if not headers.get("content-type", "").startswith("application/json"):
            return 400, _error(400, "Bad Request: this fake accepts JSON bodies only"), {}
        if not isinstance(body, dict):
            return 400, _error(400, "Bad Request: the body must be a JSON object"), {}
        if method == "sendMessage":
            return self._send_message(body)
        if method == "setWebhook":
            return self._set_webhook(body)
        if method == "answerCallbackQuery":
            return 200, {"ok": True, "result": True}, {}
        return 404, _error(404, "Not Found"), {}

    def _send_message(self, body: dict[str, Any]) -> Answer:
        problem = _invalid_send(body)
        if problem:
            return 400, _error(400, f"Bad Request: {problem}"), {}
        chat_id = int(body["chat_id"])
        if chat_id in self.blocked_chats:
            return 403, _error(403, "Forbidden: bot was blocked by the user"), {}
        result: dict[str, Any] = {
            "message_id": next(self._ids),
            "from": {"id": self.bot_id, "is_bot": True, "first_name": "Acme Care"},
            "chat": {"id": chat_id, "type": "private"},
            "date": 1747670000,
            "text": body["text"],
        }
        if "reply_markup" in body:
            result["reply_markup"] = body["reply_markup"]
        return 200, {"ok": True, "result": result}, {}

    def _set_webhook(self, body: dict[str, Any]) -> Answer:
        url = body.get("url")
        if not isinstance(url, str) or not url.startswith("https://"):
            return 400, _error(400, "Bad Request: bad webhook: An HTTPS URL must be provided"), {}
        secret = body.get("secret_token")
        if secret is not None and (not isinstance(secret, str) or not _SECRET.match(secret)):
            return 400, _error(400, "Bad Request: secret token contains unallowed characters"), {}
        self.webhook = dict(body)
        return 200, {"ok": True, "result": True, "description": "Webhook was set"}, {}


def _invalid_send(body: dict[str, Any]) -> str | None:
    if set(body) - _SEND_FIELDS:
        return f"unexpected fields {sorted(set(body) - _SEND_FIELDS)}"
    chat = body.get("chat_id")
    if not (isinstance(chat, int) and not isinstance(chat, bool)) and not (
        isinstance(chat, str) and chat
    ):
        return "chat_id is empty"
    text = body.get("text")
    if not isinstance(text, str) or not text.strip():
        return "message text is empty"
    if len(text) > 4096:
        return "message is too long"
    params = body.get("reply_parameters")
    if params is not None:
        if not isinstance(params, dict) or set(params) - _REPLY_PARAMETERS:
            return "can't parse reply parameters JSON object"
        if not isinstance(params.get("message_id"), int):
            return "reply_parameters.message_id must be an integer"
    markup = body.get("reply_markup")
    if markup is not None:
        rows = markup.get("inline_keyboard") if isinstance(markup, dict) else None
        if not isinstance(rows, list) or not all(isinstance(r, list) for r in rows):
            return 'can\'t parse inline keyboard button: field "inline_keyboard" must be an Array'
        for row in rows:
            for button in row:
                if not isinstance(button, dict) or not isinstance(button.get("text"), str):
                    return "can't parse inline keyboard button: text is required"
                data = button.get("callback_data")
                if not isinstance(data, str) or not 1 <= len(data.encode()) <= 64:
                    return "BUTTON_DATA_INVALID"
    return None


def _error(code: int, description: str) -> dict[str, Any]:
    return {"ok": False, "error_code": code, "description": description}


# -- test kit -----------------------------------------------------------------------------------
BOT_TOKEN = "7012345678:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw"
BOT_ID = "7012345678"
BOT_HANDLE = "acme_care_bot"
WEBHOOK_SECRET = "s3cr3t_Token-for-acme_care"
CUSTOMER_ID = "5512345678"
FIXTURES = Path(telegram.__file__).parent / "fixtures"


def fixture(name: str) -> dict[str, Any]:
    """An update of channels/telegram/fixtures, as a fresh dict to adapt."""
    data: dict[str, Any] = json.loads((FIXTURES / f"{name}.json").read_text("utf-8"))
    return copy.deepcopy(data)


def connect_bot(app: App, workspace_id: int, base_url: str, **overrides: str) -> int:
    values = {
        "handle": BOT_HANDLE,
        "external_id": BOT_ID,
        "bot_token": BOT_TOKEN,
        "webhook_secret": WEBHOOK_SECRET,
        "api_base_url": base_url,
        **overrides,
    }
    return connect(app, workspace_id, telegram.CONNECTION, name="Acme on Telegram", values=values)


@dataclass
class TelegramDesk(FakeDesk[FakeTelegram]):
    """One workspace with a bot wired to the fake Bot API, seen through the API."""

    def deliver(
        self,
        update: dict[str, Any] | bytes,
        *,
        secret: str | None = WEBHOOK_SECRET,
        account_id: int | None = None,
    ) -> httpx.Response:
        """Telegram posts an update to our webhook, with the secret token header."""
        body = update if isinstance(update, bytes) else json.dumps(update).encode()
        headers = {"content-type": "application/json"}
        if secret is not None:
            headers["X-Telegram-Bot-Api-Secret-Token"] = secret
        return self.client.post(
            f"/hooks/telegram/{account_id or self.account_id}", content=body, headers=headers
        )
