"""SQLAlchemy 2 models: every row belongs to a workspace; events are append-only."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Column,
    ForeignKey,
    Index,
    Integer,
    String,
    Table,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

from socialdesk.store.types import UTCDateTime, utcnow

# BigInteger ids on PostgreSQL, INTEGER PRIMARY KEY (rowid alias) on SQLite.
Id = BigInteger().with_variant(Integer(), "sqlite")


class Base(DeclarativeBase):
    type_annotation_map = {datetime: UTCDateTime(), dict[str, Any]: JSON()}


def _pk() -> Mapped[int]:
    return mapped_column(Id, primary_key=True, autoincrement=True)


def _ws() -> Mapped[int]:
    return mapped_column(Id, ForeignKey("workspaces.id", ondelete="CASCADE"), index=True)


class Workspace(Base):
    __tablename__ = "workspaces"
    id: Mapped[int] = _pk()
    name: Mapped[str] = mapped_column(String(200))
    slug: Mapped[str] = mapped_column(String(100), unique=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


team_members = Table(
    "team_members",
    Base.metadata,
    Column("team_id", Id, ForeignKey("teams.id", ondelete="CASCADE"), primary_key=True),
    Column("user_id", Id, ForeignKey("users.id", ondelete="CASCADE"), primary_key=True),
)

conversation_tags = Table(
    "conversation_tags",
    Base.metadata,
    Column(
        "conversation_id", Id, ForeignKey("conversations.id", ondelete="CASCADE"), primary_key=True
    ),
    Column("tag_id", Id, ForeignKey("tags.id", ondelete="CASCADE"), primary_key=True),
    Index("ix_conversation_tags_tag", "tag_id"),
)

contact_tags = Table(
    "contact_tags",
    Base.metadata,
    Column("contact_id", Id, ForeignKey("contacts.id", ondelete="CASCADE"), primary_key=True),
    Column("tag_id", Id, ForeignKey("tags.id", ondelete="CASCADE"), primary_key=True),
    Index("ix_contact_tags_tag", "tag_id"),
)


class User(Base):
    """An agent, supervisor or admin of one workspace."""

    __tablename__ = "users"
    __table_args__ = (UniqueConstraint("workspace_id", "email"),)
    id: Mapped[int] = _pk()
    workspace_id: Mapped[int] = _ws()
    email: Mapped[str] = mapped_column(String(320))
    name: Mapped[str] = mapped_column(String(200))
    password_hash: Mapped[str | None] = mapped_column(String(200))
    role: Mapped[str] = mapped_column(String(20), default="agent")
    is_active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    teams: Mapped[list[Team]] = relationship(secondary=team_members, back_populates="members")


class Team(Base):
    __tablename__ = "teams"
    __table_args__ = (UniqueConstraint("workspace_id", "name"),)
    id: Mapped[int] = _pk()
    workspace_id: Mapped[int] = _ws()
    name: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    members: Mapped[list[User]] = relationship(secondary=team_members, back_populates="teams")


class ApiToken(Base):
    """A bearer token for the REST API; only a SHA-256 of the secret is kept."""

    __tablename__ = "api_tokens"
    id: Mapped[int] = _pk()
    workspace_id: Mapped[int] = _ws()
    user_id: Mapped[int | None] = mapped_column(Id, ForeignKey("users.id", ondelete="SET NULL"))
    name: Mapped[str] = mapped_column(String(200))
    prefix: Mapped[str] = mapped_column(String(16))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_used_at: Mapped[datetime | None]
    revoked_at: Mapped[datetime | None]


class ChannelAccount(Base):
    """A brand's presence on one platform (@sprintcare on X, a page, a number, a mailbox)."""

    __tablename__ = "channel_accounts"
    __table_args__ = (UniqueConstraint("workspace_id", "platform", "handle"),)
    id: Mapped[int] = _pk()
    workspace_id: Mapped[int] = _ws()
    platform: Mapped[str] = mapped_column(String(30))
    name: Mapped[str] = mapped_column(String(200))
    handle: Mapped[str] = mapped_column(String(200))
    external_id: Mapped[str | None] = mapped_column(String(200))
    settings: Mapped[dict[str, Any]] = mapped_column(default=dict)
    # Secrets (tokens, app secrets) as one Fernet token (store.crypto); never shown anywhere.
    credentials: Mapped[str | None] = mapped_column(Text)
    is_paused: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Contact(Base):
    """A customer; ``merged_into_id`` points to the survivor after a merge."""

    __tablename__ = "contacts"
    id: Mapped[int] = _pk()
    workspace_id: Mapped[int] = _ws()
    name: Mapped[str | None] = mapped_column(String(300))
    crm_id: Mapped[str | None] = mapped_column(String(200))
    # Name, handles and addresses in one string, indexed for full-text search.
    search_text: Mapped[str] = mapped_column(Text, default="")
    merged_into_id: Mapped[int | None] = mapped_column(
        Id, ForeignKey("contacts.id", ondelete="SET NULL")
    )
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
    identities: Mapped[list[ContactIdentity]] = relationship(
        back_populates="contact", order_by="ContactIdentity.id"
    )
    tags: Mapped[list[Tag]] = relationship(secondary=contact_tags, order_by="Tag.name")


