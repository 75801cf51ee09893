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

Going back (:func:`return_to_origin`, "Back to X" in the conversation view) is the same move
the other way: the conversation returns to the account it was continued from, recorded by a
``conversation.channel_changed`` event marked ``"returned": true``. The same rule then holds
the other way round: the next reply goes out on X again, and the customer's X messages find
this conversation as their latest with the X account again (unless an X message opened another
one meanwhile: that one is now the latest), while a later email or SMS from them no longer
finds it and opens a new conversation on that account. The consent, the linked address and
the history stay. The channel changes of a conversation form a stack: a continuation pushes,
a return pops, so a conversation continued twice (X, then email, then SMS) goes back one step
at a time, and one never continued (or already back) has nothing to return to.

Consent is enforced here too (:func:`check_may_contact`, :func:`contact_refusal`): once the
contact's latest consent for email or SMS is withdrawn (by an agent, or by the customer
texting an opt-out keyword: services.opt_out), replies, auto-replies and queued messages to
them on that channel are refused, until the customer writes to us there again. Customers
who wrote to us by email or SMS first, without a consent record, are not affected.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from socialdesk.domain.email_text import normalize_email_address
from socialdesk.domain.errors import Conflict, InvalidInput, NotFound
from socialdesk.domain.phone import InvalidPhoneNumber, normalize_phone
from socialdesk.domain.platforms import platform as platform_rules
from socialdesk.domain.types import AuthorKind, Direction, EventType
from socialdesk.services.contacts import get_contact
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
    User,
)
from socialdesk.store.types import utcnow

__all__ = [
    "CHANNELS",
    "CHANNEL_CHANGED",
    "CONSENT_WITHDRAWN",
    "MAX_REQUEST_CHARS",
    "SMS_OPT_IN_KEYWORDS",
    "SMS_OPT_OUT_KEYWORDS",
    "ConsentWithdrawn",
    "Continuation",
    "OptOut",
    "check_may_contact",
    "consents_of",
    "contact_refusal",
    "continue_on",
    "list_consents",
    "normalize_address",
    "opt_out_keyword",
    "return_target",
    "return_to_origin",
    "where_label",
    "withdraw_consent",
    "withdraw_contact_consent",
    "withdraw_on_opt_out",
]

log = logging.getLogger(__name__)

# Continuation channel -> the platform of its channel accounts and identities.
CHANNELS = {"email": "email", "sms": "sms"}
CHANNEL_CHANGED = "conversation.channel_changed"
CONSENT_WITHDRAWN = "contact.consent_withdrawn"
MAX_REQUEST_CHARS = 2000
# Platform of an email or SMS account -> its continuation channel.
_CHANNEL_OF = {platform: channel for channel, platform in CHANNELS.items()}
_CHANNEL_WORDS = {"email": "email", "sms": "SMS"}

# Twilio's standard opt-out keywords (its "Advanced Opt-Out" documentation: STOP, STOPALL,
# UNSUBSCRIBE, CANCEL, END, QUIT, and the newer OPTOUT and REVOKE): an inbound SMS whose whole
# text is one of them withdraws the sender's SMS consents. The opt-in keywords create no
# consent; like any other message from the customer they count as writing to us again.
SMS_OPT_OUT_KEYWORDS = frozenset(
    {"STOP", "STOPALL", "UNSUBSCRIBE", "CANCEL", "END", "QUIT", "OPTOUT", "REVOKE"}
)
SMS_OPT_IN_KEYWORDS = frozenset({"START", "UNSTOP", "YES"})
_CHUNK = 500  # ids per IN (...) list


class ConsentWithdrawn(Conflict):
    """A send to a customer who withdrew consent to that channel (409, like any Conflict)."""


