"""A thin client for the Bot API methods socialdesk calls: sendMessage, setWebhook.

Every method is ``POST <base>/bot<token>/<method>`` with a JSON body; every answer is
``{"ok": true, "result": ...}`` or ``{"ok": false, "error_code": ..., "description": ...,
"parameters": {"retry_after": ...}}``. Failures become :class:`SendError`: 429 waits
``retry_after`` seconds, 5xx and network errors are retried, other errors are permanent and
carry Telegram's ``description``. The token is part of every URL: it never goes into an error.
"""

from __future__ import annotations

from typing import Any

import httpx

from socialdesk.channels.base import SendError
from socialdesk.channels.http_api import http_request

__all__ = ["DEFAULT_API_BASE_URL", "TelegramClient"]

DEFAULT_API_BASE_URL = "https://api.telegram.org"
_MAX_REASON = 500


class TelegramClient:
    """One bot's access to the Bot API."""

    def __init__(
        self,
        *,
        token: str,
        base_url: str = DEFAULT_API_BASE_URL,
        transport: httpx.BaseTransport | None = None,
        timeout: float = 10.0,
    ) -> None:
        self._token = token
        self._base_url = base_url.rstrip("/")
        self._transport = transport
        self._timeout = timeout

    def send_message(
        self,
        chat_id: int | str,
        text: str,
        *,
        reply_to_message_id: int | None = None,
        buttons: list[str] | None = None,
    ) -> dict[str, Any]:
        """Send a text message; returns the sent Message object."""
        body: dict[str, Any] = {"chat_id": chat_id, "text": text}
        if reply_to_message_id is not None:
            # The customer may have deleted their message: send anyway, unquoted.
            body["reply_parameters"] = {
                "message_id": reply_to_message_id,
                "allow_sending_without_reply": True,
            }
        if buttons:
            body["reply_markup"] = {
                "inline_keyboard": [
                    [{"text": label, "callback_data": callback_data(label)}] for label in buttons
                ]
            }
        result = self.call("sendMessage", body, what="the message")
        if not isinstance(result, dict) or not isinstance(result.get("message_id"), int):
            raise SendError(
                "Telegram accepted the message but its answer has no message_id; not sent "
                "again to avoid a duplicate",
                permanent=True,
            )
        return result

    def set_webhook(
        self, url: str, *, secret_token: str, allowed_updates: list[str] | None = None
    ) -> None:
        """Point the bot's updates at ``url``, each carrying ``secret_token`` in a header."""
        body: dict[str, Any] = {"url": url, "secret_token": secret_token}
        if allowed_updates is not None:
            body["allowed_updates"] = allowed_updates
        self.call("setWebhook", body, what="the webhook")

    def call(self, method: str, body: dict[str, Any], *, what: str) -> Any:
        """One Bot API method; returns its ``result``."""
        url = f"{self._base_url}/bot{self._token}/{method}"
        response = http_request(
            "Telegram",
            "POST",
            url,
            transport=self._transport,
            timeout=self._timeout,
            quote_error=False,  # httpx's message may quote the URL, and the URL holds the token
            json=body,
            headers={"User-Agent": "socialdesk"},
        )
        return _result(response, what=what)


def callback_data(label: str) -> str:
    """A button's ``callback_data``: its label, cut to the 64 bytes Telegram allows."""
    data = label.encode("utf-8")[:64]
    return data.decode("utf-8", errors="ignore")


def _result(response: httpx.Response, *, what: str) -> Any:
    status = response.status_code
    try:
        answer = response.json()
    except ValueError:
        answer = None
    if not isinstance(answer, dict):
        if 200 <= status < 300:
            raise SendError(
                f"Telegram accepted {what} ({status}) but its answer is not JSON; not sent "
                "again to avoid a duplicate",
                permanent=True,
            )
        answer = {}
    if answer.get("ok") is True and 200 <= status < 300:
        return answer.get("result")
    code = answer.get("error_code")
    code = code if isinstance(code, int) and not isinstance(code, bool) else status
    description = answer.get("description")
    if not isinstance(description, str) or not description:
        description = response.reason_phrase or "no description"
    reason = f"Telegram refused {what}: {code} {description[:_MAX_REASON]}"
    parameters = answer.get("parameters")
    retry_after = parameters.get("retry_after") if isinstance(parameters, dict) else None
    if code == 429 or status == 429:
        wait = float(retry_after) if isinstance(retry_after, int | float) else None
        if wait is None and response.headers.get("retry-after", "").strip().isdigit():
            wait = float(response.headers["retry-after"])
        raise SendError(
            f"Telegram rate limit reached ({reason})",
            permanent=False,
            retry_after=max(1.0, wait) if wait is not None else None,
        )
    if code >= 500 or status >= 500:
        raise SendError(reason, permanent=False)
    if code in (401, 404):  # a wrong token: 401 Unauthorized, or 404 when malformed
        reason += " (the bot token is invalid or revoked: connect the account again)"
    raise SendError(reason, permanent=True)
