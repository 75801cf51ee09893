"""What every channel module offers the rest of socialdesk."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol, runtime_checkable

from socialdesk.domain.types import DeliveryState
from socialdesk.pipeline.events import InboundEvent

__all__ = [
    "ACCOUNT_FIELDS",
    "AccountInfo",
    "Channel",
    "ConnectionKey",
    "ConnectionSpec",
    "DeliveryReceipt",
    "OutboundMessage",
    "ParseError",
    "PollResult",
    "PolledItem",
    "PollingChannel",
    "ReceiptChannel",
    "SendContext",
    "SendDecision",
    "SendError",
    "SendResult",
    "SendWindowChannel",
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
    # Extras stored on the message (``Message.attachments``), each a dict with a ``type``:
    # ``{"type": "quick_replies", "options": ["Track my order", ...]}`` (buttons where the
    # platform has them), ``{"type": "template", "name": ..., "language": ..., "parameters":
    # [...]}`` (pre-approved templates), ``{"type": "message_tag", "tag": "HUMAN_AGENT"}``
    # (the tag a send window decision asked for), ``{"type": "email", "subject": ...}``.
    extras: tuple[dict[str, Any], ...] = ()

    def extra(self, kind: str) -> dict[str, Any] | None:
        """The first extra of ``kind``, or None."""
        return next((e for e in self.extras if e.get("type") == kind), None)

    @property
    def buttons(self) -> list[str]:
        quick = self.extra("quick_replies")
        return [str(o) for o in quick.get("options", [])] if quick else []


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


@dataclass(frozen=True, slots=True)
class SendContext:
    """What a channel needs to know to decide whether a message may be sent now."""

    visibility: str
    now: datetime
    # The customer's latest private message to this account (messaging windows count from it).
    last_inbound_private_at: datetime | None
    # The customer's latest public post on this account, if any.
    last_inbound_public_at: datetime | None = None
    # Whether the outgoing message is a pre-approved template (allowed outside windows).
    is_template: bool = False


@dataclass(frozen=True, slots=True)
class SendDecision:
    """A channel's answer to "may this be sent now?"; ``reason`` is shown to the agent."""

    allowed: bool
    reason: str | None = None
    # An extra to attach to the message when sent (e.g. Meta's HUMAN_AGENT message tag).
    extra: dict[str, Any] | None = None

    @classmethod
    def allow(cls, extra: dict[str, Any] | None = None) -> SendDecision:
        return cls(True, None, extra)

    @classmethod
    def refuse(cls, reason: str) -> SendDecision:
        return cls(False, reason, None)


@dataclass(frozen=True, slots=True)
class DeliveryReceipt:
    """A platform's report on a message we sent: delivered, read, failed...

    Most receipts name one message (``platform_message_id``). A *watermark* receipt names
    none: it says that every private message the account sent to the platform user
    ``recipient_external_id`` at or before ``up_to`` reached ``state`` (Messenger's
    ``delivery`` without ``mids`` and its ``read``). ``at`` is when the platform saw it.
    """

    platform_message_id: str | None
    state: DeliveryState
    at: datetime
    error: str | None = None
    # Watermark receipts only (both set, ``platform_message_id`` None): the person's id on
    # the platform (a PSID...) and the time up to which our messages to them are covered.
    recipient_external_id: str | None = None
    up_to: datetime | None = None

    def __post_init__(self) -> None:
        if self.platform_message_id is None and not self.is_watermark:
            raise ValueError("a receipt names a message or a recipient and a watermark time")
        if self.platform_message_id is not None and (
            self.recipient_external_id is not None or self.up_to is not None
        ):
            raise ValueError("a receipt names a message or is a watermark, not both")
        if self.is_watermark and self.state == DeliveryState.FAILED:
            raise ValueError("a watermark reports deliveries and reads, not failures")

    @property
    def is_watermark(self) -> bool:
        return self.recipient_external_id is not None and self.up_to is not None


@dataclass(frozen=True, slots=True)
class PolledItem:
    """One payload fetched by polling; ``external_id`` deduplicates it across polls."""

    external_id: str
    payload: bytes


@dataclass(frozen=True, slots=True)
class PollResult:
    items: Sequence[PolledItem]
    # Where the next poll continues (stored on the account between polls).
    cursor: dict[str, Any]
    # Seconds until the next poll; None: the account's ``poll_seconds`` setting or the default.
    next_poll_seconds: float | None = None


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
    # True for connectors that fetch on a schedule (see PollingChannel): connecting an
    # account starts its poll chain.
    polled: bool = False

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


@runtime_checkable
class SendWindowChannel(Protocol):
    """A channel whose platform limits when a business may write (messaging windows)."""

    def check_send(self, account: AccountInfo, context: SendContext) -> SendDecision: ...


@runtime_checkable
class ReceiptChannel(Protocol):
    """A channel whose webhooks also report on messages we sent (status callbacks)."""

    def parse_receipts(self, account: AccountInfo, payload: bytes) -> list[DeliveryReceipt]:
        """Receipts in a raw payload (a payload may hold messages, receipts or both)."""
        ...


@runtime_checkable
class PollingChannel(Protocol):
    """A channel that fetches new items on a schedule (IMAP, Reddit, YouTube...)."""

    def poll(self, account: AccountInfo, cursor: dict[str, Any]) -> PollResult:
        """Fetch what is new since ``cursor``; raise :class:`SendError` (``permanent`` for
        bad credentials) when the platform cannot be read."""
        ...
