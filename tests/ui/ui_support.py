"""What the agent-workspace tests share: the table of UI routes and who may use them, signing
in through the real form, and a snapshot of every table to prove a refused request wrote
nothing.

The table is checked against the routes the app really has (both ways), so a new page or
action without an entry here fails ``test_every_ui_route_has_a_permission_entry``.
"""

from __future__ import annotations

import os
import re
import socket
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from enum import Enum
from pathlib import Path
from typing import Any

import httpx
import psycopg
import pytest
import uvicorn
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.engine import make_url

from socialdesk.bootstrap import App, bootstrap
from socialdesk.config import Settings
from socialdesk.services.accounts import create_token, create_user
from socialdesk.services.sandbox import create_sandbox_account
from socialdesk.services.workspaces import get_or_create_workspace
from socialdesk.store.models import Base, Conversation
from socialdesk.web.app import create_app

PASSWORD = "correct-horse-battery"
PG_ENV = "SOCIALDESK_TEST_DATABASE_URL"
NEW_PASSWORD = "staple-horse-correct"
ROLES = ("agent", "supervisor", "admin")

# FastAPI's own documentation, the REST API, webhooks and static files are not the workspace.
NOT_UI = ("/api/", "/hooks/", "/static", "/docs", "/redoc", "/openapi.json")

_CSRF_INPUT = re.compile(r'name="csrf_token" value="([^"]+)"')


class Access(Enum):
    PUBLIC = "anyone"
    SIGNED_IN = "any signed-in role"
    SUPERVISOR = "supervisors and admins"
    ADMIN = "admins only"


@dataclass(frozen=True)
class World:
    """Two workspaces: ``acme`` (a user per role, a sandbox account, a conversation with a
    public post and a private message, an API token) and ``globex`` (one agent and one
    conversation) to prove that nothing crosses workspaces."""

    app: App
    api: FastAPI
    workspace_id: int
    users: dict[str, int]  # role -> user id
    emails: dict[str, str]  # role -> email
    account_id: int
    conversation_id: int
    token_id: int
    other_workspace_id: int
    other_email: str
    other_conversation_id: int
    calendar_id: int = 0  # a business-hours calendar no policy uses
    policy_id: int = 0  # an SLA policy
    team_id: int = 0  # a team (its assignment strategy is edited on /admin/agents)
    email_account_id: int = 0  # an email account, to continue conversations on
    rule_id: int = 0  # the second of two routing rules (switched off), see create_rule_setup
    consent_id: int = 0  # an SMS consent of the customer of conversation_id
    other_consent_id: int = 0  # and one of the customer of other_conversation_id (globex)

    def path(self, template: str, *, conversation_id: int | None = None) -> str:
        return template.format(
            conversation_id=conversation_id or self.conversation_id,
            user_id=self.users["agent"],
            token_id=self.token_id,
            calendar_id=self.calendar_id,
            policy_id=self.policy_id,
            rule_id=self.rule_id,
            account_id=self.account_id,
            consent_id=(
                self.other_consent_id
                if conversation_id == self.other_conversation_id
                else self.consent_id
            ),
        )


Form = Callable[[World], dict[str, str]]


def _no_form(_world: World) -> dict[str, str]:
    return {}


@dataclass(frozen=True)
class RouteSpec:
    """Who may use a route, and a request that succeeds for someone who may."""

    access: Access
    ok_status: int = 200
    ok_location: str | None = None  # where a 303 answer leads
    form: Form = _no_form  # the body of an accepted POST
    writes_db: bool = True  # an accepted POST changes rows (else only memory, e.g. presence)
    stream: bool = False  # server-sent events: read the first event, then hang up
    # Puts the target conversation in the state an accepted request needs (e.g. continued on
    # email, to go back): run by Caller.call only for a signed-in caller sending its own
    # session's token to a conversation of its own workspace, so refusals still write nothing.
    prepare: Callable[[World, int], None] | None = None


def continued_on_email(world: World, conversation_id: int) -> None:
    """The conversation continued on its workspace's email account (to be moved back)."""
    from socialdesk.services.continuation import continue_on
    from socialdesk.services.events import Actor

    with world.app.db.session() as session:
        conversation = session.get(Conversation, conversation_id)
        assert conversation is not None
        continue_on(
            session,
            conversation.workspace_id,
            conversation_id,
            Actor.system(),
            channel="email",
            address=f"customer-{conversation_id}@example.com",
            request_text="May we continue by email? Customer: yes",
        )


