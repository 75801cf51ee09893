"""Reading and changing conversations: the inbox list, one case, status, assignment, notes."""

from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Select, exists, select
from sqlalchemy.orm import Session, selectinload

from socialdesk.domain.errors import InvalidInput, NotFound
from socialdesk.domain.types import ConversationStatus, EventType, Priority, Visibility
from socialdesk.jobs.queue import enqueue
from socialdesk.services import sla
from socialdesk.services.assignment import LOAD_STATUSES, capacity_freed
from socialdesk.services.events import Actor, record_event
from socialdesk.services.inbox import few_search_matches, is_common_search
from socialdesk.services.tags import change_tag_list, normalize_tag
from socialdesk.store.models import (
    Contact,
    Conversation,
    Event,
    Message,
    Note,
    Tag,
    Team,
    User,
    conversation_tags,
)
from socialdesk.store.search import contact_matches, message_matches
from socialdesk.store.types import utcnow

__all__ = [
    "UNSET",
    "ConversationFilter",
    "add_note",
    "change_tags",
    "get_conversation",
    "list_conversations",
    "update_conversation",
    "wake_snoozed",
]

WAKE_JOB = "conversation.wake"


class _Unset:
    def __repr__(self) -> str:
        return "UNSET"


UNSET: Any = _Unset()


@dataclass
class ConversationFilter:
    status: list[str] = field(default_factory=list)
    assignee_id: int | None = None
    unassigned: bool = False
    team_id: int | None = None
    account_id: int | None = None
    contact_id: int | None = None
    tag: str | None = None
    visibility: str | None = None
    q: str | None = None


def _encode_cursor(conv: Conversation) -> str:
    raw = f"{conv.last_message_at.isoformat()}|{conv.id}".encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


_MAX_ID = 2**63 - 1


def _decode_cursor(cursor: str) -> tuple[datetime, int]:
    invalid = InvalidInput("cursor is not valid; use the next_cursor of a previous page")
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        at_text, id_text = base64.urlsafe_b64decode(padded).decode().split("|")
        at, conv_id = datetime.fromisoformat(at_text), int(id_text)
    except (ValueError, binascii.Error, UnicodeDecodeError):
        raise invalid from None
    # A hand-made cursor must fail here, not later in the database driver: a naive time is
    # refused by UTCDateTime and an id beyond 64 bits overflows SQLite's integers.
    if at.tzinfo is None or not 0 <= conv_id <= _MAX_ID:
        raise invalid
    return at, conv_id


def _filtered(
    query: Select[Any],
    dialect: str,
    workspace_id: int,
    f: ConversationFilter,
    *,
    matching_ids: set[int] | None = None,
) -> Select[Any]:
    query = query.where(Conversation.workspace_id == workspace_id)
    if f.status:
        bad = [s for s in f.status if s not in set(ConversationStatus)]
        if bad:
            raise InvalidInput(
                f"unknown status {bad[0]!r}; use one of {', '.join(ConversationStatus)}"
            )
        query = query.where(Conversation.status.in_(f.status))
    if f.unassigned:
        query = query.where(Conversation.assignee_id.is_(None))
    elif f.assignee_id is not None:
        query = query.where(Conversation.assignee_id == f.assignee_id)
    if f.team_id is not None:
        query = query.where(Conversation.team_id == f.team_id)
    if f.account_id is not None:
        query = query.where(Conversation.channel_account_id == f.account_id)
    if f.contact_id is not None:
        query = query.where(Conversation.contact_id == f.contact_id)
    if f.visibility is not None:
        if f.visibility == Visibility.PUBLIC:
            query = query.where(Conversation.has_public.is_(True))
        elif f.visibility == Visibility.PRIVATE:
            query = query.where(Conversation.has_private.is_(True))
        else:
            raise InvalidInput("visibility must be 'public' or 'private'")
    if f.tag:
        query = query.where(
            exists().where(
                conversation_tags.c.conversation_id == Conversation.id,
                conversation_tags.c.tag_id == Tag.id,
                Tag.workspace_id == workspace_id,
                Tag.name == normalize_tag(f.tag),
            )
        )
    if f.q and f.q.strip() and matching_ids is not None:  # a rare search's few matches
        query = query.where(Conversation.id.in_(sorted(matching_ids)))
    elif f.q and f.q.strip():
        in_messages = select(Message.conversation_id).where(
            Message.workspace_id == workspace_id, message_matches(dialect, f.q)
        )
        in_contacts = select(Contact.id).where(
            Contact.workspace_id == workspace_id, contact_matches(dialect, f.q)
        )
        query = query.where(
            Conversation.id.in_(in_messages) | Conversation.contact_id.in_(in_contacts)
        )
    return query


