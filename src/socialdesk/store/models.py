"""SQLAlchemy 2 models: every row belongs to a workspace; events are append-only."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Column,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Table,
    Text,
    UniqueConstraint,
    false,
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
    # Assignment (domain/assignment.py): online / away / offline, skills, capacity per channel
    # type ({"social": 8, ...}; a missing type takes the default), weekly shifts in a zone.
    availability: Mapped[str] = mapped_column(
        String(10), default="offline", server_default="offline"
    )
    availability_changed_at: Mapped[datetime | None]
    languages: Mapped[list[Any]] = mapped_column(JSON, default=list)
    topics: Mapped[list[Any]] = mapped_column(JSON, default=list)
    capacity: Mapped[dict[str, Any]] = mapped_column(default=dict)
    shift_timezone: Mapped[str] = mapped_column(String(64), default="UTC", server_default="UTC")
    shifts: Mapped[list[Any]] = mapped_column(JSON, default=list)
    teams: Mapped[list[Team]] = relationship(secondary=team_members, back_populates="members")


class Team(Base):
    __tablename__ = "teams"
    __table_args__ = (UniqueConstraint("workspace_id", "name"),)
    id: Mapped[int] = _pk()
    workspace_id: Mapped[int] = _ws()
    name: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    # "function" (billing, tech support) or "platform" (the X team); platforms it covers.
    kind: Mapped[str] = mapped_column(String(20), default="function", server_default="function")
    platforms: Mapped[list[Any]] = mapped_column(JSON, default=list)
    # manual, round_robin, least_loaded or skills (domain/assignment.py).
    assignment_strategy: Mapped[str] = mapped_column(
        String(20), default="manual", server_default="manual"
    )
    # Round-robin cursor: the member who got the team's last auto-assigned conversation.
    last_assigned_user_id: Mapped[int | None] = mapped_column(
        Id, ForeignKey("users.id", ondelete="SET NULL")
    )
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
    # The customer's tier in the CRM when known ("gold", "business"…); routing rules read it.
    crm_tier: Mapped[str | None] = mapped_column(String(50))
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


class ContactConsent(Base):
    """A customer's consent to be written to by email or SMS (continue on email or SMS).

    ``source`` is ``message`` when the customer gave the address in a message of theirs
    (``source_message_id``), ``agent`` when an agent recorded it; ``request_text`` is what the
    customer was asked. A consent is withdrawn by setting ``withdrawn_at``, never deleted.
    """

    __tablename__ = "contact_consents"
    __table_args__ = (Index("ix_contact_consents_contact", "contact_id", "channel"),)
    id: Mapped[int] = _pk()
    workspace_id: Mapped[int] = _ws()
    contact_id: Mapped[int] = mapped_column(Id, ForeignKey("contacts.id", ondelete="CASCADE"))
    conversation_id: Mapped[int | None] = mapped_column(
        Id, ForeignKey("conversations.id", ondelete="SET NULL")
    )
    channel: Mapped[str] = mapped_column(String(10))  # email | sms
    address: Mapped[str] = mapped_column(String(320))
    source: Mapped[str] = mapped_column(String(10))  # message | agent
    source_message_id: Mapped[int | None] = mapped_column(
        Id, ForeignKey("messages.id", ondelete="SET NULL")
    )
    recorded_by_user_id: Mapped[int | None] = mapped_column(
        Id, ForeignKey("users.id", ondelete="SET NULL")
    )
    request_text: Mapped[str] = mapped_column(Text)
    given_at: Mapped[datetime]
    withdrawn_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


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
        # "Breaching SLA soon" and the "SLA due" sort (services/sla.py keeps these current).
        Index("ix_conversations_sla_warn", "workspace_id", "sla_warn_at"),
        Index("ix_conversations_sla_due", "workspace_id", "sla_due_at"),
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
    # SLA clocks (services/sla.py): a clock runs while its *_started_at is set; its due time
    # is None while the conversation is pending on the customer (paused since sla_paused_at).
    # No ON DELETE here (SQLite cannot add one to an existing table): deleting a policy
    # detaches its conversations first (services/sla.py).
    sla_policy_id: Mapped[int | None] = mapped_column(Id, ForeignKey("sla_policies.id"), index=True)
    first_response_started_at: Mapped[datetime | None]
    first_response_due_at: Mapped[datetime | None]
    next_response_started_at: Mapped[datetime | None]
    next_response_due_at: Mapped[datetime | None]
    resolution_started_at: Mapped[datetime | None]
    resolution_due_at: Mapped[datetime | None]
    sla_paused_at: Mapped[datetime | None]
    # Finished pauses as [start, end] ISO pairs; the running clocks subtract them.
    sla_pauses: Mapped[list[Any]] = mapped_column(JSON, default=list)
    # Warnings and breaches already emitted, as "first_response:warning" and the like.
    sla_notified: Mapped[list[Any]] = mapped_column(JSON, default=list)
    sla_warn_at: Mapped[datetime | None]  # earliest 80 % point of the running clocks
    sla_due_at: Mapped[datetime | None]  # earliest due time of the running clocks
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
    tags: Mapped[list[Tag]] = relationship(secondary=conversation_tags, order_by="Tag.name")
    contact: Mapped[Contact] = relationship()
    channel_account: Mapped[ChannelAccount] = relationship()


class BusinessHoursCalendar(Base):
    """When a team works: weekly opening hours in a time zone, minus public holidays of a
    country (the ``holidays`` package) and closed dates of the workspace's own."""

    __tablename__ = "business_calendars"
    __table_args__ = (UniqueConstraint("workspace_id", "name"),)
    id: Mapped[int] = _pk()
    workspace_id: Mapped[int] = _ws()
    name: Mapped[str] = mapped_column(String(200))
    timezone: Mapped[str] = mapped_column(String(64))
    # {"mon": [["09:00", "17:00"]], …}; a day that is missing is closed.
    hours: Mapped[dict[str, Any]] = mapped_column(default=dict)
    holiday_country: Mapped[str | None] = mapped_column(String(10))
    holiday_subdivision: Mapped[str | None] = mapped_column(String(10))
    closed_dates: Mapped[list[Any]] = mapped_column(JSON, default=list)  # ISO dates
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class SlaPolicy(Base):
    """Response and resolution targets by priority and channel, in business hours of a
    calendar or around the clock (no calendar); one policy may be the workspace default."""

    __tablename__ = "sla_policies"
    __table_args__ = (UniqueConstraint("workspace_id", "name"),)
    id: Mapped[int] = _pk()
    workspace_id: Mapped[int] = _ws()
    name: Mapped[str] = mapped_column(String(200))
    calendar_id: Mapped[int | None] = mapped_column(
        Id, ForeignKey("business_calendars.id", ondelete="RESTRICT"), index=True
    )
    is_default: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
    targets: Mapped[list[SlaPolicyTarget]] = relationship(
        back_populates="policy", cascade="all, delete-orphan", order_by="SlaPolicyTarget.id"
    )


