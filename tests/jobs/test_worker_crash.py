"""A real `socialdesk worker` process killed with SIGKILL mid-queue loses and repeats nothing."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from sqlalchemy import func, select

from socialdesk.bootstrap import App
from socialdesk.channels.sandbox import SandboxCustomer
from socialdesk.domain.types import DeliveryState, Direction
from socialdesk.jobs.queue import JobStatus
from socialdesk.pipeline.intake import INGEST_JOB
from socialdesk.services.assignment import SWEEP_JOB
from socialdesk.services.events import Actor
from socialdesk.services.replies import DELIVER_JOB, reply
from socialdesk.services.sandbox import create_sandbox_account, inject
from socialdesk.services.workspaces import get_or_create_workspace
from socialdesk.store.models import Conversation, Job, Message, RawEvent, SandboxDelivery

CUSTOMERS = 30
NEW_MESSAGES = 180
REPLIES_PER_CONVERSATION = 3
LEASE_SECONDS = 2


@dataclass
class Traffic:
    """Customers writing to a sandbox brand, and agents answering them."""

    app: App
    workspace_id: int
    account_id: int
    injected: list[str] = field(default_factory=list)
    reply_keys: list[str] = field(default_factory=list)

    def customer(self, n: int) -> SandboxCustomer:
        return SandboxCustomer(id=f"cust-{n}", handle=f"customer{n}", followers=n)

    def inject(self, count: int, *, start: int = 0) -> None:
        with self.app.db.session() as session:
            for n in range(start, start + count):
                injection = inject(
                    session,
                    self.workspace_id,
                    self.account_id,
                    kind="dm" if n % 2 else "post",
                    customer=self.customer(n % CUSTOMERS),
                    text=f"message {n}: my router keeps rebooting",
                    message_id=f"sbx-in-{n}",
                )
                self.injected.append(injection.message_id)

    def answer_every_conversation(self, times: int) -> None:
        with self.app.db.session() as session:
            conversation_ids = session.scalars(
                select(Conversation.id).where(Conversation.workspace_id == self.workspace_id)
            ).all()
            for conversation_id in conversation_ids:
                for k in range(times):
                    key = f"crash-{conversation_id}-{k}"
                    reply(
                        session,
                        self.workspace_id,
                        conversation_id,
                        Actor.agent(None),
                        text=f"answer {k}: have you tried turning it off and on again?",
                        visibility="private",
                        idempotency_key=key,
                    )
                    self.reply_keys.append(f"ws{self.workspace_id}:{key}")

    def job_counts(self) -> Counts:
        """Jobs per kind and status, read in one statement (one consistent snapshot); the
        assignment sweep, a timer that queues its next run forever, is left out."""
        with self.app.db.read_session() as session:
            rows = session.execute(
                select(Job.kind, Job.status, func.count(Job.id))
                .where(Job.kind != SWEEP_JOB)
                .group_by(Job.kind, Job.status)
            )
            return Counts({(kind, status): count for kind, status, count in rows})


@dataclass(frozen=True)
class Counts:
    """How many jobs of each (kind, status)."""

    by_kind_status: dict[tuple[str, str], int]

    def _sum(self, *, kind: str | None = None, statuses: tuple[str, ...]) -> int:
        return sum(
            n
            for (k, s), n in self.by_kind_status.items()
            if s in statuses and (kind is None or k == kind)
        )

    @property
    def running(self) -> int:
        return self._sum(statuses=(JobStatus.RUNNING,))

    @property
    def waiting(self) -> int:
        """Not finished yet: queued, or running under a lease."""
        return self._sum(statuses=(JobStatus.QUEUED, JobStatus.RUNNING))

    def done(self, kind: str) -> int:
        return self._sum(kind=kind, statuses=(JobStatus.DONE,))

    def by_status(self) -> dict[str, int]:
        totals: dict[str, int] = {}
        for (_kind, status), n in self.by_kind_status.items():
            totals[status] = totals.get(status, 0) + n
        return totals


@contextmanager
def worker_process(
    database_url: str, cwd: Path, log_name: str
) -> Iterator[subprocess.Popen[bytes]]:
    env = {
        **os.environ,
        "SOCIALDESK_DATABASE_URL": database_url,
        "SOCIALDESK_VAR_DIR": str(cwd / "var"),
        "SOCIALDESK_JOB_LEASE_SECONDS": str(LEASE_SECONDS),
        "SOCIALDESK_JOB_POLL_SECONDS": "0.1",
    }
    with (cwd / log_name).open("wb") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "socialdesk.cli", "worker"],
            cwd=cwd,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        try:
            yield process
        finally:
            if process.poll() is None:
                process.terminate()
                try:
                    process.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    process.kill()
                    process.wait()


def wait_for(condition: Callable[[], bool], *, timeout: float, every: float = 0.01) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(every)
    return condition()


def kill_when(
    traffic: Traffic, database_url: str, cwd: Path, name: str, ready: Callable[[Counts], bool]
) -> Counts:
    """Start a worker process, SIGKILL it once ``ready`` holds, return the job counts then."""
    with worker_process(database_url, cwd, f"{name}.log") as process:
        seen = wait_for(lambda: ready(traffic.job_counts()), timeout=60, every=0.005)
        os.kill(process.pid, signal.SIGKILL)
        process.wait(timeout=10)
    assert seen, (cwd / f"{name}.log").read_text()
    return traffic.job_counts()


@pytest.fixture
def traffic(app: App) -> Traffic:
    with app.db.session() as session:
        ws = get_or_create_workspace(session, "crash")
        account = create_sandbox_account(session, ws.id, name="Acme", handle="acme")
        return Traffic(app=app, workspace_id=ws.id, account_id=account.id)


@pytest.mark.slow
def test_worker_killed_mid_queue_stores_every_message_and_delivers_every_reply_once(
    traffic: Traffic, database_url: str, tmp_path: Path
) -> None:
    # Conversations to answer exist first; then a few hundred jobs of both kinds are queued.
    traffic.inject(CUSTOMERS)
    traffic.app.run_jobs_until_idle()
    traffic.inject(NEW_MESSAGES, start=CUSTOMERS)
    traffic.answer_every_conversation(REPLIES_PER_CONVERSATION)
    queued = traffic.job_counts()
    assert queued.waiting == NEW_MESSAGES + CUSTOMERS * REPLIES_PER_CONVERSATION

    # Killed while holding leases: once during an ingest batch, once while delivering replies.
    at_first_kill = kill_when(
        traffic,
        database_url,
        tmp_path,
        "worker-1",
        lambda c: c.running > 0 and c.done(INGEST_JOB) > CUSTOMERS,
    )
    assert at_first_kill.running > 0 and at_first_kill.waiting > at_first_kill.running
    at_second_kill = kill_when(
        traffic,
        database_url,
        tmp_path,
        "worker-2",
        lambda c: c.running > 0 and c.done(DELIVER_JOB) > 0,
    )
    assert at_second_kill.running > 0 and at_second_kill.waiting > 0

    with worker_process(database_url, tmp_path, "worker-3.log"):
        finished = wait_for(lambda: traffic.job_counts().waiting == 0, timeout=60, every=0.1)
    assert finished, (tmp_path / "worker-3.log").read_text()

    final = traffic.job_counts()
    assert final.by_status() == {JobStatus.DONE: CUSTOMERS + queued.waiting}
    with traffic.app.db.read_session() as session:
        stored = session.scalars(
            select(Message.platform_message_id).where(Message.direction == Direction.IN.value)
        ).all()
        raw_statuses = set(session.scalars(select(RawEvent.status)))
        deliveries = session.execute(
            select(SandboxDelivery.idempotency_key, SandboxDelivery.platform_message_id)
        ).all()
        replies = session.execute(
            select(
                Message.idempotency_key, Message.delivery_state, Message.platform_message_id
            ).where(Message.direction == Direction.OUT.value)
        ).all()
    assert Counter(stored) == Counter(traffic.injected)  # each message stored exactly once
    assert raw_statuses == {"processed"}
    assert len(deliveries) == len(traffic.reply_keys)  # each reply delivered exactly once
    assert {key for key, _ in deliveries} == set(traffic.reply_keys)
    assert {state for _, state, _ in replies} == {DeliveryState.SENT.value}
    assert {(key, pmid) for key, _, pmid in replies} == set(deliveries)