def list_conversations(
    session: Session,
    workspace_id: int,
    filters: ConversationFilter,
    *,
    limit: int = 50,
    cursor: str | None = None,
) -> tuple[list[Conversation], str | None]:
    """Newest activity first, keyset-paginated so pages stay fast and stable."""
    if not 1 <= limit <= 200:
        raise InvalidInput("limit must be between 1 and 200")
    dialect = session.get_bind().dialect.name
    matching_ids = None
    q = (filters.q or "").strip()
    if q and not is_common_search(session, workspace_id, dialect, q):
        matching_ids = few_search_matches(session, workspace_id, dialect, q)
    query = _filtered(
        select(Conversation), dialect, workspace_id, filters, matching_ids=matching_ids
    )
    if cursor:
        at, conv_id = _decode_cursor(cursor)
        query = query.where(
            (Conversation.last_message_at < at)
            | ((Conversation.last_message_at == at) & (Conversation.id < conv_id))
        )
    query = (
        query.options(
            selectinload(Conversation.tags),
            selectinload(Conversation.contact),
            selectinload(Conversation.channel_account),
        )
        .order_by(Conversation.last_message_at.desc(), Conversation.id.desc())
        .limit(limit + 1)
    )
    rows = list(session.scalars(query))
    next_cursor = _encode_cursor(rows[limit - 1]) if len(rows) > limit else None
    return rows[:limit], next_cursor


def get_conversation(session: Session, workspace_id: int, conversation_id: int) -> Conversation:
    conv = session.get(
        Conversation,
        conversation_id,
        options=[selectinload(Conversation.tags), selectinload(Conversation.contact)],
    )
    if conv is None or conv.workspace_id != workspace_id:
        raise NotFound(f"conversation {conversation_id} does not exist in this workspace")
    return conv


def conversation_timeline(
    session: Session, conversation: Conversation
) -> tuple[list[Message], list[Event], list[Note]]:
    messages = list(
        session.scalars(
            select(Message)
            .where(Message.conversation_id == conversation.id)
            .order_by(Message.platform_time, Message.id)
        )
    )
    events = list(
        session.scalars(
            select(Event).where(Event.conversation_id == conversation.id).order_by(Event.id)
        )
    )
    notes = list(
        session.scalars(
            select(Note).where(Note.conversation_id == conversation.id).order_by(Note.id)
        )
    )
    return messages, events, notes


def _check_user(session: Session, workspace_id: int, user_id: int) -> User:
    user = session.get(User, user_id)
    if user is None or user.workspace_id != workspace_id or not user.is_active:
        raise InvalidInput(f"user {user_id} is not an active agent of this workspace")
    return user


def _check_team(session: Session, workspace_id: int, team_id: int) -> Team:
    team = session.get(Team, team_id)
    if team is None or team.workspace_id != workspace_id:
        raise InvalidInput(f"team {team_id} does not exist in this workspace")
    return team