@dataclass(frozen=True, slots=True)
class OptOut:
    """A customer's opt-out keyword by SMS: when, which message, which word."""

    at: datetime
    message_id: int
    keyword: str


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
    record_event(
        session,
        workspace_id=workspace_id,
        type=CHANNEL_CHANGED,
        conversation_id=conv.id,
        contact_id=conv.contact_id,
        message_id=source_message.id if source_message is not None else None,
        actor=actor,
        data={
            "from": previous,
            "to": account.id,
            "platform": platform,
            "address": normalized,
            "consent_id": consent.id,
        },
        occurred_at=now,
    )
    session.flush()
    return Continuation(
        conversation=conv,
        consent=consent,
        identity=identity,
        account=account,
        previous_account_id=previous,
    )


# -- back to the original channel ---------------------------------------------------------------


def where_label(account: ChannelAccount) -> str:
    """An account as the agent knows it: "X (@acmecare)", "Email (care@acme.example)", or its
    name when it has no handle."""
    rules = platform_rules(account.platform)
    handle = (account.handle or "").strip()
    if not handle:
        return f"{rules.label} ({account.name})"
    if rules.handle_prefix and not handle.startswith(rules.handle_prefix):
        handle = rules.handle_prefix + handle.lstrip("@")
    return f"{rules.label} ({handle})"


def _continued_from(session: Session, conv: Conversation) -> int | None:
    """The account the conversation was continued from, when it still sits on the account that
    continuation moved it to; None when there is nothing to go back to.

    Channel changes stack up: a continuation pushes (unless it stayed on the same account), a
    return pops; the top is where a return goes."""
    stack: list[tuple[Any, Any]] = []
    for data in session.scalars(
        select(Event.data)
        .where(Event.conversation_id == conv.id, Event.type == CHANNEL_CHANGED)
        .order_by(Event.id)
    ):
        if not isinstance(data, dict):
            continue
        if data.get("returned"):
            if stack:
                stack.pop()
        elif data.get("from") != data.get("to"):
            stack.append((data.get("from"), data.get("to")))
    if not stack:
        return None
    origin, moved_to = stack[-1]
    if moved_to != conv.channel_account_id or not isinstance(origin, int):
        return None
    return origin


def return_target(session: Session, conv: Conversation) -> ChannelAccount | None:
    """Where "Back to …" would move a continued conversation: the account it was continued
    from, if it still exists in the workspace; None otherwise."""
    origin = _continued_from(session, conv)
    if origin is None:
        return None
    account = session.get(ChannelAccount, origin)
    if account is None or account.workspace_id != conv.workspace_id:
        return None
    return account


def return_to_origin(
    session: Session,
    workspace_id: int,
    conversation_id: int,
    actor: Actor,
    *,
    at: datetime | None = None,
) -> Conversation:
    """Move a continued conversation back to the account it was continued from (the latest
    continuation not yet undone), with a ``conversation.channel_changed`` event marked
    ``"returned": true``: the next reply goes out there again.

    A paused account is fine (its sends wait for the resume). Raises NotFound (unknown
    conversation, or another workspace's), Conflict (never continued, or back already; the
    account it came from no longer exists)."""
    conv = get_conversation(session, workspace_id, conversation_id)
    if session.get_bind().dialect.name == "postgresql":  # one return at a time
        session.execute(select(Conversation.id).where(Conversation.id == conv.id).with_for_update())
        session.refresh(conv, ["channel_account_id"])
    origin = _continued_from(session, conv)
    if origin is None:
        raise Conflict("this conversation has not been continued on another channel")
    account = session.get(ChannelAccount, origin)
    if account is None or account.workspace_id != workspace_id:
        raise Conflict(
            f"the channel account this conversation was continued from (#{origin}) no longer "
            "exists in this workspace, so it cannot go back there; answer the customer on "
            "another channel they use"
        )
    now = at or utcnow()
    current = conv.channel_account_id
    conv.channel_account_id = account.id
    conv.updated_at = now
    record_event(
        session,
        workspace_id=workspace_id,
        type=CHANNEL_CHANGED,
        conversation_id=conv.id,
        contact_id=conv.contact_id,
        actor=actor,
        data={
            "from": current,
            "to": account.id,
            "platform": account.platform,
            "returned": True,
        },
        occurred_at=now,
    )
    session.flush()
    return conv


