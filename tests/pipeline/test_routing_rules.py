"""Live messages through the real pipeline (sandbox webhook payloads, the ingest job): they are
enriched (language, sentiment, personal data) and routed by the workspace's rules, and the
routing steps receive the outcomes."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import select

from socialdesk.bootstrap import App
from socialdesk.channels.sandbox import SandboxCustomer
from socialdesk.domain.types import EventType
from socialdesk.pipeline.routing import RoutingContext
from socialdesk.services.accounts import create_team
from socialdesk.services.rules import RuleInput, create_rule, set_enabled
from socialdesk.services.sandbox import create_sandbox_account, inject
from socialdesk.services.tags import get_or_create_tags
from socialdesk.services.workspaces import get_or_create_workspace
from socialdesk.store.models import Contact, Conversation, Event, Message


class World:
    def __init__(self, app: App) -> None:
        self.app = app
        self.seen: list[RoutingContext] = []
        app.routing_steps.append(self.seen.append)  # a step that records what it was given
        with app.db.session() as session:
            self.workspace_id = get_or_create_workspace(session).id
            self.account_id = create_sandbox_account(
                session, self.workspace_id, name="Acme", handle="acmecare"
            ).id
            self.billing = create_team(session, self.workspace_id, "Billing ES").id

    def rule(
        self, name: str, conditions: list[dict[str, Any]], actions: list[dict[str, Any]]
    ) -> int:
        with self.app.db.session() as session:
            rule = create_rule(
                session,
                self.workspace_id,
                RuleInput(name=name, conditions=conditions, actions=actions, enabled=True),
            )
            return rule.id

    def customer(
        self, text: str, *, who: str = "maria", followers: int | None = None, kind: str = "post"
    ) -> Message:
        with self.app.db.session() as session:
            injected = inject(
                session,
                self.workspace_id,
                self.account_id,
                kind=kind,
                customer=SandboxCustomer(id=f"id-{who}", handle=who, followers=followers),
                text=text,
            )
        self.app.run_jobs_until_idle()
        with self.app.db.read_session() as session:
            message = session.scalar(
                select(Message).where(Message.platform_message_id == injected.message_id)
            )
            assert message is not None
            session.expunge(message)
            return message

    def conversation(self, conversation_id: int | None) -> tuple[Conversation, list[str]]:
        with self.app.db.read_session() as session:
            conv = session.get(Conversation, conversation_id)
            assert conv is not None
            tags = [t.name for t in conv.tags]
            session.expunge(conv)
            return conv, tags

    def events(self, conversation_id: int | None, type_: EventType) -> list[dict[str, Any]]:
        with self.app.db.read_session() as session:
            return [
                {"actor": e.actor_kind, **e.data}
                for e in session.scalars(
                    select(Event)
                    .where(Event.conversation_id == conversation_id, Event.type == type_.value)
                    .order_by(Event.id)
                )
            ]


@pytest.fixture
def world(app: App) -> World:
    return World(app)


# The sentiment lexicon is English: in other languages only emoji and emoticons count.
ANGRY_SPANISH = (
    "Llevo tres semanas esperando el reembolso y nadie me responde, es una vergüenza 😡😡 "
    "Escribidme a maria@example.com"
)


def test_a_sandbox_message_is_enriched(world: World) -> None:
    message = world.customer(ANGRY_SPANISH, followers=50_000)
    assert message.language == "es"
    assert message.sentiment == "negative"
    assert message.sentiment_score is not None and message.sentiment_score < -0.2
    assert message.pii_kinds == ["email"]
    happy = world.customer("Thank you so much, the new router works perfectly!", who="tom")
    assert (happy.language, happy.sentiment, happy.pii_kinds) == ("en", "positive", [])
    assert happy.sentiment_score is not None and happy.sentiment_score > 0.2


def test_rules_route_an_angry_spanish_refund_from_an_influencer(world: World) -> None:
    rule_id = world.rule(
        "Spanish refunds",
        [
            {"field": "language", "op": "in", "value": ["es"]},
            {"field": "sentiment", "op": "in", "value": ["negative"]},
            {"field": "influence", "op": "at_least", "value": "high"},
            {"field": "text", "op": "matches", "value": 'reembols* OR refund NOT "job offer"'},
        ],
        [
            {"type": "set_team", "value": world.billing},
            {"type": "set_priority", "value": "high"},
            {"type": "add_tags", "value": ["refund", "Spanish"]},
            {"type": "assign", "value": "auto"},
            {"type": "stop"},
        ],
    )
    other = world.rule("Everything else", [], [{"type": "set_priority", "value": "low"}])
    message = world.customer(ANGRY_SPANISH, followers=50_000)
    conv, tags = world.conversation(message.conversation_id)
    assert (conv.team_id, conv.priority) == (world.billing, "high")
    assert tags == ["refund", "spanish"]
    team_events = world.events(conv.id, EventType.TEAM_CHANGED)
    assert team_events == [
        {"actor": "system", "from": None, "to": world.billing, "by": "rules", "rule_ids": [rule_id]}
    ]
    assert world.events(conv.id, EventType.PRIORITY_CHANGED)[-1]["to"] == "high"
    assert world.events(conv.id, EventType.TAGS_CHANGED)[-1]["added"] == ["refund", "spanish"]
    # the steps saw the outcome (stop: the catch-all rule did not run)
    ctx = world.seen[-1]
    outcome = ctx.outcomes[conv.id]
    assert outcome.matched_rule_ids == [rule_id]
    assert (outcome.team_id, outcome.priority, outcome.assign) == (world.billing, "high", "auto")
    assert outcome.language == "es"
    assert ctx.message_ids == [message.id] and ctx.new_conversation_ids == {conv.id}

    # a small account writing the same thing is not an influencer: the catch-all applies
    small = world.customer(ANGRY_SPANISH.replace("maria@", "pepe@"), who="pepe", followers=20)
    conv2, tags2 = world.conversation(small.conversation_id)
    assert (conv2.team_id, conv2.priority, tags2) == (None, "low", [])
    assert world.seen[-1].outcomes[conv2.id].matched_rule_ids == [other]


def test_disabled_rules_do_not_run_and_spam_is_resolved(world: World) -> None:
    spam = world.rule(
        "Job spam",
        [{"field": "text", "op": "matches", "value": '"job offer"'}],
        [{"type": "mark_spam"}, {"type": "stop"}],
    )
    message = world.customer("Amazing JOB OFFER, earn $$$ from home", who="bot1")
    conv, tags = world.conversation(message.conversation_id)
    assert conv.status == "resolved" and tags == ["spam"]
    assert world.seen[-1].outcomes[conv.id].spam is True
    assert world.events(conv.id, EventType.STATUS_CHANGED)[-1]["reason"] == "spam"
    with world.app.db.session() as session:
        set_enabled(session, world.workspace_id, spam, False)
    again = world.customer("Another job offer for you", who="bot2")
    conv2, tags2 = world.conversation(again.conversation_id)
    assert conv2.status == "open" and tags2 == []
    assert world.seen[-1].outcomes[conv2.id].matched_rule_ids == []


def test_contact_history_tags_and_tier_are_facts(world: World) -> None:
    first = world.customer("hello, quick question about my plan", who="vera")
    with world.app.db.session() as session:
        contact = session.get(Contact, first.contact_id)
        assert contact is not None
        contact.crm_tier = "gold"
        contact.tags = get_or_create_tags(session, world.workspace_id, ["vip"])
        conv = session.get(Conversation, first.conversation_id)
        assert conv is not None
        conv.status = "resolved"
        conv.resolved_at = datetime.now(UTC) - timedelta(minutes=1)
    world.rule(
        "Returning VIPs",
        [
            {"field": "contact_tags", "op": "any", "value": ["vip"]},
            {"field": "crm_tier", "op": "in", "value": ["gold"]},
            {"field": "earlier_conversations", "op": "gte", "value": 1},
            {"field": "conversation", "op": "is", "value": "new"},
        ],
        [{"type": "set_priority", "value": "urgent"}],
    )
    # a new public post (not a reply) after the first conversation was resolved opens a new one
    second = world.customer("my internet is down again", who="vera")
    assert second.conversation_id != first.conversation_id
    conv2, _ = world.conversation(second.conversation_id)
    assert conv2.priority == "urgent"
    # the same contact's next message in that conversation is not "new": priority stays
    with world.app.db.session() as session:
        stored = session.get(Conversation, second.conversation_id)
        assert stored is not None
        stored.priority = "normal"
    world.customer("still down", who="vera")
    conv3, _ = world.conversation(second.conversation_id)
    assert conv3.priority == "normal"