ROUTES: dict[tuple[str, str], RouteSpec] = {
    ("GET", "/healthz"): RouteSpec(Access.PUBLIC),
    ("GET", "/"): RouteSpec(Access.PUBLIC, 303, "/inbox"),
    ("GET", "/login"): RouteSpec(Access.PUBLIC),
    # POST /login has its own double-submit cookie: see test_ui_sessions.py and test_ui_csrf.py
    ("POST", "/login"): RouteSpec(Access.PUBLIC),
    ("POST", "/logout"): RouteSpec(Access.SIGNED_IN, 303, "/login"),
    ("GET", "/account/password"): RouteSpec(Access.SIGNED_IN),
    ("POST", "/account/password"): RouteSpec(
        Access.SIGNED_IN,
        form=lambda w: {"current": PASSWORD, "new": NEW_PASSWORD, "confirm": NEW_PASSWORD},
    ),
    ("GET", "/inbox"): RouteSpec(Access.SIGNED_IN),
    ("GET", "/views"): RouteSpec(Access.SIGNED_IN),
    ("GET", "/live"): RouteSpec(Access.SIGNED_IN, stream=True),
    ("GET", "/conversations/{conversation_id}"): RouteSpec(Access.SIGNED_IN),
    ("POST", "/conversations/{conversation_id}/assign"): RouteSpec(
        Access.SIGNED_IN, form=lambda w: {"priority": "high"}
    ),
    ("POST", "/conversations/{conversation_id}/status"): RouteSpec(
        Access.SIGNED_IN, form=lambda w: {"status": "pending"}
    ),
    ("POST", "/conversations/{conversation_id}/tags"): RouteSpec(
        Access.SIGNED_IN, form=lambda w: {"add": "refund"}
    ),
    ("POST", "/conversations/{conversation_id}/send"): RouteSpec(
        Access.SIGNED_IN,
        form=lambda w: {"mode": "private", "text": "We are on it.", "seen_outbound_id": "0"},
    ),
    ("POST", "/conversations/{conversation_id}/contact/tags"): RouteSpec(
        Access.SIGNED_IN, form=lambda w: {"add": "vip"}
    ),
    ("POST", "/conversations/{conversation_id}/contact/crm"): RouteSpec(
        Access.SIGNED_IN, form=lambda w: {"crm_id": "CRM-1042", "crm_tier": "gold"}
    ),
    ("POST", "/conversations/{conversation_id}/contact/notes"): RouteSpec(
        Access.SIGNED_IN, form=lambda w: {"body": "Prefers to be called in the morning."}
    ),
    ("POST", "/conversations/{conversation_id}/contact/consents/{consent_id}/withdraw"): (
        RouteSpec(Access.SIGNED_IN)
    ),
    ("POST", "/conversations/{conversation_id}/contact/merge"): RouteSpec(
        Access.SIGNED_IN, form=lambda w: {"other": "@eli"}
    ),
    ("POST", "/conversations/{conversation_id}/continue"): RouteSpec(
        Access.SIGNED_IN,
        form=lambda w: {
            "channel": "email",
            "address": "dana@example.com",
            "request_text": "May we continue by email? Yes: dana@example.com",
        },
    ),
    ("POST", "/conversations/{conversation_id}/continuation/return"): RouteSpec(
        Access.SIGNED_IN, prepare=continued_on_email
    ),
    ("GET", "/conversations/{conversation_id}/presence"): RouteSpec(Access.SIGNED_IN),
    ("POST", "/conversations/{conversation_id}/presence"): RouteSpec(
        Access.SIGNED_IN, 204, form=lambda w: {"state": "typing"}, writes_db=False
    ),
    ("GET", "/admin"): RouteSpec(Access.ADMIN, 303, "/admin/users"),
    ("GET", "/admin/users"): RouteSpec(Access.ADMIN),
    ("POST", "/admin/users"): RouteSpec(
        Access.ADMIN,
        303,
        "/admin/users",
        form=lambda w: {
            "email": "newcomer@acme.test",
            "name": "Nora Newcomer",
            "role": "agent",
            "password": PASSWORD,
        },
    ),
    ("POST", "/admin/users/{user_id}"): RouteSpec(
        Access.ADMIN, 303, "/admin/users", form=lambda w: {"role": "supervisor"}
    ),
    ("POST", "/admin/teams"): RouteSpec(
        Access.ADMIN, 303, "/admin/users", form=lambda w: {"name": "Billing"}
    ),
    ("GET", "/admin/channels"): RouteSpec(Access.ADMIN),
    ("POST", "/admin/channels"): RouteSpec(
        Access.ADMIN,
        303,
        "/admin/channels",
        form=lambda w: {"name": "Acme Help", "handle": "acmehelp"},
    ),
    ("GET", "/me/availability"): RouteSpec(Access.SIGNED_IN),
    ("POST", "/me/availability"): RouteSpec(
        Access.SIGNED_IN, form=lambda w: {"availability": "away"}
    ),
    ("GET", "/admin/agents"): RouteSpec(Access.ADMIN),
    ("POST", "/admin/agents/{user_id}"): RouteSpec(
        Access.ADMIN,
        303,
        "/admin/agents",
        form=lambda w: {"languages": "en, es", "cap_social": "3"},
    ),
    ("POST", "/admin/teams/strategies"): RouteSpec(
        Access.ADMIN, 303, "/admin/agents", form=lambda w: {f"strategy_{w.team_id}": "skills"}
    ),
    ("GET", "/admin/tokens"): RouteSpec(Access.ADMIN),
    # Creating a token answers with the page showing the secret once (no redirect).
    ("POST", "/admin/tokens"): RouteSpec(Access.ADMIN, form=lambda w: {"name": "crm sync"}),
    ("POST", "/admin/tokens/{token_id}/revoke"): RouteSpec(Access.ADMIN, 303, "/admin/tokens"),
    ("GET", "/admin/sla"): RouteSpec(Access.SUPERVISOR),
    ("POST", "/admin/sla/calendars"): RouteSpec(
        Access.SUPERVISOR,
        303,
        "/admin/sla",
        form=lambda w: {"name": "Office", "timezone": "Europe/Madrid", "days": "mon"},
    ),
    ("POST", "/admin/sla/calendars/{calendar_id}/delete"): RouteSpec(
        Access.SUPERVISOR, 303, "/admin/sla"
    ),
    ("POST", "/admin/sla/policies"): RouteSpec(
        Access.SUPERVISOR,
        303,
        "/admin/sla",
        form=lambda w: {"name": "Urgent", "priority": "urgent", "first_response": "15"},
    ),
    ("POST", "/admin/sla/policies/{policy_id}/delete"): RouteSpec(
        Access.SUPERVISOR, 303, "/admin/sla"
    ),
    ("GET", "/admin/rules"): RouteSpec(Access.SUPERVISOR),
    ("POST", "/admin/rules"): RouteSpec(
        Access.SUPERVISOR,
        303,
        "/admin/rules",
        form=lambda w: {
            "name": "Refund requests",
            "match": "all",
            "cond": "k1",
            "ck1_field": "text",
            "ck1_op": "matches",
            "ck1_value": "refund*",
            "act": "k2",
            "ak2_type": "set_priority",
            "ak2_value": "high",
        },
    ),
    # htmx fragments of the editor: a new row, and the dry run ("would have matched N")
    ("GET", "/admin/rules/row"): RouteSpec(Access.SUPERVISOR),
    ("GET", "/admin/rules/try"): RouteSpec(Access.SUPERVISOR),
    ("GET", "/admin/rules/{rule_id}"): RouteSpec(Access.SUPERVISOR),
    ("POST", "/admin/rules/{rule_id}"): RouteSpec(
        Access.SUPERVISOR,
        303,
        "/admin/rules",
        form=lambda w: {
            "name": "Angry customers",
            "cond": "k1",
            "ck1_field": "sentiment",
            "ck1_op": "in",
            "ck1_value": "negative",
            "act": "k2",
            "ak2_type": "mark_spam",
        },
    ),
    ("POST", "/admin/rules/{rule_id}/enabled"): RouteSpec(
        Access.SUPERVISOR, 303, "/admin/rules", form=lambda w: {"enabled": "1"}
    ),
    ("POST", "/admin/rules/{rule_id}/move"): RouteSpec(
        Access.SUPERVISOR, 303, "/admin/rules", form=lambda w: {"direction": "up"}
    ),
    ("POST", "/admin/rules/{rule_id}/delete"): RouteSpec(Access.SUPERVISOR, 303, "/admin/rules"),
    ("GET", "/admin/autoreplies"): RouteSpec(Access.SUPERVISOR),
    ("GET", "/admin/autoreplies/preview"): RouteSpec(Access.SUPERVISOR),
    ("POST", "/admin/autoreplies"): RouteSpec(
        Access.SUPERVISOR,
        303,
        "/admin/autoreplies",
        form=lambda w: {"enabled": "1", "out_of_hours_enabled": "1", "in_hours_enabled": "1"},
    ),
    ("POST", "/admin/autoreplies/accounts/{account_id}/delete"): RouteSpec(
        Access.SUPERVISOR, 303, "/admin/autoreplies"
    ),
    ("POST", "/admin/canned"): RouteSpec(
        Access.ADMIN,
        303,
        "/admin/channels",
        form=lambda w: {"title": "Thanks", "body": "Thanks {{contact.name}}!"},
    ),
}

