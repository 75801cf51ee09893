"""Plays a demo plan through the real services, so demo data is exactly what live use makes.

Customers' posts and DMs go in through the sandbox channel (raw event → ingest job), agents
answer with :func:`~socialdesk.services.replies.reply` (outbox → delivery job), and triage,
tags, notes and statuses go through the conversation services: every row has its events.
Each customer's steps are played in time order. Jobs are drained only when a step needs their
result (the conversation an inbound message opened, the platform id of a delivered reply), and
then for many customers at once: that keeps ~300 conversations within seconds on SQLite.

Every step carries its planned time (``at=``), so messages, triage, tags, notes and status
changes read as a history; only delivery receipts are stamped with the time of seeding.
"""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from socialdesk.bootstrap import App
from socialdesk.channels.sandbox import SandboxCustomer
from socialdesk.demo.people import ACCOUNTS, ADMIN_EMAIL, BRAND, STAFF, TEAMS
from socialdesk.demo.plan import (
    AgentReply,
    ConversationChange,
    ConversationScript,
    CustomerMessage,
    InternalNote,
    Step,
    TagChange,
    build_plan,
)
from socialdesk.domain.errors import Conflict
from socialdesk.domain.sla import SlaTarget
from socialdesk.jobs.worker import Worker
from socialdesk.services.accounts import create_team, create_user
from socialdesk.services.conversations import add_note, change_tags, update_conversation
from socialdesk.services.events import Actor
from socialdesk.services.replies import reply
from socialdesk.services.sandbox import create_sandbox_account, inject
from socialdesk.services.sla import SLA_JOB, PolicySpec, create_policy
from socialdesk.services.workspaces import DEFAULT_WORKSPACE, get_or_create_workspace
from socialdesk.store.models import Conversation, Message, User, Workspace
from socialdesk.store.types import utcnow

__all__ = ["DEFAULT_SEED", "DEMO_PASSWORD", "DemoSummary", "seed_demo", "workspace_has_users"]

DEFAULT_SEED = 20240501
DEMO_PASSWORD = "socialdesk-demo"
_MAX_STEPS_PER_TRANSACTION = 2000
_MAX_WAITING_CUSTOMERS = 60

ProgressCallback = Callable[[int, int], None]


@dataclass(frozen=True)
class DemoSummary:
    workspace_id: int
    workspace: str
    admin_email: str
    password: str
    staff: tuple[tuple[str, str, str], ...]  # email, name, role
    accounts: tuple[str, ...]  # sandbox handles
    conversations: int
    messages: int
    by_status: dict[str, int]
    seconds: float


# The demo brand's default SLA, around the clock: answer within an hour (15 minutes when
# urgent, 30 when high), answer follow-ups within two hours, resolve within a day.
DEMO_SLA_POLICY = PolicySpec(
    name="Standard care",
    is_default=True,
    targets=[
        SlaTarget(
            first_response=timedelta(hours=1),
            next_response=timedelta(hours=2),
            resolution=timedelta(hours=24),
        ),
        SlaTarget(
            priority="high",
            first_response=timedelta(minutes=30),
            next_response=timedelta(hours=1),
            resolution=timedelta(hours=12),
        ),
        SlaTarget(
            priority="urgent",
            first_response=timedelta(minutes=15),
            next_response=timedelta(minutes=30),
            resolution=timedelta(hours=4),
        ),
    ],
)


def workspace_has_users(app: App, slug: str) -> bool:
    """Whether ``slug`` exists and already has people in it (the demo fills only empty ones)."""
    with app.db.read_session() as session:
        found = session.scalar(
            select(User.id)
            .join(Workspace, Workspace.id == User.workspace_id)
            .where(Workspace.slug == slug)
            .limit(1)
        )
    return found is not None


