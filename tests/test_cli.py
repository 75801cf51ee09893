"""The `socialdesk` command line: set-up, tokens, the sandbox round trip, reports, bad input.

Commands run in-process through Typer's runner (fast); one test runs the installed
`socialdesk` script as a process, the way an operator does.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from sqlalchemy import select
from typer.testing import CliRunner, Result

from socialdesk.bootstrap import App
from socialdesk.cli import cli
from socialdesk.config import get_settings
from socialdesk.services.accounts import authenticate_token
from socialdesk.services.events import Actor
from socialdesk.services.replies import reply
from socialdesk.store.models import Conversation, Message, User, Workspace


@dataclass
class Shell:
    """Runs `socialdesk ...` against the database under test."""

    runner: CliRunner

    def __call__(self, *args: str) -> Result:
        return self.runner.invoke(cli, list(args), catch_exceptions=False)

    def ok(self, *args: str) -> str:
        result = self(*args)
        assert result.exit_code == 0, result.output + result.stderr
        return result.stdout


def shell(database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Shell]:
    monkeypatch.setenv("SOCIALDESK_DATABASE_URL", database_url)
    monkeypatch.setenv("SOCIALDESK_VAR_DIR", str(tmp_path / "var"))
    monkeypatch.setenv("COLUMNS", "200")
    get_settings.cache_clear()
    yield Shell(CliRunner())
    get_settings.cache_clear()


@pytest.fixture
def socialdesk(
    app: App, database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Shell]:
    """On the database under test (SQLite and PostgreSQL)."""
    yield from shell(database_url, tmp_path, monkeypatch)


@pytest.fixture
def offline(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Shell]:
    """For errors caught before any database is opened: one run is enough."""
    yield from shell(f"sqlite:///{tmp_path / 'unused.db'}", tmp_path, monkeypatch)


@pytest.mark.slow
def test_installed_init_command_creates_the_workspace(
    app: App, database_url: str, tmp_path: Path
) -> None:
    script = Path(sys.executable).with_name("socialdesk")
    env = {**os.environ, "SOCIALDESK_DATABASE_URL": database_url, "COLUMNS": "200"}
    result = subprocess.run(
        [str(script), "init", "--workspace", "acme-care"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )

    assert result.returncode == 0, result.stderr
    assert "database ready" in result.stdout and "acme-care" in result.stdout
    with app.db.read_session() as session:
        assert session.scalars(select(Workspace.slug)).all() == ["acme-care"]


def test_init_twice_keeps_one_workspace_and_can_create_the_first_admin(
    socialdesk: Shell, app: App
) -> None:
    socialdesk.ok("init")
    socialdesk.ok("init", "--admin-email", "Boss@Example.com", "--admin-password", "s3cret-pass")

    with app.db.read_session() as session:
        assert session.scalars(select(Workspace.slug)).all() == ["default"]
        assert session.execute(select(User.email, User.role)).all() == [
            ("boss@example.com", "admin")
        ]


def test_token_create_prints_a_working_token(socialdesk: Shell, app: App) -> None:
    socialdesk.ok("init")
    printed = socialdesk.ok("token", "create", "--name", "crm-sync").strip()

    assert re.fullmatch(r"sd_[A-Za-z0-9_-]{40,}", printed)
    with app.db.read_session() as session:
        owner = authenticate_token(session, printed)
    assert owner is not None and owner.role == "admin"


def test_token_for_an_unknown_user_is_refused(socialdesk: Shell) -> None:
    result = socialdesk("token", "create", "--user", "ghost@example.com")
    assert result.exit_code != 0
    assert "no user 'ghost@example.com'" in result.stderr


def test_sandbox_post_dm_and_outbox_round_trip(socialdesk: Shell, app: App) -> None:
    account_id = int(socialdesk.ok("sandbox", "account", "--name", "Acme", "--handle", "acme"))
    posted = socialdesk.ok(
        "sandbox", "post", "@acme my internet is down", "--from", "@dana", "--account", "acme"
    )
    messaged = socialdesk.ok(
        "sandbox", "dm", "account 12345 if you need it", "--from", "dana", "--account", "acme"
    )
    assert posted.strip().endswith(" received") and messaged.strip().endswith(" received")

    with app.db.session() as session:
        [conversation] = session.scalars(select(Conversation)).all()
        assert conversation.channel_account_id == account_id
        assert conversation.has_public and conversation.has_private
        reply(
            session,
            conversation.workspace_id,
            conversation.id,
            Actor.agent(None),
            text="We're on it, Dana.",
            visibility="private",
        )

    lines = socialdesk.ok("sandbox", "outbox", "--account", str(account_id)).splitlines()

    [delivered] = [json.loads(line) for line in lines]
    assert delivered["text"] == "We're on it, Dana."
    assert delivered["visibility"] == "private"
    assert delivered["recipient"] == "user-dana"
    with app.db.read_session() as session:
        sent = session.scalars(select(Message).where(Message.direction == "out")).one()
    assert sent.delivery_state == "sent"
    assert sent.platform_message_id == delivered["platform_message_id"]


def test_sandbox_post_redelivered_with_the_same_id_is_received_once(
    socialdesk: Shell, app: App
) -> None:
    socialdesk.ok("sandbox", "account", "--name", "Acme", "--handle", "acme")
    post = ("sandbox", "post", "hello?", "--from", "eve", "--account", "acme")
    first = socialdesk.ok(*post, "--message-id", "sbx-42")
    second = socialdesk.ok(*post, "--message-id", "sbx-42")

    assert first.strip() == "sbx-42 received"
    assert second.strip() == "sbx-42 already received"
    with app.db.read_session() as session:
        assert len(session.scalars(select(Message.id)).all()) == 1


def test_sandbox_post_to_an_unknown_account_is_a_clear_error(socialdesk: Shell) -> None:
    socialdesk.ok("init")
    result = socialdesk("sandbox", "post", "hi", "--from", "eve", "--account", "nobody")
    assert result.exit_code != 0
    assert "no sandbox account 'nobody'" in result.stderr


def test_report_frt_table_lists_each_account(socialdesk: Shell) -> None:
    socialdesk.ok("sandbox", "account", "--name", "Acme", "--handle", "acme")
    socialdesk.ok("sandbox", "post", "anyone there?", "--from", "eve", "--account", "acme")

    table = socialdesk.ok("report", "frt", "--format", "table")

    assert "First response time by account" in table
    [row] = [line for line in table.splitlines() if "acme" in line]
    assert re.search(r"acme\s*│\s*sandbox\s*│\s*1\s*│\s*0\s*│\s*—", row), row


def test_report_frt_json_gives_each_accounts_figures(socialdesk: Shell) -> None:
    socialdesk.ok("sandbox", "account", "--name", "Acme", "--handle", "acme")
    socialdesk.ok("sandbox", "post", "anyone there?", "--from", "eve", "--account", "acme")

    report = json.loads(socialdesk.ok("report", "frt", "--format", "json"))

    assert report == {
        "accounts": {
            "acme": {"conversations": 1, "responded": 0, "median_first_response_seconds": None}
        }
    }


def test_report_frt_with_an_unknown_format_is_a_clear_error(offline: Shell) -> None:
    result = offline("report", "frt", "--format", "xml")
    assert result.exit_code != 0
    assert "--format 'xml' is not supported; use json or table" in result.stderr


def test_report_frt_for_a_workspace_that_does_not_exist_is_a_clear_error(
    socialdesk: Shell,
) -> None:
    result = socialdesk("report", "frt", "--workspace", "nope")
    assert result.exit_code != 0
    assert "workspace 'nope' does not exist" in result.stderr


@pytest.mark.parametrize(
    ("value", "message"),
    [("soon", "'soon' is not a duration"), ("0h", "the duration must be positive")],
)
def test_import_with_a_bad_resolve_after_is_a_clear_error(
    offline: Shell, tmp_path: Path, value: str, message: str
) -> None:
    path = tmp_path / "twcs.csv"
    path.write_text(
        "tweet_id,author_id,inbound,created_at,text,response_tweet_id,in_response_to_tweet_id\n"
    )
    result = offline("import", "twcs", str(path), "--resolve-after", value)
    assert result.exit_code != 0
    assert message in result.stderr
