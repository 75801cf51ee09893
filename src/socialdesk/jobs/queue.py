"""Enqueue, claim and finish jobs stored in the ``jobs`` table.

Claiming takes a lease (``locked_until``): a worker that dies (even by ``kill -9``) loses its
jobs back to the queue when the lease runs out. On PostgreSQL claims use
``FOR UPDATE SKIP LOCKED`` so many workers never wait on each other; on SQLite the write lock
taken by ``BEGIN IMMEDIATE`` serialises claims.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, cast

from sqlalchemy import Table, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from socialdesk.store.db import Database, on_commit
from socialdesk.store.models import Job
from socialdesk.store.types import utcnow

__all__ = [
    "ClaimedJob",
    "JobStatus",
    "backoff_seconds",
    "claim_jobs",
    "enqueue",
    "enqueue_many",
    "rearm",
    "release_failed",
    "subscribe_wakeup",
]

_wakeups: list[Callable[[], None]] = []


def subscribe_wakeup(callback: Callable[[], None]) -> None:
    """Call ``callback`` after any transaction that enqueued a job commits (in-process workers)."""
    _wakeups.append(callback)


def _wake_all() -> None:
    for callback in list(_wakeups):
        callback()


class JobStatus:
    QUEUED = "queued"
    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"  # gave up: attempts exhausted or a permanent error


@dataclass(frozen=True, slots=True)
class ClaimedJob:
    id: int
    kind: str
    payload: dict[str, Any]
    attempts: int
    max_attempts: int
    worker_id: str


def enqueue(
    session: Session,
    kind: str,
    payload: dict[str, Any] | None = None,
    *,
    run_at: datetime | None = None,
    idempotency_key: str | None = None,
    max_attempts: int = 8,
) -> None:
    """Add a job in the caller's transaction (the outbox pattern); a repeated key is a no-op."""
    values = {
        "kind": kind,
        "payload": payload or {},
        "status": JobStatus.QUEUED,
        "run_at": run_at or utcnow(),
        "attempts": 0,
        "max_attempts": max_attempts,
        "idempotency_key": idempotency_key,
        "created_at": utcnow(),
    }
    insert = postgresql.insert if session.get_bind().dialect.name == "postgresql" else sqlite.insert
    session.execute(
        insert(Job).values(**values).on_conflict_do_nothing(index_elements=["idempotency_key"])
    )
    if _wakeups:
        on_commit(session, _wake_all)


def enqueue_many(
    session: Session,
    kind: str,
    jobs: list[tuple[dict[str, Any], str | None]],
    *,
    max_attempts: int = 8,
) -> None:
    """:func:`enqueue` for many jobs of one kind, (payload, idempotency key) each, in one
    statement (the webhook intake's group commit stores many raw events at once)."""
    if not jobs:
        return
    now = utcnow()
    rows = [
        {
            "kind": kind,
            "payload": payload,
            "status": JobStatus.QUEUED,
            "run_at": now,
            "attempts": 0,
            "max_attempts": max_attempts,
            "idempotency_key": key,
            "created_at": now,
        }
        for payload, key in jobs
    ]
    insert = postgresql.insert if session.get_bind().dialect.name == "postgresql" else sqlite.insert
    session.execute(
        insert(cast(Table, Job.__table__)).on_conflict_do_nothing(
            index_elements=["idempotency_key"]
        ),
        rows,
    )
    if _wakeups:
        on_commit(session, _wake_all)


def rearm(session: Session, jobs: list[tuple[str, dict[str, Any], str]]) -> int:
    """Make jobs due now again, by idempotency key, whatever became of them (done, failed,
    waiting); missing ones are enqueued. ``jobs`` holds (kind, payload, key). A job that a
    worker holds right now is left to it. Returns how many jobs were made due."""
    if not jobs:
        return 0
    keys = [key for _kind, _payload, key in jobs]
    found: dict[str, str] = {}
    for start in range(0, len(keys), 500):
        chunk = keys[start : start + 500]
        rows = session.execute(
            select(Job.idempotency_key, Job.status).where(Job.idempotency_key.in_(chunk))
        )
        found.update((key, status) for key, status in rows if key is not None)
    idle = [key for key, status in found.items() if status != JobStatus.RUNNING]
    now = utcnow()
    for start in range(0, len(idle), 500):
        session.execute(
            update(Job)
            .where(Job.idempotency_key.in_(idle[start : start + 500]))
            .values(
                status=JobStatus.QUEUED,
                run_at=now,
                attempts=0,
                locked_by=None,
                locked_until=None,
                finished_at=None,
                last_error=None,
            )
        )
    for kind, payload, key in jobs:
        if key not in found:
            enqueue(session, kind, payload, idempotency_key=key)
    if _wakeups:
        on_commit(session, _wake_all)
    return len(idle) + sum(1 for _k, _p, key in jobs if key not in found)