def withdraw_consent(
    session: Session,
    workspace_id: int,
    consent_id: int,
    actor: Actor,
    *,
    at: datetime | None = None,
    message_id: int | None = None,
    keyword: str | None = None,
) -> ContactConsent:
    """Mark a consent withdrawn (kept for the record); withdrawing twice changes nothing.

    ``message_id`` and ``keyword`` name the customer's opt-out message (an SMS "STOP"), kept
    in the ``contact.consent_withdrawn`` event."""
    consent = session.get(ContactConsent, consent_id)
    if consent is None or consent.workspace_id != workspace_id:
        raise NotFound(f"consent {consent_id} not found")
    if consent.withdrawn_at is None:
        now = at or utcnow()
        consent.withdrawn_at = now
        data: dict[str, Any] = {"consent_id": consent.id, "channel": consent.channel}
        if keyword is not None:
            data["keyword"] = keyword
        record_event(
            session,
            workspace_id=workspace_id,
            type=CONSENT_WITHDRAWN,
            conversation_id=consent.conversation_id,
            contact_id=consent.contact_id,
            message_id=message_id,
            actor=actor,
            data=data,
            occurred_at=now,
        )
        session.flush()
    return consent


# -- consents of a contact ----------------------------------------------------------------------


def _merged_into(session: Session, contact_ids: Iterable[int]) -> dict[int, int]:
    """Each of ``contact_ids`` and every contact merged into one of them (at any depth),
    mapped to the one of ``contact_ids`` it now belongs to. Merging moves identities and
    messages but leaves consents with the contact that gave them, so they are looked up
    through this."""
    owner = {contact_id: contact_id for contact_id in contact_ids}
    frontier = sorted(owner)
    while frontier:
        found: list[int] = []
        for start in range(0, len(frontier), _CHUNK):
            for merged_id, into_id in session.execute(
                select(Contact.id, Contact.merged_into_id).where(
                    Contact.merged_into_id.in_(frontier[start : start + _CHUNK])
                )
            ):
                if merged_id not in owner and into_id is not None:
                    owner[merged_id] = owner[into_id]
                    found.append(merged_id)
        frontier = sorted(found)
    return owner


def consents_of(session: Session, contact_id: int) -> list[ContactConsent]:
    """The contact's consents (and those of contacts merged into it), newest first."""
    family = sorted(_merged_into(session, [contact_id]))
    return list(
        session.scalars(
            select(ContactConsent)
            .where(ContactConsent.contact_id.in_(family))
            .order_by(ContactConsent.created_at.desc(), ContactConsent.id.desc())
        )
    )


def list_consents(session: Session, workspace_id: int, contact_id: int) -> list[ContactConsent]:
    """A contact's consents, newest first; NotFound for a contact of another workspace."""
    contact = get_contact(session, workspace_id, contact_id)
    return consents_of(session, contact.id)


def withdraw_contact_consent(
    session: Session,
    workspace_id: int,
    contact_id: int,
    consent_id: int,
    actor: Actor,
    *,
    at: datetime | None = None,
) -> ContactConsent:
    """Withdraw one of the contact's consents (idempotent); NotFound when the contact or the
    consent is unknown, of another workspace, or the consent is another contact's."""
    contact = get_contact(session, workspace_id, contact_id)
    consent = session.get(ContactConsent, consent_id)
    if (
        consent is None
        or consent.workspace_id != workspace_id
        or consent.contact_id not in _merged_into(session, [contact.id])
    ):
        raise NotFound(f"contact {contact_id} has no consent {consent_id}")
    return withdraw_consent(session, workspace_id, consent.id, actor, at=at)


# -- enforcement ----------------------------------------------------------------------------------


