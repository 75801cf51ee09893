"""Replying: the message and its delivery job are written in one transaction (the outbox);
a worker delivers it with retries, and the platform's answer is recorded on the message."""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import delete, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from socialdesk.channels.base import (
    Channel,
    OutboundMessage,
    SendContext,
    SendError,
    SendWindowChannel,
)
from socialdesk.domain.errors import Conflict, InvalidInput, SendNotAllowed
from socialdesk.domain.types import (
    AuthorKind,
    DeliveryState,
    Direction,
    EventType,
    Visibility,
)
from socialdesk.jobs.queue import ClaimedJob, enqueue
from socialdesk.jobs.worker import PermanentJobError, RetryLater
from socialdesk.pipeline.intake import account_info
from socialdesk.services.continuation import check_may_contact, contact_refusal
from socialdesk.services.conversations import get_conversation
from socialdesk.services.events import Actor, record_event
from socialdesk.services.sla import on_agent_reply
from socialdesk.store.crypto import CredentialCipher, CredentialsUnreadable
from socialdesk.store.db import Database
from socialdesk.store.models import ChannelAccount, ContactIdentity, Conversation, Event, Message
from socialdesk.store.types import utcnow

__all__ = [
    "DELIVER_JOB",
    "MAX_REPLY_CHARS",
    "PAUSED_RETRY_SECONDS",
    "make_delivery_handler",
    "reply",
]

log = logging.getLogger(__name__)

DELIVER_JOB = "message.deliver"
MAX_REPLY_CHARS = 10_000
# How often a reply waiting on a paused account looks again (resuming sends it at once).
PAUSED_RETRY_SECONDS = 300.0


def reply(
    session: Session,
    workspace_id: int,
    conversation_id: int,
    actor: Actor,
    *,
    text: str,
    visibility: str,
    idempotency_key: str | None = None,
    at: datetime | None = None,
    extras: Sequence[dict[str, Any]] = (),
    channels: Mapping[str, Channel] | None = None,
    is_auto: bool = False,
    auto_kind: str | None = None,
) -> Message:
    """Queue a reply; a repeated ``idempotency_key`` returns the first reply unchanged.

    ``at`` back-dates the reply (demo data, history); it defaults to now. ``extras`` are
    stored with the message and handed to the connector (see ``OutboundMessage.extras``).
    With ``channels``, a connector that limits when a business may write (messaging
    windows) is asked first, and a refusal raises :class:`SendNotAllowed` with its reason.
    """
    if visibility not in (Visibility.PUBLIC, Visibility.PRIVATE):
        raise InvalidInput("visibility must be chosen explicitly: 'public' or 'private'")
    text = text.strip()
    if not text:
        raise InvalidInput("a reply needs some text")
    if len(text) > MAX_REPLY_CHARS:
        raise InvalidInput(f"a reply may hold at most {MAX_REPLY_CHARS:,} characters")
    key = None
    if idempotency_key is not None:
        if not 1 <= len(idempotency_key) <= 150:
            raise InvalidInput("idempotency_key must be 1-150 characters")
        key = f"ws{workspace_id}:{idempotency_key}"
        existing = session.scalar(select(Message).where(Message.idempotency_key == key))
        if existing is not None:
            if existing.conversation_id != conversation_id:
                raise Conflict("idempotency_key was already used for another conversation")
            return existing
    conv = get_conversation(session, workspace_id, conversation_id)
    account = session.get(ChannelAccount, conv.channel_account_id)
    assert account is not None
    check_may_contact(session, conv, account)  # email/SMS consent withdrawn: a Conflict
    # A public reply answers the customer's latest public post so it threads on the platform.
    reply_to = session.scalar(
        select(Message.platform_message_id)
        .where(
            Message.conversation_id == conv.id,
            Message.direction == Direction.IN.value,
            Message.visibility == visibility,
        )
        .order_by(Message.platform_time.desc(), Message.id.desc())
        .limit(1)
    )
    if visibility == Visibility.PUBLIC and reply_to is None:
        raise InvalidInput(
            "this conversation has no public post to reply to; send a private message instead"
        )
    now = at or utcnow()
    stored_extras = [dict(e) for e in extras]
    for extra in stored_extras:
        if not isinstance(extra.get("type"), str):
            raise InvalidInput("every extra of a reply needs a 'type'")
    channel = channels.get(account.platform) if channels is not None else None
    if isinstance(channel, SendWindowChannel):
        context = send_context(session, conv, visibility, now, stored_extras)
        decision = channel.check_send(account_info(account), context)
        if not decision.allowed:
            raise SendNotAllowed(decision.reason or "the platform does not allow this send now")
        if decision.extra is not None:
            stored_extras.append(dict(decision.extra))
    message = Message(
        workspace_id=workspace_id,
        platform=account.platform,
        channel_account_id=account.id,
        conversation_id=conv.id,
        contact_id=conv.contact_id,
        direction=Direction.OUT.value,
        visibility=visibility,
        platform_message_id=None,
        reply_to_platform_id=reply_to,
        # People reply through the UI or through integrations (API tokens); both are human
        # answers for the measures. Bots and auto-replies will carry their own kinds.
        author_kind=(
            AuthorKind.SYSTEM.value
            if is_auto  # auto-replies (services/autoreply.py) are never a first response
            else AuthorKind.AGENT.value
            if actor.kind in ("agent", "api")
            else actor.kind
        ),
        author_user_id=actor.user_id,
        text=text,
        attachments=stored_extras,
        is_auto=is_auto,
        platform_time=now,
        received_at=now,
        delivery_state=DeliveryState.QUEUED.value,
        idempotency_key=key or f"ws{workspace_id}:auto:{uuid.uuid4()}",
    )
    session.add(message)
    session.flush()
    _count_reply(conv, message)
    on_agent_reply(session, conv, message)  # SLA: a human answer stops the response clocks
    record_event(
        session,
        workspace_id=workspace_id,
        type=EventType.MESSAGE_OUT,
        actor=actor,
        conversation_id=conv.id,
        contact_id=conv.contact_id,
        message_id=message.id,
        data={"visibility": visibility, **({"auto": auto_kind or "auto"} if is_auto else {})},
        occurred_at=now,
    )
    enqueue(
        session, DELIVER_JOB, {"message_id": message.id}, idempotency_key=f"deliver:{message.id}"
    )
    return message


