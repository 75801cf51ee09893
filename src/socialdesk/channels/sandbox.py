"""The training sandbox: a platform that lives inside socialdesk and needs no network.

Customers' posts and DMs are injected as JSON payloads shaped like a small social network's
webhook; replies are "delivered" into the ``sandbox_deliveries`` table, which plays the
platform's side and honours idempotency keys as a real platform API would.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from pydantic import BaseModel, Field, ValidationError, field_validator
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from socialdesk.channels.base import (
    AccountInfo,
    ConnectionKey,
    ConnectionSpec,
    OutboundMessage,
    ParseError,
    SendResult,
)
from socialdesk.domain.types import AuthorKind, Direction, Visibility
from socialdesk.pipeline.events import Author, InboundEvent
from socialdesk.store.db import Database
from socialdesk.store.models import SandboxDelivery

__all__ = ["CONNECTION", "PLATFORM", "SandboxChannel", "SandboxCustomer", "SandboxPayload"]

PLATFORM = "sandbox"
CONNECTION = ConnectionSpec(
    platform=PLATFORM,
    keys=(ConnectionKey("handle", "The brand's handle in the sandbox"),),
)


class SandboxCustomer(BaseModel):
    id: str = Field(min_length=1, max_length=150, description="the customer's user id")
    handle: str | None = Field(default=None, max_length=200)
    name: str | None = Field(default=None, max_length=300)
    followers: int | None = Field(default=None, ge=0, le=2**31 - 1)
    verified: bool = False

    @field_validator("handle")
    @classmethod
    def _strip_at(cls, value: str | None) -> str | None:
        return value.lstrip("@") if value else value


class SandboxPayload(BaseModel):
    """One sandbox webhook delivery: a customer's public post or private message."""

    id: str = Field(min_length=1, max_length=150, description="platform message id")
    type: str = Field(pattern="^(post|dm)$")
    sender: SandboxCustomer = Field(alias="from")
    text: str = Field(max_length=10_000)
    reply_to: str | None = Field(default=None, max_length=150)
    time: datetime

    model_config = {"populate_by_name": True}

    @field_validator("time")
    @classmethod
    def _aware(cls, value: datetime) -> datetime:
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


class SandboxChannel:
    platform = PLATFORM
    connection = CONNECTION

    def __init__(self, db: Database) -> None:
        self.db = db

    def parse(self, account: AccountInfo, payload: bytes) -> list[InboundEvent]:
        try:
            data = SandboxPayload.model_validate(json.loads(payload))
        except (ValueError, ValidationError) as exc:
            raise ParseError(f"not a sandbox payload: {exc}") from exc
        return [
            InboundEvent(
                platform=PLATFORM,
                platform_message_id=data.id,
                author=Author(
                    external_id=data.sender.id,
                    handle=data.sender.handle,
                    name=data.sender.name,
                    followers=data.sender.followers,
                    verified=data.sender.verified,
                ),
                text=data.text,
                platform_time=data.time,
                visibility=Visibility.PUBLIC if data.type == "post" else Visibility.PRIVATE,
                channel_account_id=account.id,
                direction=Direction.IN,
                reply_to_platform_id=data.reply_to,
                author_kind=AuthorKind.CONTACT,
            )
        ]

    def send(self, account: AccountInfo, message: OutboundMessage) -> SendResult:
        existing = self._find(message.idempotency_key)
        if existing is not None:
            return SendResult(platform_message_id=existing)
        delivery = SandboxDelivery(
            channel_account_id=account.id,
            idempotency_key=message.idempotency_key,
            platform_message_id="",
            visibility=message.visibility,
            recipient=message.recipient_external_id,
            reply_to_platform_id=message.reply_to_platform_id,
            text=message.text,
        )
        try:
            with self.db.session() as session:
                session.add(delivery)
                session.flush()
                delivery.platform_message_id = f"sbx-out-{delivery.id}"
        except IntegrityError:  # the same key delivered concurrently: the first one stands
            existing = self._find(message.idempotency_key)
            assert existing is not None
            return SendResult(platform_message_id=existing)
        return SendResult(platform_message_id=delivery.platform_message_id)

    def _find(self, key: str) -> str | None:
        with self.db.read_session() as session:
            return session.scalar(
                select(SandboxDelivery.platform_message_id).where(
                    SandboxDelivery.idempotency_key == key
                )
            )


def inbound_payload(
    *,
    kind: str,
    customer: dict[str, Any],
    text: str,
    message_id: str,
    time: datetime,
    reply_to: str | None = None,
) -> bytes:
    """The bytes the sandbox 'platform' would post to our webhook."""
    body = {
        "id": message_id,
        "type": kind,
        "from": customer,
        "text": text,
        "reply_to": reply_to,
        "time": time.astimezone(UTC).isoformat(),
    }
    return json.dumps(body, ensure_ascii=False).encode()
