"""The durable job queue (jobs/queue.py) and the worker loop (jobs/worker.py)."""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from socialdesk.bootstrap import App
from socialdesk.jobs.queue import (
    ClaimedJob,
    JobStatus,
    backoff_seconds,
    claim_jobs,
    enqueue,
    mark_done,
    mark_done_many,
    release_failed,
    take_ownership_many,
)
from socialdesk.jobs.worker import HandlerRegistry, PermanentJobError, RetryLater, Worker
from socialdesk.services.workspaces import get_or_create_workspace
from socialdesk.store.models import Job, Workspace
from socialdesk.store.types import utcnow

KIND = "test.job"


@dataclass
class Queue:
    """The jobs table of the backend under test, and ways to look at it."""

    app: App

    def add(
        self,
        *,
        kind: str = KIND,
        payload: dict[str, Any] | None = None,
        run_at: datetime | None = None,
        key: str | None = None,
        max_attempts: int = 8,
    ) -> None:
        with self.app.db.session() as session:
            enqueue(
                session,
                kind,
                payload or {},
                run_at=run_at,
                idempotency_key=key,
                max_attempts=max_attempts,
            )

    def add_many(self, count: int) -> None:
        with self.app.db.session() as session:
            for n in range(count):
                enqueue(session, KIND, {"n": n})

    def jobs(self) -> list[Job]:
        with self.app.db.session() as session:
            return list(session.scalars(select(Job).order_by(Job.id)))

    def only(self) -> Job:
        [job] = self.jobs()
        return job

    def make_due(self) -> None:
        """Skip the backoff wait: every queued job is due now."""
        with self.app.db.session() as session:
            session.execute(
                update(Job)
                .where(Job.status == JobStatus.QUEUED)
                .values(run_at=utcnow() - timedelta(seconds=1))
            )

    def claim(self, worker_id: str, **kwargs: Any) -> list[ClaimedJob]:
        return claim_jobs(self.app.db, worker_id, **kwargs)

    def worker(self, handler: Callable[[Session, dict[str, Any]], None]) -> Worker:
        registry = HandlerRegistry()
        registry.transactional(KIND, handler)
        return Worker(self.app.db, registry)


@pytest.fixture
def queue(app: App) -> Queue:
    return Queue(app)


def failing(exc: Exception) -> Callable[[Session, dict[str, Any]], None]:
    def handler(_session: Session, _payload: dict[str, Any]) -> None:
        raise exc

    return handler


def seconds_from_now(moment: datetime) -> float:
    return (moment - utcnow()).total_seconds()


# -- enqueue and claim --------------------------------------------------------------------------
def test_enqueue_with_the_same_idempotency_key_twice_makes_one_job(queue: Queue) -> None:
    queue.add(key="deliver:42", payload={"message_id": 42})
    queue.add(key="deliver:42", payload={"message_id": 42})
    assert len(queue.jobs()) == 1


def test_jobs_without_idempotency_key_are_all_kept(queue: Queue) -> None:
    queue.add()
    queue.add()
    assert len(queue.jobs()) == 2


def test_claim_leaves_a_job_scheduled_for_later_waiting(queue: Queue) -> None:
    queue.add(run_at=utcnow() + timedelta(hours=1))
    assert queue.claim("w1") == []
    assert queue.only().status == JobStatus.QUEUED


def test_claim_takes_a_due_job_and_leases_it(queue: Queue) -> None:
    queue.add(payload={"n": 1})
    [claimed] = queue.claim("w1", lease=timedelta(seconds=30))
    job = queue.only()
    assert claimed.payload == {"n": 1} and claimed.attempts == 1
    assert (job.status, job.locked_by) == (JobStatus.RUNNING, "w1")
    assert job.locked_until is not None and 25 < seconds_from_now(job.locked_until) <= 30


def test_claim_takes_due_jobs_oldest_first_and_no_more_than_the_limit(queue: Queue) -> None:
    queue.add(payload={"n": "later"}, run_at=utcnow() - timedelta(seconds=1))
    queue.add(payload={"n": "earlier"}, run_at=utcnow() - timedelta(seconds=60))
    queue.add(payload={"n": "future"}, run_at=utcnow() + timedelta(hours=1))
    assert [j.payload["n"] for j in queue.claim("w1", limit=1)] == ["earlier"]
    assert [j.payload["n"] for j in queue.claim("w1", limit=5)] == ["later"]


def test_running_job_with_a_live_lease_is_not_claimed_again(queue: Queue) -> None:
    queue.add()
    assert len(queue.claim("w1", lease=timedelta(minutes=5))) == 1
    assert queue.claim("w2") == []


def test_expired_lease_lets_another_worker_reclaim_the_job(queue: Queue) -> None:
    queue.add()
    queue.claim("w1", lease=timedelta(seconds=-1))  # w1 died; its lease is over

    [reclaimed] = queue.claim("w2")

    assert reclaimed.attempts == 2
    assert queue.only().locked_by == "w2"


def test_worker_whose_lease_was_taken_over_cannot_finish_the_job(queue: Queue) -> None:
    queue.add()
    [stale] = queue.claim("w1", lease=timedelta(seconds=-1))
    [current] = queue.claim("w2")

    with queue.app.db.session() as session:
        mark_done(session, stale)
    release_failed(queue.app.db, stale, "late failure")

    job = queue.only()
    assert (job.status, job.locked_by, job.last_error) == (JobStatus.RUNNING, "w2", None)
    with queue.app.db.session() as session:
        mark_done(session, current)
    assert queue.only().status == JobStatus.DONE


