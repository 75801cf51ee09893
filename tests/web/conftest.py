"""API test kit: an HTTP client on the real app, tenants with tokens, and a 'desk' that plays
the customer through the sandbox and the agent through the API."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from socialdesk.bootstrap import App
from socialdesk.services.accounts import create_team, create_token, create_user
from socialdesk.services.sandbox import create_sandbox_account
from socialdesk.services.workspaces import get_or_create_workspace
from socialdesk.store.models import Base, Contact, ContactIdentity, Conversation, Message
from socialdesk.store.types import utcnow
from socialdesk.web.app import create_app

API = "/api/v1"
PROBLEM_JSON = "application/problem+json"

ProblemCheck = Callable[[httpx.Response, int, str], dict[str, Any]]


@dataclass
class Tenant:
    workspace_id: int
    user_id: int
    account_id: int
    token: str

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}


class Factory:
    """Rows the API cannot create (users, teams, tokens) or that would be slow through it."""

    def __init__(self, app: App) -> None:
        self.app = app

    def workspace(self, slug: str) -> int:
        with self.app.db.session() as session:
            return get_or_create_workspace(session, slug).id

    def user(self, workspace_id: int, email: str, name: str = "Agent") -> int:
        with self.app.db.session() as session:
            return create_user(session, workspace_id, email=email, name=name).id

    def team(self, workspace_id: int, name: str) -> int:
        with self.app.db.session() as session:
            return create_team(session, workspace_id, name).id

    def token(self, workspace_id: int, user_id: int | None = None) -> str:
        with self.app.db.session() as session:
            return create_token(session, workspace_id, name="tests", user_id=user_id).secret

    def sandbox_account(self, workspace_id: int, handle: str) -> int:
        with self.app.db.session() as session:
            return create_sandbox_account(session, workspace_id, name=handle, handle=handle).id

    def conversation(
        self,
        workspace_id: int,
        account_id: int,
        *,
        last_message_at: datetime,
        customer: str = "someone",
        status: str = "open",
    ) -> int:
        """A conversation written straight to the database, for paging through many."""
        with self.app.db.session() as session:
            contact = Contact(workspace_id=workspace_id, name=customer, search_text=customer)
            session.add(contact)
            session.flush()
            conv = Conversation(
                workspace_id=workspace_id,
                channel_account_id=account_id,
                contact_id=contact.id,
                status=status,
                last_message_at=last_message_at,
            )
            session.add(conv)
            session.flush()
            return conv.id

    def tenant(self, slug: str) -> Tenant:
        workspace_id = self.workspace(slug)
        user_id = self.user(workspace_id, f"agent@{slug}.example")
        return Tenant(
            workspace_id=workspace_id,
            user_id=user_id,
            account_id=self.sandbox_account(workspace_id, f"{slug}care"),
            token=self.token(workspace_id, user_id),
        )


def row_counts(app: App) -> dict[str, int]:
    """Rows per table: equal before and after a refused request means nothing was written."""
    with app.db.read_session() as session:
        return {
            table.name: session.scalar(select(func.count()).select_from(table)) or 0
            for table in Base.metadata.sorted_tables
        }


def assert_problem(response: httpx.Response, status: int, detail_part: str) -> dict[str, Any]:
    """The response is an RFC 9457 problem with this status and a detail saying this."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith(PROBLEM_JSON)
    body: dict[str, Any] = response.json()
    assert body["status"] == status
    assert detail_part.lower() in body["detail"].lower(), body["detail"]
    return body


class Desk:
    """One tenant's view of the API, plus the sandbox customer's side."""

    def __init__(self, app: App, client: TestClient, tenant: Tenant) -> None:
        self.app = app
        self.client = client
        self.tenant = tenant

    def get(self, path: str, **kwargs: Any) -> httpx.Response:
        return self.client.get(API + path, headers=self.tenant.headers, **kwargs)

    def post(self, path: str, body: Any = None, **kwargs: Any) -> httpx.Response:
        return self.client.post(API + path, json=body, headers=self.tenant.headers, **kwargs)

    def patch(self, path: str, body: Any = None) -> httpx.Response:
        return self.client.patch(API + path, json=body, headers=self.tenant.headers)

    def process(self) -> None:
        """Let the workers do what they would do in the background (ingest, deliver)."""
        self.app.run_jobs_until_idle()

    def customer_writes(
        self,
        handle: str,
        text: str,
        *,
        kind: str = "posts",
        account_id: int | None = None,
        **fields: Any,
    ) -> str:
        """A sandbox customer posts or DMs; returns the platform message id, processed."""
        body = {"from": {"handle": handle}, "text": text, **fields}
        response = self.post(f"/sandbox/{account_id or self.tenant.account_id}/{kind}", body)
        assert response.status_code == 202, response.text
        self.process()
        message_id: str = response.json()["message_id"]
        return message_id

    def conversation_of(self, platform_message_id: str) -> int:
        with self.app.db.read_session() as session:
            conv_id = session.scalar(
                select(Message.conversation_id).where(
                    Message.platform_message_id == platform_message_id
                )
            )
        assert conv_id is not None, f"{platform_message_id} joined no conversation"
        return conv_id

    def new_conversation(self, handle: str, text: str = "hello there", kind: str = "posts") -> int:
        return self.conversation_of(self.customer_writes(handle, text, kind=kind))

    def contact_of(self, handle: str) -> int:
        with self.app.db.read_session() as session:
            contact_id = session.scalar(
                select(ContactIdentity.contact_id).where(
                    ContactIdentity.workspace_id == self.tenant.workspace_id,
                    ContactIdentity.handle == handle,
                )
            )
        assert contact_id is not None, f"no contact with handle {handle}"
        return contact_id

    def counts(self) -> dict[str, int]:
        return row_counts(self.app)

    def soon(self, hours: float = 1) -> str:
        """An ISO time ``hours`` from now (negative: in the past)."""
        return (utcnow() + timedelta(hours=hours)).isoformat()

    def conversation(self, conversation_id: int) -> Conversation:
        """The row as stored now (detached, so it outlives the read transaction)."""
        with self.app.db.read_session() as session:
            conv = session.get(Conversation, conversation_id)
            assert conv is not None
            session.expunge(conv)
            return conv


@pytest.fixture
def client(app: App) -> Iterator[TestClient]:
    with TestClient(create_app(app, run_workers=False)) as test_client:
        yield test_client


@pytest.fixture
def factory(app: App) -> Factory:
    return Factory(app)


@pytest.fixture
def desk(app: App, client: TestClient, factory: Factory) -> Desk:
    """The acme workspace: one agent with a token and one sandbox account (@acmecare)."""
    return Desk(app, client, factory.tenant("acme"))


@pytest.fixture
def other_desk(app: App, client: TestClient, factory: Factory) -> Desk:
    """A second workspace, to prove that nothing crosses tenants."""
    return Desk(app, client, factory.tenant("globex"))


@pytest.fixture(name="assert_problem")
def assert_problem_fixture() -> ProblemCheck:
    return assert_problem