PROTECTED = sorted(k for k, spec in ROUTES.items() if spec.access is not Access.PUBLIC)
# Every state change a signed-in user makes; POST /login is guarded by its own cookie.
STATE_CHANGING = sorted(k for k in PROTECTED if k[0] == "POST")
CONVERSATION_ROUTES = sorted(k for k in ROUTES if "{conversation_id}" in k[1])


def create_sla_setup(session: Any, workspace_id: int) -> tuple[int, int]:
    """A calendar (used by no policy) and a 24/7 policy, for the SLA admin routes."""
    from datetime import timedelta

    from socialdesk.domain.sla import SlaTarget
    from socialdesk.services.calendars import CalendarSpec, create_calendar
    from socialdesk.services.sla import PolicySpec, create_policy

    calendar = create_calendar(
        session,
        workspace_id,
        CalendarSpec(name="Weekdays", timezone="UTC", hours={"mon": [["09:00", "17:00"]]}),
    )
    policy = create_policy(
        session,
        workspace_id,
        PolicySpec(name="Standard", targets=[SlaTarget(first_response=timedelta(hours=1))]),
    )
    return calendar.id, policy.id


def create_rule_setup(session: Any, workspace_id: int, account_id: int) -> int:
    """Two routing rules, both off (the second's id is returned, so it can move up), and
    auto-reply settings of the account's own, switched off (for the rules admin routes)."""
    from socialdesk.services.autoreply import save_settings
    from socialdesk.services.rules import RuleInput, create_rule

    create_rule(
        session,
        workspace_id,
        RuleInput(name="Spam filter", conditions=[], actions=[{"type": "mark_spam"}]),
    )
    second = create_rule(
        session,
        workspace_id,
        RuleInput(
            name="Spanish",
            conditions=[{"field": "language", "op": "in", "value": ["es"]}],
            actions=[{"type": "set_priority", "value": "high"}],
        ),
    )
    save_settings(session, workspace_id, channel_account_id=account_id, enabled=False)
    return int(second.id)


