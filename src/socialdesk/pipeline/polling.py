"""Polled channels (IMAP mailboxes, Reddit, YouTube...): a chain of scheduled jobs per account.

Each poll job asks the connector for what is new since the account's stored cursor, stores
every item as a raw event (deduplicated by the connector's id for it, so an item fetched twice
is stored once) and the new cursor in one transaction, then schedules the next poll. Items go
through the same ingest job as webhook payloads. A paused account is not polled; resuming it
polls at once. :func:`ensure_polling` restarts chains that are missing (at worker start).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from socialdesk.channels.base import Channel, PollingChannel, SendError
from socialdesk.jobs.queue import ClaimedJob, JobStatus, enqueue
from socialdesk.jobs.worker import PermanentJobError, RetryLater
from socialdesk.pipeline.intake import account_info, store_raw_event
from socialdesk.store.crypto import CredentialCipher, CredentialsUnreadable
from socialdesk.store.db import Database
from socialdesk.store.models import ChannelAccount, Job
from socialdesk.store.types import utcnow

__all__ = [
    "DEFAULT_POLL_SECONDS",
    "MIN_POLL_SECONDS",
    "POLL_JOB",
    "ensure_polling",
    "make_poll_handler",
    "schedule_poll",
]

log = logging.getLogger(__name__)

POLL_JOB = "channel.poll"
DEFAULT_POLL_SECONDS = 60.0
MIN_POLL_SECONDS = 5.0


def _key(account_id: int) -> str:
    return f"poll:{account_id}:"


def schedule_poll(session: Session, account_id: int, at: datetime | None = None) -> None:
    """Queue a poll of ``account_id`` at ``at`` (default now).

    An account has one poll chain: when a poll is already waiting, it is brought forward to
    ``at`` if that is sooner, instead of starting a second chain.
    """
    at = at or utcnow()
    waiting = session.scalar(
        select(Job)
        .where(
            Job.kind == POLL_JOB,
            Job.idempotency_key.like(f"{_key(account_id)}%"),
            Job.status == JobStatus.QUEUED,
        )
        .order_by(Job.run_at)
        .limit(1)
    )
    if waiting is not None:
        if waiting.run_at > at:
            waiting.run_at = at
        return
    enqueue(
        session,
        POLL_JOB,
        {"channel_account_id": account_id},
        run_at=at,
        idempotency_key=f"{_key(account_id)}{at.timestamp():.6f}",
        max_attempts=5,
    )


def _has_pending_poll(session: Session, account_id: int) -> bool:
    return (
        session.scalar(
            select(Job.id)
            .where(
                Job.kind == POLL_JOB,
                Job.idempotency_key.like(f"{_key(account_id)}%"),
                Job.status.in_([JobStatus.QUEUED, JobStatus.RUNNING]),
            )
            .limit(1)
        )
        is not None
    )


def ensure_polling(session: Session, channels: Mapping[str, Channel]) -> int:
    """Start the poll chain of every active polled account that has none; returns how many."""
    platforms = [name for name, ch in channels.items() if isinstance(ch, PollingChannel)]
    if not platforms:
        return 0
    started = 0
    accounts = session.scalars(
        select(ChannelAccount.id).where(
            ChannelAccount.platform.in_(platforms), ChannelAccount.is_paused.is_(False)
        )
    )
    for account_id in list(accounts):
        if not _has_pending_poll(session, account_id):
            schedule_poll(session, account_id)
            started += 1
    return started


def _interval(settings: Mapping[str, object], suggested: float | None) -> float:
    configured = settings.get("poll_seconds")
    try:
        seconds = float(configured) if configured not in (None, "") else DEFAULT_POLL_SECONDS  # type: ignore[arg-type]
    except (TypeError, ValueError):
        seconds = DEFAULT_POLL_SECONDS
    if suggested is not None:
        seconds = suggested
    return max(MIN_POLL_SECONDS, seconds)


def make_poll_handler(
    db: Database, channels: Mapping[str, Channel], *, cipher: CredentialCipher | None = None
) -> Callable[[ClaimedJob], None]:
    """The worker's handler for :data:`POLL_JOB` (network I/O outside any transaction)."""

    def poll(job: ClaimedJob) -> None:
        account_id = int(job.payload["channel_account_id"])
        with db.read_session() as session:
            account = session.get(ChannelAccount, account_id)
            if account is None or account.is_paused:
                return  # deleted or paused: the chain ends; resuming starts it again
            channel = channels.get(account.platform)
            if not isinstance(channel, PollingChannel):
                return
            try:
                info = account_info(account, cipher)
            except CredentialsUnreadable as exc:
                raise PermanentJobError(exc.detail) from exc
            cursor = dict((account.settings or {}).get("poll_cursor") or {})
        try:
            result = channel.poll(info, cursor)
        except SendError as exc:
            _record_error(db, account_id, exc.reason)
            if exc.permanent:
                raise PermanentJobError(exc.reason) from exc
            if exc.retry_after is not None:
                raise RetryLater(exc.reason, exc.retry_after) from exc
            raise
        with db.session() as session:
            account = session.get(ChannelAccount, account_id)
            if account is None:
                return
            for item in result.items:
                store_raw_event(
                    session,
                    workspace_id=account.workspace_id,
                    channel_account_id=account.id,
                    source=account.platform,
                    payload=item.payload,
                    external_id=f"{account.id}:{item.external_id}"[:200],
                )
            now = utcnow()
            settings = dict(account.settings or {})
            settings.update(
                poll_cursor=result.cursor, last_polled_at=now.isoformat(), poll_error=None
            )
            account.settings = settings
            delay = _interval(settings, result.next_poll_seconds)
            schedule_poll(session, account.id, now + timedelta(seconds=delay))

    return poll


def _record_error(db: Database, account_id: int, reason: str) -> None:
    """Keep the latest polling problem on the account, for the admin page."""
    with db.session() as session:
        account = session.get(ChannelAccount, account_id)
        if account is not None:
            settings = dict(account.settings or {})
            settings["poll_error"] = reason[:500]
            account.settings = settings
    log.warning("polling channel account %s failed: %s", account_id, reason)