class ContactIdentity(Base):
    """One platform identity of a contact (an X user id, a PSID, a phone number…)."""

    __tablename__ = "contact_identities"
    __table_args__ = (UniqueConstraint("workspace_id", "platform", "external_id"),)
    id: Mapped[int] = _pk()
    workspace_id: Mapped[int] = _ws()
    contact_id: Mapped[int] = mapped_column(
        Id, ForeignKey("contacts.id", ondelete="CASCADE"), index=True
    )
    platform: Mapped[str] = mapped_column(String(30))
    external_id: Mapped[str] = mapped_column(String(200))
    handle: Mapped[str | None] = mapped_column(String(200))
    display_name: Mapped[str | None] = mapped_column(String(300))
    followers: Mapped[int | None] = mapped_column(Integer)
    verified: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    contact: Mapped[Contact] = relationship(back_populates="identities")


class Tag(Base):
    __tablename__ = "tags"
    __table_args__ = (UniqueConstraint("workspace_id", "name"),)
    id: Mapped[int] = _pk()
    workspace_id: Mapped[int] = _ws()
    name: Mapped[str] = mapped_column(String(100))


class Conversation(Base):
    """The unit of work: one contact, one channel account, public and private together."""

    __tablename__ = "conversations"
    __table_args__ = (
        Index("ix_conversations_inbox", "workspace_id", "status", "last_message_at"),
        Index("ix_conversations_contact_account", "contact_id", "channel_account_id", "id"),
        # The inbox's views and sorts (see services/inbox.py): each count and each first page
        # is an index walk, not a scan of every conversation.
        Index("ix_conversations_recent", "workspace_id", "last_message_at", "id"),
        Index(
            "ix_conversations_assignee", "workspace_id", "assignee_id", "status", "last_message_at"
        ),
        Index("ix_conversations_team", "workspace_id", "team_id", "status"),
        Index("ix_conversations_waiting", "workspace_id", "last_inbound_at"),
        Index(
            "ix_conversations_unanswered",
            "workspace_id",
            "status",
            "first_response_at",
            "first_inbound_at",
        ),
    )
    id: Mapped[int] = _pk()
    workspace_id: Mapped[int] = _ws()
    channel_account_id: Mapped[int] = mapped_column(
        Id, ForeignKey("channel_accounts.id", ondelete="CASCADE"), index=True
    )
    contact_id: Mapped[int] = mapped_column(Id, ForeignKey("contacts.id", ondelete="CASCADE"))
    status: Mapped[str] = mapped_column(String(20), default="open")
    priority: Mapped[str] = mapped_column(String(20), default="normal")
    assignee_id: Mapped[int | None] = mapped_column(
        Id, ForeignKey("users.id", ondelete="SET NULL"), index=True
    )
    team_id: Mapped[int | None] = mapped_column(
        Id, ForeignKey("teams.id", ondelete="SET NULL"), index=True
    )
    snoozed_until: Mapped[datetime | None]
    has_public: Mapped[bool] = mapped_column(Boolean, default=False)
    has_private: Mapped[bool] = mapped_column(Boolean, default=False)
    message_count: Mapped[int] = mapped_column(Integer, default=0)
    first_inbound_at: Mapped[datetime | None]
    first_response_at: Mapped[datetime | None]
    last_inbound_at: Mapped[datetime | None]
    last_message_at: Mapped[datetime]
    resolved_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
    tags: Mapped[list[Tag]] = relationship(secondary=conversation_tags, order_by="Tag.name")
    contact: Mapped[Contact] = relationship()
    channel_account: Mapped[ChannelAccount] = relationship()


