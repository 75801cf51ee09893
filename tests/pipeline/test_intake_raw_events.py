"""Steps 1-2 of the ingest path (pipeline/intake.py): keep the raw payload, then process it."""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import func, select

from socialdesk.bootstrap import App
from socialdesk.channels.sandbox import PLATFORM, inbound_payload
from socialdesk.jobs.queue import JobStatus
from socialdesk.pipeline.intake import INGEST_JOB, store_raw_event
from socialdesk.pipeline.notify import IngestResult
from socialdesk.services.sandbox import create_sandbox_account
from socialdesk.services.workspaces import get_or_create_workspace
from socialdesk.store.models import Job, Message, RawEvent

T0 = datetime(2024, 3, 1, 9, 0, tzinfo=UTC)


@dataclass
class Webhooks:
    """A sandbox account and the payloads its 'platform' posts to our webhook."""

    app: App
    workspace_id: int
    account_id: int
    _numbers: Iterator[int] = field(default_factory=lambda: itertools.count(1))

    def payload(self, *, message_id: str | None = None, kind: str = "dm") -> bytes:
        number = next(self._numbers)
        return inbound_payload(
            kind=kind,
            customer={"id": "cust-1", "handle": "alice", "followers": 12},
            text=f"where is my parcel? ({number})",
            message_id=message_id or f"sbx-{number}",
            time=T0 + timedelta(minutes=number),
        )

    def deliver(self, payload: bytes, *, external_id: str | None) -> tuple[int, bool]:
        """What the webhook endpoint does: store the payload (and its job) and commit."""
        with self.app.db.session() as session:
            return store_raw_event(
                session,
                workspace_id=self.workspace_id,
                channel_account_id=self.account_id,
                source=PLATFORM,
                payload=payload,
                external_id=external_id,
            )

    def count(self, model: Any) -> int:
        with self.app.db.read_session() as session:
            return int(session.scalar(select(func.count()).select_from(model)) or 0)

    def raw_event(self, raw_id: int) -> RawEvent:
        with self.app.db.session() as session:
            raw = session.get(RawEvent, raw_id)
            assert raw is not None
            return raw

    def jobs(self) -> list[Job]:
        with self.app.db.session() as session:
            return list(session.scalars(select(Job).order_by(Job.id)))

    def messages(self) -> list[Message]:
        with self.app.db.session() as session:
            return list(session.scalars(select(Message).order_by(Message.id)))


@pytest.fixture
def hooks(app: App) -> Webhooks:
    with app.db.session() as session:
        ws = get_or_create_workspace(session, "intake")
        account = create_sandbox_account(session, ws.id, name="Acme", handle="acme")
        return Webhooks(app=app, workspace_id=ws.id, account_id=account.id)


def test_payload_is_stored_and_queued_before_it_is_processed(hooks: Webhooks) -> None:
    payload = hooks.payload(message_id="m-1")
    raw_id, created = hooks.deliver(payload, external_id="delivery-1")

    raw = hooks.raw_event(raw_id)
    assert created
    assert (raw.status, raw.payload) == ("received", payload.decode())
    [job] = hooks.jobs()
    assert (job.kind, job.payload, job.status) == (
        INGEST_JOB,
        {"raw_event_id": raw_id},
        JobStatus.QUEUED,
    )
    assert hooks.count(Message) == 0


def test_processing_stores_the_message_and_marks_the_raw_event_processed(
    hooks: Webhooks,
) -> None:
    raw_id, _ = hooks.deliver(hooks.payload(message_id="m-1"), external_id="delivery-1")
    hooks.app.run_jobs_until_idle()

    raw = hooks.raw_event(raw_id)
    assert raw.status == "processed" and raw.processed_at is not None
    [message] = hooks.messages()
    assert (message.platform_message_id, message.raw_event_id) == ("m-1", raw_id)
    assert message.conversation_id is not None
    assert [j.status for j in hooks.jobs()] == [JobStatus.DONE]


def test_same_external_id_twice_gives_one_raw_event_and_one_message(hooks: Webhooks) -> None:
    payload = hooks.payload(message_id="m-1")
    first_id, first_created = hooks.deliver(payload, external_id="delivery-1")
    second_id, second_created = hooks.deliver(payload, external_id="delivery-1")
    hooks.app.run_jobs_until_idle()

    assert (first_created, second_created) == (True, False)
    assert second_id == first_id
    assert hooks.count(RawEvent) == 1
    assert hooks.count(Job) == 1
    assert hooks.count(Message) == 1


def test_redelivery_under_a_new_external_id_still_stores_one_message(hooks: Webhooks) -> None:
    payload = hooks.payload(message_id="m-1")
    hooks.deliver(payload, external_id="delivery-1")
    hooks.deliver(payload, external_id="delivery-2")
    hooks.app.run_jobs_until_idle()

    assert hooks.count(RawEvent) == 2
    assert hooks.count(Message) == 1
    assert {j.status for j in hooks.jobs()} == {JobStatus.DONE}


@pytest.mark.parametrize(
    "payload",
    [b"{this is not json", b'{"id": "m-1", "type": "tweet"}'],
    ids=["not-json", "wrong-shape"],
)
def test_unparseable_payload_is_kept_as_failed_and_its_job_completes(
    hooks: Webhooks, payload: bytes
) -> None:
    raw_id, _ = hooks.deliver(payload, external_id="delivery-1")
    hooks.app.run_jobs_until_idle()

    raw = hooks.raw_event(raw_id)
    assert raw.status == "failed"
    assert raw.payload == payload.decode()
    assert raw.error and "not a sandbox payload" in raw.error
    [job] = hooks.jobs()
    assert job.status == JobStatus.DONE
    assert hooks.count(Message) == 0


def test_subscribers_hear_of_the_ingest_after_it_committed(hooks: Webhooks) -> None:
    heard: list[IngestResult] = []
    hooks.app.notifier.subscribe(heard.append)
    hooks.deliver(hooks.payload(message_id="m-1"), external_id="delivery-1")
    hooks.app.run_jobs_until_idle()

    [result] = heard
    assert result.stored == 1
    assert result.message_ids == [m.id for m in hooks.messages()]


def test_one_message_delivered_to_two_accounts_is_stored_for_each(hooks: Webhooks) -> None:
    with hooks.app.db.session() as session:
        globex = create_sandbox_account(session, hooks.workspace_id, name="Globex", handle="gx")
    second = Webhooks(hooks.app, hooks.workspace_id, globex.id)
    payload = hooks.payload(message_id="m-shared", kind="post")  # mentions both brands
    hooks.deliver(payload, external_id=f"{hooks.account_id}:m-shared")
    second.deliver(payload, external_id=f"{globex.id}:m-shared")
    hooks.app.run_jobs_until_idle()

    assert {m.channel_account_id for m in hooks.messages()} == {hooks.account_id, globex.id}
