"""Step 1-2 of the ingest path: keep the raw payload first, then process it as a job."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import cast

from sqlalchemy import Table, insert, select
from sqlalchemy.orm import Session

from socialdesk.channels.base import (
    AccountInfo,
    Channel,
    DeliveryReceipt,
    ParseError,
    ReceiptChannel,
)
from socialdesk.jobs.queue import enqueue_many
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
    "RawDraft",
    "account_info",
    "process_raw_event",
    "process_raw_events",
    "store_raw_event",
    "store_raw_events",
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


@dataclass(frozen=True, slots=True)
class RawDraft:
    """A payload to keep as a raw event (see :func:`store_raw_events`)."""

    workspace_id: int
    channel_account_id: int | None
    source: str
    payload: bytes
    external_id: str | None = None


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
    draft = RawDraft(workspace_id, channel_account_id, source, payload, external_id)
    return store_raw_events(session, [draft])[0]


_LOOKUP_CHUNK = 500


def store_raw_events(session: Session, drafts: Sequence[RawDraft]) -> list[tuple[int, bool]]:
    """Store payloads and queue their processing, in the caller's transaction; returns
    (raw event id, newly stored) per draft, in order.

    The outcome is exactly that of :func:`store_raw_event` called for each draft in turn
    (a draft whose ``external_id`` is already stored for its workspace and source, or that
    repeats an earlier draft of the same call, gets that raw event's id and ``False``), in
    three statements rather than three per draft: the group-committed webhook intake stores
    hundreds of payloads per transaction this way.
    """
    wanted: dict[tuple[int, str], set[str]] = {}
    for draft in drafts:
        if draft.external_id is not None:
            wanted.setdefault((draft.workspace_id, draft.source), set()).add(draft.external_id)
    known: dict[tuple[int, str, str], int] = {}
    for (workspace_id, source), external_ids in wanted.items():
        ordered = sorted(external_ids)
        for start in range(0, len(ordered), _LOOKUP_CHUNK):
            rows = session.execute(
                select(RawEvent.external_id, RawEvent.id).where(
                    RawEvent.workspace_id == workspace_id,
                    RawEvent.source == source,
                    RawEvent.external_id.in_(ordered[start : start + _LOOKUP_CHUNK]),
                )
            )
            known.update(((workspace_id, source, ext), raw_id) for ext, raw_id in rows if ext)
    results: list[tuple[int, bool] | None] = [None] * len(drafts)
    first_of: dict[tuple[int, str, str], int] = {}  # key -> position of its new draft
    repeats: list[tuple[int, int]] = []  # (position, position of the draft it repeats)
    new_positions: list[int] = []
    rows_to_insert: list[dict[str, object]] = []
    now = utcnow()
    for position, draft in enumerate(drafts):
        if draft.external_id is not None:
            key = (draft.workspace_id, draft.source, draft.external_id)
            if key in known:
                results[position] = (known[key], False)
                continue
            if key in first_of:
                repeats.append((position, first_of[key]))
                continue
            first_of[key] = position
        new_positions.append(position)
        rows_to_insert.append(
            {
                "workspace_id": draft.workspace_id,
                "channel_account_id": draft.channel_account_id,
                "source": draft.source,
                "external_id": draft.external_id,
                "payload": draft.payload.decode("utf-8", errors="replace"),
                "status": "received",
                "received_at": now,
            }
        )
    if rows_to_insert:
        table = cast(Table, RawEvent.__table__)
        new_ids = list(
            session.execute(
                insert(table).returning(table.c.id, sort_by_parameter_order=True),
                rows_to_insert,
            ).scalars()
        )
        for position, raw_id in zip(new_positions, new_ids, strict=True):
            results[position] = (raw_id, True)
        enqueue_many(
            session,
            INGEST_JOB,
            [({"raw_event_id": raw_id}, f"raw:{raw_id}") for raw_id in new_ids],
        )
    for position, original in repeats:
        first = results[original]
        assert first is not None
        results[position] = (first[0], False)
    return [result for result in results if result is not None]


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
