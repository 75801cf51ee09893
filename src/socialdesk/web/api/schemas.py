"""Response bodies of API v1, read straight from the ORM rows.

Enumerated columns are typed ``str`` (with their values in the description) rather than as
enums: a value written by a newer component must still be readable, not a 500.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Annotated, Any

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, computed_field

from socialdesk.domain.influence import influence
from socialdesk.store.models import Conversation, Event

__all__ = [
    "AccountRef",
    "ChannelAccountList",
    "ChannelAccountOut",
    "ContactConversationOut",
    "ContactDetailOut",
    "ContactList",
    "ContactOut",
    "ContactRef",
    "ConversationDetailOut",
    "ConversationOut",
    "ConversationPage",
    "DeliveryList",
    "DeliveryOut",
    "EventOut",
    "IdentityOut",
    "MessageOut",
    "NoteOut",
    "SandboxInjectionOut",
    "event_out",
]


def _tag_names(value: Any) -> Any:
    if isinstance(value, Iterable) and not isinstance(value, str | bytes):
        return [getattr(tag, "name", tag) for tag in value]
    return value


TagNames = Annotated[
    list[str],
    BeforeValidator(_tag_names),
    Field(description="Tag names, lowercase, sorted"),
]


class OrmModel(BaseModel):
    model_config = ConfigDict(from_attributes=True)


class AccountRef(OrmModel):
    id: int
    platform: str = Field(description="sandbox, x, facebook, … ")
    handle: str
    name: str


class ChannelAccountOut(AccountRef):
    """A brand's presence on one platform; its settings (credentials) are never shown."""

    external_id: str | None = Field(description="The account's id on the platform")
    is_paused: bool = Field(description="Paused accounts neither receive nor send")
    created_at: datetime


class ChannelAccountList(BaseModel):
    items: list[ChannelAccountOut]


class ContactRef(OrmModel):
    id: int
    name: str | None


class IdentityOut(OrmModel):
    platform: str
    external_id: str = Field(description="The customer's user id on the platform")
    handle: str | None
    display_name: str | None
    followers: int | None = Field(description="Audience size when last seen (influence)")
    verified: bool

    @computed_field(description="low, medium, high or top, from followers and verified")  # type: ignore[prop-decorator]
    @property
    def influence(self) -> str:
        return influence(self.followers, self.verified).level

    @computed_field(description="0-100 on a log scale of followers, +10 when verified")  # type: ignore[prop-decorator]
    @property
    def influence_score(self) -> float:
        return influence(self.followers, self.verified).score


class ContactOut(ContactRef):
    crm_id: str | None = Field(description="The matching CRM record, when one is known")
    crm_tier: str | None = Field(default=None, description="The CRM's tier, when one is known")
    merged_into_id: int | None = Field(
        description="Set on a contact that was merged away; reads follow it to the survivor"
    )
    identities: list[IdentityOut]
    tags: TagNames
    created_at: datetime
    updated_at: datetime


class ContactList(BaseModel):
    items: list[ContactOut]


class NoteOut(OrmModel):
    id: int
    body: str
    author_user_id: int | None = Field(description="The agent who wrote it (null: API token)")
    created_at: datetime


class ContactConversationOut(OrmModel):
    id: int
    status: str = Field(description="open, pending, snoozed or resolved")
    channel_account_id: int
    message_count: int
    last_message_at: datetime


class ContactDetailOut(ContactOut):
    notes: list[NoteOut]
    conversations: list[ContactConversationOut] = Field(
        description="Newest activity first, at most 200; list more with "
        "GET /conversations?contact={id}"
    )


class ConversationOut(OrmModel):
    id: int
    status: str = Field(description="open, pending (waiting on the customer), snoozed, resolved")
    snoozed_until: datetime | None = Field(description="When a snoozed conversation reopens")
    priority: str = Field(description="low, normal, high or urgent")
    contact: ContactRef
    channel_account: AccountRef
    assignee_id: int | None = Field(description="The assigned agent (null: unassigned)")
    team_id: int | None
    tags: TagNames
    has_public: bool = Field(description="Holds at least one public post")
    has_private: bool = Field(description="Holds at least one private message")
    message_count: int
    first_inbound_at: datetime | None
    first_response_at: datetime | None = Field(description="First agent reply (for FRT)")
    last_inbound_at: datetime | None
    last_message_at: datetime
    resolved_at: datetime | None
    created_at: datetime
    updated_at: datetime


