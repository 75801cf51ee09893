"""What every channel module offers the rest of socialdesk."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Protocol

from socialdesk.pipeline.events import InboundEvent

__all__ = ["AccountInfo", "Channel", "OutboundMessage", "SendError", "SendResult"]


@dataclass(frozen=True, slots=True)
class AccountInfo:
    """The channel account a webhook arrived for or a message leaves from."""

    id: int
    workspace_id: int
    platform: str
    handle: str
    external_id: str | None
    settings: dict[str, Any] = field(default_factory=dict)


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


class Channel(Protocol):
    platform: str

    def parse(self, account: AccountInfo, payload: bytes) -> list[InboundEvent]:
        """Normalized events in a raw payload (unknown event types yield nothing)."""
        ...

    def send(self, account: AccountInfo, message: OutboundMessage) -> SendResult:
        """Deliver one message; raise :class:`SendError` when the platform refuses."""
        ...
