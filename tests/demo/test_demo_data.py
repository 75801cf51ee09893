"""The demo generator: live-looking data made through the real services and ingest path."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from argon2 import PasswordHasher
from sqlalchemy import func, select
from typer.testing import CliRunner

from socialdesk.bootstrap import App
from socialdesk.cli import cli
from socialdesk.demo import ADMIN_EMAIL, DEMO_PASSWORD, STAFF, DemoSummary, build_plan, seed_demo
from socialdesk.demo.plan import AgentReply, CustomerMessage
from socialdesk.domain.errors import Conflict
from socialdesk.domain.types import ConversationStatus, Direction, EventType, Visibility
from socialdesk.jobs.queue import JobStatus
from socialdesk.services import accounts
from socialdesk.store.models import (
    Contact,
    Conversation,
    Event,
    Job,
    Message,
    Note,
    SandboxDelivery,
    Tag,
    User,
    conversation_tags,
)
from socialdesk.store.types import utcnow

SMALL = 16  # enough for every status (the plan guarantees each from four conversations on)


@pytest.fixture(autouse=True)
def cheap_password_hashing(monkeypatch: pytest.MonkeyPatch) -> None:
    """argon2 at production cost takes a quarter of a second per user; the demo has eight."""
    fast = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)
    monkeypatch.setattr(accounts, "_hasher", fast)


@pytest.fixture
def now() -> datetime:
    return utcnow()


def seed(app: App, now: datetime, conversations: int = SMALL, **kwargs: Any) -> DemoSummary:
    return seed_demo(app, conversations=conversations, now=now, **kwargs)


def test_the_admin_signs_in_with_the_demo_password(app: App, now: datetime) -> None:
    summary = seed(app, now, conversations=4)
    with app.db.read_session() as session:
        admin = session.scalar(
            select(User).where(User.workspace_id == summary.workspace_id, User.email == ADMIN_EMAIL)
        )
        assert admin is not None and admin.role == "admin"
        assert accounts.verify_password(admin, DEMO_PASSWORD)
        assert not accounts.verify_password(admin, "not-the-password")
        roles = sorted(
            session.scalars(select(User.role).where(User.workspace_id == summary.workspace_id))
        )
    assert roles == sorted(str(member.role) for member in STAFF)
    assert summary.admin_email == ADMIN_EMAIL and summary.password == DEMO_PASSWORD


def test_a_workspace_that_has_users_is_not_seeded_again(app: App, now: datetime) -> None:
    seed(app, now, conversations=4)
    with pytest.raises(Conflict):
        seed(app, now, conversations=4)


def test_conversations_cover_every_status(app: App, now: datetime) -> None:
    summary = seed(app, now)
    with app.db.read_session() as session:
        rows = session.execute(
            select(Conversation.status, Conversation.snoozed_until).where(
                Conversation.workspace_id == summary.workspace_id
            )
        ).all()
    assert {status for status, _ in rows} == set(ConversationStatus)
    assert len(rows) == SMALL
    snoozes = [until for status, until in rows if status == ConversationStatus.SNOOZED]
    assert snoozes and all(until is not None and until > now for until in snoozes)


def test_messages_are_public_and_private_and_some_conversations_have_both(
    app: App, now: datetime
) -> None:
    summary = seed(app, now)
    with app.db.read_session() as session:
        visibilities = set(
            session.scalars(
                select(Message.visibility).where(Message.workspace_id == summary.workspace_id)
            )
        )
        both = session.scalars(
            select(Conversation.id).where(
                Conversation.workspace_id == summary.workspace_id,
                Conversation.has_public.is_(True),
                Conversation.has_private.is_(True),
            )
        ).all()
        assert both
        in_first = set(
            session.scalars(select(Message.visibility).where(Message.conversation_id == both[0]))
        )
    assert visibilities == {Visibility.PUBLIC, Visibility.PRIVATE}
    assert in_first == {Visibility.PUBLIC, Visibility.PRIVATE}


def test_agent_replies_are_delivered_to_the_sandbox(app: App, now: datetime) -> None:
    summary = seed(app, now)
    with app.db.read_session() as session:
        replies = session.execute(
            select(
                Message.delivery_state, Message.platform_message_id, Message.author_user_id
            ).where(
                Message.workspace_id == summary.workspace_id,
                Message.direction == Direction.OUT,
            )
        ).all()
        deliveries = session.scalar(select(func.count()).select_from(SandboxDelivery))
        unfinished = session.scalar(
            select(func.count())
            .select_from(Job)
            .where(Job.status != JobStatus.DONE, Job.run_at <= utcnow())
        )
    assert replies
    assert all(state == "sent" and pmid and author for state, pmid, author in replies)
    assert deliveries == len(replies)
    assert unfinished == 0


def test_agent_replies_keep_their_planned_times(app: App, now: datetime) -> None:
    summary = seed(app, now)
    with app.db.read_session() as session:
        replies = session.execute(
            select(Message.platform_time, Event.occurred_at)
            .join(Event, Event.message_id == Message.id)
            .where(
                Message.workspace_id == summary.workspace_id,
                Message.direction == Direction.OUT,
                Event.type == EventType.MESSAGE_OUT,
            )
        ).all()
    assert replies
    assert all(sent == logged and sent <= now for sent, logged in replies)
    assert min(sent for sent, _ in replies) < now - timedelta(hours=1)


def test_every_message_has_its_event(app: App, now: datetime) -> None:
    summary = seed(app, now)
    with app.db.read_session() as session:
        messages = session.execute(
            select(Message.id, Message.direction).where(
                Message.workspace_id == summary.workspace_id
            )
        ).all()
        events = dict(
            session.execute(
                select(Event.message_id, Event.type).where(
                    Event.workspace_id == summary.workspace_id,
                    Event.type.in_([EventType.MESSAGE_IN, EventType.MESSAGE_OUT]),
                )
            ).all()
        )
        changes = set(
            session.scalars(select(Event.type).where(Event.workspace_id == summary.workspace_id))
        )
    assert messages
    for message_id, direction in messages:
        expected = EventType.MESSAGE_IN if direction == Direction.IN else EventType.MESSAGE_OUT
        assert events.get(message_id) == expected
    assert {EventType.ASSIGNED, EventType.TAGS_CHANGED, EventType.STATUS_CHANGED} <= changes


def test_texts_are_not_all_the_same(app: App, now: datetime) -> None:
    summary = seed(app, now)
    with app.db.read_session() as session:
        texts = list(
            session.scalars(
                select(Message.text).where(Message.workspace_id == summary.workspace_id)
            )
        )
    assert len(texts) > SMALL
    assert len(set(texts)) / len(texts) > 0.9


def _fingerprint(app: App, workspace_id: int) -> dict[str, Any]:
    """What a person would see, without ids that differ between two runs."""
    with app.db.read_session() as session:
        messages = session.execute(
            select(
                Message.platform_time,
                Message.direction,
                Message.visibility,
                Message.text,
                Contact.name,
            )
            .join(Contact, Contact.id == Message.contact_id)
            .where(Message.workspace_id == workspace_id)
            .order_by(Message.platform_time, Message.text)
        ).all()
        conversations = session.execute(
            select(
                Conversation.last_message_at,
                Conversation.status,
                Conversation.priority,
                Conversation.snoozed_until,
                User.email,
            )
            .outerjoin(User, User.id == Conversation.assignee_id)
            .where(Conversation.workspace_id == workspace_id)
            .order_by(Conversation.last_message_at)
        ).all()
        tags = session.execute(
            select(Conversation.last_message_at, Tag.name)
            .join(conversation_tags, conversation_tags.c.conversation_id == Conversation.id)
            .join(Tag, Tag.id == conversation_tags.c.tag_id)
            .where(Conversation.workspace_id == workspace_id)
            .order_by(Conversation.last_message_at, Tag.name)
        ).all()
        notes = sorted(session.scalars(select(Note.body).where(Note.workspace_id == workspace_id)))
    return {"messages": messages, "conversations": conversations, "tags": tags, "notes": notes}


def test_the_same_seed_gives_the_same_data(app: App, now: datetime) -> None:
    first = seed(app, now, conversations=10, workspace="demo-a", seed=7)
    second = seed(app, now, conversations=10, workspace="demo-b", seed=7)
    assert _fingerprint(app, first.workspace_id) == _fingerprint(app, second.workspace_id)


# -- the plan alone (no database) ---------------------------------------------------------
def test_a_full_size_plan_reads_differently_from_message_to_message() -> None:
    plan = build_plan(seed=1, conversations=300, now=utcnow())
    texts = [
        step.text
        for script in plan.scripts
        for step in script.steps
        if isinstance(step, CustomerMessage | AgentReply)
    ]
    assert len(texts) > 900
    assert len(set(texts)) / len(texts) > 0.9


def test_a_plan_spreads_over_two_weeks_with_messages_in_the_last_hour() -> None:
    now = utcnow()
    plan = build_plan(seed=2, conversations=300, now=now)
    times = [step.at for script in plan.scripts for step in script.steps]
    inbound = [
        step.at
        for script in plan.scripts
        for step in script.steps
        if isinstance(step, CustomerMessage)
    ]
    assert all(now - timedelta(days=14) <= at <= now for at in times)
    assert min(times) < now - timedelta(days=10)
    assert sum(1 for at in inbound if at > now - timedelta(hours=1)) >= 5


def test_a_plan_has_other_languages_influencers_and_returning_customers() -> None:
    plan = build_plan(seed=3, conversations=300, now=utcnow())
    languages = {script.language for script in plan.scripts}
    influencers = [s.customer for s in plan.scripts if s.customer.influencer]
    handles = [script.customer.handle for script in plan.scripts]
    assert {"en", "es", "fr", "de"} <= languages
    assert influencers and all(c.followers >= 10_000 for c in influencers)
    assert len(set(handles)) < len(handles)  # some customers come back with a new case


def test_a_plan_depends_only_on_its_seed() -> None:
    now = utcnow()
    assert build_plan(seed=5, conversations=40, now=now) == build_plan(
        seed=5, conversations=40, now=now
    )
    assert build_plan(seed=5, conversations=40, now=now) != build_plan(
        seed=6, conversations=40, now=now
    )


# -- the command --------------------------------------------------------------------------
@pytest.fixture
def in_tmp_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    monkeypatch.chdir(tmp_path)
    yield tmp_path


def test_the_demo_command_seeds_and_prints_the_login(in_tmp_dir: Path) -> None:
    url = f"sqlite:///{in_tmp_dir / 'demo-cli.db'}"
    result = CliRunner().invoke(
        cli,
        ["demo", "--seed-only", "--conversations", "30"],
        env={"SOCIALDESK_DATABASE_URL": url},
    )
    assert result.exit_code == 0, result.output
    assert "30 conversations" in result.output
    assert ADMIN_EMAIL in result.output
    assert f"password: {DEMO_PASSWORD}" in result.output
    assert "Bearer sd_" in result.output
    assert "/api/v1/conversations" in result.output
    assert (in_tmp_dir / "demo-cli.db").exists()
    assert not (in_tmp_dir / "var").exists()  # a configured database is used as it is


def test_the_demo_command_never_overwrites_a_configured_database(in_tmp_dir: Path) -> None:
    url = f"sqlite:///{in_tmp_dir / 'shared.db'}"
    runner = CliRunner()
    args = ["demo", "--seed-only", "--conversations", "4"]
    env = {"SOCIALDESK_DATABASE_URL": url}
    assert runner.invoke(cli, args, env=env).exit_code == 0
    refused = runner.invoke(cli, args, env=env)
    kept = runner.invoke(cli, [*args, "--no-fresh"], env=env)
    assert refused.exit_code == 2
    assert "already has users" in refused.output
    assert kept.exit_code == 0, kept.output
    assert "keeping the demo data" in kept.output


def test_the_demo_command_starts_its_own_database_afresh(in_tmp_dir: Path) -> None:
    runner = CliRunner()
    env = {"SOCIALDESK_DATABASE_URL": "", "SOCIALDESK_VAR_DIR": str(in_tmp_dir / "var")}
    args = ["demo", "--seed-only", "--conversations", "4", "--password", "a-longer-secret"]
    first = runner.invoke(cli, args, env=env)
    again = runner.invoke(cli, args, env=env)
    assert first.exit_code == 0, first.output
    assert again.exit_code == 0, again.output
    assert (in_tmp_dir / "var" / "demo.db").exists()
    assert "password: a-longer-secret" in again.output
    assert "SOCIALDESK_DATABASE_URL=sqlite:///" in again.output  # how to reach it from the CLI


def test_no_demo_conversation_shows_a_breach_of_a_target_its_team_met(
    app: App, now: datetime
) -> None:
    seed(app, now, conversations=40)
    with app.db.read_session() as session:
        breaches = list(
            session.execute(
                select(Event.conversation_id, Event.occurred_at, Event.data).where(
                    Event.type == "sla.breached"
                )
            )
        )
        first_answers = dict(
            session.execute(select(Conversation.id, Conversation.first_response_at)).all()
        )
    assert breaches, "the demo should show some breached conversations"
    for conv_id, at, data in breaches:
        assert at <= now  # dated when it happened, in the replayed history
        if data["clock"] == "first_response":
            answered = first_answers[conv_id]
            # answered late, or not at all: never a breach of a target met in time
            assert answered is None or answered > at, (conv_id, at, answered)