def claim_jobs(
    db: Database,
    worker_id: str,
    *,
    limit: int = 10,
    lease: timedelta = timedelta(seconds=60),
    kinds: list[str] | None = None,
) -> list[ClaimedJob]:
    """Take up to ``limit`` due jobs (and jobs whose previous holder's lease ran out)."""
    now = utcnow()
    with db.session() as session:
        # A job whose worker died on its last attempt (lease ran out) must not loop forever.
        session.execute(
            update(Job)
            .where(
                Job.status == JobStatus.RUNNING,
                Job.locked_until < now,
                Job.attempts >= Job.max_attempts,
            )
            .values(
                status=JobStatus.FAILED,
                locked_by=None,
                locked_until=None,
                finished_at=now,
                last_error="the worker stopped during the last allowed attempt (lease expired)",
            )
        )
        due = select(Job.id).where(
            or_(
                (Job.status == JobStatus.QUEUED) & (Job.run_at <= now),
                (Job.status == JobStatus.RUNNING) & (Job.locked_until < now),
            )
        )
        if kinds:
            due = due.where(Job.kind.in_(kinds))
        due = due.order_by(Job.run_at, Job.id).limit(limit)
        if db.is_postgres:
            due = due.with_for_update(skip_locked=True)
        ids = list(session.scalars(due))
        if not ids:
            return []
        rows = session.execute(
            update(Job)
            .where(Job.id.in_(ids))
            .values(
                status=JobStatus.RUNNING,
                attempts=Job.attempts + 1,
                locked_by=worker_id,
                locked_until=now + lease,
            )
            .returning(Job.id, Job.kind, Job.payload, Job.attempts, Job.max_attempts)
        ).all()
    claimed = [
        ClaimedJob(
            id=r.id,
            kind=r.kind,
            payload=r.payload,
            attempts=r.attempts,
            max_attempts=r.max_attempts,
            worker_id=worker_id,
        )
        for r in rows
    ]
    claimed.sort(key=lambda j: ids.index(j.id))
    return claimed


def take_ownership(session: Session, job: ClaimedJob) -> bool:
    """Lock the job row for this transaction if this worker still holds it."""
    stmt = select(Job.id).where(
        Job.id == job.id, Job.locked_by == job.worker_id, Job.status == JobStatus.RUNNING
    )
    if session.get_bind().dialect.name == "postgresql":
        stmt = stmt.with_for_update()
    return session.scalar(stmt) is not None


def take_ownership_many(session: Session, jobs: Sequence[ClaimedJob]) -> list[ClaimedJob]:
    """:func:`take_ownership` for a batch claimed by one worker, in one query."""
    if not jobs:
        return []
    worker_ids = {job.worker_id for job in jobs}
    if len(worker_ids) != 1:
        return [job for job in jobs if take_ownership(session, job)]
    stmt = select(Job.id).where(
        Job.id.in_([job.id for job in jobs]),
        Job.locked_by == worker_ids.pop(),
        Job.status == JobStatus.RUNNING,
    )
    if session.get_bind().dialect.name == "postgresql":
        stmt = stmt.with_for_update()
    held = set(session.scalars(stmt))
    return [job for job in jobs if job.id in held]


def mark_done_many(session: Session, jobs: Sequence[ClaimedJob]) -> None:
    """:func:`mark_done` for jobs owned in this transaction, one statement per worker."""
    by_worker: dict[str, list[int]] = {}
    for job in jobs:
        by_worker.setdefault(job.worker_id, []).append(job.id)
    for worker_id, ids in by_worker.items():
        session.execute(
            update(Job)
            .where(Job.id.in_(ids), Job.locked_by == worker_id)
            .values(status=JobStatus.DONE, finished_at=utcnow(), locked_until=None, last_error=None)
        )


def mark_done(session: Session, job: ClaimedJob) -> None:
    session.execute(
        update(Job)
        .where(Job.id == job.id, Job.locked_by == job.worker_id)
        .values(status=JobStatus.DONE, finished_at=utcnow(), locked_until=None, last_error=None)
    )


def backoff_seconds(attempts: int, *, base: float = 2.0, cap: float = 3600.0) -> float:
    """Exponential backoff with full jitter in its upper half: 1-2 s, 2-4 s, 4-8 s …"""
    ceiling = min(cap, base ** max(0, attempts))
    return random.uniform(ceiling / 2, ceiling)


def release_failed(
    db: Database,
    job: ClaimedJob,
    error: str,
    *,
    retry_after: float | None = None,
    permanent: bool = False,
) -> str:
    """Record a failed attempt: queue it again after a backoff, or give up. Returns the status."""
    give_up = permanent or job.attempts >= job.max_attempts
    delay = retry_after if retry_after is not None else backoff_seconds(job.attempts)
    status = JobStatus.FAILED if give_up else JobStatus.QUEUED
    with db.session() as session:
        session.execute(
            update(Job)
            .where(Job.id == job.id, Job.locked_by == job.worker_id)
            .values(
                status=status,
                run_at=utcnow() + timedelta(seconds=delay),
                locked_by=None,
                locked_until=None,
                last_error=error[:4000],
                finished_at=utcnow() if give_up else None,
            )
        )
    return status