def opt_out_keyword(text: str | None) -> str | None:
    """The opt-out keyword an SMS consists of (trimmed, any case), else None."""
    word = (text or "").strip().upper()
    return word if word in SMS_OPT_OUT_KEYWORDS else None


def contact_refusal(
    session: Session,
    contact_id: int | None,
    account: ChannelAccount,
    *,
    conversation_id: int | None = None,
) -> str | None:
    """Why nothing may be sent to the contact through ``account`` now, or None when it may.

    Only email and SMS accounts are judged: a send is refused when the contact's latest
    consent for that channel is withdrawn and the contact has not written to us on that
    platform since (an SMS opt-out keyword does not count as writing). A contact without a
    consent record for the channel (who wrote to us there first) may be written to, unless
    their latest text message is an opt-out keyword: after STOP nothing more goes by SMS,
    whoever started the conversation."""
    channel = _CHANNEL_OF.get(account.platform)
    if channel is None or contact_id is None:
        return None
    family = sorted(_merged_into(session, [contact_id]))
    consent = session.scalar(
        select(ContactConsent)
        .where(ContactConsent.contact_id.in_(family), ContactConsent.channel == channel)
        .order_by(ContactConsent.created_at.desc(), ContactConsent.id.desc())
        .limit(1)
    )
    if consent is None and channel == "sms":
        return _stopped_without_consent(session, family, account)
    if consent is None or consent.withdrawn_at is None:
        return None
    latest = session.execute(
        select(Message.platform_time, Message.text)
        .where(
            Message.contact_id.in_(family),
            Message.platform == account.platform,
            Message.direction == Direction.IN.value,
            Message.author_kind == AuthorKind.CONTACT.value,
        )
        .order_by(Message.platform_time.desc(), Message.id.desc())
        .limit(1)
    ).first()
    if latest is None or latest.platform_time <= consent.withdrawn_at:
        return _refusal(session, consent, conversation_id)
    keyword = opt_out_keyword(latest.text) if channel == "sms" else None
    if keyword is not None:  # wrote again, then opted out once more
        return _refusal(session, consent, conversation_id, stopped=(latest.platform_time, keyword))
    return None  # the customer wrote again on that channel: the door is open


def _stopped_without_consent(
    session: Session, family: list[int], account: ChannelAccount
) -> str | None:
    """The refusal for a customer who texted us first (no consent on record) and whose
    latest text is an opt-out keyword; None when it is anything else."""
    latest = session.execute(
        select(Message.platform_time, Message.text, Message.author_external_id)
        .where(
            Message.contact_id.in_(family),
            Message.platform == account.platform,
            Message.direction == Direction.IN.value,
            Message.author_kind == AuthorKind.CONTACT.value,
        )
        .order_by(Message.platform_time.desc(), Message.id.desc())
        .limit(1)
    ).first()
    keyword = opt_out_keyword(latest.text) if latest is not None else None
    if latest is None or keyword is None:
        return None
    return (
        f"Not sent: the customer texted {keyword} on {latest.platform_time:%Y-%m-%d at %H:%M} "
        f"UTC, so nothing more may go to {latest.author_external_id} by SMS; answer them on "
        "another channel they use. SMS opens again when they text us first (START, or anything)."
    )


