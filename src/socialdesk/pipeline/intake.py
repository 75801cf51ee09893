"""Step 1-2 of the ingest path: keep the raw payload first, then process it as a job."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence

from sqlalchemy import select
from sqlalchemy.orm import Session

from socialdesk.channels.base import (
    AccountInfo,
    Channel,
    DeliveryReceipt,
    ParseError,
    ReceiptChannel,
)
from socialdesk.jobs.queue import enqueue
from socialdesk.pipeline.events import InboundEvent
from socialdesk.pipeline.ingest import ingest_batch
from socialdesk.pipeline.notify import IngestResult
from socialdesk.pipeline.receipts import apply_receipts, queue_unmatched
from socialdesk.pipeline.routing import RoutingStep, route_result
from socialdesk.store.crypto import CredentialCipher
from socialdesk.store.db import on_commit
from socialdesk.store.models import ChannelAccount, RawEvent
from socialdesk.store.types import utcnow

__all__ = [
    "INGEST_JOB",
    "account_info",
    "process_raw_event",
    "process_raw_events",
    "store_raw_event",
]

INGEST_JOB = "ingest.raw_event"


def account_info(account: ChannelAccount, cipher: CredentialCipher | None = None) -> AccountInfo:
    """What a channel module sees of an account; credentials decrypted when a cipher is given."""
    credentials = {}
    if cipher is not None and account.credentials:
        credentials = cipher.decrypt(account.credentials)
    return AccountInfo(
        id=account.id,
        workspace_id=account.workspace_id,
        platform=account.platform,
        handle=account.handle,
        external_id=account.external_id,
        settings=dict(account.settings or {}),
        credentials=credentials,
    )


def store_raw_event(
    session: Session,
    *,
    workspace_id: int,
    channel_account_id: int | None,
    source: str,
    payload: bytes,
    external_id: str | None = None,
) -> tuple[int, bool]:
    """Store a payload and queue its processing; returns (raw event id, newly stored).

    A payload whose ``external_id`` was already stored for the same source is not stored
    twice: platforms redeliver, and redelivery must change nothing.
    """
    if external_id is not None:
        existing = session.scalar(
            select(RawEvent.id).where(
                RawEvent.workspace_id == workspace_id,
                RawEvent.source == source,
                RawEvent.external_id == external_id,
            )
        )
        if existing is not None:
            return existing, False
    raw = RawEvent(
        workspace_id=workspace_id,
        channel_account_id=channel_account_id,
        source=source,
        external_id=external_id,
        payload=payload.decode("utf-8", errors="replace"),
        status="received",
    )
    session.add(raw)
    session.flush()
    enqueue(session, INGEST_JOB, {"raw_event_id": raw.id}, idempotency_key=f"raw:{raw.id}")
    return raw.id, True


def process_raw_events(
    session: Session,
    raw_event_ids: Sequence[int],
    channels: Mapping[str, Channel],
    publish: Callable[[IngestResult], None] | None = None,
    *,
    cipher: CredentialCipher | None = None,
    routing_steps: Sequence[RoutingStep] = (),
) -> list[IngestResult]:
    """Parse stored payloads and run them through the pipeline as one batch, in the caller's
    transaction. Payloads that fail to parse are kept with status ``failed``, never lost.

    Payloads of paused accounts stay ``received``: resuming the account queues them again
    (services.channel_accounts.resume_account)."""
    raws = [
        raw
        for raw in session.scalars(select(RawEvent).where(RawEvent.id.in_(raw_event_ids)))
        if raw.status != "processed"
    ]
    if not raws:
        return []
    accounts = {
        account.id: account
        for account in session.scalars(
            select(ChannelAccount).where(
                ChannelAccount.id.in_({r.channel_account_id for r in raws if r.channel_account_id})
            )
        )
    }
    by_workspace: dict[int, list[InboundEvent]] = {}
    receipts: list[tuple[int, int, list[DeliveryReceipt]]] = []  # (raw id, account id, ...)
    infos: dict[int, AccountInfo] = {}
    now = utcnow()
    for raw in sorted(raws, key=lambda r: r.id):
        account = accounts.get(raw.channel_account_id) if raw.channel_account_id else None
        channel = channels.get(account.platform) if account is not None else None
        if account is None or channel is None:
            raw.status, raw.error = "failed", f"no channel for source {raw.source!r}"
            continue
        if account.is_paused:
            continue
        info = infos.get(account.id)
        if info is None:  # decrypted once per account and batch, not once per payload
            info = infos[account.id] = account_info(account, cipher)
        try:
            events = channel.parse(info, raw.payload.encode("utf-8"))
            if isinstance(channel, ReceiptChannel):
                found = channel.parse_receipts(info, raw.payload.encode("utf-8"))
                if found:
                    receipts.append((raw.id, account.id, found))
        except ParseError as exc:
            raw.status, raw.error = "failed", str(exc)
            continue
        for event in events:
            event.raw_event_id = raw.id
        by_workspace.setdefault(raw.workspace_id, []).extend(events)
        raw.status, raw.processed_at = "processed", now
    results = []
    for workspace_id, events in by_workspace.items():
        result = ingest_batch(session, workspace_id, events)
        # Live events only: the workspace's rules, then assignment, SLA and auto-replies.
        route_result(session, result, routing_steps, now=now)
        results.append(result)
    for raw_id, account_id, found in receipts:
        unmatched = apply_receipts(session, account_id, found)
        queue_unmatched(session, account_id, unmatched, key=f"receipts:raw:{raw_id}")
    if publish is not None:
        notify = publish

        def publish_all() -> None:
            for result in results:
                notify(result)

        on_commit(session, publish_all)
    return results


def process_raw_event(
    session: Session,
    raw_event_id: int,
    channels: Mapping[str, Channel],
    publish: Callable[[IngestResult], None] | None = None,
    *,
    cipher: CredentialCipher | None = None,
) -> IngestResult | None:
    """One stored payload through the pipeline (see :func:`process_raw_events`)."""
    results = process_raw_events(session, [raw_event_id], channels, publish, cipher=cipher)
    return results[0] if results else None