def create_sms_consent(session: Any, conversation_id: int, phone: str) -> int:
    """An SMS consent (recorded by an agent) of the conversation's customer, for the contact
    panel's withdraw action."""
    from socialdesk.store.models import ContactConsent, Conversation
    from socialdesk.store.types import utcnow

    conversation = session.get(Conversation, conversation_id)
    consent = ContactConsent(
        workspace_id=conversation.workspace_id,
        contact_id=conversation.contact_id,
        channel="sms",
        address=phone,
        source="agent",
        request_text="May we text you about this? Customer: yes, " + phone,
        given_at=utcnow(),
    )
    session.add(consent)
    session.flush()
    return int(consent.id)


def create_email_account(
    app: App, session: Any, workspace_id: int, handle: str = "care@acme.test"
) -> int:
    """An email account (SMTP to a local relay, no IMAP) to continue conversations on."""
    from socialdesk.services.channel_accounts import connect_account

    return connect_account(
        session,
        workspace_id,
        app.channels["email"].connection,
        name="Acme Mail",
        values={"handle": handle, "smtp_host": "127.0.0.1", "smtp_security": "plain"},
        cipher=app.cipher,
    ).id


def route_id(key: tuple[str, str]) -> str:
    return f"{key[0]} {key[1]}"


def ui_routes(api: FastAPI) -> set[tuple[str, str]]:
    """(method, path) of every route of the agent workspace, read from the app itself."""
    try:  # FastAPI >= 0.16x keeps included routers nested; this walks them
        from fastapi.routing import iter_route_contexts

        routes: Any = iter_route_contexts(api.routes)
    except ImportError:  # older FastAPI flattens included routers into api.routes
        routes = api.routes
    found: set[tuple[str, str]] = set()
    for route in routes:
        path = getattr(route, "path", None)
        methods = getattr(route, "methods", None) or set()
        if not path or path.startswith(NOT_UI):
            continue
        found.update((method, path) for method in methods if method != "HEAD")
    return found


