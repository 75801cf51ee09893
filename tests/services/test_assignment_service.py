"""Assignment through the real pipeline and services, on SQLite and PostgreSQL: team
strategies, capacity, availability, shifts, the waiting queue and concurrent workers."""

from __future__ import annotations

import threading
import uuid
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import select

from socialdesk.bootstrap import App
from socialdesk.channels.sandbox import SandboxCustomer
from socialdesk.domain.errors import Forbidden, InvalidInput
from socialdesk.pipeline.routing import RoutingContext, RuleOutcome
from socialdesk.services.accounts import create_team, create_user
from socialdesk.services.assignment import (
    SWEEP_JOB,
    assignment_step,
    auto_assign,
    check_may_manage,
    set_availability,
    sweep_job,
    update_agent,
    update_team,
)
from socialdesk.services.conversations import update_conversation
from socialdesk.services.events import Actor
from socialdesk.services.sandbox import create_sandbox_account, inject
from socialdesk.services.workspaces import get_or_create_workspace
from socialdesk.store.models import Contact, Conversation, Event, Job, Message, Team, User
from socialdesk.store.types import utcnow


@dataclass
class Desk:
    app: App
    workspace_id: int
    account_id: int
    team_id: int

    def agent(self, name: str, *, online: bool = True, team: bool = True, **skills: Any) -> int:
        with self.app.db.session() as s:
            user = create_user(s, self.workspace_id, email=f"{name}@acme.test", name=name)
            if team:
                user.teams.append(s.get_one(Team, self.team_id))
            if skills:
                update_agent(s, self.workspace_id, user.id, **skills)
            if online:
                set_availability(s, self.workspace_id, user.id, "online", Actor.system())
            return user.id

    def customer_writes(self, handle: str, text: str = "hello", kind: str = "post") -> int:
        """Through the sandbox webhook, ingest and routing; returns the conversation id."""
        with self.app.db.session() as s:
            injected = inject(
                s,
                self.workspace_id,
                self.account_id,
                kind=kind,
                customer=SandboxCustomer(id=f"id-{handle}", handle=handle),
                text=text,
            )
        self.app.run_jobs_until_idle()
        with self.app.db.read_session() as s:
            conv_id = s.scalar(
                select(Message.conversation_id).where(
                    Message.platform_message_id == injected.message_id
                )
            )
        assert conv_id is not None
        return conv_id

    def conversation(self, **fields: Any) -> int:
        """A waiting conversation written directly (no routing), with the team set."""
        with self.app.db.session() as s:
            contact = Contact(workspace_id=self.workspace_id, name="c", search_text="c")
            s.add(contact)
            s.flush()
            now = fields.pop("at", utcnow())
            conv = Conversation(
                workspace_id=self.workspace_id,
                channel_account_id=self.account_id,
                contact_id=contact.id,
                team_id=fields.pop("team_id", self.team_id),
                has_public=fields.pop("has_public", True),
                first_inbound_at=now,
                last_inbound_at=now,
                last_message_at=now,
                **fields,
            )
            s.add(conv)
            s.flush()
            return conv.id

    def assignee(self, conversation_id: int) -> int | None:
        with self.app.db.read_session() as s:
            conv = s.get(Conversation, conversation_id)
            assert conv is not None
            return conv.assignee_id

    def strategy(self, strategy: str) -> None:
        with self.app.db.session() as s:
            update_team(s, self.workspace_id, self.team_id, strategy=strategy)
        self.app.run_jobs_until_idle()

    def availability(self, user_id: int, value: str) -> list[int]:
        with self.app.db.session() as s:
            change = set_availability(s, self.workspace_id, user_id, value, Actor.system())
        self.app.run_jobs_until_idle()
        return change.returned_to_queue


@pytest.fixture
def desk(app: App) -> Desk:
    with app.db.session() as s:
        ws = get_or_create_workspace(s, "acme").id
        account = create_sandbox_account(s, ws, name="Acme", handle="acmecare").id
        team = create_team(s, ws, "Billing").id
    return Desk(app, ws, account, team)


def test_round_robin_team_takes_turns_and_never_exceeds_capacity(desk: Desk) -> None:
    desk.strategy("round_robin")
    ana = desk.agent("ana", capacity={"social": 2})
    bob = desk.agent("bob", capacity={"social": 1})
    desk.agent("cy", online=False)
    # The rules would set the team; the team is set on new conversations by hand here.
    convs = []
    for _ in range(5):
        conv_id = desk.conversation()
        with desk.app.db.session() as s:
            assignment_step(_ctx(s, desk, [conv_id], new=True))
        convs.append(conv_id)
    assert [desk.assignee(c) for c in convs] == [ana, bob, ana, None, None]
    # Resolving frees capacity: the longest-waiting conversation goes to that agent.
    with desk.app.db.session() as s:
        update_conversation(s, desk.workspace_id, convs[1], Actor.agent(bob), status="resolved")
    desk.app.run_jobs_until_idle()
    assert desk.assignee(convs[3]) == bob
    assert desk.assignee(convs[4]) is None