def send_context(
    session: Session,
    conv: Conversation,
    visibility: str,
    now: datetime,
    extras: Sequence[dict[str, Any]] = (),
) -> SendContext:
    """The facts a connector's send window is judged on, for a reply in ``conv``."""

    def latest(of_visibility: Visibility) -> datetime | None:
        return session.scalar(
            select(func.max(Message.platform_time)).where(
                Message.channel_account_id == conv.channel_account_id,
                Message.contact_id == conv.contact_id,
                Message.direction == Direction.IN.value,
                Message.visibility == of_visibility.value,
            )
        )

    return SendContext(
        visibility=visibility,
        now=now,
        last_inbound_private_at=latest(Visibility.PRIVATE),
        last_inbound_public_at=latest(Visibility.PUBLIC),
        is_template=any(e.get("type") == "template" for e in extras),
    )


def _count_reply(conv: Conversation, message: Message) -> None:
    conv.message_count += 1
    conv.last_message_at = max(conv.last_message_at, message.platform_time)
    if message.visibility == Visibility.PUBLIC:
        conv.has_public = True
    else:
        conv.has_private = True
    if (
        message.author_kind == AuthorKind.AGENT
        and not message.is_auto
        and conv.first_response_at is None
        and conv.first_inbound_at is not None
    ):
        conv.first_response_at = message.platform_time
    conv.updated_at = message.platform_time


