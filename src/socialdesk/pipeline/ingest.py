"""Steps 3-8 of the ingest path for a batch of normalized events, in one transaction.

The batch is read with a handful of set-based queries (duplicates, parents, contacts, latest
conversations), threaded in memory in platform-time order with :mod:`socialdesk.domain.threading`,
and written with bulk inserts, so one event and fifty thousand take the same code path.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, insert, select, update
from sqlalchemy.orm import Session

from socialdesk.domain.threading import ConversationRef, thread_inbound
from socialdesk.domain.types import (
    AuthorKind,
    ConversationStatus,
    DeliveryState,
    Direction,
    EventType,
    Visibility,
)
from socialdesk.pipeline.events import InboundEvent
from socialdesk.pipeline.notify import IngestResult
from socialdesk.store.models import Contact, ContactIdentity, Conversation, Event, Message
from socialdesk.store.types import utcnow

__all__ = ["ingest_batch", "platform_time_order"]

_CHUNK = 500  # ids per IN (...) list: below every driver's parameter limit


def _chunks(items: Sequence[Any], size: int = _CHUNK) -> Iterable[Sequence[Any]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def _id_sort_key(platform_message_id: str) -> tuple[int, int, str]:
    if platform_message_id.isdigit():
        return (0, int(platform_message_id), "")
    return (1, 0, platform_message_id)


def platform_time_order(events: Sequence[InboundEvent]) -> list[InboundEvent]:
    """Platform-time order, except that a reply never comes before the message it answers.

    Platforms' clocks disagree (a brand reply can read earlier than the tweet it answers); the
    reply is then handled right after its parent so that it can join its conversation.
    """
    by_time = sorted(events, key=lambda e: (e.platform_time, _id_sort_key(e.platform_message_id)))
    in_batch = {(e.platform, e.platform_message_id) for e in by_time}
    done: set[tuple[str, str]] = set()
    waiting: dict[tuple[str, str], list[InboundEvent]] = defaultdict(list)
    ordered: list[InboundEvent] = []

    def emit(event: InboundEvent) -> None:
        stack = [event]
        while stack:
            current = stack.pop()
            key = (current.platform, current.platform_message_id)
            if key in done:
                continue
            done.add(key)
            ordered.append(current)
            stack.extend(reversed(waiting.pop(key, [])))

    for event in by_time:
        parent = (event.platform, event.reply_to_platform_id or "")
        if event.reply_to_platform_id and parent in in_batch and parent not in done:
            waiting[parent].append(event)
        else:
            emit(event)
    for children in list(waiting.values()):  # parents that never came (cycles, duplicates)
        for child in children:
            emit(child)
    return ordered


@dataclass(slots=True)
class _Conv:
    """A conversation as the batch sees it; ``id`` is None until a new one is inserted."""

    id: int | None
    contact_id: int
    account_id: int
    status: str
    last_message_at: datetime
    first_inbound_at: datetime | None = None
    first_response_at: datetime | None = None
    last_inbound_at: datetime | None = None
    resolved_at: datetime | None = None
    has_public: bool = False
    has_private: bool = False
    message_count: int = 0
    created_at: datetime | None = None
    dirty: bool = False
    is_new: bool = False
    events: list[dict[str, Any]] = field(default_factory=list)

    def ref(self, key: int) -> ConversationRef:
        return ConversationRef(
            id=key,
            contact_id=self.contact_id,
            account_id=self.account_id,
            resolved=self.status == ConversationStatus.RESOLVED,
            last_message_at=self.last_message_at,
        )


class _Batch:
    """The working state of one ingest batch."""

    def __init__(
        self, session: Session, workspace_id: int, resolve_after: timedelta | None
    ) -> None:
        self.session = session
        self.workspace_id = workspace_id
        self.resolve_after = resolve_after
        self.now = utcnow()
        self.convs: list[_Conv] = []  # index in this list is the batch key of a conversation
        self.conv_key_by_id: dict[int, int] = {}
        # (platform, platform message id) -> [(account id, conversation key or None)]
        self.known_messages: dict[tuple[str, str], list[tuple[int | None, int | None]]] = (
            defaultdict(list)
        )
        self.latest: dict[tuple[int, int], int] = {}  # (contact, account) -> conversation key
        self.message_rows: list[dict[str, Any]] = []
        self.message_conv_keys: list[int | None] = []

    # -- loading -----------------------------------------------------------------------
    def _add_conv(self, conv: _Conv) -> int:
        self.convs.append(conv)
        key = len(self.convs) - 1
        if conv.id is not None:
            self.conv_key_by_id[conv.id] = key
        return key

    def load_conversations(self, ids: Iterable[int]) -> None:
        wanted = sorted({i for i in ids if i not in self.conv_key_by_id})
        for chunk in _chunks(wanted):
            rows = self.session.execute(
                select(
                    Conversation.id,
                    Conversation.contact_id,
                    Conversation.channel_account_id,
                    Conversation.status,
                    Conversation.last_message_at,
                    Conversation.first_inbound_at,
                    Conversation.first_response_at,
                    Conversation.last_inbound_at,
                    Conversation.resolved_at,
                    Conversation.has_public,
                    Conversation.has_private,
                    Conversation.message_count,
                ).where(Conversation.id.in_(chunk))
            )
            for row in rows:
                self._add_conv(
                    _Conv(
                        id=row.id,
                        contact_id=row.contact_id,
                        account_id=row.channel_account_id,
                        status=row.status,
                        last_message_at=row.last_message_at,
                        first_inbound_at=row.first_inbound_at,
                        first_response_at=row.first_response_at,
                        last_inbound_at=row.last_inbound_at,
                        resolved_at=row.resolved_at,
                        has_public=row.has_public,
                        has_private=row.has_private,
                        message_count=row.message_count,
                    )
                )

    def load_parents(self, events: Sequence[InboundEvent]) -> None:
        by_platform: dict[str, set[str]] = defaultdict(set)
        for event in events:
            if event.reply_to_platform_id:
                by_platform[event.platform].add(event.reply_to_platform_id)
        conv_ids: list[int] = []
        found: list[tuple[str, str | None, int | None, int | None]] = []
        for platform, ids in by_platform.items():
            for chunk in _chunks(sorted(ids)):
                rows = self.session.execute(
                    select(
                        Message.platform_message_id,
                        Message.channel_account_id,
                        Message.conversation_id,
                    ).where(
                        Message.workspace_id == self.workspace_id,
                        Message.platform == platform,
                        Message.platform_message_id.in_(chunk),
                    )
                )
                for pmid, account_id, conv_id in rows:
                    found.append((platform, pmid, account_id, conv_id))
                    if conv_id is not None:
                        conv_ids.append(conv_id)
        self.load_conversations(conv_ids)
        for platform, pmid, account_id, conv_id in found:
            if pmid is None:
                continue
            key = self.conv_key_by_id.get(conv_id) if conv_id is not None else None
            self.known_messages[(platform, pmid)].append((account_id, key))

    def load_latest(self, pairs: set[tuple[int, int]]) -> None:
        contact_ids = sorted({contact for contact, _ in pairs})
        latest_ids: dict[tuple[int, int], int] = {}
        for chunk in _chunks(contact_ids):
            rows = self.session.execute(
                select(
                    Conversation.contact_id,
                    Conversation.channel_account_id,
                    func.max(Conversation.id),
                )
                .where(Conversation.contact_id.in_(chunk))
                .group_by(Conversation.contact_id, Conversation.channel_account_id)
            )
            for contact_id, account_id, conv_id in rows:
                if (contact_id, account_id) in pairs:
                    latest_ids[(contact_id, account_id)] = conv_id
        self.load_conversations(latest_ids.values())
        for pair, conv_id in latest_ids.items():
            self.latest[pair] = self.conv_key_by_id[conv_id]

    # -- threading -----------------------------------------------------------------------
    def parent_conversation(self, event: InboundEvent) -> int | None:
        if not event.reply_to_platform_id:
            return None
        candidates = self.known_messages.get((event.platform, event.reply_to_platform_id))
        if not candidates:
            return None
        for account_id, key in candidates:  # the copy delivered to this account first
            if account_id == event.channel_account_id and key is not None:
                return key
        for _account_id, key in candidates:
            if key is not None:
                return key
        return None

    def _set_status(self, conv: _Conv, status: str, at: datetime, reason: str) -> None:
        if conv.status == status:
            return
        conv.events.append(
            {
                "type": EventType.STATUS_CHANGED.value,
                "actor_kind": AuthorKind.SYSTEM.value,
                "data": {"from": conv.status, "to": status, "reason": reason},
                "occurred_at": at,
            }
        )
        conv.status = status
        conv.resolved_at = at if status == ConversationStatus.RESOLVED else conv.resolved_at
        conv.dirty = True

    def _resolve_if_idle(self, key: int, at: datetime) -> None:
        conv = self.convs[key]
        if (
            self.resolve_after is not None
            and conv.status != ConversationStatus.RESOLVED
            and at - conv.last_message_at >= self.resolve_after
        ):
            self._set_status(
                conv,
                ConversationStatus.RESOLVED,
                conv.last_message_at + self.resolve_after,
                "idle",
            )

    def thread(self, event: InboundEvent, contact_id: int | None) -> int | None:
        parent_key = self.parent_conversation(event)
        if event.direction == Direction.OUT:
            return parent_key
        if event.channel_account_id is None or contact_id is None:
            return None
        account_id = event.channel_account_id
        latest_key = self.latest.get((contact_id, account_id))
        for key in (parent_key, latest_key):
            if key is not None:
                self._resolve_if_idle(key, event.platform_time)
        decision = thread_inbound(
            contact_id=contact_id,
            account_id=account_id,
            at=event.platform_time,
            parent_conversation=None
            if parent_key is None
            else self.convs[parent_key].ref(parent_key),
            latest_conversation=None
            if latest_key is None
            else self.convs[latest_key].ref(latest_key),
        )
        if decision.conversation_id is not None:
            key = decision.conversation_id
            conv = self.convs[key]
            if conv.status != ConversationStatus.OPEN:
                self._set_status(
                    conv, ConversationStatus.OPEN, event.platform_time, "customer replied"
                )
            return key
        conv = _Conv(
            id=None,
            contact_id=contact_id,
            account_id=account_id,
            status=ConversationStatus.OPEN,
            last_message_at=event.platform_time,
            created_at=event.platform_time,
            dirty=True,
            is_new=True,
        )
        conv.events.append(
            {
                "type": EventType.CONVERSATION_OPENED.value,
                "actor_kind": AuthorKind.CONTACT.value,
                "data": {"reply_to": event.reply_to_platform_id},
                "occurred_at": event.platform_time,
            }
        )
        key = self._add_conv(conv)
        self.latest[(contact_id, account_id)] = key
        return key

    def add_message(self, event: InboundEvent, contact_id: int | None, key: int | None) -> None:
        conv = self.convs[key] if key is not None else None
        at = event.platform_time
        if conv is not None:
            conv.dirty = True
            conv.message_count += 1
            conv.last_message_at = max(conv.last_message_at, at)
            if event.visibility == Visibility.PUBLIC:
                conv.has_public = True
            else:
                conv.has_private = True
            if event.direction == Direction.IN:
                conv.last_inbound_at = max(conv.last_inbound_at or at, at)
                if conv.first_inbound_at is None or at < conv.first_inbound_at:
                    conv.first_inbound_at = at
            elif (
                event.author_kind == AuthorKind.AGENT
                and conv.first_inbound_at is not None
                and at >= conv.first_inbound_at
                and (conv.first_response_at is None or at < conv.first_response_at)
            ):
                conv.first_response_at = at
            if contact_id is None:
                contact_id = conv.contact_id
        self.known_messages[(event.platform, event.platform_message_id)].append(
            (event.channel_account_id, key)
        )
        inbound = event.direction == Direction.IN
        self.message_rows.append(
            {
                "workspace_id": self.workspace_id,
                "platform": event.platform,
                "channel_account_id": event.channel_account_id,
                "conversation_id": None,
                "contact_id": contact_id,
                "direction": event.direction.value,
                "visibility": event.visibility.value,
                "platform_message_id": event.platform_message_id,
                "reply_to_platform_id": event.reply_to_platform_id,
                "author_kind": event.author_kind.value,
                "author_user_id": None,
                "author_external_id": event.author.external_id,
                "text": event.text,
                "attachments": event.attachments,
                "is_auto": False,
                "platform_time": at,
                "received_at": self.now,
                "delivery_state": (
                    DeliveryState.RECEIVED.value if inbound else DeliveryState.SENT.value
                ),
                "delivery_error": None,
                "idempotency_key": None,
                "raw_event_id": event.raw_event_id,
            }
        )
        self.message_conv_keys.append(key)


def _drop_duplicates(
    session: Session, workspace_id: int, events: Sequence[InboundEvent]
) -> list[InboundEvent]:
    """Keep the first copy of each (account, platform id) not already stored."""
    seen: set[tuple[int | None, str, str]] = set()
    unique: list[InboundEvent] = []
    for event in events:
        key = (event.channel_account_id, event.platform, event.platform_message_id)
        if key not in seen:
            seen.add(key)
            unique.append(event)
    by_platform: dict[str, list[str]] = defaultdict(list)
    for event in unique:
        by_platform[event.platform].append(event.platform_message_id)
    stored: set[tuple[int | None, str, str | None]] = set()
    for platform, ids in by_platform.items():
        for chunk in _chunks(sorted(set(ids))):
            rows = session.execute(
                select(Message.channel_account_id, Message.platform_message_id).where(
                    Message.workspace_id == workspace_id,
                    Message.platform == platform,
                    Message.platform_message_id.in_(chunk),
                )
            )
            stored.update((account_id, platform, pmid) for account_id, pmid in rows)
    return [
        e for e in unique if (e.channel_account_id, e.platform, e.platform_message_id) not in stored
    ]


def _resolve_contacts(
    session: Session, workspace_id: int, events: Sequence[InboundEvent]
) -> dict[tuple[str, str], int]:
    """Contact id for every inbound author, creating contacts and identities that are new."""
    authors: dict[tuple[str, str], InboundEvent] = {}
    for event in events:
        if event.direction == Direction.IN:
            authors[(event.platform, event.author.external_id)] = event  # latest wins
    found: dict[tuple[str, str], int] = {}
    stale: list[dict[str, Any]] = []
    by_platform: dict[str, list[str]] = defaultdict(list)
    for platform, external_id in authors:
        by_platform[platform].append(external_id)
    for platform, ids in by_platform.items():
        for chunk in _chunks(sorted(ids)):
            rows = session.execute(
                select(
                    ContactIdentity.id,
                    ContactIdentity.external_id,
                    ContactIdentity.contact_id,
                    ContactIdentity.handle,
                    ContactIdentity.followers,
                    ContactIdentity.verified,
                ).where(
                    ContactIdentity.workspace_id == workspace_id,
                    ContactIdentity.platform == platform,
                    ContactIdentity.external_id.in_(chunk),
                )
            )
            for row in rows:
                found[(platform, row.external_id)] = row.contact_id
                author = authors[(platform, row.external_id)].author
                changed = (
                    (author.handle is not None and author.handle != row.handle)
                    or (author.followers is not None and author.followers != row.followers)
                    or author.verified != row.verified
                )
                if changed:
                    stale.append(
                        {
                            "id": row.id,
                            "handle": author.handle or row.handle,
                            "followers": (
                                author.followers if author.followers is not None else row.followers
                            ),
                            "verified": author.verified,
                        }
                    )
    if stale:
        session.execute(update(ContactIdentity), stale)
    missing = [key for key in authors if key not in found]
    if missing:
        now = utcnow()
        contact_rows = []
        for platform, external_id in missing:
            author = authors[(platform, external_id)].author
            name = author.name or (f"@{author.handle}" if author.handle else external_id)
            words = " ".join(w for w in (author.name, author.handle, external_id) if w)
            contact_rows.append(
                {
                    "workspace_id": workspace_id,
                    "name": name,
                    "search_text": words,
                    "created_at": now,
                    "updated_at": now,
                }
            )
        contact_ids = session.scalars(
            insert(Contact).returning(Contact.id, sort_by_parameter_order=True), contact_rows
        ).all()
        identity_rows = []
        for (platform, external_id), contact_id in zip(missing, contact_ids, strict=True):
            author = authors[(platform, external_id)].author
            found[(platform, external_id)] = contact_id
            identity_rows.append(
                {
                    "workspace_id": workspace_id,
                    "contact_id": contact_id,
                    "platform": platform,
                    "external_id": external_id,
                    "handle": author.handle,
                    "display_name": author.name,
                    "followers": author.followers,
                    "verified": author.verified,
                    "created_at": now,
                }
            )
        session.execute(insert(ContactIdentity), identity_rows)
    return found


def _conversation_columns(conv: _Conv) -> dict[str, Any]:
    return {
        "status": conv.status,
        "last_message_at": conv.last_message_at,
        "first_inbound_at": conv.first_inbound_at,
        "first_response_at": conv.first_response_at,
        "last_inbound_at": conv.last_inbound_at,
        "resolved_at": conv.resolved_at,
        "has_public": conv.has_public,
        "has_private": conv.has_private,
        "message_count": conv.message_count,
    }


def _write(batch: _Batch, result: IngestResult) -> None:
    session = batch.session
    now = batch.now
    new_keys = [k for k, c in enumerate(batch.convs) if c.is_new]
    if new_keys:
        rows = []
        for key in new_keys:
            conv = batch.convs[key]
            rows.append(
                {
                    "workspace_id": batch.workspace_id,
                    "channel_account_id": conv.account_id,
                    "contact_id": conv.contact_id,
                    "priority": "normal",
                    "created_at": conv.created_at or now,
                    "updated_at": now,
                    **_conversation_columns(conv),
                }
            )
        ids = session.scalars(
            insert(Conversation).returning(Conversation.id, sort_by_parameter_order=True), rows
        ).all()
        for key, conv_id in zip(new_keys, ids, strict=True):
            batch.convs[key].id = conv_id
        result.new_conversation_ids.extend(ids)
    existing = [c for c in batch.convs if c.dirty and not c.is_new]
    if existing:
        session.execute(
            update(Conversation),
            [{"id": c.id, "updated_at": now, **_conversation_columns(c)} for c in existing],
        )
        result.updated_conversation_ids.extend(c.id for c in existing if c.id is not None)
    for row, conv_key in zip(batch.message_rows, batch.message_conv_keys, strict=True):
        row["conversation_id"] = batch.convs[conv_key].id if conv_key is not None else None
    message_ids: list[int] = []
    if batch.message_rows:
        message_ids = list(
            session.scalars(
                insert(Message).returning(Message.id, sort_by_parameter_order=True),
                batch.message_rows,
            ).all()
        )
    result.message_ids.extend(message_ids)
    result.stored_without_conversation = sum(1 for k in batch.message_conv_keys if k is None)
    event_rows: list[dict[str, Any]] = []
    for conv in batch.convs:
        for ev in conv.events:
            event_rows.append(
                {
                    "workspace_id": batch.workspace_id,
                    "conversation_id": conv.id,
                    "contact_id": conv.contact_id,
                    "message_id": None,
                    "actor_user_id": None,
                    "recorded_at": now,
                    **ev,
                }
            )
    for row, message_id in zip(batch.message_rows, message_ids, strict=True):
        inbound = row["direction"] == Direction.IN.value
        event_rows.append(
            {
                "workspace_id": batch.workspace_id,
                "type": (EventType.MESSAGE_IN if inbound else EventType.MESSAGE_OUT).value,
                "conversation_id": row["conversation_id"],
                "contact_id": row["contact_id"],
                "message_id": message_id,
                "actor_kind": row["author_kind"],
                "actor_user_id": None,
                "data": {"visibility": row["visibility"]},
                "occurred_at": row["platform_time"],
                "recorded_at": now,
            }
        )
    if event_rows:
        event_rows.sort(key=lambda r: r["occurred_at"])
        session.execute(insert(Event), event_rows)


def ingest_batch(
    session: Session,
    workspace_id: int,
    events: Sequence[InboundEvent],
    *,
    resolve_after: timedelta | None = None,
) -> IngestResult:
    """Dedupe, resolve contacts, thread and persist ``events``; the caller commits.

    ``resolve_after`` lets importers treat conversations idle that long (in message time) as
    resolved, so history threads as it would have live.
    """
    result = IngestResult(workspace_id=workspace_id, received=len(events))
    fresh = _drop_duplicates(session, workspace_id, events)
    result.duplicates = len(events) - len(fresh)
    if not fresh:
        return result
    ordered = platform_time_order(fresh)
    batch = _Batch(session, workspace_id, resolve_after)
    contacts = _resolve_contacts(session, workspace_id, ordered)
    batch.load_parents(ordered)
    pairs = {
        (contacts[(e.platform, e.author.external_id)], e.channel_account_id)
        for e in ordered
        if e.direction == Direction.IN and e.channel_account_id is not None
    }
    batch.load_latest(pairs)
    for event in ordered:
        contact_id = (
            contacts[(event.platform, event.author.external_id)]
            if event.direction == Direction.IN
            else None
        )
        key = batch.thread(event, contact_id)
        batch.add_message(event, contact_id, key)
    _write(batch, result)
    return result
