"""Continue on email or SMS: a social conversation moves to the customer's email address or
phone number, with their consent on record, and keeps its history.

The conversation itself moves: its ``channel_account_id`` becomes the email (or SMS) account,
and a ``conversation.channel_changed`` event keeps where it came from. Nothing else needs to
know about continuations:

- the next reply goes out through the conversation's account (services.replies), to the
  contact's identity on that platform, which this service links to the contact;
- the customer's answer by email or SMS comes from that identity, so it belongs to the same
  contact, and the threading rule finds the contact's latest conversation on that account:
  this one (an email answering our reply also names it in In-Reply-To);
- the earlier public and private messages keep their own accounts and stay in the timeline.

The price: a later X message from the customer no longer finds this conversation as "the
latest with the X account" and opens a new one (unless it replies to a message in this one,
which also opens a new one: rule 2 of the threading brief). A separate "reply channel" column
would keep X threading here, but then inbound mail would not thread without changing the
ingest pipeline's rule; moving the conversation keeps the one rule true for every channel.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from socialdesk.domain.email_text import normalize_email_address
from socialdesk.domain.errors import Conflict, InvalidInput, NotFound
from socialdesk.domain.phone import InvalidPhoneNumber, normalize_phone
from socialdesk.domain.types import Direction, EventType
from socialdesk.services.conversations import get_conversation
from socialdesk.services.events import Actor, record_event
from socialdesk.store.models import (
    ChannelAccount,
    Contact,
    ContactConsent,
    ContactIdentity,
    Conversation,
    Event,
    Message,
)
from socialdesk.store.types import utcnow

__all__ = [
    "CHANNELS",
    "CHANNEL_CHANGED",
    "MAX_REQUEST_CHARS",
    "Continuation",
    "continue_on",
    "normalize_address",
    "withdraw_consent",
]

# Continuation channel -> the platform of its channel accounts and identities.
CHANNELS = {"email": "email", "sms": "sms"}
CHANNEL_CHANGED = "conversation.channel_changed"
CONSENT_WITHDRAWN = "contact.consent_withdrawn"
MAX_REQUEST_CHARS = 2000


@dataclass(frozen=True, slots=True)
class Continuation:
    conversation: Conversation
    consent: ContactConsent
    identity: ContactIdentity
    account: ChannelAccount
    previous_account_id: int


def normalize_address(channel: str, address: str) -> str:
    """The identity form of ``address``: a lower-cased email address or an E.164 number."""
    try:
        if channel == "email":
            return normalize_email_address(address)
        if channel == "sms":
            return normalize_phone(address)
    except (ValueError, InvalidPhoneNumber) as exc:
        raise InvalidInput(str(exc)) from exc
    raise InvalidInput(f"channel must be 'email' or 'sms', not {channel!r}")


def _account(
    session: Session, workspace_id: int, platform: str, channel_account_id: int | None
) -> ChannelAccount:
    if channel_account_id is not None:
        account = session.get(ChannelAccount, channel_account_id)
        if account is None or account.workspace_id != workspace_id:
            raise NotFound(f"channel account {channel_account_id} not found")
        if account.platform != platform:
            raise InvalidInput(
                f"channel account {channel_account_id} is a {account.platform} account, "
                f"not {platform}"
            )
        return account
    accounts = list(
        session.scalars(
            select(ChannelAccount)
            .where(ChannelAccount.workspace_id == workspace_id, ChannelAccount.platform == platform)
            .order_by(ChannelAccount.is_paused, ChannelAccount.id)
        )
    )
    if not accounts:
        raise Conflict(
            f"this workspace has no {platform} channel account to continue on: connect one first"
        )
    return accounts[0]


def _identity(
    session: Session, conv: Conversation, platform: str, address: str, actor: Actor, now: datetime
) -> ContactIdentity:
    identity = session.scalar(
        select(ContactIdentity).where(
            ContactIdentity.workspace_id == conv.workspace_id,
            ContactIdentity.platform == platform,
            ContactIdentity.external_id == address,
        )
    )
    if identity is not None:
        if identity.contact_id != conv.contact_id:
            other = session.get(Contact, identity.contact_id)
            name = other.name if other is not None and other.name else f"#{identity.contact_id}"
            raise Conflict(
                f"{address} belongs to another contact ({name}, #{identity.contact_id}); "
                "merge the two contacts first"
            )
        return identity
    identity = ContactIdentity(
        workspace_id=conv.workspace_id,
        contact_id=conv.contact_id,
        platform=platform,
        external_id=address,
        handle=address,
        created_at=now,
    )
    session.add(identity)
    contact = session.get(Contact, conv.contact_id)
    if contact is not None and address not in (contact.search_text or ""):
        contact.search_text = f"{contact.search_text or ''} {address}".strip()
        contact.updated_at = now
    session.flush()
    record_event(
        session,
        workspace_id=conv.workspace_id,
        type=EventType.CONTACT_UPDATED,
        actor=actor,
        conversation_id=conv.id,
        contact_id=conv.contact_id,
        data={"identity_added": {"platform": platform, "external_id": address}},
        occurred_at=now,
    )
    return identity


def continue_on(
    session: Session,
    workspace_id: int,
    conversation_id: int,
    actor: Actor,
    *,
    channel: str,
    address: str,
    request_text: str,
    consent_message_id: int | None = None,
    channel_account_id: int | None = None,
    at: datetime | None = None,
) -> Continuation:
    """Record the customer's consent, link ``address`` to the contact and move the
    conversation to the ``channel`` account, so that the next reply goes there.

    ``request_text`` is what the customer was asked ("May we continue by email?");
    ``consent_message_id`` the customer's message that gave the address and consent (an
    inbound message of this conversation), or None when the agent records it
    (``source='agent'``). Raises InvalidInput (bad address, request or message), Conflict
    (no account of that channel, the address is another contact's), NotFound.
    """
    platform = CHANNELS.get(channel)
    if platform is None:
        raise InvalidInput(f"channel must be 'email' or 'sms', not {channel!r}")
    normalized = normalize_address(channel, address)
    request = request_text.strip()
    if not request:
        raise InvalidInput("record what the customer was asked (request_text)")
    if len(request) > MAX_REQUEST_CHARS:
        raise InvalidInput(f"request_text has at most {MAX_REQUEST_CHARS} characters")
    conv = get_conversation(session, workspace_id, conversation_id)
    source_message: Message | None = None
    if consent_message_id is not None:
        source_message = session.get(Message, consent_message_id)
        if (
            source_message is None
            or source_message.conversation_id != conv.id
            or source_message.direction != Direction.IN.value
        ):
            raise InvalidInput(
                f"message {consent_message_id} is not a message from the customer in this "
                "conversation"
            )
    account = _account(session, workspace_id, platform, channel_account_id)
    now = at or utcnow()
    identity = _identity(session, conv, platform, normalized, actor, now)
    consent = ContactConsent(
        workspace_id=workspace_id,
        contact_id=conv.contact_id,
        conversation_id=conv.id,
        channel=channel,
        address=normalized,
        source="message" if source_message is not None else "agent",
        source_message_id=source_message.id if source_message is not None else None,
        recorded_by_user_id=actor.user_id,
        request_text=request,
        given_at=source_message.platform_time if source_message is not None else now,
        created_at=now,
    )
    session.add(consent)
    session.flush()
    previous = conv.channel_account_id
    conv.channel_account_id = account.id
    conv.updated_at = now
    # The event type is this service's own (the shared EventType lists the core's types).
    session.add(
        Event(
            workspace_id=workspace_id,
            type=CHANNEL_CHANGED,
            conversation_id=conv.id,
            contact_id=conv.contact_id,
            message_id=source_message.id if source_message is not None else None,
            actor_kind=actor.kind,
            actor_user_id=actor.user_id,
            data={
                "from": previous,
                "to": account.id,
                "platform": platform,
                "address": normalized,
                "consent_id": consent.id,
            },
            occurred_at=now,
            recorded_at=utcnow(),
        )
    )
    session.flush()
    return Continuation(
        conversation=conv,
        consent=consent,
        identity=identity,
        account=account,
        previous_account_id=previous,
    )


def withdraw_consent(
    session: Session,
    workspace_id: int,
    consent_id: int,
    actor: Actor,
    *,
    at: datetime | None = None,
) -> ContactConsent:
    """Mark a consent withdrawn (kept for the record); withdrawing twice changes nothing."""
    consent = session.get(ContactConsent, consent_id)
    if consent is None or consent.workspace_id != workspace_id:
        raise NotFound(f"consent {consent_id} not found")
    if consent.withdrawn_at is None:
        now = at or utcnow()
        consent.withdrawn_at = now
        session.add(
            Event(
                workspace_id=workspace_id,
                type=CONSENT_WITHDRAWN,
                conversation_id=consent.conversation_id,
                contact_id=consent.contact_id,
                actor_kind=actor.kind,
                actor_user_id=actor.user_id,
                data={"consent_id": consent.id, "channel": consent.channel},
                occurred_at=now,
                recorded_at=utcnow(),
            )
        )
    return consent