def seed_demo(
    app: App,
    *,
    workspace: str = DEFAULT_WORKSPACE,
    conversations: int = 300,
    password: str = DEMO_PASSWORD,
    seed: int = DEFAULT_SEED,
    now: datetime | None = None,
    on_progress: ProgressCallback | None = None,
) -> DemoSummary:
    """Fill an empty workspace with the demo team, accounts and ``conversations`` cases."""
    started = time.perf_counter()
    plan = build_plan(seed=seed, conversations=conversations, now=now or utcnow())
    with app.db.session() as session:
        ws = get_or_create_workspace(session, workspace, name=f"{BRAND} (demo)")
        if session.scalar(select(User.id).where(User.workspace_id == ws.id).limit(1)):
            raise Conflict(
                f"workspace {workspace!r} already has users; the demo only fills an empty one"
            )
        teams = {name: create_team(session, ws.id, name) for name in TEAMS}
        users: dict[str, int] = {}
        for member in STAFF:
            user = create_user(
                session,
                ws.id,
                email=member.email,
                name=member.name,
                role=member.role,
                password=password,
            )
            for team_name in member.teams:
                teams[team_name].members.append(user)
            users[member.email] = user.id
        accounts = {
            account.handle: create_sandbox_account(
                session, ws.id, name=account.name, handle=account.handle
            ).id
            for account in ACCOUNTS
        }
        create_policy(session, ws.id, DEMO_SLA_POLICY)
        workspace_id = ws.id
        team_ids = {name: team.id for name, team in teams.items()}
    player = _Player(app, workspace_id, users, team_ids, accounts)
    player.play(plan.timeline(), on_progress)
    app.run_jobs_until_idle()  # the SLA checks now that every answer is in
    with app.db.read_session() as session:
        by_status = {
            status: count
            for status, count in session.execute(
                select(Conversation.status, func.count())
                .where(Conversation.workspace_id == workspace_id)
                .group_by(Conversation.status)
            )
        }
        messages = session.scalar(
            select(func.count()).select_from(Message).where(Message.workspace_id == workspace_id)
        )
    return DemoSummary(
        workspace_id=workspace_id,
        workspace=workspace,
        admin_email=ADMIN_EMAIL,
        password=password,
        staff=tuple((m.email, m.name, str(m.role)) for m in STAFF),
        accounts=tuple(accounts),
        conversations=sum(by_status.values()),
        messages=messages or 0,
        by_status=by_status,
        seconds=time.perf_counter() - started,
    )


