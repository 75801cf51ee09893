"""A thin client for Twilio's Message resource: create one (send an SMS).

``POST /2010-04-01/Accounts/{AccountSid}/Messages.json``, form-encoded, HTTP Basic auth with
the account SID and auth token. A refusal's JSON is ``{"code": 21211, "message": "...",
"more_info": "https://www.twilio.com/docs/errors/21211", "status": 400}``: 429 and 5xx are
retried (``Retry-After`` honoured when given), every other refusal is permanent with Twilio's
message and error code.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

import httpx

from socialdesk.channels.base import SendError
from socialdesk.channels.http_api import http_request

__all__ = ["DEFAULT_API_BASE_URL", "TwilioClient"]

DEFAULT_API_BASE_URL = "https://api.twilio.com"
_MAX_REASON = 500


class TwilioClient:
    def __init__(
        self,
        *,
        account_sid: str,
        auth_token: str,
        base_url: str = DEFAULT_API_BASE_URL,
        transport: httpx.BaseTransport | None = None,
        timeout: float = 10.0,
    ) -> None:
        self._account_sid = account_sid
        self._auth_token = auth_token
        self._base_url = base_url.rstrip("/")
        self._transport = transport
        self._timeout = timeout

    def create_message(
        self,
        *,
        to: str,
        body: str,
        from_: str | None = None,
        messaging_service_sid: str | None = None,
        status_callback: str | None = None,
    ) -> dict[str, Any]:
        """Send one message; returns Twilio's Message resource (``sid``, ``status``...)."""
        form: dict[str, str] = {"To": to, "Body": body}
        if messaging_service_sid:
            form["MessagingServiceSid"] = messaging_service_sid
        elif from_:
            form["From"] = from_
        else:
            raise SendError(
                "the SMS account has neither a phone number nor a messaging service to send "
                "from: connect it again",
                permanent=True,
            )
        if status_callback:
            form["StatusCallback"] = status_callback
        path = f"/2010-04-01/Accounts/{quote(self._account_sid, safe='')}/Messages.json"
        response = http_request(
            "Twilio",
            "POST",
            self._base_url + path,
            transport=self._transport,
            timeout=self._timeout,
            data=form,
            auth=(self._account_sid, self._auth_token),
            headers={"User-Agent": "socialdesk", "Accept": "application/json"},
        )
        return _answer(response)


def _answer(response: httpx.Response) -> dict[str, Any]:
    status = response.status_code
    try:
        data = response.json()
    except ValueError:
        data = None
    if 200 <= status < 300:
        sid = data.get("sid") if isinstance(data, dict) else None
        if not isinstance(sid, str) or not sid:
            raise SendError(
                f"Twilio accepted the SMS ({status}) but its answer has no sid; not sent "
                "again to avoid a duplicate",
                permanent=True,
            )
        assert isinstance(data, dict)
        return data
    reason = f"Twilio refused the SMS: {status} {_explanation(response, data)}"
    if status == 429:
        raise SendError(
            f"Twilio rate limit reached ({reason})",
            permanent=False,
            retry_after=_retry_after(response),
        )
    if status >= 500 or status == 408:
        raise SendError(reason, permanent=False, retry_after=_retry_after(response))
    if status == 401:
        reason += " (the account SID or auth token is wrong: connect the account again)"
    raise SendError(reason, permanent=True)


def _explanation(response: httpx.Response, data: Any) -> str:
    if isinstance(data, dict) and isinstance(data.get("message"), str):
        text = data["message"]
        code = data.get("code")
        if isinstance(code, int) and not isinstance(code, bool):
            text = f"error {code}: {text}"
        more = data.get("more_info")
        if isinstance(more, str) and more:
            text += f" ({more})"
        return text[:_MAX_REASON]
    body = response.text.strip()
    phrase = response.reason_phrase or ""
    return f"{phrase}: {body[:_MAX_REASON]}" if body else phrase


def _retry_after(response: httpx.Response) -> float | None:
    value = response.headers.get("retry-after", "").strip()
    return max(1.0, float(value)) if value.isdigit() else None