def _refusal(
    session: Session,
    consent: ContactConsent,
    conversation_id: int | None,
    *,
    stopped: tuple[datetime, str] | None = None,
) -> str:
    """The refusal an agent reads: when consent was withdrawn, and where to answer instead."""
    assert consent.withdrawn_at is not None
    when, how = consent.withdrawn_at, ""
    if stopped is not None:
        when, how = stopped[0], f" (they texted {stopped[1]})"
    else:
        for event in session.scalars(
            select(Event)
            .where(Event.contact_id == consent.contact_id, Event.type == CONSENT_WITHDRAWN)
            .order_by(Event.id.desc())
        ):
            data = event.data or {}
            if data.get("consent_id") != consent.id:
                continue
            if data.get("keyword"):
                how = f" (they texted {data['keyword']})"
            elif event.actor_user_id is not None:
                user = session.get(User, event.actor_user_id)
                how = f" (recorded by {user.name})" if user is not None else ""
            break
    label = _CHANNEL_WORDS.get(consent.channel, consent.channel)
    write = "text" if consent.channel == "sms" else "email"
    text = (
        f"Not sent: the customer withdrew their consent to {label} on "
        f"{when:%Y-%m-%d at %H:%M} UTC{how} and has not written to us by {label} since, "
        f"so nothing may go to {consent.address} by {label}. "
    )
    origin = _original_account(session, conversation_id)
    conv = session.get(Conversation, conversation_id) if conversation_id is not None else None
    back = return_target(session, conv) if conv is not None else None
    button = f"“Back to {platform_rules(back.platform).label}” moves it there" if back else ""
    if origin is not None:
        rules = platform_rules(origin.platform)
        handle = f", {rules.handle_prefix}{origin.handle.lstrip('@')}" if origin.handle else ""
        text += (
            f"Answer them on {rules.label} instead, where this conversation started "
            f"({origin.name}{handle})"
        )
        if back is not None and back.id != origin.id:
            button = f"“Back to {where_label(back)}” moves it back a step"
        text += f": {button}; " if button else "; "
    else:
        text += "Answer them on another channel they use; "
    return text + f"{label} opens again only when they {write} us first."


def _original_account(session: Session, conversation_id: int | None) -> ChannelAccount | None:
    """The account a continued conversation started on (its first channel change's origin)."""
    if conversation_id is None:
        return None
    first = session.scalar(
        select(Event.data)
        .where(Event.conversation_id == conversation_id, Event.type == CHANNEL_CHANGED)
        .order_by(Event.id)
        .limit(1)
    )
    origin = first.get("from") if isinstance(first, dict) else None
    if not isinstance(origin, int):
        return None
    return session.get(ChannelAccount, origin)


def check_may_contact(session: Session, conv: Conversation, account: ChannelAccount) -> None:
    """Raise :class:`ConsentWithdrawn` (a Conflict) when nothing may go to the conversation's
    contact through ``account`` (see :func:`contact_refusal`)."""
    reason = contact_refusal(session, conv.contact_id, account, conversation_id=conv.id)
    if reason is not None:
        raise ConsentWithdrawn(reason)


def withdraw_on_opt_out(
    session: Session, workspace_id: int, opt_outs: Mapping[int, OptOut]
) -> list[ContactConsent]:
    """Withdraw every active SMS consent of the contacts in ``opt_outs`` (contact id -> their
    opt-out message), as of that message, with one ``contact.consent_withdrawn`` event each
    (actor: the customer). Returns the consents withdrawn."""
    if not opt_outs:
        return []
    owner = _merged_into(session, opt_outs)
    ids = sorted(owner)
    active: list[ContactConsent] = []
    for start in range(0, len(ids), _CHUNK):
        active.extend(
            session.scalars(
                select(ContactConsent)
                .where(
                    ContactConsent.contact_id.in_(ids[start : start + _CHUNK]),
                    ContactConsent.workspace_id == workspace_id,
                    ContactConsent.channel == "sms",
                    ContactConsent.withdrawn_at.is_(None),
                )
                .order_by(ContactConsent.id)
            )
        )
    for consent in active:
        opt_out = opt_outs[owner[consent.contact_id]]
        withdraw_consent(
            session,
            workspace_id,
            consent.id,
            Actor("contact"),
            at=opt_out.at,
            message_id=opt_out.message_id,
            keyword=opt_out.keyword,
        )
        log.info(
            "contact %s texted %s: SMS consent %s withdrawn",
            consent.contact_id,
            opt_out.keyword,
            consent.id,
        )
    return active