def csrf_from(html: str) -> str:
    """The CSRF token a page embeds in its forms."""
    match = _CSRF_INPUT.search(html)
    assert match, "the page carries no csrf_token field"
    return match.group(1)


def try_sign_in(client: TestClient, email: str, password: str) -> httpx.Response:
    """Submit the sign-in form as a browser would: load it, then post it with its token."""
    form = client.get("/login")
    assert form.status_code == 200, form.text
    return client.post(
        "/login",
        data={
            "email": email,
            "password": password,
            "csrf_token": csrf_from(form.text),
            "next": "/inbox",
        },
    )


def sign_in(client: TestClient, email: str, password: str = PASSWORD) -> str:
    """Sign in; returns the session's CSRF token (read from the inbox page)."""
    response = try_sign_in(client, email, password)
    assert response.status_code == 303, response.text
    assert response.headers["location"] == "/inbox"
    inbox = client.get("/inbox")
    assert inbox.status_code == 200, inbox.text
    return csrf_from(inbox.text)


@dataclass
class Caller:
    """A TestClient with (optionally) a signed-in session and its CSRF token."""

    client: TestClient
    csrf: str | None = None
    extra_headers: dict[str, str] = field(default_factory=dict)
    workspace_id: int | None = None  # the signed-in user's (for RouteSpec.prepare)

    def call(
        self,
        world: World,
        key: tuple[str, str],
        *,
        conversation_id: int | None = None,
        htmx: bool = False,
        csrf: str | None = "session",
        csrf_in: str = "header",
    ) -> httpx.Response:
        """Request ``key`` the way the UI does; ``csrf="session"`` sends this session's token,
        ``None`` none, anything else that value, in the header or the form field."""
        method, template = key
        spec = ROUTES[key]
        url = world.path(template, conversation_id=conversation_id)
        headers = dict(self.extra_headers)
        if htmx:
            headers["HX-Request"] = "true"
        token = self.csrf if csrf == "session" else csrf
        if method == "GET":
            if spec.stream:
                return self._first_event(url, headers)
            return self.client.get(url, headers=headers)
        data = dict(spec.form(world))
        if spec.prepare is not None and token is not None and token == self.csrf:
            target = conversation_id or world.conversation_id
            with world.app.db.read_session() as session:
                owner = session.scalar(
                    select(Conversation.workspace_id).where(Conversation.id == target)
                )
            if owner is not None and owner == self.workspace_id:
                spec.prepare(world, target)
        if token is not None and csrf_in == "header":
            headers["X-CSRF-Token"] = token
        elif token is not None:
            data["csrf_token"] = token
        return self.client.post(url, data=data, headers=headers)

    def _first_event(self, url: str, headers: dict[str, str]) -> httpx.Response:
        """Open an event stream, keep its first line as the body, and hang up."""
        with self.client.stream("GET", url, headers=headers) as response:
            first = b""
            if response.status_code == 200:
                first = next(response.iter_lines()).encode()
            else:
                response.read()
                first = response.content
        return httpx.Response(
            response.status_code, headers=response.headers, content=first, request=response.request
        )


# Bookkeeping a request may touch once a minute, whatever it then decides.
_TOUCHED = {("user_sessions", "last_seen_at"), ("api_tokens", "last_used_at")}


def snapshot(app: App) -> dict[str, list[str]]:
    """Every row of every table: equal before and after means nothing was written."""
    with app.db.read_session() as session:
        return {
            table.name: sorted(
                repr(tuple(row))
                for row in session.execute(
                    select(*(c for c in table.c if (table.name, c.name) not in _TOUCHED))
                )
            )
            for table in Base.metadata.sorted_tables
        }


