"""Test data for the ingest pipeline: normalized events and a workspace to ingest them into.

Imported by the test modules of this folder (pytest puts the folder on ``sys.path``).
"""

from __future__ import annotations

import itertools
from collections import defaultdict
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import Select, func, select

from socialdesk.bootstrap import App
from socialdesk.domain.types import AuthorKind, Direction, Visibility
from socialdesk.pipeline.events import Author, InboundEvent
from socialdesk.pipeline.ingest import ingest_batch
from socialdesk.pipeline.notify import IngestResult
from socialdesk.services.workspaces import ensure_accounts, get_or_create_workspace
from socialdesk.store.models import (
    Contact,
    ContactIdentity,
    Conversation,
    Event,
    Message,
)

T0 = datetime(2017, 10, 31, 22, 0, tzinfo=UTC)
PLATFORM = "twitter"
ACCOUNTS = ("acme", "globex")

_workspace_numbers = itertools.count(1)


@dataclass
class EventFactory:
    """Builds :class:`InboundEvent` values; platform ids are numbered in creation order.

    ``account`` is a handle of the desk's accounts, or None for "delivered to no known account";
    ``minutes`` is the platform time relative to :data:`T0`.
    """

    account_ids: dict[str, int]
    platform: str = PLATFORM
    _ids: Iterator[int] = field(default_factory=lambda: itertools.count(1))

    def _next_id(self) -> str:
        return str(next(self._ids))

    def inbound(
        self,
        author: str = "alice",
        *,
        account: str | None = "acme",
        minutes: float = 0,
        reply_to: InboundEvent | str | None = None,
        private: bool = False,
        followers: int | None = None,
        message_id: str | None = None,
        text: str = "my order never arrived",
    ) -> InboundEvent:
        """A customer's public post (or private message with ``private``)."""
        return InboundEvent(
            platform=self.platform,
            platform_message_id=message_id or self._next_id(),
            author=Author(
                external_id=f"user-{author}", handle=author, name=author, followers=followers
            ),
            text=text,
            platform_time=T0 + timedelta(minutes=minutes),
            visibility=Visibility.PRIVATE if private else Visibility.PUBLIC,
            channel_account_id=None if account is None else self.account_ids[account],
            direction=Direction.IN,
            reply_to_platform_id=_platform_id(reply_to),
            author_kind=AuthorKind.CONTACT,
        )

    def outbound(
        self,
        *,
        account: str = "acme",
        minutes: float = 0,
        reply_to: InboundEvent | str | None = None,
        private: bool = False,
        author_kind: AuthorKind = AuthorKind.AGENT,
        message_id: str | None = None,
        text: str = "sorry to hear that, please DM us",
    ) -> InboundEvent:
        """The brand's own message as the platform reports it (a reply, or a post)."""
        return InboundEvent(
            platform=self.platform,
            platform_message_id=message_id or self._next_id(),
            author=Author(external_id=account, handle=account),
            text=text,
            platform_time=T0 + timedelta(minutes=minutes),
            visibility=Visibility.PRIVATE if private else Visibility.PUBLIC,
            channel_account_id=self.account_ids[account],
            direction=Direction.OUT,
            reply_to_platform_id=_platform_id(reply_to),
            author_kind=author_kind,
        )


def _platform_id(ref: InboundEvent | str | None) -> str | None:
    if isinstance(ref, InboundEvent):
        return ref.platform_message_id
    return ref


@dataclass
class Desk:
    """One workspace with channel accounts, and ways to ingest into it and read it back."""

    app: App
    workspace_id: int
    events: EventFactory

    @classmethod
    def create(cls, app: App, handles: Sequence[str] = ACCOUNTS) -> Desk:
        with app.db.session() as session:
            ws = get_or_create_workspace(session, f"ws-{next(_workspace_numbers)}")
            account_ids = ensure_accounts(session, ws.id, PLATFORM, handles)
            return cls(app=app, workspace_id=ws.id, events=EventFactory(account_ids))

    def ingest(
        self, events: Sequence[InboundEvent], *, resolve_after: timedelta | None = None
    ) -> IngestResult:
        """One batch, one transaction."""
        with self.app.db.session() as session:
            return ingest_batch(session, self.workspace_id, events, resolve_after=resolve_after)

    # -- reading back -----------------------------------------------------------------------
    def _all(self, query: Select[Any]) -> list[Any]:
        """Rows of a query, detached and fully loaded (usable after the session is gone)."""
        with self.app.db.read_session() as session:
            rows = list(session.scalars(query))
            session.expunge_all()
            return rows

    def count(self, model: Any) -> int:
        query = (
            select(func.count()).select_from(model).where(model.workspace_id == self.workspace_id)
        )
        [count] = self._all(query)
        return int(count)

    def row_counts(self) -> dict[str, int]:
        return {
            model.__tablename__: self.count(model)
            for model in (Message, Conversation, Contact, ContactIdentity, Event)
        }

    def message(self, event: InboundEvent) -> Message:
        [message] = self._all(
            select(Message).where(
                Message.workspace_id == self.workspace_id,
                Message.platform_message_id == event.platform_message_id,
                Message.channel_account_id == event.channel_account_id,
            )
        )
        return message

    def conversation_id(self, event: InboundEvent) -> int | None:
        """The conversation an ingested event's message joined (None: none)."""
        return self.message(event).conversation_id

    def conversation_of(self, event: InboundEvent) -> Conversation | None:
        conversation_id = self.conversation_id(event)
        if conversation_id is None:
            return None
        [conversation] = self._all(select(Conversation).where(Conversation.id == conversation_id))
        return conversation

    def conversations(self) -> list[Conversation]:
        return self._all(
            select(Conversation)
            .where(Conversation.workspace_id == self.workspace_id)
            .order_by(Conversation.id)
        )

    def members(self) -> dict[int, frozenset[str]]:
        """Conversation id -> the platform ids of its messages."""
        groups: dict[int, set[str]] = defaultdict(set)
        messages = self._all(
            select(Message).where(
                Message.workspace_id == self.workspace_id, Message.conversation_id.is_not(None)
            )
        )
        for message in messages:
            groups[message.conversation_id].add(message.platform_message_id)
        return {conversation_id: frozenset(ids) for conversation_id, ids in groups.items()}

    def partition(self) -> set[frozenset[str]]:
        """Platform message ids grouped by conversation (messages without one are left out)."""
        return set(self.members().values())

    def events_of(self, type_: str) -> list[Event]:
        return self._all(
            select(Event)
            .where(Event.workspace_id == self.workspace_id, Event.type == type_)
            .order_by(Event.id)
        )

    def identity(self, author: str) -> ContactIdentity:
        [identity] = self._all(
            select(ContactIdentity).where(
                ContactIdentity.workspace_id == self.workspace_id,
                ContactIdentity.external_id == f"user-{author}",
            )
        )
        return identity
