"""The payloads the web chat hook stores as raw events (written by socialdesk itself, from
what the widget sent) and their parsing into inbound events and delivery receipts."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Literal

from pydantic import BaseModel, Field, ValidationError, field_validator

from socialdesk.channels.base import DeliveryReceipt, ParseError
from socialdesk.domain.types import DeliveryState

__all__ = [
    "MAX_TEXT_CHARS",
    "PLATFORM",
    "ReceiptItem",
    "ReceiptsPayload",
    "StoredMessage",
    "Visitor",
    "inbound_platform_id",
    "outbound_platform_id",
    "parse_payload",
]

PLATFORM = "webchat"
MAX_TEXT_CHARS = 4000


def inbound_platform_id(visitor_id: str, client_id: str) -> str:
    return f"{visitor_id}:{client_id}"


def outbound_platform_id(row_id: int) -> str:
    return f"wc-out-{row_id}"


def _aware(value: datetime) -> datetime:
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class Visitor(BaseModel):
    id: str = Field(min_length=3, max_length=64)
    name: str | None = Field(default=None, max_length=300)
    email: str | None = Field(default=None, max_length=320)


class StoredMessage(BaseModel):
    """A visitor's message as the hook stored it."""

    type: Literal["message"]
    visitor: Visitor
    id: str = Field(min_length=1, max_length=100, description="the widget's message id")
    text: str = Field(min_length=1, max_length=MAX_TEXT_CHARS)
    time: datetime
    # No agent was online: the widget asked for an email address and replies go by email.
    offline: bool = False
    origin: str | None = None
    page: str | None = None

    _time = field_validator("time")(_aware)


class ReceiptItem(BaseModel):
    id: str = Field(min_length=1, max_length=200, description="platform id of our reply")
    state: Literal["delivered", "read"]
    at: datetime

    _at = field_validator("at")(_aware)


class ReceiptsPayload(BaseModel):
    """What the widget confirmed: replies it received (delivered) and showed (read)."""

    type: Literal["receipts"]
    visitor: Visitor
    receipts: list[ReceiptItem] = Field(max_length=1000)


def parse_payload(payload: bytes) -> StoredMessage | ReceiptsPayload:
    try:
        data = json.loads(payload)
        kind = data.get("type") if isinstance(data, dict) else None
        if kind == "message":
            return StoredMessage.model_validate(data)
        if kind == "receipts":
            return ReceiptsPayload.model_validate(data)
    except (ValueError, ValidationError) as exc:
        raise ParseError(f"not a web chat payload: {exc}") from exc
    raise ParseError("not a web chat payload: 'type' must be 'message' or 'receipts'")


def receipts_of(payload: ReceiptsPayload) -> list[DeliveryReceipt]:
    return [
        DeliveryReceipt(platform_message_id=r.id, state=DeliveryState(r.state), at=r.at)
        for r in payload.receipts
    ]
