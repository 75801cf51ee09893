"""Issue 5 end to end, on SQLite and PostgreSQL: an angry public message in Spanish from a contact
with 50,000 followers asking for a refund arrives through the sandbox channel and the real
pipeline; it is enriched, routed by rules made through the rules service to the Spanish-speaking
billing team at high priority, assigned to the online agent who speaks Spanish, put under the
right SLA policy, and - nobody answering - warned at 80 % and breached at 100 % of its first
response target, visibly: in the REST API's events and in the inbox's "Breaching SLA" view.

Time moves by a clock the test controls: the scheduled ``sla.check`` jobs are claimed by the real
worker when the clock reaches their ``run_at``, and decide with that same clock whether the clock
is really due (``jobs.queue``, ``services.sla`` and ``services.inbox`` read it).
"""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from socialdesk.bootstrap import App
from socialdesk.channels.sandbox import SandboxCustomer
from socialdesk.domain.influence import influence
from socialdesk.domain.sla import SlaTarget
from socialdesk.domain.types import EventType
from socialdesk.jobs import queue
from socialdesk.services import inbox as inbox_service
from socialdesk.services import sla as sla_service
from socialdesk.services.accounts import create_team, create_token, create_user
from socialdesk.services.assignment import set_availability, update_agent, update_team
from socialdesk.services.events import Actor
from socialdesk.services.inbox import InboxQuery, inbox_page, view_counts
from socialdesk.services.rules import RuleInput, create_rule
from socialdesk.services.sandbox import create_sandbox_account, inject
from socialdesk.services.sla import SLA_BREACHED, SLA_JOB, SLA_WARNING, PolicySpec, create_policy
from socialdesk.services.workspaces import get_or_create_workspace
from socialdesk.store.models import ContactIdentity, Conversation, Event, Job, Message, Team
from socialdesk.store.types import utcnow
from socialdesk.web.app import create_app

MINUTE = timedelta(minutes=1)
HIGH_FIRST_RESPONSE = 30 * MINUTE  # the billing policy's target for high priority
ANGRY_REFUND = (
    "¡Es una vergüenza! Llevo tres semanas esperando el reembolso de mi pedido y nadie me "
    "contesta. Pésimo servicio, quiero mi dinero ya. Refund NOW"
)