def test_new_conversations_through_the_pipeline_are_assigned_least_loaded(desk: Desk) -> None:
    desk.strategy("least_loaded")
    ana = desk.agent("ana")
    bob = desk.agent("bob")
    desk.conversation(assignee_id=ana)  # ana has one already
    conv_id = _routed_to_team(desk, "maria")
    assert desk.assignee(conv_id) == bob
    with desk.app.db.read_session() as s:
        event = s.scalars(
            select(Event).where(
                Event.conversation_id == conv_id, Event.type == "conversation.assigned"
            )
        ).one()
    assert event.data["to"] == bob and event.data["strategy"] == "least_loaded"


def test_skills_strategy_gives_a_spanish_message_to_a_spanish_speaker(desk: Desk) -> None:
    desk.strategy("skills")
    desk.agent("ana", languages=["en"], topics=["refund"])
    luis = desk.agent("luis", languages=["es", "en"])
    conv_id = desk.conversation()
    with desk.app.db.session() as s:
        conv = s.get_one(Conversation, conv_id)
        message = Message(
            workspace_id=desk.workspace_id,
            platform="sandbox",
            channel_account_id=desk.account_id,
            conversation_id=conv_id,
            contact_id=conv.contact_id,
            direction="in",
            visibility="public",
            platform_message_id=uuid.uuid4().hex,
            author_kind="contact",
            text="quiero un reembolso",
            platform_time=utcnow(),
            delivery_state="received",
            language="es",
        )
        s.add(message)
        s.flush()
        ctx = _ctx(s, desk, [conv_id], new=True)
        ctx.message_ids = [message.id]
        assignment_step(ctx)
    assert desk.assignee(conv_id) == luis


def test_rule_outcomes_direct_assignment_and_spam(desk: Desk) -> None:
    ana = desk.agent("ana", capacity={"social": 1})
    bob = desk.agent("bob")
    first, second, spam = desk.conversation(), desk.conversation(), desk.conversation()
    with desk.app.db.session() as s:  # manual team: only what the rules say happens
        ctx = _ctx(s, desk, [first, second, spam], new=True)
        ctx.outcomes = {
            first: RuleOutcome(assign=f"user:{ana}"),
            second: RuleOutcome(assign=f"user:{ana}"),  # ana is full after the first
            spam: RuleOutcome(assign="auto", spam=True),
        }
        assignment_step(ctx)
    assert desk.assignee(first) == ana
    assert desk.assignee(second) is None  # manual team: waits rather than overfill ana
    assert desk.assignee(spam) is None
    with desk.app.db.session() as s:
        ctx = _ctx(s, desk, [second], new=False)
        ctx.outcomes = {second: RuleOutcome(assign="auto")}
        assignment_step(ctx)
    assert desk.assignee(second) == bob


def test_an_agent_going_offline_returns_conversations_to_the_queue(desk: Desk) -> None:
    desk.strategy("least_loaded")
    ana = desk.agent("ana")
    convs = [desk.conversation(assignee_id=ana) for _ in range(2)]
    resolved = desk.conversation(assignee_id=ana, status="resolved")
    returned = desk.availability(ana, "offline")
    assert returned == convs
    assert [desk.assignee(c) for c in convs] == [None, None]
    assert desk.assignee(resolved) == ana
    with desk.app.db.read_session() as s:
        events = list(
            s.scalars(
                select(Event).where(
                    Event.conversation_id.in_(convs), Event.type == "conversation.assigned"
                )
            )
        )
    assert len(events) == 2
    assert {(e.data["from"], e.data["to"], e.data["reason"]) for e in events} == {
        (ana, None, "agent went offline")
    }
    # Someone coming online gets the queue; the most urgent first, then the longest waiting.
    urgent = desk.conversation(priority="urgent")
    bob = desk.agent("bob", capacity={"social": 2}, online=False)
    desk.availability(bob, "online")
    assert desk.assignee(urgent) == bob
    assert desk.assignee(convs[0]) == bob
    assert desk.assignee(convs[1]) is None


def test_away_agents_keep_their_conversations_but_get_no_new_ones(desk: Desk) -> None:
    desk.strategy("round_robin")
    ana = desk.agent("ana")
    kept = desk.conversation(assignee_id=ana)
    desk.availability(ana, "away")
    assert desk.assignee(kept) == ana
    conv_id = desk.conversation()
    with desk.app.db.session() as s:
        assert auto_assign(s, desk.workspace_id, conv_id) is None


def test_shifts_limit_auto_assignment_to_their_windows_and_channel_types(desk: Desk) -> None:
    now = utcnow()
    day = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")[now.weekday()]
    window = {"day": day, "start": "00:00", "end": "24:00"}
    desk.strategy("least_loaded")
    social = desk.agent("sol", shifts=[{**window, "channel_types": ["social"]}])
    desk.agent("nobody", shifts=[{**window, "day": _other_day(day)}])
    public = desk.conversation()
    private = desk.conversation(has_public=False, has_private=True)
    with desk.app.db.session() as s:
        assert auto_assign(s, desk.workspace_id, public) == social
        assert auto_assign(s, desk.workspace_id, private) is None


