"""Delivery receipts: what platforms report about messages we sent (delivered, read, failed).

A receipt moves a message's ``delivery_state`` forward only (sent → delivered → read), so
receipts that arrive out of order or twice change nothing; ``failed`` is final and keeps the
platform's reason for the agent. A receipt can arrive before the worker has recorded the
platform's id of the message it sent (the send's answer and the webhook race); such receipts
are tried again a little later, for a while, and then dropped with a log line.

A *watermark* receipt (Messenger) names no message but a person and a time: it moves every
private message the account sent that person up to that time, in one UPDATE. It is never
tried again: there is nothing to wait for (see :func:`apply_receipts`).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from socialdesk.channels.base import DeliveryReceipt
from socialdesk.domain.types import DeliveryState, Direction, EventType, Visibility
from socialdesk.jobs.queue import enqueue
from socialdesk.services.events import Actor, record_event
from socialdesk.store.models import ChannelAccount, ContactIdentity, Message
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
        if receipt.is_watermark:
            # Never returned as unmatched, so never retried: a watermark that moves nothing
            # has nothing to wait for. The only messages worth waiting for would be those
            # still queued, but their platform_time is when they were queued: one queued
            # before the watermark may well leave after it, and a retry would mark it read
            # unseen. The person's next delivery or read covers everything before it again,
            # so a watermark that outran a worker's answer is made good by the next one.
            _apply_watermark(session, channel_account_id, receipt)
            continue
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


def _apply_watermark(session: Session, channel_account_id: int, receipt: DeliveryReceipt) -> None:
    """Move forward every private message the account sent the receipt's recipient at or
    before its watermark, and record a delivery event for each one that moved."""
    assert receipt.up_to is not None and receipt.recipient_external_id is not None
    target = _RANK.get(receipt.state, -1)
    # Only messages the platform accepted (sent, delivered) and not yet at the receipt's
    # state: queued ones have not left (or their send is not recorded yet: taking them
    # would make the worker drop the platform's id), failed ones stay failed.
    movable = [s.value for s, rank in _RANK.items() if _RANK[DeliveryState.SENT] <= rank < target]
    if not movable:
        return
    # The person's contact on this account's platform, in the account's workspace.
    recipients = (
        select(ContactIdentity.contact_id)
        .join(
            ChannelAccount,
            (ChannelAccount.workspace_id == ContactIdentity.workspace_id)
            & (ChannelAccount.platform == ContactIdentity.platform),
        )
        .where(
            ChannelAccount.id == channel_account_id,
            ContactIdentity.external_id == receipt.recipient_external_id,
        )
    )
    moved = session.execute(
        update(Message)
        .where(
            Message.channel_account_id == channel_account_id,
            Message.direction == Direction.OUT.value,
            # A watermark is about the private thread: public replies to the same person's
            # comments are not "delivered" or "read" by it.
            Message.visibility == Visibility.PRIVATE.value,
            Message.contact_id.in_(recipients),
            # Our own messages' platform_time is when they were written (queued), theirs
            # (echoes of messages sent elsewhere) the platform's.
            Message.platform_time <= receipt.up_to,
            Message.delivery_state.in_(movable),
        )
        .values(delivery_state=receipt.state.value)
        .returning(
            Message.id,
            Message.workspace_id,
            Message.conversation_id,
            Message.contact_id,
            Message.platform_message_id,
        )
        .execution_options(synchronize_session="fetch")
    ).all()
    for row in sorted(moved, key=lambda r: r.id):
        record_event(
            session,
            workspace_id=row.workspace_id,
            type=EventType.MESSAGE_DELIVERY,
            actor=Actor.system(),
            conversation_id=row.conversation_id,
            contact_id=row.contact_id,
            message_id=row.id,
            data={
                "state": receipt.state.value,
                "error": None,
                "platform_message_id": row.platform_message_id,
                "source": "receipt",
                "watermark": receipt.up_to.isoformat(),
            },
            occurred_at=receipt.at,
        )


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
            ", ".join(str(r.platform_message_id) for r in unmatched),
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