def changed_tables(before: dict[str, list[str]], after: dict[str, list[str]]) -> list[str]:
    return [name for name in before if before[name] != after.get(name)]


@dataclass
class Tenant:
    """One browser test's own workspace: agents, a sandbox account and an API token."""

    url: str
    slug: str
    workspace_id: int
    account_id: int
    token: str
    emails: dict[str, str] = field(default_factory=dict)  # name -> email

    def _api(self) -> httpx.Client:
        return httpx.Client(
            base_url=self.url + "/api/v1",
            headers={"Authorization": f"Bearer {self.token}"},
            timeout=10,
        )

    def customer(self, handle: str, text: str, *, private: bool = False) -> str:
        """The sandbox customer @handle posts publicly (or DMs); returns the message id."""
        kind = "dms" if private else "posts"
        with self._api() as api:
            response = api.post(
                f"/sandbox/{self.account_id}/{kind}",
                json={"from": {"handle": handle, "followers": 2400}, "text": text},
            )
        assert response.status_code == 202, response.text
        message_id: str = response.json()["message_id"]
        return message_id

    def deliveries(self) -> list[dict[str, Any]]:
        """What the sandbox 'platform' received from the agents, newest first."""
        with self._api() as api:
            response = api.get(f"/sandbox/{self.account_id}/deliveries")
        assert response.status_code == 200, response.text
        items: list[dict[str, Any]] = response.json()["items"]
        return items


@dataclass
class LiveServer:
    url: str
    app: App

    def tenant(self, *agents: str, role: str = "agent") -> Tenant:
        """A fresh workspace with one user per name in ``agents`` (default: one agent)."""
        slug = f"t{uuid.uuid4().hex[:8]}"
        with self.app.db.session() as session:
            workspace_id = get_or_create_workspace(session, slug).id
            emails = {}
            for name in agents or ("Alice",):
                emails[name] = f"{name.lower()}@{slug}.test"
                create_user(
                    session,
                    workspace_id,
                    email=emails[name],
                    name=name,
                    role=role,
                    password=PASSWORD,
                )
            account_id = create_sandbox_account(
                session, workspace_id, name="Acme Care", handle=f"{slug}care"
            ).id
            token = create_token(session, workspace_id, name="browser tests").secret
        return Tenant(self.url, slug, workspace_id, account_id, token, emails)


def poll_until(check: Callable[[], Any], *, timeout: float = 10, what: str = "condition") -> Any:
    """Ask ``check`` until it returns something truthy (for state outside the page, such as
    what the sandbox received; inside the page Playwright's ``expect`` retries by itself)."""
    deadline = time.monotonic() + timeout
    while True:
        result = check()
        if result:
            return result
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout} s waiting for {what}")
        time.sleep(0.1)


@contextmanager
def fresh_postgresql() -> Iterator[str]:
    """A new, empty PostgreSQL database for one test module, dropped afterwards."""
    base = os.environ.get(PG_ENV)
    if not base:
        pytest.skip(f"PostgreSQL not configured: set {PG_ENV} to run the PostgreSQL variants")
    name = f"sd_ui_{uuid.uuid4().hex[:10]}"
    url = make_url(base)
    dsn = url.set(drivername="postgresql").render_as_string(hide_password=False)
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        yield url.set(database=name).render_as_string(hide_password=False)
    finally:
        with psycopg.connect(dsn, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@contextmanager
def running_server(app: App) -> Iterator[str]:
    """The whole app (web + embedded worker) served by uvicorn on a port the OS picks."""
    api = create_app(app, run_workers=True)
    sock = socket.create_server(("127.0.0.1", 0))
    config = uvicorn.Config(api, log_level="warning", timeout_graceful_shutdown=1)
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 15
    while not server.started:
        assert thread.is_alive() and time.monotonic() < deadline, "uvicorn did not start"
        time.sleep(0.02)
    try:
        yield f"http://127.0.0.1:{sock.getsockname()[1]}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        sock.close()


def live_app(database_url: str, var_dir: Path) -> App:
    settings = Settings(database_url=database_url, var_dir=var_dir, embedded_workers=1)
    return bootstrap(settings)


@contextmanager
def module_database(backend: str, var_dir: Path) -> Iterator[str]:
    if backend == "postgresql":
        with fresh_postgresql() as url:
            yield url
    else:
        yield f"sqlite:///{var_dir / 'socialdesk.db'}"
