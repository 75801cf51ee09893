"""Fixtures of the agent-workspace tests.

Server tests (TestClient, SQLite and PostgreSQL): a "world" of two workspaces, either
``world`` (on the ``app`` fixture, fresh for each test that changes something) or
``shared_world`` (one per module on a database of its own, for refusals and reads, which check
that they changed nothing); ``signed_in(role)`` and ``shared_sessions`` sign in through the
real /login form.

Browser tests: a real uvicorn server in a thread (port chosen by the OS) with the embedded
worker running, on a fresh database per test module, and pytest-playwright's ``page`` driving
Debian's /usr/bin/chromium (see /work/shared/docs/testing.md). Each browser test makes its own
workspace (``tenant``), so tests share a server without sharing data.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from argon2 import PasswordHasher
from fastapi.testclient import TestClient
from sqlalchemy import select
from ui_support import (
    PASSWORD,
    ROLES,
    Caller,
    LiveServer,
    World,
    create_email_account,
    create_rule_setup,
    create_sla_setup,
    create_sms_consent,
    live_app,
    module_database,
    running_server,
    sign_in,
)

from socialdesk.bootstrap import App, bootstrap
from socialdesk.channels.sandbox import SandboxCustomer
from socialdesk.config import Settings
from socialdesk.services import accounts
from socialdesk.services.accounts import create_token, create_user
from socialdesk.services.sandbox import create_sandbox_account, inject
from socialdesk.services.workspaces import get_or_create_workspace
from socialdesk.store.models import Message
from socialdesk.web.app import create_app

CHROMIUM = os.environ.get("CHROMIUM") or shutil.which("chromium")
HERMETIC_DNS = "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1, EXCLUDE localhost"
BACKENDS = ["sqlite", "postgresql"]


@pytest.fixture(scope="module", autouse=True)
def cheap_password_hashing() -> Iterator[None]:
    """argon2 at production cost takes ~0.25 s per hash; these tests hash hundreds of times."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(accounts, "_hasher", PasswordHasher(time_cost=1, memory_cost=1024))
        yield


# ---------------------------------------------------------------- server tests (TestClient)


def _conversation_of(app: App, message_id: str) -> int:
    with app.db.read_session() as session:
        conversation_id = session.scalar(
            select(Message.conversation_id).where(Message.platform_message_id == message_id)
        )
    assert conversation_id is not None, f"{message_id} opened no conversation"
    return int(conversation_id)


def _customer_writes(app: App, workspace_id: int, account_id: int, handle: str) -> int:
    """A sandbox customer posts publicly, then sends a private message; both processed."""
    customer = SandboxCustomer(id=handle, handle=handle, name=f"@{handle}", followers=1200)
    with app.db.session() as session:
        first = inject(
            session, workspace_id, account_id, kind="post", customer=customer, text="My order?"
        )
        inject(session, workspace_id, account_id, kind="dm", customer=customer, text="Any news?")
    app.run_jobs_until_idle()
    return _conversation_of(app, first.message_id)


def build_world(app: App) -> World:
    """Two workspaces: acme (a user per role, two customers, an API token) and globex."""
    with app.db.session() as session:
        acme = get_or_create_workspace(session, "acme").id
        users, emails = {}, {}
        for role in ROLES:
            emails[role] = f"{role}@acme.test"
            users[role] = create_user(
                session, acme, email=emails[role], name=role.title(), role=role, password=PASSWORD
            ).id
        account_id = create_sandbox_account(session, acme, name="Acme", handle="acmecare").id
        token_id = create_token(session, acme, name="integration").id
        sla_ids = create_sla_setup(session, acme)
        team_id = accounts.create_team(session, acme, "Care").id
        email_account_id = create_email_account(app, session, acme)
        globex = get_or_create_workspace(session, "globex").id
        create_user(session, globex, email="agent@globex.test", name="Gil", password=PASSWORD)
        other_account = create_sandbox_account(session, globex, name="Globex", handle="gx").id
        create_email_account(app, session, globex, "care@globex.test")
    conversation_id = _customer_writes(app, acme, account_id, "dana")
    _customer_writes(app, acme, account_id, "eli")  # another customer, e.g. to merge
    other_conversation_id = _customer_writes(app, globex, other_account, "olaf")
    _customer_writes(app, globex, other_account, "eli")
    with app.db.session() as session:  # after the messages: they stay untouched by rules
        rule_id = create_rule_setup(session, acme, account_id)
        consent_id = create_sms_consent(session, conversation_id, "+14155550123")
        other_consent_id = create_sms_consent(session, other_conversation_id, "+14155550124")
    return World(
        app=app,
        api=create_app(app, run_workers=False),
        workspace_id=acme,
        users=users,
        emails=emails,
        account_id=account_id,
        conversation_id=conversation_id,
        token_id=token_id,
        other_workspace_id=globex,
        other_email="agent@globex.test",
        other_conversation_id=other_conversation_id,
        calendar_id=sla_ids[0],
        policy_id=sla_ids[1],
        team_id=team_id,
        email_account_id=email_account_id,
        rule_id=rule_id,
        consent_id=consent_id,
        other_consent_id=other_consent_id,
    )


