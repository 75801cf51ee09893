"""Step 1-2 of the ingest path: keep the raw payload first, then process it as a job."""

from __future__ import annotations

from collections.abc import Callable, Mapping

from sqlalchemy import select
from sqlalchemy.orm import Session

from socialdesk.channels.base import AccountInfo, Channel, ParseError
from socialdesk.jobs.queue import enqueue
from socialdesk.pipeline.ingest import ingest_batch
from socialdesk.pipeline.notify import IngestResult
from socialdesk.store.db import on_commit
from socialdesk.store.models import ChannelAccount, RawEvent
from socialdesk.store.types import utcnow

__all__ = ["INGEST_JOB", "account_info", "process_raw_event", "store_raw_event"]

INGEST_JOB = "ingest.raw_event"


def account_info(account: ChannelAccount) -> AccountInfo:
    return AccountInfo(
        id=account.id,
        workspace_id=account.workspace_id,
        platform=account.platform,
        handle=account.handle,
        external_id=account.external_id,
        settings=dict(account.settings or {}),
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


def process_raw_event(
    session: Session,
    raw_event_id: int,
    channels: Mapping[str, Channel],
    publish: Callable[[IngestResult], None] | None = None,
) -> IngestResult | None:
    """Parse a stored payload and run it through the pipeline, in the caller's transaction."""
    raw = session.get(RawEvent, raw_event_id)
    if raw is None or raw.status == "processed":
        return None
    account = None
    if raw.channel_account_id is not None:
        account = session.get(ChannelAccount, raw.channel_account_id)
    channel = channels.get(account.platform if account else raw.source)
    if account is None or channel is None:
        raw.status, raw.error = "failed", f"no channel for source {raw.source!r}"
        return None
    try:
        events = channel.parse(account_info(account), raw.payload.encode("utf-8"))
    except ParseError as exc:  # kept for inspection, never lost
        raw.status, raw.error = "failed", str(exc)
        return None
    for event in events:
        event.raw_event_id = raw.id
    result = ingest_batch(session, raw.workspace_id, events)
    raw.status, raw.processed_at = "processed", utcnow()
    if publish is not None:
        on_commit(session, lambda: publish(result))
    return result
