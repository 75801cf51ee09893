"""A thin client for the two X API v2 calls socialdesk makes: reply publicly, send a DM.

Failures become :class:`SendError`: 429 waits for ``Retry-After`` or ``x-rate-limit-reset``,
5xx and network errors are retried, other 4xx are permanent and carry X's own explanation.
"""

from __future__ import annotations

import time
from email.utils import parsedate_to_datetime
from typing import Any
from urllib.parse import quote

import httpx

from socialdesk.channels.base import SendError
from socialdesk.channels.http_api import http_request

__all__ = ["DEFAULT_API_BASE_URL", "XClient", "retry_after_seconds"]

DEFAULT_API_BASE_URL = "https://api.x.com"
_MAX_REASON = 500


class XClient:
    """One account's access to the X API (OAuth 2.0 user token as a bearer token)."""

    def __init__(
        self,
        *,
        access_token: str,
        base_url: str = DEFAULT_API_BASE_URL,
        transport: httpx.BaseTransport | None = None,
        timeout: float = 10.0,
    ) -> None:
        self._access_token = access_token
        self._base_url = base_url.rstrip("/")
        self._transport = transport
        self._timeout = timeout

    def create_tweet(self, text: str, *, in_reply_to: str | None) -> str:
        """Post a tweet (a reply when ``in_reply_to`` is given); returns its id."""
        body: dict[str, Any] = {"text": text}
        if in_reply_to is not None:
            body["reply"] = {"in_reply_to_tweet_id": in_reply_to}
        data = self._post("/2/tweets", body, what="the reply")
        return _field(data, "id", what="the reply")

    def send_dm(self, participant_id: str, text: str) -> str:
        """Send a direct message to one user; returns the DM event id."""
        path = f"/2/dm_conversations/with/{quote(participant_id, safe='')}/messages"
        data = self._post(path, {"text": text}, what="the direct message")
        return _field(data, "dm_event_id", what="the direct message")

    def _post(self, path: str, body: dict[str, Any], *, what: str) -> dict[str, Any]:
        headers = {
            "Authorization": f"Bearer {self._access_token}",
            "User-Agent": "socialdesk",
        }
        response = http_request(
            "X",
            "POST",
            self._base_url + path,
            transport=self._transport,
            timeout=self._timeout,
            json=body,
            headers=headers,
        )
        return _answer(response, what=what)


def _answer(response: httpx.Response, *, what: str) -> dict[str, Any]:
    status = response.status_code
    if 200 <= status < 300:
        try:
            data = response.json()
        except ValueError:
            data = None
        if not isinstance(data, dict):
            raise SendError(
                f"X accepted {what} ({status}) but its answer is not JSON; not sent again "
                "to avoid a duplicate",
                permanent=True,
            )
        return data
    reason = f"X refused {what}: {status} {_explanation(response)}"
    if status == 429:
        raise SendError(
            f"X rate limit reached ({reason})",
            permanent=False,
            retry_after=retry_after_seconds(response.headers),
        )
    if status >= 500 or status == 408:
        raise SendError(reason, permanent=False, retry_after=retry_after_seconds(response.headers))
    if status == 401:
        reason += " (the access token is invalid or expired: connect the account again)"
    raise SendError(reason, permanent=True)


def _field(data: dict[str, Any], key: str, *, what: str) -> str:
    inner = data.get("data")
    value = inner.get(key) if isinstance(inner, dict) else None
    if not isinstance(value, str) or not value:
        raise SendError(
            f"X accepted {what} but its answer has no data.{key}; not sent again to avoid a "
            "duplicate",
            permanent=True,
        )
    return value


def _explanation(response: httpx.Response) -> str:
    """X's words for a refusal: v2 problem ``title``/``detail``, or v1.1 ``errors[].message``."""
    phrase = response.reason_phrase or ""
    try:
        body = response.json()
    except ValueError:
        text = response.text.strip()
        return f"{phrase}: {text[:_MAX_REASON]}" if text else phrase
    parts: list[str] = []
    if isinstance(body, dict):
        for key in ("title", "detail"):
            if isinstance(body.get(key), str) and body[key] not in parts:
                parts.append(body[key])
        errors = body.get("errors")
        if isinstance(errors, list):
            for error in errors:
                if isinstance(error, dict):
                    message = error.get("message") or error.get("detail")
                    if isinstance(message, str) and message not in parts:
                        parts.append(message)
    explained = " - ".join(parts) if parts else phrase
    return explained[:_MAX_REASON]


def retry_after_seconds(headers: httpx.Headers, *, now: float | None = None) -> float | None:
    """Seconds to wait from ``Retry-After`` (seconds or an HTTP date), else from X's
    ``x-rate-limit-reset`` (epoch seconds when the window resets); None when neither says."""
    now = time.time() if now is None else now
    value = headers.get("retry-after")
    if value:
        value = value.strip()
        if value.isdigit():
            return max(1.0, float(value))
        try:
            when = parsedate_to_datetime(value)
        except (TypeError, ValueError):
            when = None
        if when is not None:
            return max(1.0, when.timestamp() - now)
    reset = headers.get("x-rate-limit-reset")
    if reset and reset.strip().isdigit():
        return max(1.0, float(reset.strip()) - now)
    return None
