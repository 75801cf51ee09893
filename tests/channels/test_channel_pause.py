"""Pausing a channel account: webhooks are still stored, but nothing is processed or sent until
it is resumed (services/channel_accounts.py, pipeline/intake.py, services/replies.py)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import select, update
from typer.testing import CliRunner
from x_support import MENTION_ID, XDesk, fixture

from socialdesk.bootstrap import App
from socialdesk.channels.sandbox import SandboxCustomer
from socialdesk.cli import cli
from socialdesk.config import get_settings
from socialdesk.jobs.queue import JobStatus
from socialdesk.services.channel_accounts import pause_account, resume_account
from socialdesk.services.events import Actor
from socialdesk.services.replies import reply
from socialdesk.services.sandbox import create_sandbox_account, inject
from socialdesk.store.models import ChannelAccount, Job, Message, RawEvent
from socialdesk.store.types import utcnow


def pause(x: XDesk) -> None:
    with x.app.db.session() as session:
        pause_account(session, x.workspace_id, x.account_id)


def resume(x: XDesk) -> None:
    with x.app.db.session() as session:
        resume_account(session, x.workspace_id, x.account_id)


def raw_statuses(app: App) -> list[str]:
    with app.db.read_session() as session:
        return list(session.scalars(select(RawEvent.status).order_by(RawEvent.id)))


def test_webhooks_of_a_paused_account_are_stored_but_not_processed(x: XDesk) -> None:
    pause(x)

    response = x.deliver(fixture("mention"))
    x.process()

    assert response.status_code == 200
    assert raw_statuses(x.app) == ["received"]
    assert x.messages() == []


def test_resuming_processes_what_arrived_while_paused(x: XDesk) -> None:
    pause(x)
    x.deliver(fixture("mention"))
    x.deliver(fixture("direct_message"))
    x.process()

    resume(x)
    x.process()

    assert raw_statuses(x.app) == ["processed", "processed"]
    assert [m.visibility for m in x.messages()] == ["public", "private"]
    assert len(x.conversations()) == 1


def _queued_reply(x: XDesk) -> int:
    x.deliver(fixture("mention"))
    x.process()
    [conversation] = x.conversations()
    with x.app.db.session() as session:
        return reply(
            session,
            x.workspace_id,
            conversation.id,
            Actor("api"),
            text="We're looking into it.",
            visibility="public",
        ).id


def _state(x: XDesk, message_id: int) -> str:
    with x.app.db.read_session() as session:
        message = session.get(Message, message_id)
        assert message is not None
        return message.delivery_state


def test_replies_of_a_paused_account_wait_and_go_out_on_resume(x: XDesk) -> None:
    message_id = _queued_reply(x)
    pause(x)

    x.process()

    assert x.fake.requests == []
    assert _state(x, message_id) == "queued"
    with x.app.db.read_session() as session:
        job = session.scalar(select(Job).where(Job.idempotency_key == f"deliver:{message_id}"))
        assert job is not None
        assert job.status == JobStatus.QUEUED
        assert job.run_at - utcnow() > timedelta(minutes=4)
        assert "paused" in (job.last_error or "")
    resume(x)
    x.process()

    assert _state(x, message_id) == "sent"
    [request] = x.fake.requests
    assert request.body["reply"] == {"in_reply_to_tweet_id": MENTION_ID}


def test_a_reply_whose_job_gave_up_while_paused_is_sent_on_resume(x: XDesk) -> None:
    message_id = _queued_reply(x)
    pause(x)
    x.process()
    with x.app.db.session() as session:  # paused for hours: every attempt was used up
        session.execute(
            update(Job)
            .where(Job.idempotency_key == f"deliver:{message_id}")
            .values(status=JobStatus.FAILED, attempts=8, finished_at=utcnow())
        )

    resume(x)
    x.process()

    assert _state(x, message_id) == "sent"
    assert len(x.fake.requests) == 1


def test_the_sandbox_pauses_the_same_way(app: App) -> None:
    from socialdesk.services.workspaces import get_or_create_workspace

    with app.db.session() as session:
        workspace_id = get_or_create_workspace(session, "acme").id
        account_id = create_sandbox_account(session, workspace_id, name="T", handle="t").id
        pause_account(session, workspace_id, account_id)
    with app.db.session() as session:
        inject(
            session,
            workspace_id,
            account_id,
            kind="post",
            customer=SandboxCustomer(id="u1", handle="u1"),
            text="hello?",
        )
    app.run_jobs_until_idle()
    assert raw_statuses(app) == ["received"]

    with app.db.session() as session:
        resume_account(session, workspace_id, account_id)
    app.run_jobs_until_idle()

    assert raw_statuses(app) == ["processed"]


# -- the command line ----------------------------------------------------------------------------
@pytest.fixture
def runner(
    app: App, database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[CliRunner]:
    monkeypatch.setenv("SOCIALDESK_DATABASE_URL", database_url)
    monkeypatch.setenv("SOCIALDESK_VAR_DIR", str(tmp_path / "var"))
    get_settings.cache_clear()
    yield CliRunner()
    get_settings.cache_clear()


def test_cli_pause_and_resume(x: XDesk, runner: CliRunner) -> None:
    paused = runner.invoke(cli, ["channels", "pause", str(x.account_id), "-w", "acme"])
    assert paused.exit_code == 0, paused.output
    assert "paused" in paused.stdout
    x.deliver(fixture("mention"))
    x.process()
    assert x.messages() == []
    listed = runner.invoke(cli, ["channels", "list", "-w", "acme"])
    assert "paused" in listed.stdout

    resumed = runner.invoke(cli, ["channels", "resume", str(x.account_id), "-w", "acme"])
    x.process()

    assert resumed.exit_code == 0, resumed.output
    assert "resumed" in resumed.stdout
    assert [m.platform_message_id for m in x.messages()] == [MENTION_ID]
    with x.app.db.read_session() as session:
        account = session.get(ChannelAccount, x.account_id)
        assert account is not None and not account.is_paused


def test_cli_pause_of_an_unknown_account_is_an_error(x: XDesk, runner: CliRunner) -> None:
    result = runner.invoke(cli, ["channels", "pause", "999", "-w", "acme"])

    assert result.exit_code == 2
    assert "channel account 999 does not exist" in result.stderr
