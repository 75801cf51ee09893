"""Offline visitors: who counts as online, and the email follow-up of offline chats.

"Online" is the agents' availability (``User.availability == "online"``, set by agents in
the assignment work): the widget is live when at least one active agent of the workspace is
online. Otherwise the widget asks for an email address; the visitor's message is stored with
``offline: true`` and that address, and then

* when the message is ingested (:func:`webchat_followup_step`, a routing step), the address
  becomes an ``email`` identity of the visitor's contact and a ``webchat.email_followup``
  event is recorded on the conversation;
* when an agent's reply to that visitor is sent (:func:`queue_email_followup`, called by the
  web chat channel's ``send``), the reply is still stored for the widget and, when the
  workspace has an ``email`` channel account, the same text is queued on it with
  ``services.replies.reply`` in a conversation of that account with the same contact (the
  open one, or a new one), with an ``email`` extra carrying a subject. Either way a
  ``webchat.email_followup`` event records what was done.
"""

from __future__ import annotations

import json
import logging
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from socialdesk.channels.webchat._payload import PLATFORM, StoredMessage
from socialdesk.domain.errors import SocialdeskError
from socialdesk.domain.types import ConversationStatus, Direction, Visibility
from socialdesk.pipeline.routing import RoutingContext
from socialdesk.store.models import (
    ChannelAccount,
    ContactIdentity,
    Conversation,
    Event,
    Message,
    RawEvent,
    User,
    WebchatVisitor,
)
from socialdesk.store.types import utcnow

__all__ = [
    "EMAIL_PLATFORM",
    "FOLLOWUP_EVENT",
    "agents_online",
    "queue_email_followup",
    "webchat_followup_step",
]

log = logging.getLogger(__name__)

EMAIL_PLATFORM = "email"
FOLLOWUP_EVENT = "webchat.email_followup"


def agents_online(session: Session, workspace_id: int) -> bool:
    """True when an active agent of the workspace has set themselves online."""
    found = session.scalar(
        select(User.id)
        .where(
            User.workspace_id == workspace_id,
            User.is_active.is_(True),
            User.availability == "online",
        )
        .limit(1)
    )
    return found is not None


def _event(
    session: Session,
    *,
    workspace_id: int,
    conversation_id: int | None,
    contact_id: int | None,
    message_id: int | None,
    data: dict[str, Any],
) -> None:
    now = utcnow()
    session.add(
        Event(
            workspace_id=workspace_id,
            type=FOLLOWUP_EVENT,
            conversation_id=conversation_id,
            contact_id=contact_id,
            message_id=message_id,
            actor_kind="system",
            actor_user_id=None,
            data=data,
            occurred_at=now,
            recorded_at=now,
        )
    )


def webchat_followup_step(ctx: RoutingContext) -> None:
    """Routing step: offline web chat messages with an email address link that address to
    the visitor's contact (an ``email`` identity) and record the follow-up once."""
    session = ctx.session
    rows = session.execute(
        select(Message, RawEvent.payload)
        .join(RawEvent, RawEvent.id == Message.raw_event_id)
        .where(Message.id.in_(ctx.message_ids), Message.platform == PLATFORM)
        .order_by(Message.id)
    ).all()
    for message, payload in rows:
        try:
            stored = StoredMessage.model_validate(json.loads(payload))
        except ValueError:
            continue
        email = stored.visitor.email
        if not stored.offline or not email or message.contact_id is None:
            continue
        owner = session.scalar(
            select(ContactIdentity.contact_id).where(
                ContactIdentity.workspace_id == ctx.workspace_id,
                ContactIdentity.platform == EMAIL_PLATFORM,
                ContactIdentity.external_id == email,
            )
        )
        if owner == message.contact_id:
            continue  # linked by an earlier offline message: recorded then
        data: dict[str, Any] = {"email": email, "visitor_id": stored.visitor.id}
        if owner is None:
            session.add(
                ContactIdentity(
                    workspace_id=ctx.workspace_id,
                    contact_id=message.contact_id,
                    platform=EMAIL_PLATFORM,
                    external_id=email,
                    handle=email,
                    display_name=stored.visitor.name,
                )
            )
            session.flush()
            data["identity"] = "linked"
        else:
            # The address is another contact's: not moved (a merge is the agent's call).
            data["identity"] = "belongs_to_other_contact"
            data["other_contact_id"] = owner
        _event(
            session,
            workspace_id=ctx.workspace_id,
            conversation_id=message.conversation_id,
            contact_id=message.contact_id,
            message_id=message.id,
            data=data,
        )


