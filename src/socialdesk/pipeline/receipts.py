"""Delivery receipts: what platforms report about messages we sent (delivered, read, failed).

A receipt moves a message's ``delivery_state`` forward only (sent → delivered → read), so
receipts that arrive out of order or twice change nothing; ``failed`` is final and keeps the
platform's reason for the agent. A receipt can arrive before the worker has recorded the
platform's id of the message it sent (the send's answer and the webhook race); such receipts
are tried again a little later, for a while, and then dropped with a log line.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from socialdesk.channels.base import DeliveryReceipt
from socialdesk.domain.types import DeliveryState, Direction, EventType
from socialdesk.jobs.queue import enqueue
from socialdesk.services.events import Actor, record_event
from socialdesk.store.models import Message
from socialdesk.store.types import utcnow

__all__ = [
    "RECEIPT_JOB",
    "RECEIPT_PATIENCE",
    "apply_receipts",
    "queue_unmatched",
    "retry_receipts",
]

log = logging.getLogger(__name__)

RECEIPT_JOB = "receipt.apply"
# How long a receipt for a message we cannot find yet is tried again.
RECEIPT_PATIENCE = timedelta(minutes=15)
RECEIPT_RETRY_SECONDS = 20.0

_RANK = {
    DeliveryState.QUEUED: 0,
    DeliveryState.SENT: 1,
    DeliveryState.DELIVERED: 2,
    DeliveryState.READ: 3,
}


def apply_receipts(
    session: Session, channel_account_id: int, receipts: Sequence[DeliveryReceipt]
) -> list[DeliveryReceipt]:
    """Apply receipts for one account; returns those whose message is not known (yet)."""
    unmatched: list[DeliveryReceipt] = []
    for receipt in receipts:
        message = session.scalar(
            select(Message).where(
                Message.channel_account_id == channel_account_id,
                Message.platform_message_id == receipt.platform_message_id,
                Message.direction == Direction.OUT.value,
            )
        )
        if message is None:
            unmatched.append(receipt)
            continue
        current = DeliveryState(message.delivery_state)
        if current == DeliveryState.FAILED:
            continue
        if receipt.state == DeliveryState.FAILED:
            message.delivery_state = DeliveryState.FAILED.value
            message.delivery_error = receipt.error or "the platform reported the message failed"
        elif _RANK.get(receipt.state, -1) > _RANK.get(current, 99):
            message.delivery_state = receipt.state.value
        else:
            continue
        record_event(
            session,
            workspace_id=message.workspace_id,
            type=EventType.MESSAGE_DELIVERY,
            actor=Actor.system(),
            conversation_id=message.conversation_id,
            contact_id=message.contact_id,
            message_id=message.id,
            data={
                "state": message.delivery_state,
                "error": message.delivery_error if receipt.state == DeliveryState.FAILED else None,
                "platform_message_id": receipt.platform_message_id,
                "source": "receipt",
            },
            occurred_at=receipt.at,
        )
    return unmatched


def queue_unmatched(
    session: Session,
    channel_account_id: int,
    receipts: Sequence[DeliveryReceipt],
    *,
    first_seen: datetime | None = None,
    attempt: int = 1,
    key: str,
) -> None:
    """Try ``receipts`` again in a while (see the module's docstring)."""
    if not receipts:
        return
    payload = {
        "channel_account_id": channel_account_id,
        "first_seen": (first_seen or utcnow()).isoformat(),
        "attempt": attempt,
        "key": key,
        "receipts": [
            {
                "platform_message_id": r.platform_message_id,
                "state": r.state.value,
                "at": r.at.isoformat(),
                "error": r.error,
            }
            for r in receipts
        ],
    }
    enqueue(
        session,
        RECEIPT_JOB,
        payload,
        run_at=utcnow() + timedelta(seconds=RECEIPT_RETRY_SECONDS),
        idempotency_key=f"{key}:try{attempt}",
    )


def retry_receipts(session: Session, payload: dict[str, Any]) -> None:
    """The worker's handler for :data:`RECEIPT_JOB`."""
    account_id = int(payload["channel_account_id"])
    receipts = [
        DeliveryReceipt(
            platform_message_id=str(r["platform_message_id"]),
            state=DeliveryState(r["state"]),
            at=datetime.fromisoformat(r["at"]),
            error=r.get("error"),
        )
        for r in payload.get("receipts", [])
    ]
    unmatched = apply_receipts(session, account_id, receipts)
    first_seen = datetime.fromisoformat(payload["first_seen"])
    if not unmatched:
        return
    if utcnow() - first_seen > RECEIPT_PATIENCE:
        log.warning(
            "dropping %d delivery receipt(s) of account %s: no message with ids %s",
            len(unmatched),
            account_id,
            ", ".join(r.platform_message_id for r in unmatched),
        )
        return
    attempt = int(payload.get("attempt", 1)) + 1
    queue_unmatched(
        session,
        account_id,
        unmatched,
        first_seen=first_seen,
        attempt=attempt,
        key=str(payload["key"]),
    )
