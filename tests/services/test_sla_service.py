"""SLA clocks on real conversations (SQLite and PostgreSQL): start, stop, pause, and the 80 %
warning and 100 % breach jobs, each firing exactly once."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from sla_support import MINUTE, SlaDesk, make_desk
from sqlalchemy import select

from socialdesk.bootstrap import App
from socialdesk.domain.sla import ClockKind, SlaState
from socialdesk.domain.types import AuthorKind, Direction, Visibility
from socialdesk.pipeline.events import Author, InboundEvent
from socialdesk.pipeline.ingest import ingest_batch
from socialdesk.pipeline.routing import route_result
from socialdesk.services.conversations import update_conversation, wake_snoozed
from socialdesk.services.events import Actor
from socialdesk.services.replies import reply
from socialdesk.services.sla import SLA_JOB, check_sla, conversation_clocks, on_agent_reply
from socialdesk.store.changes import subscribe_conversation_changes
from socialdesk.store.models import Conversation, Job, Message
from socialdesk.store.types import utcnow


@pytest.fixture
def desk(app: App) -> SlaDesk:
    return make_desk(app)


def _clocks(desk: SlaDesk, conv_id: int, now: datetime) -> dict[ClockKind, object]:
    with desk.app.db.read_session() as session:
        conv = session.get(Conversation, conv_id)
        assert conv is not None
        return {c.kind: c for c in conversation_clocks(session, conv, now)}


def _sla_jobs(desk: SlaDesk, conv_id: int) -> list[Job]:
    with desk.app.db.read_session() as session:
        jobs = [
            j
            for j in session.scalars(select(Job).where(Job.kind == SLA_JOB).order_by(Job.id))
            if j.payload["conversation_id"] == conv_id
        ]
        for job in jobs:
            session.expunge(job)
        return jobs


def _check(desk: SlaDesk, conv_id: int, clock: str, level: str, now: datetime) -> None:
    payload = {"conversation_id": conv_id, "clock": clock, "level": level}
    with desk.app.db.session() as session:
        check_sla(session, payload, now=now)


def test_without_a_policy_no_clock_starts(desk: SlaDesk) -> None:
    conv = desk.conversation(desk.customer_writes(utcnow() - 5 * MINUTE))

    assert conv.sla_policy_id is None
    assert conv.first_response_started_at is None
    assert conv.sla_due_at is None


def test_inbound_message_starts_first_response_and_resolution_clocks(desk: SlaDesk) -> None:
    policy_id = desk.policy(first=60, resolution=480)
    t0 = (utcnow() - 10 * MINUTE).replace(microsecond=0)

    conv = desk.conversation(desk.customer_writes(t0))

    assert conv.sla_policy_id == policy_id
    assert conv.first_response_started_at == t0
    assert conv.first_response_due_at == t0 + 60 * MINUTE
    assert conv.resolution_due_at == t0 + 480 * MINUTE
    assert conv.next_response_started_at is None
    assert conv.sla_due_at == t0 + 60 * MINUTE
    assert conv.sla_warn_at == t0 + 48 * MINUTE
    levels = {(j.payload["clock"], j.payload["level"], j.run_at) for j in _sla_jobs(desk, conv.id)}
    assert ("first_response", "warning", t0 + 48 * MINUTE) in levels
    assert ("first_response", "breach", t0 + 60 * MINUTE) in levels


def test_human_reply_stops_the_first_response_clock_but_not_resolution(desk: SlaDesk) -> None:
    desk.policy()
    conv_id = desk.customer_writes(utcnow() - 10 * MINUTE)

    with desk.app.db.session() as session:
        reply(
            session,
            desk.workspace_id,
            conv_id,
            Actor.agent(desk.agent_id),
            text="Looking into it",
            visibility="private",
        )
    conv = desk.conversation(conv_id)

    assert conv.first_response_started_at is None
    assert conv.first_response_due_at is None
    assert conv.resolution_due_at is not None
    assert conv.sla_due_at == conv.resolution_due_at


def _brand_replies_natively(desk: SlaDesk, conv_id: int, at: datetime, text: str) -> None:
    """The brand answers from the platform's own app; its echo comes through the live
    pipeline (ingest, then routing with the product's steps)."""
    with desk.app.db.session() as session:
        customer = session.scalars(
            select(Message).where(Message.conversation_id == conv_id).order_by(Message.id)
        ).first()
        assert customer is not None
        echo = InboundEvent(
            platform=customer.platform,
            platform_message_id=f"native-{at.timestamp()}",
            author=Author(external_id="acmecare", handle="acmecare"),
            text=text,
            platform_time=at,
            visibility=Visibility.PRIVATE,
            channel_account_id=desk.account_id,
            direction=Direction.OUT,
            reply_to_platform_id=customer.platform_message_id,
            author_kind=AuthorKind.BRAND,
        )
        result = ingest_batch(session, desk.workspace_id, [echo])
        route_result(session, result, desk.app.routing_steps)


def test_a_reply_the_brand_posted_natively_stops_the_response_clock(desk: SlaDesk) -> None:
    desk.policy(first=60, next_=30)
    t0 = (utcnow() - 20 * MINUTE).replace(microsecond=0)
    conv_id = desk.customer_writes(t0)

    _brand_replies_natively(desk, conv_id, t0 + 5 * MINUTE, "Sorry about that, DM us")
    conv = desk.conversation(conv_id)
    assert conv.first_response_started_at is None and conv.first_response_due_at is None
    assert conv.first_response_at == t0 + 5 * MINUTE
    assert conv.resolution_due_at is not None  # answering is not resolving

    desk.customer_writes(t0 + 10 * MINUTE, "done, sent you a DM")  # a next response is due now
    conv = desk.conversation(conv_id)
    assert conv.first_response_started_at is None
    assert conv.next_response_started_at == t0 + 10 * MINUTE
    assert conv.next_response_due_at == t0 + 40 * MINUTE


def test_a_native_reply_older_than_the_customers_last_message_leaves_its_clock_running(
    desk: SlaDesk,
) -> None:
    desk.policy(first=60, next_=30)
    t0 = (utcnow() - 30 * MINUTE).replace(microsecond=0)
    conv_id = desk.customer_writes(t0)
    _brand_replies_natively(desk, conv_id, t0 + 5 * MINUTE, "Looking into it")
    desk.customer_writes(t0 + 10 * MINUTE, "any news?")

    # a late echo of a reply posted before the customer's last message
    _brand_replies_natively(desk, conv_id, t0 + 8 * MINUTE, "We are on it")

    assert desk.conversation(conv_id).next_response_started_at == t0 + 10 * MINUTE


def test_auto_reply_does_not_stop_the_clock(desk: SlaDesk) -> None:
    desk.policy()
    conv_id = desk.customer_writes(utcnow() - 10 * MINUTE)

    with desk.app.db.session() as session:
        conv = session.get(Conversation, conv_id)
        assert conv is not None
        auto = Message(author_kind="agent", is_auto=True, direction="out")
        on_agent_reply(session, conv, auto)
        bot = Message(author_kind="bot", is_auto=False, direction="out")
        on_agent_reply(session, conv, bot)

    assert desk.conversation(conv_id).first_response_started_at is not None


def test_customer_message_after_a_reply_starts_the_next_response_clock(desk: SlaDesk) -> None:
    desk.policy(first=60, next_=30)
    conv_id = desk.customer_writes(utcnow() - 20 * MINUTE)
    with desk.app.db.session() as session:
        reply(
            session,
            desk.workspace_id,
            conv_id,
            Actor.agent(desk.agent_id),
            text="Which order?",
            visibility="private",
        )
    t1 = (utcnow() - 2 * MINUTE).replace(microsecond=0)

    desk.customer_writes(t1, "order 1234")
    conv = desk.conversation(conv_id)

    assert conv.first_response_started_at is None
    assert conv.next_response_started_at == t1
    assert conv.next_response_due_at == t1 + 30 * MINUTE


def test_pending_pauses_and_the_customer_resumes(desk: SlaDesk) -> None:
    desk.policy(first=60, resolution=None)
    t0 = (utcnow() - 3 * timedelta(hours=1)).replace(microsecond=0)
    conv_id = desk.customer_writes(t0)

    with desk.app.db.session() as session:
        update_conversation(
            session,
            desk.workspace_id,
            conv_id,
            Actor.agent(desk.agent_id),
            status="pending",
            at=t0 + 10 * MINUTE,
        )
    paused = desk.conversation(conv_id)
    assert paused.sla_paused_at == t0 + 10 * MINUTE
    assert paused.first_response_due_at is None
    assert paused.sla_due_at is None
    frozen = _clocks(desk, conv_id, t0 + 2 * timedelta(hours=1))[ClockKind.FIRST_RESPONSE]
    assert frozen.left == 50 * MINUTE  # type: ignore[attr-defined]
    assert frozen.paused  # type: ignore[attr-defined]

    t1 = t0 + 170 * MINUTE  # the customer answers: 2 h 40 min of pending do not count
    desk.customer_writes(t1, "here is the photo")
    conv = desk.conversation(conv_id)

    assert conv.status == "open"
    assert conv.sla_paused_at is None
    assert conv.first_response_due_at == t1 + 50 * MINUTE


def test_agent_reopening_a_pending_conversation_resumes_the_clock(desk: SlaDesk) -> None:
    desk.policy(first=60, resolution=None)
    t0 = (utcnow() - 90 * MINUTE).replace(microsecond=0)
    conv_id = desk.customer_writes(t0)
    actor = Actor.agent(desk.agent_id)
    with desk.app.db.session() as session:
        update_conversation(
            session, desk.workspace_id, conv_id, actor, status="pending", at=t0 + 20 * MINUTE
        )
    with desk.app.db.session() as session:
        update_conversation(
            session, desk.workspace_id, conv_id, actor, status="open", at=t0 + 80 * MINUTE
        )

    assert desk.conversation(conv_id).first_response_due_at == t0 + 120 * MINUTE


def test_snooze_pauses_the_clocks_until_it_wakes(desk: SlaDesk) -> None:
    desk.policy(first=60, resolution=None)
    t0 = (utcnow() - 90 * MINUTE).replace(microsecond=0)
    conv_id = desk.customer_writes(t0)
    with desk.app.db.session() as session:
        update_conversation(
            session,
            desk.workspace_id,
            conv_id,
            Actor.agent(desk.agent_id),
            status="snoozed",
            snoozed_until=utcnow() + MINUTE,
            at=t0 + 20 * MINUTE,
        )
    snoozed = desk.conversation(conv_id)
    assert snoozed.sla_paused_at == t0 + 20 * MINUTE
    assert snoozed.first_response_due_at is None
    assert snoozed.snoozed_until is not None

    with desk.app.db.session() as session:  # the snooze timer fires (about 70 min later)
        until = snoozed.snoozed_until.isoformat()
        wake_snoozed(session, {"conversation_id": conv_id, "until": until})
    woken = desk.conversation(conv_id)

    assert woken.status == "open" and woken.sla_paused_at is None
    assert woken.first_response_due_at is not None
    # 40 of the 60 minutes were left when it was snoozed; they run again from the wake-up
    left = woken.first_response_due_at - utcnow()
    assert 39 * MINUTE < left <= 40 * MINUTE


def test_a_breach_noticed_late_is_dated_when_it_happened(desk: SlaDesk) -> None:
    desk.policy(first=60, resolution=None)
    t0 = (utcnow() - 5 * timedelta(hours=1)).replace(microsecond=0)
    conv_id = desk.customer_writes(t0)  # the worker ran its due checks: both fired late

    [warning, breach] = desk.events(conv_id)

    assert (warning.type, breach.type) == ("sla.warning", "sla.breached")
    assert abs(warning.occurred_at - (t0 + 48 * MINUTE)) <= timedelta(seconds=1)
    assert abs(breach.occurred_at - (t0 + 60 * MINUTE)) <= timedelta(seconds=1)
    assert breach.recorded_at > t0 + 4 * timedelta(hours=1)  # noticed now


def test_resolve_stops_every_clock(desk: SlaDesk) -> None:
    desk.policy()
    conv_id = desk.customer_writes(utcnow() - 10 * MINUTE)

    with desk.app.db.session() as session:
        update_conversation(
            session, desk.workspace_id, conv_id, Actor.agent(desk.agent_id), status="resolved"
        )
    conv = desk.conversation(conv_id)

    assert conv.first_response_started_at is None
    assert conv.resolution_started_at is None
    assert conv.sla_due_at is None
    assert conv.sla_warn_at is None


def test_higher_priority_target_applies_after_a_priority_change(desk: SlaDesk) -> None:
    desk.policy(first=240, name="Normal")
    with desk.app.db.session() as session:
        from socialdesk.domain.sla import SlaTarget
        from socialdesk.services.sla import PolicySpec, update_policy
        from socialdesk.store.models import SlaPolicy

        policy = session.scalars(select(SlaPolicy)).one()
        update_policy(
            session,
            desk.workspace_id,
            policy.id,
            PolicySpec(
                name="Normal",
                is_default=True,
                targets=[
                    SlaTarget(first_response=timedelta(minutes=240)),
                    SlaTarget(priority="urgent", first_response=timedelta(minutes=15)),
                ],
            ),
        )
    t0 = (utcnow() - 5 * MINUTE).replace(microsecond=0)
    conv_id = desk.customer_writes(t0)
    assert desk.conversation(conv_id).first_response_due_at == t0 + 240 * MINUTE

    with desk.app.db.session() as session:
        update_conversation(
            session, desk.workspace_id, conv_id, Actor.agent(desk.agent_id), priority="urgent"
        )

    assert desk.conversation(conv_id).first_response_due_at == t0 + 15 * MINUTE


def test_warning_fires_at_eighty_percent_exactly_once(desk: SlaDesk) -> None:
    desk.policy(first=60, resolution=None)
    t0 = (utcnow() - 5 * MINUTE).replace(microsecond=0)
    conv_id = desk.customer_writes(t0)

    _check(desk, conv_id, "first_response", "warning", t0 + 47 * MINUTE)
    assert desk.events(conv_id) == []

    _check(desk, conv_id, "first_response", "warning", t0 + 48 * MINUTE)
    _check(desk, conv_id, "first_response", "warning", t0 + 49 * MINUTE)
    events = desk.events(conv_id)

    assert [e.type for e in events] == ["sla.warning"]
    assert events[0].data["clock"] == "first_response"
    assert events[0].data["target_seconds"] == 3600
    assert "first_response:warning" in desk.conversation(conv_id).sla_notified


def test_breach_fires_at_the_target_exactly_once(desk: SlaDesk) -> None:
    desk.policy(first=60, resolution=None)
    t0 = (utcnow() - 5 * MINUTE).replace(microsecond=0)
    conv_id = desk.customer_writes(t0)

    _check(desk, conv_id, "first_response", "breach", t0 + 59 * MINUTE)
    assert desk.events(conv_id) == []
    for minutes in (60, 61, 90):
        _check(desk, conv_id, "first_response", "breach", t0 + minutes * MINUTE)
    # The warning's own job comes late: the breach already said more.
    _check(desk, conv_id, "first_response", "warning", t0 + 95 * MINUTE)

    assert [e.type for e in desk.events(conv_id)] == ["sla.breached"]
    clock = _clocks(desk, conv_id, t0 + 90 * MINUTE)[ClockKind.FIRST_RESPONSE]
    assert clock.state is SlaState.BREACHED  # type: ignore[attr-defined]


def test_no_breach_when_the_agent_answered_in_time(desk: SlaDesk) -> None:
    desk.policy(first=60, resolution=None)
    t0 = (utcnow() - 5 * MINUTE).replace(microsecond=0)
    conv_id = desk.customer_writes(t0)
    with desk.app.db.session() as session:
        reply(
            session,
            desk.workspace_id,
            conv_id,
            Actor.agent(desk.agent_id),
            text="Done",
            visibility="private",
        )

    _check(desk, conv_id, "first_response", "breach", t0 + 61 * MINUTE)

    assert desk.events(conv_id) == []


def test_no_breach_while_pending(desk: SlaDesk) -> None:
    desk.policy(first=60, resolution=None)
    t0 = (utcnow() - 5 * MINUTE).replace(microsecond=0)
    conv_id = desk.customer_writes(t0)
    with desk.app.db.session() as session:
        update_conversation(
            session,
            desk.workspace_id,
            conv_id,
            Actor.agent(desk.agent_id),
            status="pending",
            at=t0 + 2 * MINUTE,
        )

    _check(desk, conv_id, "first_response", "breach", t0 + 3 * timedelta(hours=1))

    assert desk.events(conv_id) == []


def test_overdue_clock_breaches_through_the_worker_once_with_a_live_update(
    desk: SlaDesk,
) -> None:
    desk.policy(first=60, resolution=None)
    touched: list[dict[int, set[int]]] = []
    unsubscribe = subscribe_conversation_changes(touched.append)
    try:
        conv_id = desk.customer_writes(utcnow() - 2 * timedelta(hours=1))
        desk.app.run_jobs_until_idle()
        desk.app.run_jobs_until_idle()
    finally:
        unsubscribe()

    assert [e.type for e in desk.events(conv_id)] == ["sla.warning", "sla.breached"]
    assert any(conv_id in ids for update in touched for ids in update.values())
    conv = desk.conversation(conv_id)
    assert conv.sla_due_at is not None and conv.sla_due_at < utcnow()
    assert sorted(conv.sla_notified) == ["first_response:breach", "first_response:warning"]