def _followup_conversation(session: Session, source: Conversation, account_id: int) -> int:
    """The contact's open conversation on the email account, or a new (pending) one."""
    existing = session.scalar(
        select(Conversation.id)
        .where(
            Conversation.workspace_id == source.workspace_id,
            Conversation.channel_account_id == account_id,
            Conversation.contact_id == source.contact_id,
            Conversation.status != ConversationStatus.RESOLVED.value,
        )
        .order_by(Conversation.id.desc())
        .limit(1)
    )
    if existing is not None:
        return int(existing)
    now = utcnow()
    conv = Conversation(
        workspace_id=source.workspace_id,
        channel_account_id=account_id,
        contact_id=source.contact_id,
        # The brand wrote last: the conversation waits on the customer.
        status=ConversationStatus.PENDING.value,
        priority=source.priority,
        team_id=source.team_id,
        assignee_id=source.assignee_id,
        last_message_at=now,
        created_at=now,
        updated_at=now,
    )
    session.add(conv)
    session.flush()
    return conv.id


def queue_email_followup(
    session: Session, visitor: WebchatVisitor, idempotency_key: str, site_title: str
) -> None:
    """Queue the reply ``idempotency_key`` by email to an offline visitor (see module doc).

    Idempotent: the email reply's own idempotency key derives from the chat reply's id, so a
    retried web chat delivery queues nothing twice."""
    from socialdesk.services.events import Actor  # services sit above channels
    from socialdesk.services.replies import reply

    message = session.scalar(select(Message).where(Message.idempotency_key == idempotency_key))
    if message is None or message.conversation_id is None or message.direction != Direction.OUT:
        return
    conv = session.get(Conversation, message.conversation_id)
    assert conv is not None
    key = f"webchat-followup:{message.id}"
    base = {"email": visitor.email, "visitor_id": visitor.visitor_id, "reply_id": message.id}
    account = session.scalar(
        select(ChannelAccount)
        .where(
            ChannelAccount.workspace_id == message.workspace_id,
            ChannelAccount.platform == EMAIL_PLATFORM,
        )
        .order_by(ChannelAccount.id)
        .limit(1)
    )
    if account is None:
        if not _already_recorded(session, message.id):
            _event(
                session,
                workspace_id=message.workspace_id,
                conversation_id=conv.id,
                contact_id=conv.contact_id,
                message_id=message.id,
                data={**base, "queued": False, "reason": "no email channel account"},
            )
        return
    actor = (
        Actor.agent(message.author_user_id) if message.author_user_id is not None else Actor("api")
    )
    try:
        with session.begin_nested():
            target = _followup_conversation(session, conv, account.id)
            queued = reply(
                session,
                message.workspace_id,
                target,
                actor,
                text=message.text,
                visibility=Visibility.PRIVATE.value,
                idempotency_key=key,
                extras=[{"type": "email", "subject": f"Your chat with {site_title}"}],
            )
    except SocialdeskError as exc:
        log.warning("web chat reply %s not queued by email: %s", message.id, exc.detail)
        if not _already_recorded(session, message.id):
            _event(
                session,
                workspace_id=message.workspace_id,
                conversation_id=conv.id,
                contact_id=conv.contact_id,
                message_id=message.id,
                data={**base, "queued": False, "reason": exc.detail},
            )
        return
    if not _already_recorded(session, message.id):
        _event(
            session,
            workspace_id=message.workspace_id,
            conversation_id=conv.id,
            contact_id=conv.contact_id,
            message_id=message.id,
            data={
                **base,
                "queued": True,
                "email_channel_account_id": account.id,
                "email_conversation_id": target,
                "email_message_id": queued.id,
            },
        )


def _already_recorded(session: Session, message_id: int) -> bool:
    return (
        session.scalar(
            select(Event.id)
            .where(Event.type == FOLLOWUP_EVENT, Event.message_id == message_id)
            .limit(1)
        )
        is not None
    )
