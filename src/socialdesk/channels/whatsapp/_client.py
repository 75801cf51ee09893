"""A thin client for the one Cloud API call socialdesk makes: ``POST /{phone-number-id}/messages``.

Failures become :class:`SendError` by Meta's error ``code`` first (the HTTP status of Graph
API errors is often a plain 400): rate limits wait (``Retry-After`` when given, else a pause
that fits the limit), outages and 5xx are retried, the rest is permanent and carries Meta's
``message`` and ``error_data.details`` for the agent.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

import httpx

from socialdesk.channels.base import SendError
from socialdesk.channels.http_api import http_request
from socialdesk.channels.whatsapp._parse import describe_error

__all__ = [
    "DEFAULT_API_BASE_URL",
    "DEFAULT_API_VERSION",
    "WhatsAppClient",
    "error_to_send_error",
]

DEFAULT_API_BASE_URL = "https://graph.facebook.com"
DEFAULT_API_VERSION = "v23.0"
_MAX_REASON = 600

# Throughput (130429), pair rate (131056: about one message per customer every 6 s), the
# business account's and the app's request limits (80007, 4): seconds to wait when Meta
# gives no Retry-After.
_RATE_LIMITS = {130429: 30.0, 131056: 10.0, 80007: 60.0, 4: 60.0, 613: 60.0}
# Temporary trouble on Meta's side, whatever the HTTP status says.
_TRANSIENT = {1, 2, 131000, 131016, 133004}
_AUTH = {190}


class WhatsAppClient:
    """One phone number's access to the Cloud API (a system user's access token)."""

    def __init__(
        self,
        *,
        access_token: str,
        phone_number_id: str,
        base_url: str = DEFAULT_API_BASE_URL,
        version: str = DEFAULT_API_VERSION,
        transport: httpx.BaseTransport | None = None,
        timeout: float = 10.0,
    ) -> None:
        self._access_token = access_token
        self._url = (
            f"{base_url.rstrip('/')}/{quote(version.strip('/'), safe='.')}"
            f"/{quote(phone_number_id, safe='')}/messages"
        )
        self._transport = transport
        self._timeout = timeout

    def send_message(self, body: dict[str, Any]) -> str:
        """Send one message (the body without ``messaging_product``); returns its wamid."""
        payload = {"messaging_product": "whatsapp", "recipient_type": "individual", **body}
        headers = {"Authorization": f"Bearer {self._access_token}", "User-Agent": "socialdesk"}
        response = http_request(
            "WhatsApp",
            "POST",
            self._url,
            transport=self._transport,
            timeout=self._timeout,
            json=payload,
            headers=headers,
        )
        return _message_id(response)


def _message_id(response: httpx.Response) -> str:
    status = response.status_code
    try:
        data = response.json()
    except ValueError:
        data = None
    if 200 <= status < 300:
        messages = data.get("messages") if isinstance(data, dict) else None
        first = messages[0] if isinstance(messages, list) and messages else None
        wamid = first.get("id") if isinstance(first, dict) else None
        if not isinstance(wamid, str) or not wamid:
            raise SendError(
                f"WhatsApp accepted the message ({status}) but its answer has no messages[0].id;"
                " not sent again to avoid a duplicate",
                permanent=True,
            )
        return wamid
    error = data.get("error") if isinstance(data, dict) else None
    if not isinstance(error, dict):
        text = response.text.strip()[:200]
        error = {"message": f"{status} {response.reason_phrase}" + (f": {text}" if text else "")}
    raise error_to_send_error(status, error, response.headers.get("retry-after"))


def error_to_send_error(status: int, error: dict[str, Any], retry_after: str | None) -> SendError:
    """The outbox's view of one Cloud API error (see the module's docstring)."""
    code = error.get("code")
    code = int(code) if isinstance(code, int | str) and str(code).isdigit() else None
    reason = f"WhatsApp refused the message: {describe_error(error)}"[:_MAX_REASON]
    waited = float(retry_after) if retry_after and retry_after.strip().isdigit() else None
    if code in _RATE_LIMITS or status == 429:
        default = _RATE_LIMITS.get(code, 60.0) if code is not None else 60.0
        return SendError(
            f"WhatsApp rate limit reached ({reason})",
            permanent=False,
            retry_after=max(1.0, waited if waited is not None else default),
        )
    if status >= 500 or status == 408 or code in _TRANSIENT:
        return SendError(reason, permanent=False, retry_after=waited)
    if status == 401 or code in _AUTH:
        reason += " (the access token is invalid or expired: connect the account again)"
    return SendError(reason, permanent=True)