class Message(Base):
    """One post or private message, inbound or outbound."""

    __tablename__ = "messages"
    __table_args__ = (
        UniqueConstraint("channel_account_id", "platform_message_id"),
        # Messages whose account is unknown (imports) are deduplicated per platform.
        Index(
            "uq_messages_unaccounted",
            "workspace_id",
            "platform",
            "platform_message_id",
            unique=True,
            sqlite_where=text("channel_account_id IS NULL"),
            postgresql_where=text("channel_account_id IS NULL"),
        ),
        Index("ix_messages_conversation", "conversation_id", "platform_time"),
        Index("ix_messages_reply_to", "workspace_id", "platform", "reply_to_platform_id"),
    )
    id: Mapped[int] = _pk()
    workspace_id: Mapped[int] = _ws()
    platform: Mapped[str] = mapped_column(String(30))
    channel_account_id: Mapped[int | None] = mapped_column(
        Id, ForeignKey("channel_accounts.id", ondelete="CASCADE")
    )
    conversation_id: Mapped[int | None] = mapped_column(
        Id, ForeignKey("conversations.id", ondelete="SET NULL")
    )
    contact_id: Mapped[int | None] = mapped_column(
        Id, ForeignKey("contacts.id", ondelete="SET NULL"), index=True
    )
    direction: Mapped[str] = mapped_column(String(3))
    visibility: Mapped[str] = mapped_column(String(10))
    platform_message_id: Mapped[str | None] = mapped_column(String(200))
    reply_to_platform_id: Mapped[str | None] = mapped_column(String(200))
    author_kind: Mapped[str] = mapped_column(String(10))
    author_user_id: Mapped[int | None] = mapped_column(
        Id, ForeignKey("users.id", ondelete="SET NULL")
    )
    author_external_id: Mapped[str | None] = mapped_column(String(200))
    text: Mapped[str] = mapped_column(Text, default="")
    attachments: Mapped[list[Any]] = mapped_column(JSON, default=list)
    is_auto: Mapped[bool] = mapped_column(Boolean, default=False)
    platform_time: Mapped[datetime]
    received_at: Mapped[datetime] = mapped_column(default=utcnow)
    delivery_state: Mapped[str] = mapped_column(String(12))
    delivery_error: Mapped[str | None] = mapped_column(Text)
    idempotency_key: Mapped[str | None] = mapped_column(String(200), unique=True)
    raw_event_id: Mapped[int | None] = mapped_column(
        Id, ForeignKey("raw_events.id", ondelete="SET NULL")
    )


class Note(Base):
    """An internal note on a conversation or a contact; never sent to the customer."""

    __tablename__ = "notes"
    id: Mapped[int] = _pk()
    workspace_id: Mapped[int] = _ws()
    conversation_id: Mapped[int | None] = mapped_column(
        Id, ForeignKey("conversations.id", ondelete="CASCADE"), index=True
    )
    contact_id: Mapped[int | None] = mapped_column(
        Id, ForeignKey("contacts.id", ondelete="CASCADE"), index=True
    )
    author_user_id: Mapped[int | None] = mapped_column(
        Id, ForeignKey("users.id", ondelete="SET NULL")
    )
    body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Event(Base):
    """Append-only record of what happened, with actor and time; analytics read these."""

    __tablename__ = "events"
    __table_args__ = (Index("ix_events_conversation", "conversation_id", "id"),)
    id: Mapped[int] = _pk()
    workspace_id: Mapped[int] = _ws()
    type: Mapped[str] = mapped_column(String(40), index=True)
    conversation_id: Mapped[int | None] = mapped_column(
        Id, ForeignKey("conversations.id", ondelete="SET NULL")
    )
    contact_id: Mapped[int | None] = mapped_column(Id)
    message_id: Mapped[int | None] = mapped_column(Id)
    actor_kind: Mapped[str] = mapped_column(String(10))
    actor_user_id: Mapped[int | None] = mapped_column(Id)
    data: Mapped[dict[str, Any]] = mapped_column(default=dict)
    occurred_at: Mapped[datetime]
    recorded_at: Mapped[datetime] = mapped_column(default=utcnow)


