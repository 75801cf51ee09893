"""Outgoing webhooks: a workspace's subscriptions and their deliveries.

An event is handed to every active subscription that asked for its type by enqueuing one job
per subscription in the caller's transaction (the outbox), so nothing is sent for a change
that rolled back. A worker POSTs the JSON body with ``X-Socialdesk-Signature: sha256=<hex>``,
the HMAC-SHA256 of the exact body bytes under the subscription's secret, and retries on
network errors, 408, 429 (honouring ``Retry-After``) and 5xx with exponential backoff.

Receivers must be public addresses: a subscription is an admin's URL that our server will
call, and without a check it could reach what only the server can (the cloud's metadata
service at 169.254.169.254, a database on the private network, the server's own loopback).
A URL naming a private, loopback, link-local or otherwise special address is refused when it
is saved, and every delivery resolves the host again and refuses such an address, then
connects to the very address it checked (so a name that resolves differently a moment later,
DNS rebinding, cannot slip through); TLS still verifies the certificate against the host
name. ``SOCIALDESK_WEBHOOK_PRIVATE_TARGETS=true`` allows private receivers (an on-premises
installation posting to its own intranet; the test suite, whose servers live on 127.0.0.1).
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import json
import secrets
import socket
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

import httpx
from sqlalchemy import select
from sqlalchemy.orm import Session

from socialdesk.domain.errors import InvalidInput, NotFound
from socialdesk.jobs.queue import ClaimedJob, enqueue
from socialdesk.jobs.worker import PermanentJobError, RetryLater
from socialdesk.store.crypto import CredentialCipher, CredentialsUnreadable
from socialdesk.store.db import Database
from socialdesk.store.models import WebhookSubscription
from socialdesk.store.types import utcnow

__all__ = [
    "DELIVERY_HEADER",
    "EVENT_HEADER",
    "EVENT_TYPES",
    "SIGNATURE_HEADER",
    "WEBHOOK_JOB",
    "WebhookSpec",
    "create_subscription",
    "delete_subscription",
    "dispatch_event",
    "get_subscription",
    "list_subscriptions",
    "make_webhook_handler",
    "resolve_target",
    "send_test_event",
    "sign",
    "update_subscription",
    "verify",
]

WEBHOOK_JOB = "webhook.deliver"
SIGNATURE_HEADER = "X-Socialdesk-Signature"
EVENT_HEADER = "X-Socialdesk-Event"
DELIVERY_HEADER = "X-Socialdesk-Delivery"
TEST_EVENT = "webhook.test"
EVENT_TYPES = ("sla.warning", "sla.breached", TEST_EVENT)
MAX_ATTEMPTS = 8
_MIN_SECRET = 16


def sign(secret: str, body: bytes) -> str:
    """The signature header's value for ``body``."""
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def verify(secret: str, body: bytes, header: str | None) -> bool:
    """What a receiver does: constant-time comparison of the header with our own signature."""
    return header is not None and hmac.compare_digest(sign(secret, body), header)


@dataclass
class WebhookSpec:
    url: str
    event_types: list[str]
    description: str = ""
    is_active: bool = True
    secret: str | None = None  # None on create: one is generated; on update: keep the old one


_PRIVATE_HINT = (
    "outgoing webhooks go to public addresses only; set "
    "SOCIALDESK_WEBHOOK_PRIVATE_TARGETS=true to allow receivers on a private network"
)


def _special(address: str) -> bool:
    """Whether ``address`` (an IP) is anything but a public unicast address."""
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return not ip.is_global or ip.is_multicast


def _literal(host: str) -> str | None:
    try:
        return str(ipaddress.ip_address(host))
    except ValueError:
        return None


def _check_url(url: str, *, allow_private: bool = False) -> str:
    url = url.strip()
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise InvalidInput("url must be an absolute http:// or https:// address")
    if parts.username or parts.password:
        raise InvalidInput(
            "url must not carry a user name or password; the signature authenticates"
        )
    if len(url) > 2000:
        raise InvalidInput("url may hold at most 2,000 characters")
    try:
        parts.port  # noqa: B018 - raises for a port out of range
    except ValueError:
        raise InvalidInput("url has an invalid port") from None
    if not allow_private:
        host = parts.hostname.rstrip(".").lower()
        literal = _literal(host)
        if host == "localhost" or host.endswith(".localhost") or (literal and _special(literal)):
            raise InvalidInput(
                f"url points to a private or local address ({host}): {_PRIVATE_HINT}"
            )
    return url


