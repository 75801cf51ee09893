"""What every channel module offers the rest of socialdesk."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

from socialdesk.pipeline.events import InboundEvent

__all__ = [
    "ACCOUNT_FIELDS",
    "AccountInfo",
    "Channel",
    "ConnectionKey",
    "ConnectionSpec",
    "OutboundMessage",
    "ParseError",
    "SendError",
    "SendResult",
]

# Connection keys stored in channel_accounts' own columns rather than in settings/credentials.
ACCOUNT_FIELDS = ("handle", "external_id")


@dataclass(frozen=True, slots=True)
class AccountInfo:
    """The channel account a webhook arrived for or a message leaves from."""

    id: int
    workspace_id: int
    platform: str
    handle: str
    external_id: str | None
    settings: dict[str, Any] = field(default_factory=dict)
    # Decrypted secrets (tokens, app secrets); kept out of repr so they never reach a log.
    credentials: dict[str, str] = field(default_factory=dict, repr=False)


@dataclass(frozen=True, slots=True)
class OutboundMessage:
    """A reply ready to leave: where to, what, and the key that makes a resend harmless."""

    idempotency_key: str
    visibility: str
    text: str
    recipient_external_id: str | None
    recipient_handle: str | None
    reply_to_platform_id: str | None


@dataclass(frozen=True, slots=True)
class SendResult:
    platform_message_id: str


class SendError(Exception):
    """A send the platform refused; ``permanent`` failures are shown to the agent."""

    def __init__(self, reason: str, *, permanent: bool, retry_after: float | None = None):
        super().__init__(reason)
        self.reason = reason
        self.permanent = permanent
        self.retry_after = retry_after


class ParseError(ValueError):
    """A payload that is not what the platform documents; the webhook answers 400."""


@dataclass(frozen=True, slots=True)
class ConnectionKey:
    """One value an admin supplies to connect an account (``--set name=value``)."""

    name: str
    description: str
    secret: bool = False  # stored encrypted in ``credentials``, never shown again
    required: bool = True
    default: str | None = None


@dataclass(frozen=True, slots=True)
class ConnectionSpec:
    """What connecting an account of one platform takes.

    ``handle`` and ``external_id`` go to the account's columns, secret keys to its encrypted
    credentials, every other key to its settings.
    """

    platform: str
    keys: tuple[ConnectionKey, ...]

    @property
    def names(self) -> list[str]:
        return [k.name for k in self.keys]

    def missing(self, values: Mapping[str, str]) -> list[str]:
        return [k.name for k in self.keys if k.required and not values.get(k.name, "").strip()]

    def unknown(self, values: Mapping[str, str]) -> list[str]:
        return sorted(set(values) - set(self.names))


class Channel(Protocol):
    platform: str
    connection: ConnectionSpec

    def parse(self, account: AccountInfo, payload: bytes) -> list[InboundEvent]:
        """Normalized events in a raw payload (unknown event types yield nothing)."""
        ...

    def send(self, account: AccountInfo, message: OutboundMessage) -> SendResult:
        """Deliver one message; raise :class:`SendError` when the platform refuses."""
        ...