class SlaPolicyTarget(Base):
    """One row of a policy: targets in seconds for a priority and a channel (null: any)."""

    __tablename__ = "sla_policy_targets"
    id: Mapped[int] = _pk()
    policy_id: Mapped[int] = mapped_column(
        Id, ForeignKey("sla_policies.id", ondelete="CASCADE"), index=True
    )
    priority: Mapped[str | None] = mapped_column(String(20))
    platform: Mapped[str | None] = mapped_column(String(30))
    first_response_seconds: Mapped[int | None] = mapped_column(Integer)
    next_response_seconds: Mapped[int | None] = mapped_column(Integer)
    resolution_seconds: Mapped[int | None] = mapped_column(Integer)
    policy: Mapped[SlaPolicy] = relationship(back_populates="targets")


class WebhookSubscription(Base):
    """An outgoing webhook: events of the chosen types are POSTed to ``url``, signed with
    HMAC-SHA256 of the body under the subscription's secret (kept encrypted, store.crypto)."""

    __tablename__ = "webhook_subscriptions"
    id: Mapped[int] = _pk()
    workspace_id: Mapped[int] = _ws()
    url: Mapped[str] = mapped_column(String(2000))
    description: Mapped[str] = mapped_column(String(200), default="")
    event_types: Mapped[list[Any]] = mapped_column(JSON, default=list)
    secret: Mapped[str] = mapped_column(Text)
    is_active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


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
    # Enrichment of inbound contact messages (pipeline.enrichment); NULL on outbound messages
    # and on history imported without enrichment.
    language: Mapped[str | None] = mapped_column(String(12))
    sentiment: Mapped[str | None] = mapped_column(String(10))
    sentiment_score: Mapped[float | None] = mapped_column(Float)
    pii_kinds: Mapped[list[str] | None] = mapped_column(JSON(none_as_null=True))