class Clock:
    """The time the SLA jobs, the job queue and the inbox see: the real time, moved forward by
    :meth:`set` (it keeps running from there, so jobs queued at the real time stay due)."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self._offset = timedelta(0)
        for module in (queue, sla_service, inbox_service):
            monkeypatch.setattr(module, "utcnow", self.read)

    def read(self) -> datetime:
        return utcnow() + self._offset

    def set(self, at: datetime) -> None:
        now = self.read()
        assert at >= now, "time only moves forward"
        self._offset += at - now


class Desk:
    """The workspace of the issue: a billing team for Spanish speakers, three agents, an SLA
    policy for billing, a default policy, and the routing rule."""

    def __init__(self, app: App) -> None:
        self.app = app
        with app.db.session() as s:
            ws = get_or_create_workspace(s, "acme")
            self.workspace_id = ws.id
            self.account_id = create_sandbox_account(s, ws.id, name="Acme", handle="acmecare").id
            self.team_id = create_team(s, ws.id, "Billing ES").id
            update_team(s, ws.id, self.team_id, strategy="skills", kind="function")
            # Lower ids win ties among equally loaded agents: the ones who must NOT get the
            # conversation come first.
            self.olga = self._agent(s, "olga", languages=["es", "en"], online=False)
            self.tom = self._agent(s, "tom", languages=["en"], online=True)
            self.lucia = self._agent(s, "lucia", languages=["es", "en"], online=True)
            self.standard_policy = create_policy(
                s,
                ws.id,
                PolicySpec(
                    name="Standard",
                    is_default=True,
                    targets=[SlaTarget(first_response=8 * 60 * MINUTE)],
                ),
            ).id
            self.billing_policy = create_policy(
                s,
                ws.id,
                PolicySpec(
                    name="Billing ES",
                    targets=[
                        SlaTarget(first_response=4 * 60 * MINUTE),
                        SlaTarget(priority="high", first_response=HIGH_FIRST_RESPONSE),
                    ],
                ),
            ).id
            self.rule_id = create_rule(
                s,
                ws.id,
                RuleInput(
                    name="Spanish refunds from influencers",
                    enabled=True,
                    conditions=[
                        {"field": "language", "op": "in", "value": ["es"]},
                        {
                            "field": "text",
                            "op": "matches",
                            "value": "refund OR reembolso OR devolución",
                        },
                        {"field": "followers", "op": "gte", "value": 50_000},
                        {"field": "influence", "op": "at_least", "value": "high"},
                        {"field": "sentiment", "op": "in", "value": ["negative"]},
                    ],
                    actions=[
                        {"type": "set_team", "value": self.team_id},
                        {"type": "set_priority", "value": "high"},
                        {"type": "set_sla_policy", "value": self.billing_policy},
                        {"type": "assign", "value": "auto"},
                    ],
                ),
            ).id
            self.token = create_token(s, ws.id, name="e2e").secret

    def _agent(self, s: Session, name: str, *, languages: list[str], online: bool) -> int:
        user = create_user(s, self.workspace_id, email=f"{name}@acme.test", name=name.title())
        user.teams.append(s.get_one(Team, self.team_id))
        update_agent(s, self.workspace_id, user.id, languages=languages, capacity={"social": 3})
        if online:
            set_availability(s, self.workspace_id, user.id, "online", Actor.system())
        return int(user.id)

    def customer_posts(self, text: str, *, at: datetime, followers: int, who: str) -> Message:
        with self.app.db.session() as s:
            injected = inject(
                s,
                self.workspace_id,
                self.account_id,
                kind="post",
                customer=SandboxCustomer(id=f"id-{who}", handle=who, followers=followers),
                text=text,
                time=at,
            )
        self.app.run_jobs_until_idle()
        with self.app.db.read_session() as s:
            message = s.scalar(
                select(Message).where(Message.platform_message_id == injected.message_id)
            )
            assert message is not None, "the sandbox post was not ingested"
            s.expunge(message)
            return message

    def conversation(self, conv_id: int) -> Conversation:
        with self.app.db.read_session() as s:
            conv = s.get(Conversation, conv_id)
            assert conv is not None
            s.expunge(conv)
            return conv

    def events(self, conv_id: int, *types: str) -> list[Event]:
        with self.app.db.read_session() as s:
            rows = list(
                s.scalars(
                    select(Event)
                    .where(Event.conversation_id == conv_id, Event.type.in_(types))
                    .order_by(Event.id)
                )
            )
            for row in rows:
                s.expunge(row)
            return rows

    def sla_jobs(self, conv_id: int) -> dict[str, datetime]:
        """Scheduled ``sla.check`` jobs of the first-response clock, by level."""
        with self.app.db.read_session() as s:
            jobs = s.scalars(select(Job).where(Job.kind == SLA_JOB)).all()
            return {
                j.payload["level"]: j.run_at
                for j in jobs
                if j.payload["conversation_id"] == conv_id
                and j.payload["clock"] == "first_response"
            }

    def inbox(self, view: str, sort: str = "due") -> list[int]:
        with self.app.db.read_session() as s:
            rows, _, _ = inbox_page(
                s, self.workspace_id, self.lucia, InboxQuery(view=view, sort=sort)
            )
            return [c.id for c in rows]

    def counts(self) -> dict[str, int]:
        with self.app.db.read_session() as s:
            return view_counts(s, self.workspace_id, self.lucia)


def _sla_types(desk: Desk, conv_id: int) -> list[str]:
    return [e.type for e in desk.events(conv_id, SLA_WARNING, SLA_BREACHED)]


def test_angry_spanish_refund_from_an_influencer_is_routed_assigned_and_breaches(
    app: App, monkeypatch: pytest.MonkeyPatch
) -> None:
    desk = Desk(app)
    clock = Clock(monkeypatch)
    t0 = clock.read().replace(microsecond=0) - MINUTE  # the platform's time of the post

    message = desk.customer_posts(ANGRY_REFUND, at=t0, followers=50_000, who="maria_g")

    # 1. enrichment
    assert message.language == "es"
    assert message.sentiment == "negative"
    assert message.sentiment_score is not None and message.sentiment_score < -0.3
    assert message.conversation_id is not None
    conv_id = message.conversation_id
    with app.db.read_session() as s:
        identity = s.scalars(
            select(ContactIdentity).where(ContactIdentity.contact_id == message.contact_id)
        ).one()
        assert (identity.handle, identity.followers) == ("maria_g", 50_000)
        assert influence(identity.followers, identity.verified).level == "high"

    # 2. routing by the rule: team, priority, policy
    conv = desk.conversation(conv_id)
    assert (conv.team_id, conv.priority) == (desk.team_id, "high")
    assert conv.sla_policy_id == desk.billing_policy
    team_events = desk.events(conv_id, EventType.TEAM_CHANGED.value)
    assert [(e.data["to"], e.data["rule_ids"]) for e in team_events] == [
        (desk.team_id, [desk.rule_id])
    ]

    # 3. assignment: the online Spanish speaker, not the online English-only agent (lower id,
    #    equally idle) nor the offline Spanish speaker
    assert conv.assignee_id == desk.lucia
    assigned = desk.events(conv_id, EventType.ASSIGNED.value)
    assert [(e.data["from"], e.data["to"]) for e in assigned] == [(None, desk.lucia)]
    assert "speaks es" in assigned[0].data["reason"]

    # 4. the SLA: the billing policy's high-priority first-response target, from the post's time
    assert conv.first_response_started_at == t0
    assert conv.first_response_due_at == t0 + HIGH_FIRST_RESPONSE
    assert conv.sla_due_at == t0 + HIGH_FIRST_RESPONSE
    warn_at = t0 + HIGH_FIRST_RESPONSE * 0.8
    assert conv.sla_warn_at == warn_at
    assert desk.sla_jobs(conv_id) == {"warning": warn_at, "breach": t0 + HIGH_FIRST_RESPONSE}
    assert _sla_types(desk, conv_id) == []
    assert conv_id not in desk.inbox("breaching")
    assert conv_id in desk.inbox("mine")

    # 5. nobody answers. Just before 80 %: nothing is due yet.
    clock.set(warn_at - MINUTE)
    app.run_jobs_until_idle()
    assert _sla_types(desk, conv_id) == []
    assert desk.counts()["breaching"] == 0

    # at 80 % the warning fires, once, and the conversation shows as breaching soon
    clock.set(warn_at)
    app.run_jobs_until_idle()
    app.run_jobs_until_idle()
    warning = desk.events(conv_id, SLA_WARNING)
    assert [e.type for e in warning] == [SLA_WARNING]
    assert warning[0].data["clock"] == "first_response"
    assert warning[0].data["policy_id"] == desk.billing_policy
    assert warning[0].data["target_seconds"] == HIGH_FIRST_RESPONSE.total_seconds()
    assert desk.inbox("breaching") == [conv_id]
    assert desk.counts()["breaching"] == 1

    # still within the target a minute before 100 %: no breach
    clock.set(t0 + HIGH_FIRST_RESPONSE - MINUTE)
    app.run_jobs_until_idle()
    assert _sla_types(desk, conv_id) == [SLA_WARNING]

    # at 100 %: the breach, once
    clock.set(t0 + HIGH_FIRST_RESPONSE + 5 * MINUTE)
    app.run_jobs_until_idle()
    app.run_jobs_until_idle()
    assert _sla_types(desk, conv_id) == [SLA_WARNING, SLA_BREACHED]
    breach = desk.events(conv_id, SLA_BREACHED)[0]
    assert breach.data["due_at"] == (t0 + HIGH_FIRST_RESPONSE).isoformat()
    assert breach.data["policy"] == "Billing ES"
    conv = desk.conversation(conv_id)
    assert sorted(conv.sla_notified) == ["first_response:breach", "first_response:warning"]
    assert (conv.assignee_id, conv.status) == (desk.lucia, "open")

    # 6. visible: in the conversation's events through the REST API ...
    with TestClient(create_app(app, run_workers=False)) as client:
        response = client.get(
            f"/api/v1/conversations/{conv_id}",
            headers={"Authorization": f"Bearer {desk.token}"},
        )
    assert response.status_code == 200, response.text
    detail = response.json()
    assert (detail["team_id"], detail["priority"], detail["assignee_id"]) == (
        desk.team_id,
        "high",
        desk.lucia,
    )
    assert (detail["language"], detail["sentiment"]) == ("es", "negative")
    api_events = [e for e in detail["events"] if e["type"].startswith("sla.")]
    assert [e["type"] for e in api_events] == ["sla.warning", "sla.breached"]
    assert api_events[1]["data"]["clock"] == "first_response"
    assert api_events[1]["actor"]["kind"] == "system"

    # ... and in the inbox's breaching view, first by time left
    assert desk.inbox("breaching") == [conv_id]
    assert desk.inbox("all", sort="due")[0] == conv_id


def test_the_same_message_from_a_small_account_takes_the_default_path(
    app: App, monkeypatch: pytest.MonkeyPatch
) -> None:
    desk = Desk(app)
    clock = Clock(monkeypatch)
    t0 = clock.read().replace(microsecond=0) - MINUTE

    message = desk.customer_posts(ANGRY_REFUND, at=t0, followers=120, who="pepe")

    assert (message.language, message.sentiment) == ("es", "negative")
    assert message.conversation_id is not None
    conv = desk.conversation(message.conversation_id)
    assert conv.team_id is None and conv.priority == "normal"
    assert conv.sla_policy_id == desk.standard_policy
    assert conv.first_response_due_at == t0 + 8 * 60 * MINUTE
    assert conv.assignee_id is None

    # 40 minutes later (past the billing target, far from the standard one): no SLA event
    clock.set(t0 + 40 * MINUTE)
    app.run_jobs_until_idle()
    assert _sla_types(desk, conv.id) == []
    assert conv.id not in desk.inbox("breaching")