def resolve_target(url: str, *, allow_private: bool = False) -> str:
    """The IP address a delivery to ``url`` connects to: the host resolved now, refused
    (:class:`PermanentJobError`) when it is private or special and ``allow_private`` is off,
    or when it does not resolve (retried: DNS may be down for a moment)."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    port = parts.port or (443 if parts.scheme == "https" else 80)
    literal = _literal(host)
    if literal is not None:
        addresses = [literal]
    else:
        try:
            infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
        except (socket.gaierror, UnicodeError) as exc:
            raise ConnectionError(f"could not resolve {host}: {exc}") from exc
        addresses = list(dict.fromkeys(str(info[4][0]) for info in infos))
        if not addresses:
            raise ConnectionError(f"could not resolve {host}")
    if not allow_private:
        special = [a for a in addresses if _special(a)]
        if special:
            raise PermanentJobError(
                f"{host} resolves to the private or local address {special[0]}: {_PRIVATE_HINT}"
            )
    return addresses[0]


def _pinned(url: str, address: str) -> str:
    """``url`` with its host replaced by the checked ``address`` (port, path, query kept)."""
    parts = urlsplit(url)
    host = f"[{address}]" if ":" in address else address
    netloc = f"{host}:{parts.port}" if parts.port else host
    return parts._replace(netloc=netloc).geturl()


def _check_types(types: Sequence[str]) -> list[str]:
    chosen = list(dict.fromkeys(t.strip() for t in types))
    if not chosen:
        raise InvalidInput(f"choose at least one event type: {', '.join(EVENT_TYPES)}")
    unknown = [t for t in chosen if t not in EVENT_TYPES]
    if unknown:
        raise InvalidInput(
            f"unknown event type {unknown[0]!r}; use one of {', '.join(EVENT_TYPES)}"
        )
    return chosen


def _check_secret(secret: str) -> str:
    if len(secret) < _MIN_SECRET or len(secret) > 200:
        raise InvalidInput(f"a webhook secret needs {_MIN_SECRET} to 200 characters")
    return secret


def list_subscriptions(session: Session, workspace_id: int) -> list[WebhookSubscription]:
    return list(
        session.scalars(
            select(WebhookSubscription)
            .where(WebhookSubscription.workspace_id == workspace_id)
            .order_by(WebhookSubscription.id)
        )
    )


def get_subscription(
    session: Session, workspace_id: int, subscription_id: int
) -> WebhookSubscription:
    row = session.get(WebhookSubscription, subscription_id)
    if row is None or row.workspace_id != workspace_id:
        raise NotFound(f"webhook {subscription_id} does not exist in this workspace")
    return row


def create_subscription(
    session: Session,
    workspace_id: int,
    spec: WebhookSpec,
    cipher: CredentialCipher,
    *,
    allow_private: bool = False,
) -> tuple[WebhookSubscription, str]:
    """Returns the subscription and its secret, which is never shown again."""
    secret = _check_secret(spec.secret) if spec.secret else "whsec_" + secrets.token_urlsafe(32)
    now = utcnow()
    row = WebhookSubscription(
        workspace_id=workspace_id,
        url=_check_url(spec.url, allow_private=allow_private),
        description=spec.description.strip()[:200],
        event_types=_check_types(spec.event_types),
        secret=cipher.encrypt({"secret": secret}),
        is_active=spec.is_active,
        created_at=now,
        updated_at=now,
    )
    session.add(row)
    session.flush()
    return row, secret


def update_subscription(
    session: Session,
    workspace_id: int,
    subscription_id: int,
    spec: WebhookSpec,
    cipher: CredentialCipher,
    *,
    allow_private: bool = False,
) -> WebhookSubscription:
    row = get_subscription(session, workspace_id, subscription_id)
    row.url = _check_url(spec.url, allow_private=allow_private)
    row.event_types = _check_types(spec.event_types)
    row.description = spec.description.strip()[:200]
    row.is_active = spec.is_active
    if spec.secret:
        row.secret = cipher.encrypt({"secret": _check_secret(spec.secret)})
    row.updated_at = utcnow()
    session.flush()
    return row


def delete_subscription(session: Session, workspace_id: int, subscription_id: int) -> None:
    """Deliveries still queued for it are dropped when their turn comes."""
    session.delete(get_subscription(session, workspace_id, subscription_id))
    session.flush()


def _enqueue_delivery(
    session: Session,
    subscription: WebhookSubscription,
    event_type: str,
    data: dict[str, Any],
    occurred_at: datetime,
) -> str:
    delivery_id = str(uuid.uuid4())
    body = {
        "id": delivery_id,
        "type": event_type,
        "occurred_at": occurred_at.isoformat(),
        "workspace_id": subscription.workspace_id,
        "data": data,
    }
    enqueue(
        session,
        WEBHOOK_JOB,
        {
            "subscription_id": subscription.id,
            "delivery_id": delivery_id,
            "event": event_type,
            # Serialized once: every attempt sends (and signs) the very same bytes.
            "body": json.dumps(body, separators=(",", ":"), sort_keys=True, default=str),
        },
        idempotency_key=f"webhook:{delivery_id}",
        max_attempts=MAX_ATTEMPTS,
    )
    return delivery_id


def dispatch_event(
    session: Session,
    workspace_id: int,
    event_type: str,
    data: dict[str, Any],
    *,
    occurred_at: datetime | None = None,
) -> list[str]:
    """Queue one delivery per active subscription to ``event_type``; returns delivery ids."""
    at = occurred_at or utcnow()
    return [
        _enqueue_delivery(session, sub, event_type, data, at)
        for sub in list_subscriptions(session, workspace_id)
        if sub.is_active and event_type in (sub.event_types or [])
    ]


def send_test_event(session: Session, workspace_id: int, subscription_id: int) -> str:
    """A ``webhook.test`` delivery to one subscription, whatever types it chose."""
    sub = get_subscription(session, workspace_id, subscription_id)
    return _enqueue_delivery(session, sub, TEST_EVENT, {"subscription_id": sub.id}, utcnow())


def _retry_after(response: httpx.Response) -> float | None:
    value = response.headers.get("retry-after")
    if value is None:
        return None
    try:
        return min(3600.0, max(1.0, float(value)))
    except ValueError:
        return None


def make_webhook_handler(
    db: Database,
    cipher: CredentialCipher,
    *,
    transport: httpx.BaseTransport | None = None,
    timeout: float = 10.0,
    allow_private: bool = False,
) -> Callable[[ClaimedJob], None]:
    """The worker's handler for :data:`WEBHOOK_JOB` (at least once; receivers dedupe on the
    delivery id header)."""

    def deliver(job: ClaimedJob) -> None:
        with db.read_session() as session:
            sub = session.get(WebhookSubscription, int(job.payload["subscription_id"]))
            if sub is None or not sub.is_active:
                return  # deleted or switched off since: nothing to send
            url, stored = sub.url, sub.secret
        try:
            secret = cipher.decrypt(stored)["secret"]
        except (CredentialsUnreadable, KeyError) as exc:
            raise PermanentJobError(f"the secret of webhook {sub.id} cannot be read") from exc
        body = str(job.payload["body"]).encode()
        headers = {
            "Content-Type": "application/json",
            "User-Agent": "socialdesk-webhooks/1",
            EVENT_HEADER: str(job.payload["event"]),
            DELIVERY_HEADER: str(job.payload["delivery_id"]),
            SIGNATURE_HEADER: sign(secret, body),
        }
        address = resolve_target(url, allow_private=allow_private)
        parts = urlsplit(url)
        headers["Host"] = parts.netloc.rsplit("@", 1)[-1]
        extensions = {"sni_hostname": parts.hostname} if parts.scheme == "https" else {}
        try:
            with httpx.Client(transport=transport, timeout=timeout) as client:
                response = client.post(
                    _pinned(url, address), content=body, headers=headers, extensions=extensions
                )
        except httpx.HTTPError as exc:
            raise ConnectionError(f"could not reach {url}: {exc}") from exc
        status = response.status_code
        if 200 <= status < 300:
            return
        reason = f"{url} answered {status}"
        if status in (408, 429) or status >= 500:
            wait = _retry_after(response)
            if wait is not None:
                raise RetryLater(reason, wait)
            raise ConnectionError(reason)  # retried with backoff
        raise PermanentJobError(reason)

    return deliver
