"""What every connector builds on: send windows, delivery receipts and polling.

A small "probe" connector, written here for the test, implements the optional protocols of
channels.base the way a real platform module does; everything else (outbox, worker, ingest
job, receipts, poll chain) is the product's own code, on SQLite and PostgreSQL.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import func, select

from socialdesk.bootstrap import App
from socialdesk.channels.base import (
    AccountInfo,
    ConnectionKey,
    ConnectionSpec,
    DeliveryReceipt,
    OutboundMessage,
    PolledItem,
    PollResult,
    SendContext,
    SendDecision,
    SendError,
    SendResult,
)
from socialdesk.domain.errors import SendNotAllowed
from socialdesk.domain.types import DeliveryState, Direction, Visibility
from socialdesk.jobs.queue import JobStatus
from socialdesk.pipeline.events import Author, InboundEvent
from socialdesk.pipeline.intake import store_raw_event
from socialdesk.pipeline.polling import POLL_JOB, schedule_poll
from socialdesk.pipeline.receipts import RECEIPT_JOB, retry_receipts
from socialdesk.services.channel_accounts import connect_account, pause_account, resume_account
from socialdesk.services.events import Actor
from socialdesk.services.replies import reply
from socialdesk.services.workspaces import get_or_create_workspace
from socialdesk.store.models import ChannelAccount, Conversation, Job, Message, RawEvent
from socialdesk.store.types import utcnow

PLATFORM = "probe"
WINDOW = timedelta(hours=24)
SPEC = ConnectionSpec(platform=PLATFORM, keys=(ConnectionKey("handle", "the brand"),), polled=True)


@dataclass
class Probe:
    """A connector with a 24-hour window, receipts and a pollable inbox."""

    platform: str = PLATFORM
    connection: ConnectionSpec = SPEC
    inbox: list[PolledItem] = field(default_factory=list)
    sent: list[OutboundMessage] = field(default_factory=list)
    poll_failure: SendError | None = None

    def parse(self, account: AccountInfo, payload: bytes) -> list[InboundEvent]:
        data = json.loads(payload)
        return [
            InboundEvent(
                platform=PLATFORM,
                platform_message_id=m["id"],
                author=Author(external_id=m["from"], handle=m["from"]),
                text=m["text"],
                platform_time=datetime.fromisoformat(m["at"]),
                visibility=Visibility.PRIVATE,
                channel_account_id=account.id,
            )
            for m in data.get("messages", [])
        ]

    def parse_receipts(self, account: AccountInfo, payload: bytes) -> list[DeliveryReceipt]:
        data = json.loads(payload)
        return [
            DeliveryReceipt(r["id"], DeliveryState(r["state"]), utcnow(), r.get("error"))
            for r in data.get("receipts", [])
        ]

    def check_send(self, account: AccountInfo, context: SendContext) -> SendDecision:
        last = context.last_inbound_private_at
        if last is None or context.now - last > WINDOW:
            return SendDecision.refuse("the customer last wrote more than 24 hours ago")
        if context.now - last > timedelta(hours=1):
            return SendDecision.allow({"type": "message_tag", "tag": "LATE"})
        return SendDecision.allow()

    def send(self, account: AccountInfo, message: OutboundMessage) -> SendResult:
        self.sent.append(message)
        return SendResult(platform_message_id=f"sent-{len(self.sent)}")

    def poll(self, account: AccountInfo, cursor: dict[str, Any]) -> PollResult:
        if self.poll_failure is not None:
            raise self.poll_failure
        seen = int(cursor.get("seen", 0))
        return PollResult(items=list(self.inbox), cursor={"seen": seen + len(self.inbox)})


@pytest.fixture
def probe(app: App) -> Probe:
    channel = Probe()
    app.channels[PLATFORM] = channel  # the handlers hold this very dict
    return channel


def _account(app: App, probe: Probe) -> tuple[int, int]:
    with app.db.session() as session:
        workspace_id = get_or_create_workspace(session, "acme").id
        account = connect_account(
            session,
            workspace_id,
            probe.connection,
            name="Probe",
            values={"handle": "acme"},
            cipher=app.cipher,
        )
        return workspace_id, account.id


def _payload(*, messages: list[dict[str, Any]] = (), receipts: list[dict[str, Any]] = ()) -> bytes:  # type: ignore[assignment]
    return json.dumps({"messages": list(messages), "receipts": list(receipts)}).encode()


def _message(mid: str, at: datetime, text: str = "hello") -> dict[str, Any]:
    return {"id": mid, "from": "cust-1", "text": text, "at": at.isoformat()}


def _deliver_webhook(app: App, workspace_id: int, account_id: int, body: bytes) -> None:
    with app.db.session() as session:
        store_raw_event(
            session,
            workspace_id=workspace_id,
            channel_account_id=account_id,
            source=PLATFORM,
            payload=body,
        )
    app.run_jobs_until_idle()


def _conversation_id(app: App) -> int:
    with app.db.read_session() as session:
        conv_id = session.scalar(select(Conversation.id))
        assert conv_id is not None
        return conv_id


def _counts(app: App) -> tuple[int, int]:
    with app.db.read_session() as session:
        return (
            session.scalar(select(func.count()).select_from(Message)) or 0,
            session.scalar(select(func.count()).select_from(RawEvent)) or 0,
        )


# -- send windows -----------------------------------------------------------------------------


def test_a_send_outside_the_window_is_refused_with_the_reason_and_nothing_is_written(
    app: App, probe: Probe
) -> None:
    workspace_id, account_id = _account(app, probe)
    old = utcnow() - timedelta(days=2)
    _deliver_webhook(app, workspace_id, account_id, _payload(messages=[_message("m1", old)]))
    conv_id = _conversation_id(app)
    before = _counts(app)
    with pytest.raises(SendNotAllowed, match="more than 24 hours"), app.db.session() as session:
        reply(
            session,
            workspace_id,
            conv_id,
            Actor.agent(None),
            text="Sorry for the wait",
            visibility="private",
            channels=app.channels,
        )
    assert _counts(app) == before
    assert probe.sent == []


def test_a_send_inside_the_window_carries_the_connectors_extra_to_the_platform(
    app: App, probe: Probe
) -> None:
    workspace_id, account_id = _account(app, probe)
    two_hours_ago = utcnow() - timedelta(hours=2)
    _deliver_webhook(
        app, workspace_id, account_id, _payload(messages=[_message("m1", two_hours_ago)])
    )
    conv_id = _conversation_id(app)
    with app.db.session() as session:
        message = reply(
            session,
            workspace_id,
            conv_id,
            Actor.agent(None),
            text="Here you go",
            visibility="private",
            extras=[{"type": "quick_replies", "options": ["Yes", "No"]}],
            channels=app.channels,
        )
        message_id = message.id
    app.run_jobs_until_idle()
    (sent,) = probe.sent
    assert sent.buttons == ["Yes", "No"]
    assert sent.extra("message_tag") == {"type": "message_tag", "tag": "LATE"}
    with app.db.read_session() as session:
        stored = session.get(Message, message_id)
        assert stored is not None
        assert stored.delivery_state == DeliveryState.SENT
        assert stored.platform_message_id == "sent-1"


def test_an_extra_without_a_type_is_invalid_input(app: App, probe: Probe) -> None:
    workspace_id, account_id = _account(app, probe)
    _deliver_webhook(app, workspace_id, account_id, _payload(messages=[_message("m1", utcnow())]))
    with pytest.raises(Exception, match="needs a 'type'"), app.db.session() as session:
        reply(
            session,
            workspace_id,
            _conversation_id(app),
            Actor.agent(None),
            text="Hi",
            visibility="private",
            extras=[{"options": ["x"]}],
        )


# -- delivery receipts ------------------------------------------------------------------------


def _sent_message(app: App, probe: Probe) -> tuple[int, int, int]:
    workspace_id, account_id = _account(app, probe)
    _deliver_webhook(app, workspace_id, account_id, _payload(messages=[_message("m1", utcnow())]))
    with app.db.session() as session:
        message_id = reply(
            session,
            workspace_id,
            _conversation_id(app),
            Actor.agent(None),
            text="On it",
            visibility="private",
            channels=app.channels,
        ).id
    app.run_jobs_until_idle()
    return workspace_id, account_id, message_id


def _state(app: App, message_id: int) -> tuple[str, str | None]:
    with app.db.read_session() as session:
        message = session.get(Message, message_id)
        assert message is not None
        return message.delivery_state, message.delivery_error


def test_receipts_move_the_state_forward_only(app: App, probe: Probe) -> None:
    workspace_id, account_id, message_id = _sent_message(app, probe)
    _deliver_webhook(
        app, workspace_id, account_id, _payload(receipts=[{"id": "sent-1", "state": "read"}])
    )
    assert _state(app, message_id) == ("read", None)
    # "delivered" arriving after "read" (platforms do not promise order) changes nothing.
    _deliver_webhook(
        app, workspace_id, account_id, _payload(receipts=[{"id": "sent-1", "state": "delivered"}])
    )
    assert _state(app, message_id) == ("read", None)


def test_a_failure_receipt_keeps_the_platforms_reason(app: App, probe: Probe) -> None:
    workspace_id, account_id, message_id = _sent_message(app, probe)
    body = _payload(receipts=[{"id": "sent-1", "state": "failed", "error": "number unreachable"}])
    _deliver_webhook(app, workspace_id, account_id, body)
    assert _state(app, message_id) == ("failed", "number unreachable")
    _deliver_webhook(
        app, workspace_id, account_id, _payload(receipts=[{"id": "sent-1", "state": "read"}])
    )
    assert _state(app, message_id) == ("failed", "number unreachable")


def test_a_receipt_that_outruns_its_message_is_applied_when_the_message_is_known(
    app: App, probe: Probe
) -> None:
    workspace_id, account_id, message_id = _sent_message(app, probe)
    _deliver_webhook(
        app, workspace_id, account_id, _payload(receipts=[{"id": "sent-7", "state": "delivered"}])
    )
    with app.db.read_session() as session:
        job = session.scalar(select(Job).where(Job.kind == RECEIPT_JOB))
        assert job is not None and job.status == JobStatus.QUEUED
        assert job.run_at > utcnow()  # tried again a little later, not in a hot loop
        payload = dict(job.payload)
    with app.db.session() as session:  # the worker records the id the platform answered
        message = session.get(Message, message_id)
        assert message is not None
        message.platform_message_id = "sent-7"
    with app.db.session() as session:
        retry_receipts(session, payload)
    assert _state(app, message_id) == ("delivered", None)


def test_receipts_never_touch_inbound_messages(app: App, probe: Probe) -> None:
    workspace_id, account_id = _account(app, probe)
    _deliver_webhook(app, workspace_id, account_id, _payload(messages=[_message("m1", utcnow())]))
    _deliver_webhook(
        app, workspace_id, account_id, _payload(receipts=[{"id": "m1", "state": "read"}])
    )
    with app.db.read_session() as session:
        inbound = session.scalar(select(Message).where(Message.direction == Direction.IN.value))
        assert inbound is not None and inbound.delivery_state == DeliveryState.RECEIVED


# -- polling ----------------------------------------------------------------------------------


def _poll_jobs(app: App) -> list[Job]:
    with app.db.read_session() as session:
        return list(session.scalars(select(Job).where(Job.kind == POLL_JOB).order_by(Job.id)))


def test_connecting_a_polled_account_polls_it_and_schedules_the_next_poll(
    app: App, probe: Probe
) -> None:
    now = utcnow()
    probe.inbox = [
        PolledItem("a", _payload(messages=[_message("p1", now, "first")])),
        PolledItem("b", _payload(messages=[_message("p2", now, "second")])),
    ]
    _workspace_id, account_id = _account(app, probe)
    app.run_jobs_until_idle()
    assert _counts(app) == (2, 2)
    with app.db.read_session() as session:
        account = session.get(ChannelAccount, account_id)
        assert account is not None
        assert account.settings["poll_cursor"] == {"seen": 2}
        assert account.settings["poll_error"] is None
    pending = [j for j in _poll_jobs(app) if j.status == JobStatus.QUEUED]
    assert len(pending) == 1 and pending[0].run_at > utcnow()


def test_an_item_fetched_again_is_stored_once(app: App, probe: Probe) -> None:
    probe.inbox = [PolledItem("a", _payload(messages=[_message("p1", utcnow())]))]
    _workspace_id, account_id = _account(app, probe)
    app.run_jobs_until_idle()
    with app.db.session() as session:
        schedule_poll(session, account_id, utcnow() - timedelta(seconds=1))
    app.run_jobs_until_idle()
    assert _counts(app) == (1, 1)


def test_a_paused_account_is_not_polled_and_resuming_polls_it(app: App, probe: Probe) -> None:
    probe.inbox = [PolledItem("a", _payload(messages=[_message("p1", utcnow())]))]
    workspace_id, account_id = _account(app, probe)
    with app.db.session() as session:
        pause_account(session, workspace_id, account_id)
    app.run_jobs_until_idle()
    assert _counts(app) == (0, 0)
    with app.db.session() as session:
        resume_account(session, workspace_id, account_id)
    app.run_jobs_until_idle()
    assert _counts(app) == (1, 1)


def test_a_platform_that_cannot_be_read_is_shown_on_the_account(app: App, probe: Probe) -> None:
    probe.poll_failure = SendError("invalid credentials (LOGIN refused)", permanent=True)
    _workspace_id, account_id = _account(app, probe)
    app.run_jobs_until_idle()
    with app.db.read_session() as session:
        account = session.get(ChannelAccount, account_id)
        assert account is not None
        assert account.settings["poll_error"] == "invalid credentials (LOGIN refused)"
    assert [j.status for j in _poll_jobs(app)] == [JobStatus.FAILED]


def test_worker_start_restarts_missing_poll_chains_once(app: App, probe: Probe) -> None:
    _workspace_id, _account_id = _account(app, probe)
    app.run_jobs_until_idle()
    assert app.start_polling() == 0  # the chain is alive: a next poll is queued
    with app.db.session() as session:
        session.query(Job).filter(Job.kind == POLL_JOB).delete()
    assert app.start_polling() == 1
    assert app.start_polling() == 0


def test_resuming_while_a_poll_waits_brings_it_forward_instead_of_a_second_chain(
    app: App, probe: Probe
) -> None:
    workspace_id, account_id = _account(app, probe)
    app.run_jobs_until_idle()  # first poll done, the next one waits a minute
    with app.db.session() as session:
        pause_account(session, workspace_id, account_id)
        resume_account(session, workspace_id, account_id)
    waiting = [j for j in _poll_jobs(app) if j.status == JobStatus.QUEUED]
    assert len(waiting) == 1 and waiting[0].run_at <= utcnow()
    app.run_jobs_until_idle()
    assert len([j for j in _poll_jobs(app) if j.status == JobStatus.QUEUED]) == 1