def update_conversation(
    session: Session,
    workspace_id: int,
    conversation_id: int,
    actor: Actor,
    *,
    status: str | None = None,
    snoozed_until: datetime | None = None,
    priority: str | None = None,
    assignee_id: int | None = UNSET,
    team_id: int | None = UNSET,
    at: datetime | None = None,
) -> Conversation:
    """Change any of status, priority, assignee and team; one event per actual change.

    ``at`` back-dates the change (history, demo data); it defaults to now.
    """
    if snoozed_until is not None:
        if status is None:
            raise InvalidInput("snoozed_until needs status 'snoozed' in the same change")
        if snoozed_until.tzinfo is None:
            raise InvalidInput("snoozed_until needs a time zone (for example 2030-01-01T09:00Z)")
        # The wake-up job compares its payload with the stored (UTC) time as text, so both
        # must be written in UTC or a snooze given in another offset would never end.
        snoozed_until = snoozed_until.astimezone(UTC)
    conv = get_conversation(session, workspace_id, conversation_id)
    now = at or utcnow()
    # Whose capacity this change may free (the queue is then offered to them).
    was_assignee, was_loaded = conv.assignee_id, conv.status in LOAD_STATUSES

    def log(type_: EventType, data: dict[str, Any]) -> None:
        record_event(
            session,
            workspace_id=workspace_id,
            type=type_,
            actor=actor,
            conversation_id=conv.id,
            contact_id=conv.contact_id,
            data=data,
            occurred_at=now,
        )

    if priority is not None:
        if priority not in set(Priority):
            raise InvalidInput(f"priority must be one of {', '.join(Priority)}")
        if priority != conv.priority:
            log(EventType.PRIORITY_CHANGED, {"from": conv.priority, "to": priority})
            conv.priority = priority
            sla.on_priority_change(session, conv)
    if assignee_id is not UNSET:
        if assignee_id is not None:
            _check_user(session, workspace_id, assignee_id)
        if assignee_id != conv.assignee_id:
            log(EventType.ASSIGNED, {"from": conv.assignee_id, "to": assignee_id})
            conv.assignee_id = assignee_id
    if team_id is not UNSET:
        if team_id is not None:
            _check_team(session, workspace_id, team_id)
        if team_id != conv.team_id:
            log(EventType.TEAM_CHANGED, {"from": conv.team_id, "to": team_id})
            conv.team_id = team_id
    if status is not None:
        if status not in set(ConversationStatus):
            raise InvalidInput(f"status must be one of {', '.join(ConversationStatus)}")
        if status == ConversationStatus.SNOOZED:
            if snoozed_until is None or snoozed_until <= now:
                raise InvalidInput("snoozing needs snoozed_until, a time in the future")
        elif snoozed_until is not None:
            raise InvalidInput("snoozed_until is only meaningful with status 'snoozed'")
        if status != conv.status or snoozed_until != conv.snoozed_until:
            data: dict[str, Any] = {"from": conv.status, "to": status}
            if snoozed_until is not None:
                data["until"] = snoozed_until.isoformat()
            log(EventType.STATUS_CHANGED, data)
            sla.on_status_change(session, conv, conv.status, status, now)
            conv.status = status
            conv.snoozed_until = snoozed_until
            if status == ConversationStatus.RESOLVED:
                conv.resolved_at = now
            if snoozed_until is not None:
                enqueue(
                    session,
                    WAKE_JOB,
                    {"conversation_id": conv.id, "until": snoozed_until.isoformat()},
                    run_at=snoozed_until,
                )
    conv.updated_at = now
    session.flush()
    if was_loaded and (conv.assignee_id != was_assignee or conv.status not in LOAD_STATUSES):
        capacity_freed(session, workspace_id, was_assignee)
    return conv


def wake_snoozed(session: Session, payload: dict[str, Any]) -> None:
    """Timer job: a snoozed conversation whose time has come is open again."""
    conv = session.get(Conversation, int(payload["conversation_id"]))
    if conv is None or conv.status != ConversationStatus.SNOOZED:
        return
    if conv.snoozed_until is None or conv.snoozed_until.isoformat() != payload.get("until"):
        return  # snoozed again to another time: that timer will wake it
    record_event(
        session,
        workspace_id=conv.workspace_id,
        type=EventType.STATUS_CHANGED,
        actor=Actor.system(),
        conversation_id=conv.id,
        contact_id=conv.contact_id,
        data={"from": conv.status, "to": "open", "reason": "snooze ended"},
    )
    sla.on_status_change(session, conv, conv.status, ConversationStatus.OPEN, utcnow())
    conv.status = ConversationStatus.OPEN
    conv.snoozed_until = None
    conv.updated_at = utcnow()


def change_tags(
    session: Session,
    workspace_id: int,
    conversation_id: int,
    actor: Actor,
    *,
    add: list[str] | None = None,
    remove: list[str] | None = None,
    at: datetime | None = None,
) -> Conversation:
    conv = get_conversation(session, workspace_id, conversation_id)
    change = change_tag_list(session, workspace_id, conv.tags, add=add or [], remove=remove or [])
    conv.tags = change.tags
    if change.changed:
        record_event(
            session,
            workspace_id=workspace_id,
            type=EventType.TAGS_CHANGED,
            actor=actor,
            conversation_id=conv.id,
            contact_id=conv.contact_id,
            data={"added": change.added, "removed": change.removed},
            occurred_at=at,
        )
        conv.updated_at = at or utcnow()
    session.flush()
    return conv


def add_note(
    session: Session,
    workspace_id: int,
    conversation_id: int,
    actor: Actor,
    body: str,
    *,
    at: datetime | None = None,
) -> Note:
    body = body.strip()
    if not body:
        raise InvalidInput("a note needs some text")
    if len(body) > 20_000:
        raise InvalidInput("a note may hold at most 20,000 characters")
    conv = get_conversation(session, workspace_id, conversation_id)
    note = Note(
        workspace_id=workspace_id,
        conversation_id=conv.id,
        author_user_id=actor.user_id,
        body=body,
        created_at=at or utcnow(),
    )
    session.add(note)
    session.flush()
    record_event(
        session,
        workspace_id=workspace_id,
        type=EventType.NOTE_ADDED,
        actor=actor,
        conversation_id=conv.id,
        contact_id=conv.contact_id,
        data={"note_id": note.id},
        occurred_at=at,
    )
    return note