def make_delivery_handler(
    db: Database, channels: Mapping[str, Channel], *, cipher: CredentialCipher | None = None
) -> Callable[[ClaimedJob], None]:
    """The worker's handler for :data:`DELIVER_JOB`; safe to run twice for one message.

    Replies of a paused account wait (:class:`RetryLater`); resuming makes them due at once.
    """

    def deliver(job: ClaimedJob) -> None:
        message_id = int(job.payload["message_id"])
        with db.read_session() as session:
            message = session.get(Message, message_id)
            if message is None or message.delivery_state != DeliveryState.QUEUED:
                return  # already delivered or given up: nothing to do
            account = session.get(ChannelAccount, message.channel_account_id)
            assert account is not None
            refused = contact_refusal(
                session, message.contact_id, account, conversation_id=message.conversation_id
            )
            if refused is not None:  # consent withdrawn after the reply was queued
                _record(db, message_id, failed=refused)
                raise PermanentJobError(refused)
            if account.is_paused:
                raise RetryLater(
                    f"channel account {account.id} is paused; the reply is sent on resume",
                    PAUSED_RETRY_SECONDS,
                )
            recipient = session.scalar(
                select(ContactIdentity)
                .where(
                    ContactIdentity.contact_id == message.contact_id,
                    ContactIdentity.platform == account.platform,
                )
                .order_by(ContactIdentity.id.desc())
                .limit(1)
            )
            try:
                info = account_info(account, cipher)
            except CredentialsUnreadable as exc:
                _record(db, message_id, failed=exc.detail)
                raise PermanentJobError(exc.detail) from exc
            outbound = OutboundMessage(
                idempotency_key=message.idempotency_key or f"message:{message.id}",
                visibility=message.visibility,
                text=message.text,
                recipient_external_id=recipient.external_id if recipient else None,
                recipient_handle=recipient.handle if recipient else None,
                reply_to_platform_id=message.reply_to_platform_id,
                extras=tuple(dict(e) for e in (message.attachments or []) if isinstance(e, dict)),
            )
        channel = channels.get(info.platform)
        if channel is None:
            _record(db, message_id, failed=f"no connector for platform {info.platform!r}")
            raise PermanentJobError(f"no connector for platform {info.platform!r}")
        try:
            result = channel.send(info, outbound)
        except SendError as exc:
            last_try = job.attempts >= job.max_attempts
            if exc.permanent or last_try:
                _record(db, message_id, failed=exc.reason)
                raise PermanentJobError(exc.reason) from exc
            if exc.retry_after is not None:
                raise RetryLater(exc.reason, exc.retry_after) from exc
            raise
        _record(db, message_id, platform_message_id=result.platform_message_id)

    return deliver


def _record(
    db: Database,
    message_id: int,
    *,
    platform_message_id: str | None = None,
    failed: str | None = None,
) -> None:
    try:
        _record_once(db, message_id, platform_message_id=platform_message_id, failed=failed)
    except IntegrityError:
        # The platform's echo of this very message was being ingested at the same moment
        # and took the id first; now it is visible and gives way. Raising instead would
        # retry the job and send the message a second time.
        _record_once(db, message_id, platform_message_id=platform_message_id, failed=failed)


def _record_once(
    db: Database,
    message_id: int,
    *,
    platform_message_id: str | None,
    failed: str | None,
) -> None:
    with db.session() as session:
        message = session.get(Message, message_id)
        if message is None or message.delivery_state != DeliveryState.QUEUED:
            return
        if failed is not None:
            message.delivery_state = DeliveryState.FAILED.value
            message.delivery_error = failed
        else:
            message.delivery_state = DeliveryState.SENT.value
            if platform_message_id is not None and _free_platform_id(
                session, message, platform_message_id
            ):
                message.platform_message_id = platform_message_id
        record_event(
            session,
            workspace_id=message.workspace_id,
            type=EventType.MESSAGE_DELIVERY,
            actor=Actor.system(),
            conversation_id=message.conversation_id,
            contact_id=message.contact_id,
            message_id=message.id,
            data={
                "state": message.delivery_state,
                "error": failed,
                "platform_message_id": platform_message_id,
            },
        )


def _free_platform_id(session: Session, message: Message, platform_message_id: str) -> bool:
    """Make ``platform_message_id`` free for ``message``; False when it cannot be.

    Platforms report the brand's own messages back (X's tweet_create_events): when that echo
    of ``message`` was ingested before the send was recorded, it is the same message seen
    twice, so the echo goes and the agent's copy (who wrote it, when) keeps the id.
    """
    echo = session.scalar(
        select(Message).where(
            Message.channel_account_id == message.channel_account_id,
            Message.platform_message_id == platform_message_id,
            Message.id != message.id,
        )
    )
    if echo is None:
        return True
    if echo.direction != Direction.OUT or echo.idempotency_key is not None:
        log.warning(
            "message %s was sent as %s, which message %s already holds; its id is not kept",
            message.id,
            platform_message_id,
            echo.id,
        )
        return False
    if echo.conversation_id is not None:
        conv = session.get(Conversation, echo.conversation_id)
        if conv is not None:
            conv.message_count = max(0, conv.message_count - 1)
    session.execute(delete(Event).where(Event.message_id == echo.id))
    session.delete(echo)
    session.flush()
    return True
