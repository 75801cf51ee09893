"""What the SLA service tests share: a workspace with a sandbox account, an agent, a policy,
and a customer who writes at chosen (past) times through the real ingest pipeline."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select

from socialdesk.bootstrap import App
from socialdesk.channels.sandbox import SandboxCustomer
from socialdesk.domain.sla import SlaTarget
from socialdesk.services.accounts import create_user
from socialdesk.services.sandbox import create_sandbox_account, inject
from socialdesk.services.sla import PolicySpec, create_policy
from socialdesk.services.workspaces import get_or_create_workspace
from socialdesk.store.models import Conversation, Event, Message

MINUTE = timedelta(minutes=1)


@dataclass
class SlaDesk:
    app: App
    workspace_id: int
    account_id: int
    agent_id: int

    def policy(
        self,
        *,
        first: int | None = 60,
        next_: int | None = 30,
        resolution: int | None = 480,
        default: bool = True,
        name: str = "Standard",
        calendar_id: int | None = None,
        priority: str | None = None,
    ) -> int:
        """A policy with targets in minutes (None: no such target)."""

        def span(minutes: int | None) -> timedelta | None:
            return timedelta(minutes=minutes) if minutes is not None else None

        with self.app.db.session() as session:
            policy = create_policy(
                session,
                self.workspace_id,
                PolicySpec(
                    name=name,
                    targets=[
                        SlaTarget(
                            priority=priority,
                            first_response=span(first),
                            next_response=span(next_),
                            resolution=span(resolution),
                        )
                    ],
                    calendar_id=calendar_id,
                    is_default=default,
                ),
            )
            return policy.id

    def customer_writes(self, at: datetime, text: str = "my order is late", who: str = "c1") -> int:
        """The customer writes at ``at``; returns the conversation id once ingested."""
        with self.app.db.session() as session:
            injected = inject(
                session,
                self.workspace_id,
                self.account_id,
                kind="dm",
                customer=SandboxCustomer(id=who, handle=who),
                text=text,
                time=at,
            )
        self.ingest()
        with self.app.db.read_session() as session:
            conv_id = session.scalar(
                select(Message.conversation_id).where(
                    Message.platform_message_id == injected.message_id
                )
            )
        assert conv_id is not None
        return conv_id

    def ingest(self) -> None:
        """Let the workers run what is due now (ingest; SLA jobs due in the past too)."""
        self.app.run_jobs_until_idle()

    def conversation(self, conv_id: int) -> Conversation:
        with self.app.db.read_session() as session:
            conv = session.get(Conversation, conv_id)
            assert conv is not None
            session.expunge(conv)
            return conv

    def events(self, conv_id: int, prefix: str = "sla.") -> list[Event]:
        with self.app.db.read_session() as session:
            rows = list(
                session.scalars(
                    select(Event)
                    .where(Event.conversation_id == conv_id, Event.type.startswith(prefix))
                    .order_by(Event.id)
                )
            )
            for row in rows:
                session.expunge(row)
            return rows


def make_desk(app: App) -> SlaDesk:
    with app.db.session() as session:
        ws = get_or_create_workspace(session, "acme").id
        account = create_sandbox_account(session, ws, name="Acme care", handle="acmecare").id
        agent = create_user(session, ws, email="ana@acme.test", name="Ana", password=None).id
    return SlaDesk(app=app, workspace_id=ws, account_id=account, agent_id=agent)