class RawEvent(Base):
    """A payload exactly as received, stored before it is acknowledged."""

    __tablename__ = "raw_events"
    __table_args__ = (
        Index(
            "uq_raw_events_external",
            "workspace_id",
            "source",
            "external_id",
            unique=True,
            sqlite_where=text("external_id IS NOT NULL"),
            postgresql_where=text("external_id IS NOT NULL"),
        ),
    )
    id: Mapped[int] = _pk()
    workspace_id: Mapped[int] = _ws()
    channel_account_id: Mapped[int | None] = mapped_column(
        Id, ForeignKey("channel_accounts.id", ondelete="CASCADE")
    )
    source: Mapped[str] = mapped_column(String(40))
    external_id: Mapped[str | None] = mapped_column(String(200))
    payload: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(12), default="received")
    error: Mapped[str | None] = mapped_column(Text)
    received_at: Mapped[datetime] = mapped_column(default=utcnow)
    processed_at: Mapped[datetime | None]


class Job(Base):
    """A durable unit of background work; claimed with a lease so a crash never loses it."""

    __tablename__ = "jobs"
    __table_args__ = (Index("ix_jobs_claim", "status", "run_at"),)
    id: Mapped[int] = _pk()
    kind: Mapped[str] = mapped_column(String(60))
    payload: Mapped[dict[str, Any]] = mapped_column(default=dict)
    status: Mapped[str] = mapped_column(String(12), default="queued")
    run_at: Mapped[datetime] = mapped_column(default=utcnow)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    max_attempts: Mapped[int] = mapped_column(Integer, default=8)
    idempotency_key: Mapped[str | None] = mapped_column(String(200), unique=True)
    locked_by: Mapped[str | None] = mapped_column(String(100))
    locked_until: Mapped[datetime | None]
    last_error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    finished_at: Mapped[datetime | None]


class SandboxDelivery(Base):
    """What the training sandbox 'platform' received from us (it keeps no other state)."""

    __tablename__ = "sandbox_deliveries"
    id: Mapped[int] = _pk()
    channel_account_id: Mapped[int] = mapped_column(
        Id, ForeignKey("channel_accounts.id", ondelete="CASCADE"), index=True
    )
    idempotency_key: Mapped[str] = mapped_column(String(200), unique=True)
    platform_message_id: Mapped[str] = mapped_column(String(200))
    visibility: Mapped[str] = mapped_column(String(10))
    recipient: Mapped[str | None] = mapped_column(String(200))
    reply_to_platform_id: Mapped[str | None] = mapped_column(String(200))
    text: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class UserSession(Base):
    """A signed-in browser: only a hash of the cookie's secret is kept, so a database leak
    cannot be replayed; ``csrf_token`` guards every form and htmx request of the session."""

    __tablename__ = "user_sessions"
    id: Mapped[int] = _pk()
    workspace_id: Mapped[int] = _ws()
    user_id: Mapped[int] = mapped_column(Id, ForeignKey("users.id", ondelete="CASCADE"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    csrf_token: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_seen_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime]
    user_agent: Mapped[str | None] = mapped_column(String(300))
    ip: Mapped[str | None] = mapped_column(String(64))


class LoginAttempt(Base):
    """Failed and successful sign-ins, for throttling guessers by email and by address."""

    __tablename__ = "login_attempts"
    __table_args__ = (
        Index("ix_login_attempts_email", "email", "at"),
        Index("ix_login_attempts_ip", "ip", "at"),
    )
    id: Mapped[int] = _pk()
    email: Mapped[str] = mapped_column(String(320))
    ip: Mapped[str | None] = mapped_column(String(64))
    succeeded: Mapped[bool] = mapped_column(Boolean, default=False)
    at: Mapped[datetime] = mapped_column(default=utcnow)


class CannedResponse(Base):
    """A saved answer agents insert into the composer; ``{{contact.name}}``-style variables."""

    __tablename__ = "canned_responses"
    __table_args__ = (UniqueConstraint("workspace_id", "title"),)
    id: Mapped[int] = _pk()
    workspace_id: Mapped[int] = _ws()
    title: Mapped[str] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
