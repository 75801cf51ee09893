"""What the Meta connector reads and writes in socialdesk's own store when sending.

Two facts a Graph API call needs or returns are not in an outbound message:

* the comment a private reply answers (the customer's latest comment on the account, within
  7 days, that has not had a private reply from socialdesk yet);
* the person's messaging id. The documentation does not promise that a comment's ``from.id``
  equals the person's Messenger PSID (or Instagram IGSID); the answer to a private reply
  names it (``recipient_id``). It is linked to the commenter's contact then, so the person's
  later direct messages join the conversation that started with the comment.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from socialdesk.channels.base import AccountInfo
from socialdesk.domain.types import DeliveryState, Direction, EventType, Visibility
from socialdesk.store.db import Database
from socialdesk.store.models import ContactIdentity, Event, Message
from socialdesk.store.types import utcnow

__all__ = ["CommentToAnswer", "comment_to_answer", "link_messaging_identity"]

log = logging.getLogger(__name__)

_SENT = (DeliveryState.SENT.value, DeliveryState.DELIVERED.value, DeliveryState.READ.value)


@dataclass(frozen=True, slots=True)
class CommentToAnswer:
    comment_id: str | None
    # Why there is none, for the agent.
    reason: str | None = None


def _contact_id(db: Database, account: AccountInfo, external_id: str) -> int | None:
    with db.read_session() as session:
        return session.scalar(
            select(ContactIdentity.contact_id).where(
                ContactIdentity.workspace_id == account.workspace_id,
                ContactIdentity.platform == account.platform,
                ContactIdentity.external_id == external_id,
            )
        )


def comment_to_answer(
    db: Database, account: AccountInfo, customer_external_id: str, *, not_before: datetime
) -> CommentToAnswer:
    """The customer's latest comment since ``not_before`` that may get a private reply."""
    contact_id = _contact_id(db, account, customer_external_id)
    if contact_id is None:
        return CommentToAnswer(None, "the customer is not known on this account")
    with db.read_session() as session:
        comment = session.execute(
            select(Message.platform_message_id, Message.platform_time)
            .where(
                Message.channel_account_id == account.id,
                Message.contact_id == contact_id,
                Message.direction == Direction.IN.value,
                Message.visibility == Visibility.PUBLIC.value,
                Message.platform_time >= not_before,
                Message.platform_message_id.is_not(None),
            )
            .order_by(Message.platform_time.desc(), Message.id.desc())
            .limit(1)
        ).first()
        if comment is None:
            return CommentToAnswer(None, "the customer has not commented in the last 7 days")
        earlier = session.scalars(
            select(Message.attachments).where(
                Message.channel_account_id == account.id,
                Message.contact_id == contact_id,
                Message.direction == Direction.OUT.value,
                Message.visibility == Visibility.PRIVATE.value,
                Message.delivery_state.in_(_SENT),
                Message.platform_time >= comment.platform_time,
            )
        )
        for attachments in earlier:
            for extra in attachments or []:
                if isinstance(extra, dict) and extra.get("type") == "private_reply":
                    return CommentToAnswer(
                        None,
                        "the customer's latest comment already had its private reply (Meta "
                        "allows one per comment); wait until the customer writes privately",
                    )
    return CommentToAnswer(comment.platform_message_id)


def link_messaging_identity(
    db: Database, account: AccountInfo, *, commenter_id: str, messaging_id: str
) -> bool:
    """Give the commenter's contact the messaging id Meta answered a private reply with;
    False when there is nothing to do (same id, unknown commenter, or the messaging id
    already belongs to a contact: that one is left for an agent to merge)."""
    if messaging_id == commenter_id:
        return False
    try:
        return _link(db, account, commenter_id=commenter_id, messaging_id=messaging_id)
    except IntegrityError:
        return False  # the person's first direct message was ingested at the same moment


def _link(db: Database, account: AccountInfo, *, commenter_id: str, messaging_id: str) -> bool:
    with db.session() as session:
        contact_id = session.scalar(
            select(ContactIdentity.contact_id).where(
                ContactIdentity.workspace_id == account.workspace_id,
                ContactIdentity.platform == account.platform,
                ContactIdentity.external_id == commenter_id,
            )
        )
        if contact_id is None:
            return False
        owner = session.scalar(
            select(ContactIdentity.contact_id).where(
                ContactIdentity.workspace_id == account.workspace_id,
                ContactIdentity.platform == account.platform,
                ContactIdentity.external_id == messaging_id,
            )
        )
        if owner is not None:
            if owner != contact_id:
                log.info(
                    "%s id %s already belongs to contact %s, not linked to contact %s",
                    account.platform,
                    messaging_id,
                    owner,
                    contact_id,
                )
            return False
        now = utcnow()
        session.add(
            ContactIdentity(
                workspace_id=account.workspace_id,
                contact_id=contact_id,
                platform=account.platform,
                external_id=messaging_id,
                created_at=now,
            )
        )
        session.add(
            Event(
                workspace_id=account.workspace_id,
                type=EventType.CONTACT_UPDATED.value,
                contact_id=contact_id,
                actor_kind="system",
                actor_user_id=None,
                data={
                    "identity_linked": {
                        "platform": account.platform,
                        "external_id": messaging_id,
                        "via": "private reply to comment",
                        "commenter_id": commenter_id,
                    }
                },
                occurred_at=now,
                recorded_at=now,
            )
        )
    return True
