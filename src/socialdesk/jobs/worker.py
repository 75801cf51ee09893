"""The worker loop: claim due jobs, run their handlers, record the outcome.

Handlers come in two kinds:

* **transactional** handlers get an open session; their writes and the job's completion commit
  together, so a crash at any point leaves either both or neither (exactly once by atomicity);
* **external** handlers talk to the outside world (send a reply) and must be idempotent: they
  pass an idempotency key to the platform and record the answer themselves; the job is then
  completed in a short transaction of its own.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from sqlalchemy.orm import Session

from socialdesk.jobs.queue import (
    ClaimedJob,
    claim_jobs,
    mark_done,
    mark_done_many,
    release_failed,
    take_ownership,
    take_ownership_many,
)
from socialdesk.store.db import Database

__all__ = ["HandlerRegistry", "PermanentJobError", "RetryLater", "Worker"]

log = logging.getLogger(__name__)

TransactionalHandler = Callable[[Session, dict[str, Any]], None]
BatchHandler = Callable[[Session, list[dict[str, Any]]], None]
ExternalHandler = Callable[[ClaimedJob], None]


class RetryLater(Exception):
    """Raised by a handler to try again after ``seconds`` (a 429 with Retry-After)."""

    def __init__(self, reason: str, seconds: float) -> None:
        super().__init__(reason)
        self.seconds = seconds


class PermanentJobError(Exception):
    """Raised by a handler when trying again cannot help (a platform's permanent 4xx)."""


@dataclass(frozen=True)
class _Handler:
    transactional: TransactionalHandler | None = None
    external: ExternalHandler | None = None
    batch: BatchHandler | None = None


class HandlerRegistry:
    """Job kind → handler; built in the composition root."""

    def __init__(self) -> None:
        self._handlers: dict[str, _Handler] = {}

    def transactional(self, kind: str, handler: TransactionalHandler) -> None:
        self._handlers[kind] = _Handler(transactional=handler)

    def external(self, kind: str, handler: ExternalHandler) -> None:
        self._handlers[kind] = _Handler(external=handler)

    def batch(self, kind: str, handler: BatchHandler) -> None:
        """A transactional handler that takes many jobs of its kind in one transaction
        (bursts of webhooks); a failing batch is retried one job at a time."""

        def one(session: Session, payload: dict[str, Any]) -> None:
            handler(session, [payload])

        self._handlers[kind] = _Handler(transactional=one, batch=handler)

    def without(self, *kinds: str) -> HandlerRegistry:
        """A copy that does not run these kinds (they stay queued for a full worker)."""
        copy = HandlerRegistry()
        copy._handlers = {k: h for k, h in self._handlers.items() if k not in kinds}
        return copy

    def get(self, kind: str) -> _Handler | None:
        return self._handlers.get(kind)

    @property
    def kinds(self) -> list[str]:
        return sorted(self._handlers)


def default_worker_id() -> str:
    """Unique per worker: the id owns claimed jobs, so two workers must never share one.

    (Workers are built in the thread that starts them, so the thread id cannot tell them apart.)
    """
    return f"{socket.gethostname()[:60]}:{os.getpid()}:{uuid.uuid4().hex[:12]}"


class Worker:
    """Runs jobs until stopped; ``run_until_idle`` drains the queue (tests, CLI, demo)."""

    def __init__(
        self,
        db: Database,
        registry: HandlerRegistry,
        *,
        worker_id: str | None = None,
        batch_size: int = 50,
        lease: timedelta = timedelta(seconds=60),
        poll_seconds: float = 0.5,
    ) -> None:
        self.db = db
        self.registry = registry
        self.worker_id = worker_id or default_worker_id()
        self.batch_size = batch_size
        self.lease = lease
        self.poll_seconds = poll_seconds
        self._wake = threading.Event()
        self._stop = threading.Event()

    def wake(self) -> None:
        """Tell a sleeping worker that new jobs are there."""
        self._wake.set()

    def stop(self) -> None:
        self._stop.set()
        self._wake.set()

    def run_once(self) -> int:
        """Claim one batch and run it; returns how many jobs were attempted."""
        jobs = claim_jobs(
            self.db,
            self.worker_id,
            limit=self.batch_size,
            lease=self.lease,
            kinds=self.registry.kinds,
        )
        batches: dict[str, list[ClaimedJob]] = {}
        for job in jobs:
            handler = self.registry.get(job.kind)
            if handler is not None and handler.batch is not None:
                batches.setdefault(job.kind, []).append(job)
            else:
                self._run(job)
        for kind, group in batches.items():
            self._run_batch(kind, group)
        return len(jobs)

    def _run_batch(self, kind: str, group: list[ClaimedJob]) -> None:
        handler = self.registry.get(kind)
        assert handler is not None and handler.batch is not None
        if len(group) > 1:
            try:
                with self.db.session() as session:
                    owned = take_ownership_many(session, group)
                    if owned:
                        handler.batch(session, [job.payload for job in owned])
                        mark_done_many(session, owned)
                return
            except Exception as exc:  # find the culprit: run them one by one
                log.warning(
                    "batch of %d %s jobs failed (%s); retrying singly", len(group), kind, exc
                )
        for job in group:
            self._run(job)

    def run_until_idle(self, *, max_rounds: int = 10_000) -> int:
        total = 0
        for _ in range(max_rounds):
            done = self.run_once()
            if done == 0:
                break
            total += done
        return total

    def run_forever(self) -> None:
        log.info("worker %s started for %s", self.worker_id, ", ".join(self.registry.kinds))
        while not self._stop.is_set():
            try:
                busy = self.run_once()
            except Exception:  # the database went away for a moment: wait and try again
                log.exception("worker %s could not claim jobs", self.worker_id)
                busy = 0
            if not busy:
                self._wake.wait(self.poll_seconds)
                self._wake.clear()

    def _run(self, job: ClaimedJob) -> None:
        handler = self.registry.get(job.kind)
        if handler is None:
            release_failed(self.db, job, f"no handler for job kind {job.kind!r}", permanent=True)
            return
        try:
            if handler.transactional is not None:
                with self.db.session() as session:
                    if not take_ownership(session, job):
                        return  # our lease ran out and another worker has it now
                    handler.transactional(session, job.payload)
                    mark_done(session, job)
            else:
                assert handler.external is not None
                handler.external(job)
                with self.db.session() as session:
                    mark_done(session, job)
        except RetryLater as exc:
            release_failed(self.db, job, str(exc), retry_after=exc.seconds)
        except PermanentJobError as exc:
            release_failed(self.db, job, str(exc), permanent=True)
        except Exception as exc:
            log.warning("job %s (%s) failed: %s", job.id, job.kind, exc)
            release_failed(self.db, job, f"{type(exc).__name__}: {exc}")