class _Player:
    """Applies plan steps through the services and knows which jobs a step waits for."""

    def __init__(
        self,
        app: App,
        workspace_id: int,
        users: dict[str, int],
        teams: dict[str, int],
        accounts: dict[str, int],
    ) -> None:
        self.app = app
        self.workspace_id = workspace_id
        self.users = users
        self.teams = teams
        self.accounts = accounts
        self.latest_inbound: dict[int, str] = {}  # script → platform id of its latest message
        self.conversations: dict[int, tuple[str, int]] = {}  # script → (that id, conversation)
        self.own_posts: dict[int, str] = {}  # script → the customer's latest public post
        self.brand_replies: dict[int, int] = {}  # script → our latest public reply (message id)
        self.not_ingested: set[int] = set()
        self.not_delivered: set[int] = set()
        self._history_worker = Worker(app.db, app.registry.without(SLA_JOB))

    def play(
        self,
        timeline: Sequence[tuple[ConversationScript, Step]],
        on_progress: ProgressCallback | None,
    ) -> None:
        """Apply every step; a customer whose next step needs a job's result waits (with all
        their later steps) while other customers go on, and jobs are drained once enough
        customers wait. Each customer's steps keep their order, so threading is as live."""
        queue = deque(timeline)
        done, total = 0, len(timeline)
        while queue:
            waiting: list[tuple[ConversationScript, Step]] = []
            blocked: set[str] = set()
            with self.app.db.session() as session:
                applied = 0
                while queue and len(blocked) < _MAX_WAITING_CUSTOMERS:
                    script, step = queue.popleft()
                    customer = script.customer.external_id
                    if customer in blocked or self.waits_for_jobs(script, step):
                        blocked.add(customer)
                        waiting.append((script, step))
                        continue
                    self.apply(session, script, step)
                    applied += 1
                    if applied >= _MAX_STEPS_PER_TRANSACTION:
                        break
            queue.extendleft(reversed(waiting))
            done += applied
            self.run_jobs()
            if on_progress is not None:
                on_progress(done, total)

    def run_jobs(self) -> None:
        # SLA checks wait until the whole history is in: run now, a check would judge a
        # conversation (days old in the demo) before its agent's answer had been replayed.
        self._history_worker.run_until_idle()
        self.not_ingested.clear()
        self.not_delivered.clear()

    def waits_for_jobs(self, script: ConversationScript, step: Step) -> bool:
        if isinstance(step, CustomerMessage):
            return step.answers == "brand" and script.number in self.not_delivered
        return script.number in self.not_ingested

    def apply(self, session: Session, script: ConversationScript, step: Step) -> None:
        number = script.number
        if isinstance(step, CustomerMessage):
            self.customer_writes(session, script, step)
            return
        conversation_id = self.conversation(session, script)
        actor = Actor.agent(self.users[step.actor])
        ws = self.workspace_id
        if isinstance(step, AgentReply):
            message = reply(
                session,
                ws,
                conversation_id,
                actor,
                text=step.text,
                visibility=step.visibility,
                at=step.at,
            )
            if step.visibility == "public":
                self.brand_replies[number] = message.id
            self.not_delivered.add(number)
        elif isinstance(step, ConversationChange):
            changes: dict[str, Any] = {}
            if step.status is not None:
                changes["status"] = step.status
                changes["snoozed_until"] = step.snoozed_until
            if step.priority is not None:
                changes["priority"] = step.priority
            if step.assignee is not None:
                changes["assignee_id"] = self.users[step.assignee]
            if step.team is not None:
                changes["team_id"] = self.teams[step.team]
            update_conversation(session, ws, conversation_id, actor, at=step.at, **changes)
        elif isinstance(step, TagChange):
            change_tags(session, ws, conversation_id, actor, add=list(step.add), at=step.at)
        elif isinstance(step, InternalNote):
            add_note(session, ws, conversation_id, actor, step.body, at=step.at)

    def customer_writes(
        self, session: Session, script: ConversationScript, step: CustomerMessage
    ) -> None:
        number = script.number
        reply_to = None
        if step.answers == "brand" and number in self.brand_replies:
            reply_to = session.scalar(
                select(Message.platform_message_id).where(Message.id == self.brand_replies[number])
            )
        if step.answers is not None and reply_to is None:
            reply_to = self.own_posts.get(number)
        customer = script.customer
        inject(
            session,
            self.workspace_id,
            self.accounts[script.account],
            kind=step.kind,
            customer=SandboxCustomer(
                id=customer.external_id,
                handle=customer.handle,
                name=customer.name,
                followers=customer.followers,
                verified=customer.verified,
            ),
            text=step.text,
            reply_to=reply_to,
            message_id=step.message_id,
            time=step.at,
        )
        if step.kind == "post":
            self.own_posts[number] = step.message_id
        self.latest_inbound[number] = step.message_id
        self.not_ingested.add(number)

    def conversation(self, session: Session, script: ConversationScript) -> int:
        """The conversation the script's latest inbound message was threaded into."""
        number = script.number
        key = self.latest_inbound[number]
        cached = self.conversations.get(number)
        if cached is not None and cached[0] == key:
            return cached[1]
        conversation_id = session.scalar(
            select(Message.conversation_id).where(
                Message.channel_account_id == self.accounts[script.account],
                Message.platform_message_id == key,
            )
        )
        if conversation_id is None:
            raise RuntimeError(f"demo message {key} was not ingested into a conversation")
        self.conversations[number] = (key, conversation_id)
        return conversation_id