def test_the_minute_sweep_gives_the_queue_to_an_agent_whose_shift_began(desk: Desk) -> None:
    now = utcnow()
    tomorrow = now + timedelta(days=1)
    day = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")[tomorrow.weekday()]
    desk.strategy("least_loaded")
    ana = desk.agent("ana", shifts=[{"day": day, "start": "00:00", "end": "24:00"}])
    waiting = desk.conversation()
    with desk.app.db.session() as s:
        assert auto_assign(s, desk.workspace_id, waiting) is None  # her shift is tomorrow
        sweep_job(s, {}, now=now)
    assert desk.assignee(waiting) is None

    shift_began = tomorrow.replace(hour=9, minute=0, second=30, microsecond=0)
    with desk.app.db.session() as s:
        sweep_job(s, {}, now=shift_began)  # nothing happened but the clock
    assert desk.assignee(waiting) == ana

    with desk.app.db.read_session() as s:
        sweeps = sorted(s.scalars(select(Job.run_at).where(Job.kind == SWEEP_JOB)))
    # each sweep queued the next, at the start of the following minute, once
    assert sweeps == [
        (now + timedelta(minutes=1)).replace(second=0, microsecond=0),
        shift_began.replace(minute=1, second=0),
    ]


def test_workers_starting_together_queue_one_sweep(app: App) -> None:
    for _ in range(3):
        app.start_timers()
    with app.db.read_session() as s:
        assert len(list(s.scalars(select(Job).where(Job.kind == SWEEP_JOB)))) == 1


@pytest.mark.parametrize("workers", [6])
def test_concurrent_assignment_never_exceeds_capacity(desk: Desk, workers: int) -> None:
    """Several workers assign at once, all wanting the one agent with room for three."""
    desk.strategy("least_loaded")
    ana = desk.agent("ana", capacity={"social": 3})
    # A second team shares ana, so team locks alone cannot serialize the workers.
    with desk.app.db.session() as s:
        other = create_team(s, desk.workspace_id, "Social")
        other.assignment_strategy = "least_loaded"
        agent = s.get_one(User, ana)
        agent.teams.append(other)
        other_id = other.id
    convs = [desk.conversation(team_id=desk.team_id if i % 2 else other_id) for i in range(workers)]
    barrier = threading.Barrier(workers)
    results: list[int | None] = []
    errors: list[BaseException] = []

    def work(conversation_id: int) -> None:
        try:
            barrier.wait(timeout=30)
            with desk.app.db.session() as s:
                results.append(auto_assign(s, desk.workspace_id, conversation_id))
        except BaseException as exc:  # reported below, on the test's thread
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(c,)) for c in convs]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert not errors, errors
    assert sorted(r for r in results if r is not None) == [ana, ana, ana]
    assert sum(1 for c in convs if desk.assignee(c) == ana) == 3


def test_agents_manage_only_their_own_availability() -> None:
    check_may_manage("agent", 5, 5)
    check_may_manage("supervisor", 1, 5)
    with pytest.raises(Forbidden):
        check_may_manage("agent", 4, 5)


def test_bad_agent_settings_change_nothing(desk: Desk) -> None:
    ana = desk.agent("ana", online=False, capacity={"social": 4})
    with pytest.raises(InvalidInput), desk.app.db.session() as s:
        update_agent(
            s,
            desk.workspace_id,
            ana,
            capacity={"social": 9},
            shifts=[{"day": "mon", "start": "18:00", "end": "09:00"}],
        )
    with pytest.raises(InvalidInput, match="time zone"), desk.app.db.session() as s:
        update_agent(s, desk.workspace_id, ana, shift_timezone="Mars/Olympus")
    with desk.app.db.read_session() as s:
        user = s.get_one(User, ana)
        assert user.capacity == {"social": 4} and user.shifts == []
        assert user.shift_timezone == "UTC"


# --- helpers ---------------------------------------------------------------------------------


def _ctx(s: Any, desk: Desk, conv_ids: list[int], *, new: bool) -> RoutingContext:
    return RoutingContext(
        session=s,
        workspace_id=desk.workspace_id,
        now=utcnow(),
        message_ids=[],
        conversation_ids=conv_ids,
        new_conversation_ids=set(conv_ids) if new else set(),
        outcomes={},
    )


def _routed_to_team(desk: Desk, handle: str) -> int:
    """A customer writes; a stand-in rule puts new conversations into the team first."""

    def to_team(ctx: RoutingContext) -> None:
        for conv_id in ctx.new_conversation_ids:
            ctx.session.get_one(Conversation, conv_id).team_id = desk.team_id

    steps = desk.app.routing_steps
    steps.insert(0, to_team)
    try:
        return desk.customer_writes(handle)
    finally:
        steps.remove(to_team)


def _other_day(day: str) -> str:
    days = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
    return days[(days.index(day) + 3) % 7]