@pytest.fixture
def world(app: App) -> Iterator[World]:
    """A world of its own for a test that changes things (on both backends)."""
    built = build_world(app)
    with TestClient(built.api):  # runs the lifespan once (and its cleanups at the end)
        yield built


@pytest.fixture(scope="module", params=BACKENDS)
def shared_world(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[World]:
    """One world for a module's tests that must change nothing (refusals, plain reads), on a
    database of its own, so it can sit beside the per-test ``world`` fixtures."""
    var_dir = tmp_path_factory.mktemp("world")
    with module_database(request.param, var_dir) as url:
        app = bootstrap(Settings(database_url=url, var_dir=var_dir, embedded_workers=0))
        try:
            built = build_world(app)
            with TestClient(built.api):
                yield built
        finally:
            app.db.dispose()


def _signer(world: World) -> Callable[..., Caller]:
    def make(role: str = "agent", *, email: str | None = None) -> Caller:
        client = TestClient(world.api, follow_redirects=False)
        email = email or world.emails[role]
        workspace_id = world.other_workspace_id if email == world.other_email else None
        return Caller(
            client, sign_in(client, email), workspace_id=workspace_id or world.workspace_id
        )

    return make


@pytest.fixture
def signed_in(world: World) -> Callable[..., Caller]:
    """``signed_in("agent")``: a new TestClient signed in as that role through /login."""
    return _signer(world)


@pytest.fixture(scope="module")
def shared_sessions(shared_world: World) -> dict[str, Caller]:
    """One signed-in client per role of ``shared_world`` (and ``globex``'s agent)."""
    make = _signer(shared_world)
    callers = {role: make(role) for role in ROLES}
    callers["globex"] = make(email=shared_world.other_email)
    return callers


@pytest.fixture
def anonymous(shared_world: World) -> Caller:
    """A browser that has not signed in."""
    return Caller(TestClient(shared_world.api, follow_redirects=False))


# ---------------------------------------------------------------- browser tests (Playwright)


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args: dict[str, Any]) -> dict[str, Any]:
    if not (CHROMIUM and os.access(CHROMIUM, os.X_OK)):
        reason = "no Chromium: run `make chromium` (or set CHROMIUM=/path/to/chromium)"
        if os.environ.get("CI"):
            pytest.fail(reason)  # in CI a missing browser is a setup bug, not a skip
        pytest.skip(reason)
    return {**browser_type_launch_args, "executable_path": CHROMIUM, "args": [HERMETIC_DNS]}


@pytest.fixture(scope="session")
def browser_context_args(browser_context_args: dict[str, Any]) -> dict[str, Any]:
    return {**browser_context_args, "viewport": {"width": 1440, "height": 900}}


@pytest.fixture(scope="module", params=BACKENDS)
def live(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[LiveServer]:
    """A running server on a fresh database for this module (SQLite file, or PostgreSQL)."""
    var_dir = tmp_path_factory.mktemp("live")
    with module_database(request.param, var_dir) as url:
        app = live_app(url, var_dir)
        try:
            with running_server(app) as base_url:
                yield LiveServer(base_url, app)
        finally:
            app.db.dispose()