class ConversationPage(BaseModel):
    items: list[ConversationOut] = Field(description="Newest activity first")
    next_cursor: str | None = Field(
        description="Pass as `cursor` to get the next page; null on the last page"
    )


class MessageOut(OrmModel):
    id: int
    conversation_id: int | None
    direction: str = Field(description="in (from the customer) or out (from the brand)")
    visibility: str = Field(description="public (a post everyone sees) or private (a DM)")
    text: str
    author_kind: str = Field(description="contact, agent, bot, brand, system or api")
    author_user_id: int | None = Field(description="The agent who wrote it, if any")
    author_external_id: str | None = Field(description="The author's user id on the platform")
    platform_message_id: str | None = Field(
        description="The message's id on the platform (null until an outbound one is sent)"
    )
    reply_to_platform_id: str | None = Field(description="Platform id of the message answered")
    delivery_state: str = Field(
        description="received (inbound), queued, sent, delivered, read or failed"
    )
    delivery_error: str | None = Field(description="The platform's reason for a failure")
    is_auto: bool = Field(description="Sent by an automation, not a person")
    platform_time: datetime = Field(description="When the platform says it was written")
    received_at: datetime
    # Enrichment of inbound customer messages; null on outbound ones and un-enriched imports.
    language: str | None = Field(
        default=None, description="ISO 639-1 code detected (inbound), 'und' when unsure"
    )
    sentiment: str | None = Field(default=None, description="negative, neutral or positive")
    sentiment_score: float | None = Field(default=None, description="-1 (negative) .. 1")
    pii_kinds: list[str] | None = Field(
        default=None, description="Personal data found: email, phone, card, reference"
    )


class ActorOut(BaseModel):
    kind: str = Field(description="agent, system, bot or api")
    user_id: int | None


class EventOut(BaseModel):
    id: int
    type: str = Field(description="message.in, conversation.assigned, … (append-only log)")
    actor: ActorOut
    message_id: int | None
    data: dict[str, Any] = Field(description="What changed, e.g. {'from': 'open', 'to': …}")
    occurred_at: datetime


def event_out(event: Event) -> EventOut:
    return EventOut(
        id=event.id,
        type=event.type,
        actor=ActorOut(kind=event.actor_kind, user_id=event.actor_user_id),
        message_id=event.message_id,
        data=event.data or {},
        occurred_at=event.occurred_at,
    )


class ConversationDetailOut(ConversationOut):
    contact: ContactOut
    messages: list[MessageOut] = Field(description="Public and private, in platform-time order")
    notes: list[NoteOut]
    events: list[EventOut] = Field(description="Everything that happened, oldest first")
    language: str | None = Field(
        default=None, description="Language of the customer's latest message that has one"
    )
    sentiment: str | None = Field(
        default=None, description="Sentiment of the customer's latest enriched message"
    )

    @classmethod
    def build(
        cls,
        conversation: Conversation,
        messages: list[Any],
        events: list[Event],
        notes: list[Any],
    ) -> ConversationDetailOut:
        summary = ConversationOut.model_validate(conversation).model_dump(exclude={"contact"})
        inbound = [m for m in messages if getattr(m, "direction", None) == "in"]
        languages = [
            m.language for m in inbound if getattr(m, "language", None) not in (None, "und")
        ]
        moods = [m.sentiment for m in inbound if getattr(m, "sentiment", None)]
        return cls(
            **summary,
            language=languages[-1] if languages else None,
            sentiment=moods[-1] if moods else None,
            contact=ContactOut.model_validate(conversation.contact),
            messages=[MessageOut.model_validate(m) for m in messages],
            notes=[NoteOut.model_validate(n) for n in notes],
            events=[event_out(e) for e in events],
        )


class SandboxInjectionOut(BaseModel):
    raw_event_id: int = Field(description="The stored payload; processing is queued")
    message_id: str = Field(description="The platform message id of the customer's message")
    duplicate: bool = Field(description="True when this message id was already received")


class DeliveryOut(OrmModel):
    id: int
    platform_message_id: str = Field(description="The id the sandbox gave the message")
    visibility: str = Field(description="public (a reply post) or private (a DM)")
    recipient: str | None = Field(description="The customer's user id")
    reply_to_platform_id: str | None
    text: str
    idempotency_key: str = Field(description="One delivery per key, however often it is sent")
    created_at: datetime


class DeliveryList(BaseModel):
    items: list[DeliveryOut] = Field(description="Newest first")
