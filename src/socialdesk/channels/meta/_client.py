"""A thin client for the few Graph API calls socialdesk makes (comments, Send API).

Every failure becomes a :class:`SendError` (see :func:`graph_error`): rate limits (HTTP 429
and Graph codes 4, 17, 32, 613, 80001-80014) and outages (5xx, codes 1 and 2, or an error
Meta marks ``is_transient``) are retried, everything else is permanent and carries Meta's
own words, e.g. ``(#10) This message is sent outside of allowed window.``.
"""

from __future__ import annotations

import json
import time
from email.utils import parsedate_to_datetime
from typing import Any
from urllib.parse import quote

import httpx

from socialdesk.channels.base import SendError
from socialdesk.channels.http_api import http_request

__all__ = [
    "DEFAULT_API_VERSION",
    "RATE_LIMIT_CODES",
    "GraphClient",
    "graph_error",
    "retry_after_seconds",
]

DEFAULT_API_VERSION = "v23.0"
# Application, user, page and custom-rate-limit throttling ("API Too Many Calls", ...).
RATE_LIMIT_CODES = frozenset({4, 17, 32, 613})
# Business Use Case rate limits (Messenger's 80006, Instagram's 80002, ...).
_BUC_LIMIT_CODES = range(80001, 80015)
_TRANSIENT_CODES = frozenset(
    {1, 2}
)  # "An unknown error occurred", "Service temporarily unavailable"
_TOKEN_CODES = frozenset({102, 190})
_MAX_REASON = 500


class GraphClient:
    """One account's access to the Graph API (a Page or Instagram access token)."""

    def __init__(
        self,
        *,
        access_token: str,
        base_url: str,
        api_version: str = DEFAULT_API_VERSION,
        transport: httpx.BaseTransport | None = None,
        timeout: float = 10.0,
    ) -> None:
        self._access_token = access_token
        self._base_url = base_url.rstrip("/")
        self._version = api_version.strip("/ ") or DEFAULT_API_VERSION
        self._transport = transport
        self._timeout = timeout

    def url(self, *segments: str) -> str:
        path = "/".join(quote(s, safe="") for s in segments)
        return f"{self._base_url}/{self._version}/{path}"

    def post(self, *segments: str, body: dict[str, Any], what: str) -> dict[str, Any]:
        """POST ``body`` as JSON to ``/{version}/{segments...}``; Meta's JSON answer."""
        headers = {
            # The Graph API takes the token as a bearer token: it stays out of URLs and logs.
            "Authorization": f"Bearer {self._access_token}",
            "User-Agent": "socialdesk",
        }
        response = http_request(
            "Meta",
            "POST",
            self.url(*segments),
            transport=self._transport,
            timeout=self._timeout,
            json=body,
            headers=headers,
        )
        return _answer(response, what=what)


def _answer(response: httpx.Response, *, what: str) -> dict[str, Any]:
    status = response.status_code
    try:
        data = response.json()
    except ValueError:
        data = None
    if 200 <= status < 300:
        if not isinstance(data, dict):
            raise SendError(
                f"Meta accepted {what} ({status}) but its answer is not JSON; not sent again "
                "to avoid a duplicate",
                permanent=True,
            )
        return data
    raise graph_error(status, data, response.headers, what=what, text=response.text)


def graph_error(
    status: int,
    body: Any,
    headers: httpx.Headers,
    *,
    what: str,
    text: str = "",
    now: float | None = None,
) -> SendError:
    """The :class:`SendError` for a Graph API refusal (HTTP status and ``error`` object)."""
    error = body.get("error") if isinstance(body, dict) else None
    error = error if isinstance(error, dict) else {}
    code = error.get("code") if isinstance(error.get("code"), int) else None
    subcode = error.get("error_subcode") if isinstance(error.get("error_subcode"), int) else None
    explained = _explanation(error, text)
    label = f"#{code}" + (f"/{subcode}" if subcode is not None else "") if code else None
    reason = f"Meta refused {what}: {status}" + (f" ({label})" if label else "")
    reason += f" {explained}" if explained else ""
    if status == 429 or code in RATE_LIMIT_CODES or (code is not None and code in _BUC_LIMIT_CODES):
        return SendError(
            f"Meta rate limit reached ({reason})",
            permanent=False,
            retry_after=retry_after_seconds(headers, now=now),
        )
    if status >= 500 or status == 408 or code in _TRANSIENT_CODES or error.get("is_transient"):
        return SendError(reason, permanent=False, retry_after=retry_after_seconds(headers, now=now))
    if code in _TOKEN_CODES or status == 401:
        reason += " (the access token is invalid or expired: connect the account again)"
    return SendError(reason, permanent=True)


def _explanation(error: dict[str, Any], text: str) -> str:
    parts: list[str] = []
    for key in ("message", "error_user_title", "error_user_msg"):
        value = error.get(key)
        if isinstance(value, str) and value.strip() and value.strip() not in parts:
            parts.append(value.strip())
    if not parts and text.strip():
        parts.append(text.strip())
    return " - ".join(parts)[:_MAX_REASON]


def retry_after_seconds(headers: httpx.Headers, *, now: float | None = None) -> float | None:
    """Seconds to wait from ``Retry-After`` (seconds or an HTTP date), else from the longest
    ``estimated_time_to_regain_access`` (minutes) in Meta's ``X-Business-Use-Case-Usage``
    header; None when neither says (the worker's backoff decides)."""
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
    minutes = _regain_minutes(headers.get("x-business-use-case-usage"))
    if minutes:
        return minutes * 60.0
    return None


def _regain_minutes(header: str | None) -> float | None:
    """``{"<business id>": [{"type": "messenger", ..., "estimated_time_to_regain_access": 5}]}``"""
    if not header:
        return None
    try:
        usage = json.loads(header)
    except ValueError:
        return None
    longest: float | None = None
    if isinstance(usage, dict):
        for entries in usage.values():
            for entry in entries if isinstance(entries, list) else []:
                value = (
                    entry.get("estimated_time_to_regain_access")
                    if isinstance(entry, dict)
                    else None
                )
                if isinstance(value, int | float) and not isinstance(value, bool) and value > 0:
                    longest = max(longest or 0.0, float(value))
    return longest