class Rule(Base):
    """A routing rule of a workspace, evaluated in ``position`` order on each new inbound
    message; ``conditions`` and ``actions`` are the JSON of domain/rules.py."""

    __tablename__ = "rules"
    __table_args__ = (
        UniqueConstraint("workspace_id", "name"),
        Index("ix_rules_order", "workspace_id", "position"),
    )
    id: Mapped[int] = _pk()
    workspace_id: Mapped[int] = _ws()
    name: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    position: Mapped[int] = mapped_column(Integer)
    enabled: Mapped[bool] = mapped_column(Boolean, default=False)
    match: Mapped[str] = mapped_column(String(3), default="all")
    conditions: Mapped[list[Any]] = mapped_column(JSON, default=list)
    actions: Mapped[list[Any]] = mapped_column(JSON, default=list)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


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


class WebchatVisitor(Base):
    """A visitor of a site's web chat widget (channels/webchat): ``visitor_id`` is the
    contact identity's external id; ``email`` set with ``email_followup`` when the visitor
    wrote while no agent was online and agents' replies also go by email."""

    __tablename__ = "webchat_visitors"
    __table_args__ = (UniqueConstraint("channel_account_id", "visitor_id"),)
    id: Mapped[int] = _pk()
    workspace_id: Mapped[int] = _ws()
    channel_account_id: Mapped[int] = mapped_column(
        Id, ForeignKey("channel_accounts.id", ondelete="CASCADE")
    )
    visitor_id: Mapped[str] = mapped_column(String(64))
    name: Mapped[str | None] = mapped_column(String(300))
    email: Mapped[str | None] = mapped_column(String(320))
    email_followup: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_seen_at: Mapped[datetime] = mapped_column(default=utcnow)


class WebchatMessage(Base):
    """A visitor's transcript as the widget shows it: their messages (``key`` = the widget's
    message id) and agents' replies (``key`` = the reply's idempotency key), with the times
    the widget confirmed it received and showed a reply."""

    __tablename__ = "webchat_messages"
    __table_args__ = (
        UniqueConstraint("visitor_pk", "direction", "key"),
        Index("ix_webchat_messages_visitor", "visitor_pk", "id"),
    )
    id: Mapped[int] = _pk()
    channel_account_id: Mapped[int] = mapped_column(
        Id, ForeignKey("channel_accounts.id", ondelete="CASCADE"), index=True
    )
    visitor_pk: Mapped[int] = mapped_column(
        Id, ForeignKey("webchat_visitors.id", ondelete="CASCADE")
    )
    direction: Mapped[str] = mapped_column(String(3))
    key: Mapped[str] = mapped_column(String(200))
    text: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    delivered_at: Mapped[datetime | None]
    read_at: Mapped[datetime | None]


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


class AutoReplySettings(Base):
    """Auto-responders of a workspace (``channel_account_id`` NULL) or of one account, which
    then overrides the workspace's. Texts take ``{{contact.name}}``, ``{{next_opening}}``,
    ``{{expected_wait}}``; ``business_hours`` is ``{"timezone", "hours", "holiday_country"}``
    (domain/business_hours.py), used when no stored business calendar is chosen."""

    __tablename__ = "autoreply_settings"
    __table_args__ = (UniqueConstraint("workspace_id", "channel_account_id"),)
    id: Mapped[int] = _pk()
    workspace_id: Mapped[int] = _ws()
    channel_account_id: Mapped[int | None] = mapped_column(
        Id, ForeignKey("channel_accounts.id", ondelete="CASCADE")
    )
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    out_of_hours_enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    out_of_hours_text: Mapped[str] = mapped_column(Text, default="")
    in_hours_enabled: Mapped[bool] = mapped_column(Boolean, default=False)
    in_hours_text: Mapped[str] = mapped_column(Text, default="")
    welcome_enabled: Mapped[bool] = mapped_column(Boolean, default=False)
    # Acknowledgements answer public posts with a public reply only when this is on (one
    # automatic public reply per post is visible to everyone, and platforms such as X limit
    # automated replies); off, they go to private messages only.
    public_posts: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    welcome_text: Mapped[str] = mapped_column(Text, default="")
    welcome_buttons: Mapped[list[Any]] = mapped_column(JSON, default=list)
    # A stored business calendar; without one, ``business_hours`` below, else always open.
    calendar_id: Mapped[int | None] = mapped_column(
        Id, ForeignKey("business_calendars.id", ondelete="SET NULL")
    )
    business_hours: Mapped[dict[str, Any]] = mapped_column(default=dict)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