def test_a_batch_owns_and_finishes_only_the_jobs_its_worker_still_holds(queue: Queue) -> None:
    queue.add_many(3)
    first, second, third = queue.claim("w1", lease=timedelta(minutes=5), limit=3)
    with queue.app.db.session() as session:  # w1's lease on the second job ran out; w2 has it
        session.execute(update(Job).where(Job.id == second.id).values(locked_by="w2"))

    with queue.app.db.session() as session:
        owned = take_ownership_many(session, [first, second, third])
        mark_done_many(session, [*owned, second])  # the stale one must not be finished

    assert [job.id for job in owned] == [first.id, third.id]
    states = {job.id: (job.status, job.locked_by) for job in queue.jobs()}
    assert states[first.id][0] == states[third.id][0] == JobStatus.DONE
    assert states[second.id] == (JobStatus.RUNNING, "w2")


def test_concurrent_claimers_never_get_the_same_job(queue: Queue) -> None:
    queue.add_many(200)
    rounds = 20  # 4 claimers x 3 jobs a round: all 200 are gone after 17 rounds
    start = threading.Barrier(4)
    claimed: dict[str, list[int]] = {}

    def claimer(name: str) -> None:
        mine: list[int] = []
        for _ in range(rounds):
            start.wait(timeout=30)  # every round, the four claim at the same moment
            mine.extend(job.id for job in queue.claim(name, limit=3))
        claimed[name] = mine

    threads = [threading.Thread(target=claimer, args=(f"w{n}",)) for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    every_claim = [job_id for ids in claimed.values() for job_id in ids]
    assert len(claimed) == 4
    assert len(every_claim) == len(set(every_claim)) == 200
    assert sum(1 for ids in claimed.values() if ids) > 1  # the claimers really competed


# -- outcomes -----------------------------------------------------------------------------------
def test_successful_transactional_handler_completes_the_job_with_its_writes(
    queue: Queue,
) -> None:
    def handler(session: Session, payload: dict[str, Any]) -> None:
        get_or_create_workspace(session, payload["slug"])

    queue.add(payload={"slug": "made-by-a-job"})
    assert queue.worker(handler).run_until_idle() == 1

    job = queue.only()
    assert (job.status, job.attempts, job.locked_until) == (JobStatus.DONE, 1, None)
    assert job.finished_at is not None
    with queue.app.db.session() as session:
        assert session.scalar(select(Workspace.slug)) == "made-by-a-job"


def test_failed_transactional_handler_leaves_none_of_its_writes(queue: Queue) -> None:
    def handler(session: Session, _payload: dict[str, Any]) -> None:
        get_or_create_workspace(session, "half-done")
        session.flush()
        raise RuntimeError("crashed after writing")

    queue.add()
    queue.worker(handler).run_once()

    with queue.app.db.session() as session:
        assert session.scalar(select(func.count()).select_from(Workspace)) == 0
    assert queue.only().status == JobStatus.QUEUED


def test_failing_job_is_retried_with_backoff_then_failed_after_max_attempts(
    queue: Queue,
) -> None:
    worker = queue.worker(failing(ValueError("platform said no")))
    queue.add(max_attempts=3)

    delays = []
    for attempt in (1, 2):
        worker.run_once()
        job = queue.only()
        assert (job.status, job.attempts) == (JobStatus.QUEUED, attempt)
        assert job.last_error == "ValueError: platform said no"
        delays.append(seconds_from_now(job.run_at))
        queue.make_due()
    worker.run_once()

    assert 0.5 < delays[0] <= 2 and 1.5 < delays[1] <= 4  # 1-2 s, then 2-4 s
    job = queue.only()
    assert (job.status, job.attempts) == (JobStatus.FAILED, 3)
    assert job.last_error == "ValueError: platform said no"
    assert job.finished_at is not None
    assert worker.run_until_idle() == 0


def test_retry_later_reschedules_the_job_after_its_seconds(queue: Queue) -> None:
    queue.add()
    queue.worker(failing(RetryLater("429 Too Many Requests", 90))).run_once()

    job = queue.only()
    assert (job.status, job.last_error) == (JobStatus.QUEUED, "429 Too Many Requests")
    assert 85 < seconds_from_now(job.run_at) <= 90
    assert queue.claim("w2") == []


def test_permanent_error_fails_the_job_at_once(queue: Queue) -> None:
    queue.add(max_attempts=8)
    queue.worker(failing(PermanentJobError("account suspended"))).run_once()

    job = queue.only()
    assert (job.status, job.attempts, job.last_error) == (
        JobStatus.FAILED,
        1,
        "account suspended",
    )


def test_workers_built_in_one_thread_have_distinct_ids(app: App) -> None:
    # `socialdesk worker --concurrency N` builds its N workers in the main thread; a shared id
    # would let one thread finish or fail a job whose lease another thread has taken over.
    assert app.worker().worker_id != app.worker().worker_id


# -- backoff ------------------------------------------------------------------------------------
@pytest.mark.parametrize("attempts", [1, 2, 3, 6])
def test_backoff_doubles_per_attempt_with_jitter_in_the_upper_half(attempts: int) -> None:
    ceiling = 2.0**attempts
    for _ in range(50):
        assert ceiling / 2 <= backoff_seconds(attempts) <= ceiling


def test_backoff_is_capped() -> None:
    assert all(backoff_seconds(40) <= 3600 for _ in range(50))


def test_job_whose_worker_died_on_its_last_attempt_is_failed_not_retried(app: App) -> None:
    with app.db.session() as session:
        enqueue(session, "test.crashes", {}, max_attempts=1)
    (first,) = claim_jobs(app.db, "dead-worker", lease=timedelta(seconds=-1))
    assert first.attempts == 1
    assert claim_jobs(app.db, "next-worker") == []
    with app.db.read_session() as session:
        job = session.get(Job, first.id)
        assert job is not None
        assert job.status == JobStatus.FAILED
        assert "lease expired" in (job.last_error or "")
