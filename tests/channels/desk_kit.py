"""What the channel test kits share: the acme workspace with an agent and an API token, and a
desk that sees one channel account through the REST API and the database.

A platform kit is a dataclass that extends :class:`FakeDesk` (a desk wired to one fake platform
server, fields ``app, client, fake, workspace_id, account_id, api_token``) or
:class:`AccountDesk` (the same without ``fake``), and adds how the platform delivers to us.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Generic, TypeVar

import httpx
from fastapi.testclient import TestClient
from sqlalchemy import ColumnElement, func, select

from socialdesk.bootstrap import App
from socialdesk.channels.base import ConnectionSpec
from socialdesk.services.accounts import create_token, create_user
from socialdesk.services.channel_accounts import connect_account
from socialdesk.services.workspaces import get_or_create_workspace
from socialdesk.store.models import Base, Conversation, Message

__all__ = [
    "API",
    "AccountDesk",
    "DeskKit",
    "FakeDesk",
    "acme_agent",
    "connect",
    "row_counts",
]

API = "/api/v1"

F = TypeVar("F")


def acme_agent(
    app: App,
    *,
    email: str = "agent@acme.example",
    name: str = "Ana",
    token_name: str = "tests",
) -> tuple[int, int, str]:
    """The acme workspace, an agent in it and an API token of that agent:
    ``(workspace_id, user_id, token)``."""
    with app.db.session() as session:
        workspace_id = get_or_create_workspace(session, "acme").id
        user_id = create_user(session, workspace_id, email=email, name=name).id
        token = create_token(session, workspace_id, name=token_name, user_id=user_id).secret
    return workspace_id, user_id, token


def connect(
    app: App, workspace_id: int, spec: ConnectionSpec, *, name: str, values: dict[str, str]
) -> int:
    """Connects an account of ``spec`` (the way an admin does) and returns its id."""
    with app.db.session() as session:
        return connect_account(
            session, workspace_id, spec, name=name, values=values, cipher=app.cipher
        ).id


def row_counts(app: App) -> dict[str, int]:
    """The number of rows of every table (to show that a refused request wrote nothing)."""
    with app.db.read_session() as session:
        return {
            table.name: session.scalar(select(func.count()).select_from(table)) or 0
            for table in Base.metadata.sorted_tables
        }


class DeskKit:
    """The helpers of a desk; a subclass provides ``app``, ``client``, ``workspace_id``,
    ``account_id`` and ``api_token`` (as dataclass fields)."""

    app: App
    client: TestClient
    workspace_id: int
    account_id: int
    api_token: str

    def process(self) -> int:
        """Every due job, until the queue is idle."""
        return self.app.run_jobs_until_idle()

    def get(self, path: str, **kwargs: Any) -> httpx.Response:
        headers = {"Authorization": f"Bearer {self.api_token}"}
        return self.client.get(API + path, headers=headers, **kwargs)

    def post(self, path: str, body: Any) -> httpx.Response:
        headers = {"Authorization": f"Bearer {self.api_token}"}
        return self.client.post(API + path, json=body, headers=headers)

    def messages_filter(self) -> ColumnElement[bool]:
        """Which messages :meth:`messages` lists: by default those of the account."""
        return Message.channel_account_id == self.account_id

    def messages(self) -> list[Message]:
        with self.app.db.read_session() as session:
            return list(
                session.scalars(
                    select(Message)
                    .where(self.messages_filter())
                    .order_by(Message.platform_time, Message.id)
                )
            )

    def conversations(self) -> list[Conversation]:
        with self.app.db.read_session() as session:
            return list(
                session.scalars(
                    select(Conversation)
                    .where(Conversation.channel_account_id == self.account_id)
                    .order_by(Conversation.id)
                )
            )

    def row_counts(self) -> dict[str, int]:
        return row_counts(self.app)


@dataclass
class AccountDesk(DeskKit):
    """One workspace with an account (on fakes a subclass names), seen through the API."""

    app: App
    client: TestClient
    workspace_id: int
    account_id: int
    api_token: str


@dataclass
class FakeDesk(DeskKit, Generic[F]):
    """One workspace with an account wired to the fake platform server ``fake``."""

    app: App
    client: TestClient
    fake: F
    workspace_id: int
    account_id: int
    api_token: str
