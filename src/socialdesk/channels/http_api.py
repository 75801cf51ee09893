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
from dataclasses import dataclass, field
from email.utils import parsedate_to_datetime
from typing import Any

import httpx

from socialdesk.channels.base import AccountInfo, SendError

__all__ = ["JsonApi", "OAuthRefresh", "TokenCache", "http_request", "retry_after"]

_MAX_REASON = 500

Explain = Callable[[httpx.Response], str]


def http_request(
    name: str,
    method: str,
    url: str,
    *,
    transport: httpx.BaseTransport | None = None,
    timeout: float = 10.0,
    quote_error: bool = True,
    **kwargs: Any,
) -> httpx.Response:
    """One request to platform ``name``; timeouts and network failures become transient
    :class:`SendError`. A transport handed in (tests, proxies) belongs to the caller and
    outlives the call. ``quote_error=False`` keeps httpx's message out of the reason (it may
    quote a URL that holds a secret, as Telegram's does)."""
    client = httpx.Client(transport=transport or httpx.HTTPTransport(retries=0), timeout=timeout)
    try:
        return client.request(method, url, **kwargs)
    except httpx.TimeoutException as exc:
        raise SendError(
            f"{name} did not answer in time ({type(exc).__name__})", permanent=False
        ) from exc
    except httpx.TransportError as exc:
        if not quote_error:
            raise SendError(
                f"{name} could not be reached ({type(exc).__name__})", permanent=False
            ) from None
        raise SendError(f"{name} could not be reached: {exc}", permanent=False) from exc
    finally:
        if transport is None:
            client.close()


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
        response = http_request(
            self.name,
            method,
            url,
            transport=self.transport,
            timeout=self.timeout,
            headers=headers,
            params=params,
            json=json,
            data=data,
            auth=auth,
        )
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


@dataclass
class OAuthRefresh:
    """Calls with a bearer token from an OAuth 2.0 refresh-token grant, cached per account.

    The account holds ``client_id`` (a setting), ``client_secret`` and ``refresh_token``
    (credentials), and may override ``api_base_url`` (a setting). ``token_url`` says where
    the account's grant goes; ``basic_auth`` sends the client credentials as HTTP Basic
    (Reddit) rather than as form fields (Google); ``no_token`` words the refusal when a
    successful answer holds no access token.
    """

    api: JsonApi
    api_base_url: str
    token_url: Callable[[AccountInfo], str]
    no_token: Callable[[dict[str, Any]], str]
    basic_auth: bool = False
    tokens: TokenCache = field(default_factory=TokenCache)

    def call(
        self, account: AccountInfo, method: str, path: str, *, what: str, **kwargs: Any
    ) -> dict[str, Any]:
        """``api.call`` of ``path`` below the account's ``api_base_url`` (else the default)
        with the account's access token; a refused token is forgotten."""
        base = str(account.settings.get("api_base_url") or self.api_base_url).rstrip("/")
        token = self.tokens.get(account.id, lambda: self.fetch_token(account))
        return self.api.call(
            method,
            base + path,
            what=what,
            token=token,
            on_unauthorized=lambda: self.tokens.forget(account.id),
            **kwargs,
        )

    def fetch_token(self, account: AccountInfo) -> tuple[str, float]:
        """A new access token and its lifetime in seconds."""
        client_id = str(account.settings.get("client_id") or "")
        secret = account.credentials.get("client_secret")
        refresh = account.credentials.get("refresh_token")
        if not client_id or not secret or not refresh:
            raise SendError(
                f"the {self.api.name} account lacks client_id, client_secret or refresh_token: "
                "connect it again",
                permanent=True,
            )
        data = {"grant_type": "refresh_token", "refresh_token": refresh}
        auth: tuple[str, str] | None = None
        if self.basic_auth:
            auth = (client_id, secret)
        else:
            data |= {"client_id": client_id, "client_secret": secret}
        body = self.api.call(
            "POST", self.token_url(account), what="an access token", data=data, auth=auth
        )
        token = body.get("access_token")
        if not isinstance(token, str) or not token:
            raise SendError(self.no_token(body), permanent=True)
        return token, float(body.get("expires_in") or 3600)
