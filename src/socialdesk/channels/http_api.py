"""Shared plumbing of the polled connectors (Reddit, YouTube): JSON over HTTPS with the
platform's refusals turned into :class:`SendError`, and OAuth 2.0 refresh-token grants.

429 and 5xx (and network errors) are transient and honour ``Retry-After``; 401 drops the
cached access token so the next attempt fetches a fresh one; other 4xx are permanent and
carry the platform's own explanation, as an ``explain`` function of the connector reads it.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from email.utils import parsedate_to_datetime
from typing import Any

import httpx

from socialdesk.channels.base import SendError

__all__ = ["JsonApi", "TokenCache", "retry_after"]

_MAX_REASON = 500

Explain = Callable[[httpx.Response], str]


def retry_after(headers: httpx.Headers, *, now: float | None = None) -> float | None:
    """Seconds from ``Retry-After`` (seconds or an HTTP date); None when absent."""
    value = (headers.get("retry-after") or "").strip()
    if not value:
        return None
    if value.isdigit():
        return max(1.0, float(value))
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(1.0, when.timestamp() - (time.time() if now is None else now))


def _plain(response: httpx.Response) -> str:
    text = response.text.strip()
    return text[:_MAX_REASON] if text else (response.reason_phrase or "")


@dataclass
class JsonApi:
    """Requests to one platform; ``name`` appears in every error ("Reddit refused …")."""

    name: str
    transport: httpx.BaseTransport | None = None
    timeout: float = 10.0
    user_agent: str = "socialdesk"
    explain: Explain = _plain

    def call(
        self,
        method: str,
        url: str,
        *,
        what: str,
        token: str | None = None,
        params: Mapping[str, Any] | None = None,
        json: Any = None,
        data: Mapping[str, str] | None = None,
        auth: tuple[str, str] | None = None,
        on_unauthorized: Callable[[], None] | None = None,
    ) -> dict[str, Any]:
        headers = {"User-Agent": self.user_agent, "Accept": "application/json"}
        if token is not None:
            headers["Authorization"] = f"Bearer {token}"
        # A transport handed in (tests, proxies) belongs to the caller and outlives the call.
        client = httpx.Client(
            transport=self.transport or httpx.HTTPTransport(retries=0), timeout=self.timeout
        )
        try:
            response = client.request(
                method, url, headers=headers, params=params, json=json, data=data, auth=auth
            )
        except httpx.TimeoutException as exc:
            raise SendError(f"{self.name} did not answer in time", permanent=False) from exc
        except httpx.TransportError as exc:
            raise SendError(f"{self.name} could not be reached: {exc}", permanent=False) from exc
        finally:
            if self.transport is None:
                client.close()
        return self._answer(response, what=what, on_unauthorized=on_unauthorized)

    def _answer(
        self,
        response: httpx.Response,
        *,
        what: str,
        on_unauthorized: Callable[[], None] | None,
    ) -> dict[str, Any]:
        status = response.status_code
        if 200 <= status < 300:
            try:
                body = response.json()
            except ValueError:
                body = None
            if not isinstance(body, dict):
                raise SendError(
                    f"{self.name} answered {what} ({status}) with something that is not a "
                    "JSON object",
                    permanent=True,
                )
            return body
        reason = f"{self.name} refused {what}: {status} {self.explain(response)}".strip()
        if status == 429:
            raise SendError(
                f"{self.name} rate limit reached ({reason})",
                permanent=False,
                retry_after=retry_after(response.headers),
            )
        if status >= 500 or status == 408:
            raise SendError(reason, permanent=False, retry_after=retry_after(response.headers))
        if status == 401 and on_unauthorized is not None:
            on_unauthorized()  # an expired token: the retry fetches a new one
            raise SendError(
                reason + " (access token refused; retrying with a new one)", permanent=False
            )
        raise SendError(reason, permanent=True)


class TokenCache:
    """Access tokens from OAuth 2.0 refresh-token grants, kept in memory until they expire.

    ``fetch(account_id)`` returns ``(access_token, expires_in_seconds)``; tokens are renewed
    a minute before they expire, and :meth:`forget` drops one the platform refused.
    """

    def __init__(self) -> None:
        self._tokens: dict[int, tuple[str, float]] = {}
        self._lock = threading.Lock()

    def get(self, account_id: int, fetch: Callable[[], tuple[str, float]]) -> str:
        with self._lock:
            cached = self._tokens.get(account_id)
            if cached is not None and cached[1] > time.monotonic():
                return cached[0]
        token, expires_in = fetch()
        with self._lock:
            self._tokens[account_id] = (token, time.monotonic() + max(0.0, expires_in - 60))
        return token

    def forget(self, account_id: int) -> None:
        with self._lock:
            self._tokens.pop(account_id, None)
