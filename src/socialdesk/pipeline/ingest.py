"""Steps 3-8 of the ingest path for a batch of normalized events, in one transaction.

The batch is read with a handful of set-based queries (duplicates, parents, contacts, latest
conversations), threaded in memory in platform-time order with :mod:`socialdesk.domain.threading`,
and written with bulk inserts, so one event and fifty thousand take the same code path.

Performance notes (measured by ``benchmarks/ingest.py`` and ``benchmarks/twcs_import.py``):
lookups by platform message id go through the unique index on (channel account, platform
message id), or the partial unique index of messages without an account, never through a scan
of the workspace's messages; new rows get their ids allocated up front (:func:`_allocate_ids`)
and are written by :func:`bulk_insert` (multi-row inserts on SQLite, ``executemany`` on
PostgreSQL) with the columns' own SQLAlchemy bind processors, so a batch costs a few round trips
and no ORM bookkeeping whatever its size.
"""

from __future__ import annotations

import re
import weakref
from collections import defaultdict
from collections.abc import Callable, Hashable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from itertools import chain
from typing import Any

from sqlalchemy import (
    JSON,
    DateTime,
    Dialect,
    Table,
    TypeDecorator,
    bindparam,
    func,
    select,
    text,
)
from sqlalchemy.orm import Session

from socialdesk.domain.pii import find_pii
from socialdesk.domain.threading import ConversationRef, thread_inbound
from socialdesk.domain.types import (
    AuthorKind,
    ConversationStatus,
    DeliveryState,
    Direction,
    EventType,
    Visibility,
)
from socialdesk.pipeline.enrichment import (
    UNDETERMINED,
    Sentiment,
    analyze_sentiment,
    detect_language,
)
from socialdesk.pipeline.enrichment.language import read_languages, resolve_language
from socialdesk.pipeline.events import InboundEvent
from socialdesk.pipeline.notify import IngestResult
from socialdesk.store.models import (
    ChannelAccount,
    Contact,
    ContactIdentity,
    Conversation,
    Event,
    Message,
)
from socialdesk.store.types import utcnow

__all__ = ["enrich_message", "enrich_messages", "ingest_batch", "platform_time_order"]

_CHUNK = 500  # ids per IN (...) list: below every driver's parameter limit


def _chunks(items: Sequence[Any], size: int = _CHUNK) -> Iterable[Sequence[Any]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


_MESSAGES: Table = Message.__table__  # type: ignore[assignment]
_CONVERSATIONS: Table = Conversation.__table__  # type: ignore[assignment]
_CONTACTS: Table = Contact.__table__  # type: ignore[assignment]
_IDENTITIES: Table = ContactIdentity.__table__  # type: ignore[assignment]
_EVENTS: Table = Event.__table__  # type: ignore[assignment]

# The batch's lookups, built once: ``in_(bindparam(..., expanding=True))`` takes each chunk of
# ids at execution time, without coercing every value into the statement.
_M = _MESSAGES.c
_PARENTS_UNACCOUNTED = select(
    _M.id, _M.platform_message_id, _M.channel_account_id, _M.conversation_id
).where(
    _M.channel_account_id.is_(None),
    _M.workspace_id == bindparam("workspace_id"),
    _M.platform == bindparam("platform"),
    _M.platform_message_id.in_(bindparam("ids", expanding=True)),
)
# Workspace and platform are returned and checked in Python, not in SQL: with them in the
# WHERE clause SQLite prefers the (workspace, platform, reply to) index and scans.
_PARENTS_ACCOUNTED = select(
    _M.id,
    _M.platform_message_id,
    _M.channel_account_id,
    _M.conversation_id,
    _M.workspace_id,
    _M.platform,
).where(
    _M.channel_account_id.in_(bindparam("accounts", expanding=True)),
    _M.platform_message_id.in_(bindparam("ids", expanding=True)),
)
_STORED_UNACCOUNTED = select(_M.platform_message_id, _M.workspace_id, _M.platform).where(
    _M.channel_account_id.is_(None),
    _M.workspace_id == bindparam("workspace_id"),
    _M.platform == bindparam("platform"),
    _M.platform_message_id.in_(bindparam("ids", expanding=True)),
)
_STORED_ACCOUNTED = select(_M.platform_message_id, _M.workspace_id, _M.platform).where(
    _M.channel_account_id == bindparam("account_id"),
    _M.platform_message_id.in_(bindparam("ids", expanding=True)),
)


def _allocate_ids(session: Session, table: Table, count: int) -> list[int]:
    """Primary keys for ``count`` new rows of ``table``, ascending, as the database would give.

    SQLite (an INTEGER PRIMARY KEY without AUTOINCREMENT) numbers a new row max(id) + 1; the
    caller's transaction is a writer (``BEGIN IMMEDIATE``), or fails before writing if another
    writer committed since it read, so the range is ours. PostgreSQL draws from the column's
    sequence, as a default insert would. Knowing the ids before inserting lets the rows go in
    with one plain ``executemany`` instead of an INSERT ... RETURNING that SQLAlchemy can only
    keep in parameter order on SQLite by sending one row per statement.
    """
    if count <= 0:
        return []
    if session.get_bind().dialect.name == "sqlite":
        top = session.execute(select(func.max(table.c.id))).scalar() or 0
        return list(range(top + 1, top + count + 1))
    rows = session.execute(
        text(
            "SELECT nextval(pg_get_serial_sequence(:table, 'id')) FROM generate_series(1, :count)"
        ),
        {"table": table.name, "count": count},
    )
    return sorted(row[0] for row in rows)


@dataclass(frozen=True, slots=True)
class _Compiled:
    """A statement compiled once for a dialect, with its parameters in driver order.

    ``processors`` are the columns' own bind processors (what SQLAlchemy applies to each value
    when it executes the statement), so the driver receives exactly the same values.
    """

    sql: str
    names: tuple[str, ...]
    positional: bool
    processors: tuple[Callable[[Any], Any] | None, ...]
    # Per column: how a value is looked up in the batch's memo of processed values, or None.
    # Datetimes and small JSON values repeat a lot in a batch (now, platform times, the same
    # event data); each distinct value is processed once.
    memo: tuple[tuple[str, type] | None, ...]


_COMPILED: weakref.WeakKeyDictionary[Dialect, dict[tuple[Any, ...], _Compiled]] = (
    weakref.WeakKeyDictionary()
)


def _compile(dialect: Dialect, key: tuple[Any, ...], build: Callable[[], Any]) -> _Compiled:
    cache = _COMPILED.setdefault(dialect, {})
    compiled = cache.get(key)
    if compiled is not None:
        return compiled
    table: Table = key[1]
    statement = build().compile(dialect=dialect)
    names = tuple(statement.positiontup or ()) if statement.positional else tuple(statement.binds)
    processors = []
    memo: list[tuple[str, type] | None] = []
    for name in names:
        column = table.c.id if name == "_row_id" else table.c[name]
        processors.append(column.type.dialect_impl(dialect).bind_processor(dialect))
        impl = column.type.impl_instance if isinstance(column.type, TypeDecorator) else column.type
        if isinstance(impl, DateTime):
            memo.append(("datetime", type(column.type)))
        elif isinstance(impl, JSON):
            memo.append(("json", type(column.type)))
        else:
            memo.append(None)
    compiled = _Compiled(
        statement.string, names, statement.positional, tuple(processors), tuple(memo)
    )
    cache[key] = compiled
    return compiled


_SCALARS = (str, int, bool, type(None))  # not float: -0.0 == 0.0, yet their JSON differs


def _json_key(value: Any) -> Any:
    """A hashable key that fixes the JSON text of ``value`` (types included: True is not 1),
    for empty lists and flat dicts of scalars; None for anything else (processed as it is)."""
    if type(value) is list and not value:
        return (list,)
    if type(value) is dict:
        items = []
        for key, item in value.items():
            if type(key) is not str or type(item) not in _SCALARS:
                return None
            items.append((key, type(item), item))
        return (dict, *items)
    return None


def _parameters(
    compiled: _Compiled, rows: Sequence[dict[str, Any]], memo: dict[Any, Any] | None = None
) -> list[Any]:
    """Driver parameters for ``rows``: tuples (positional drivers) or dicts, values processed.

    ``memo`` (one per batch) keeps processed datetimes and JSON values across statements.
    """
    memo = {} if memo is None else memo
    columns: list[Sequence[Any]] = []
    for name, process, kind in zip(compiled.names, compiled.processors, compiled.memo, strict=True):
        values = [row[name] for row in rows]
        if process is None:
            pass
        elif kind is None:
            values = [process(value) for value in values]
        else:
            seen: dict[Any, Any] = memo.setdefault(kind, {})
            done = []
            for value in values:
                key = value if kind[0] == "datetime" else _json_key(value)
                if key is None:
                    done.append(process(value))
                    continue
                try:
                    done.append(seen[key])
                except KeyError:
                    seen[key] = processed = process(value)
                    done.append(processed)
            values = done
        columns.append(values)
    if compiled.positional:
        return list(zip(*columns, strict=True))
    return [dict(zip(compiled.names, values, strict=True)) for values in zip(*columns, strict=True)]


def bulk_insert(
    session: Session,
    table: Table,
    rows: Sequence[dict[str, Any]],
    *,
    memo: dict[Any, Any] | None = None,
) -> None:
    """``INSERT`` ``rows`` (all with the same keys, every column to write included).

    Values go through the columns' bind processors exactly as with ``session.execute(
    table.insert(), rows)``, without SQLAlchemy's per-row bookkeeping. On SQLite the rows go as
    multi-row ``INSERT ... VALUES (...), (...)`` statements: an ``executemany`` runs one
    statement per row, and each statement makes FTS5 (the ``messages_fts`` trigger) flush its
    pending terms to disk, several times slower than one flush per many rows. PostgreSQL gets a
    plain ``executemany`` (pipelined by psycopg).
    """
    if not rows:
        return
    connection = session.connection()
    dialect = connection.dialect
    keys = tuple(rows[0])
    compiled = _compile(
        dialect,
        ("insert", table, keys),
        lambda: table.insert().values({key: bindparam(key) for key in keys}),
    )
    if not set(compiled.names) <= set(keys):  # columns with defaults left out: SQLAlchemy's way
        session.execute(table.insert(), rows)
        return
    parameters = _parameters(compiled, rows, memo)
    if dialect.name != "sqlite" or not compiled.positional:
        connection.exec_driver_sql(compiled.sql, parameters)
        return
    head, _, one_row = compiled.sql.partition(" VALUES ")
    per_statement = max(1, min(1000, dialect.insertmanyvalues_max_parameters // len(keys)))
    for start in range(0, len(parameters), per_statement):
        part = parameters[start : start + per_statement]
        sql = f"{head} VALUES {', '.join([one_row] * len(part))}"
        connection.exec_driver_sql(sql, tuple(chain.from_iterable(part)))


def bulk_update_by_id(
    session: Session,
    table: Table,
    rows: Sequence[dict[str, Any]],
    *,
    memo: dict[Any, Any] | None = None,
) -> None:
    """``UPDATE table SET ... WHERE id = :id`` for each row (all rows have the same keys)."""
    if not rows:
        return
    connection = session.connection()
    columns = tuple(key for key in rows[0] if key != "id")
    compiled = _compile(
        connection.dialect,
        ("update", table, columns),
        lambda: (
            table.update()
            .where(table.c.id == bindparam("_row_id"))
            .values({key: bindparam(key) for key in columns})
        ),
    )
    parameters = _parameters(compiled, [{**row, "_row_id": row["id"]} for row in rows], memo)
    connection.exec_driver_sql(compiled.sql, parameters)


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
    # A message delivered to two of the brand's accounts is two events: each is emitted once
    # (``done`` knows the account); its replies wait for whichever copy comes first.
    done: set[tuple[int | None, str, str]] = set()
    emitted: set[tuple[str, str]] = set()
    waiting: dict[tuple[str, str], list[InboundEvent]] = defaultdict(list)
    ordered: list[InboundEvent] = []

    def emit(event: InboundEvent) -> None:
        stack = [event]
        while stack:
            current = stack.pop()
            key = (current.platform, current.platform_message_id)
            identity = (current.channel_account_id, *key)
            if identity in done:
                continue
            done.add(identity)
            emitted.add(key)
            ordered.append(current)
            stack.extend(reversed(waiting.pop(key, [])))

    for event in by_time:
        parent = (event.platform, event.reply_to_platform_id or "")
        if event.reply_to_platform_id and parent in in_batch and parent not in emitted:
            waiting[parent].append(event)
        else:
            emit(event)
    for children in list(waiting.values()):  # parents that never came (cycles, duplicates)
        for child in children:
            emit(child)
    return ordered


# Every kind of personal data find_pii knows needs an "@" or a digit: texts without any skip it.
_PII_HINT = re.compile(r"[@\d]")


Enriched = tuple[str, str, float, list[str]]


def _pii_kinds(text: str) -> list[str]:
    return sorted({f.kind for f in find_pii(text)}) if _PII_HINT.search(text) else []


def enrich_message(text: str, previous_language: str | None = None) -> Enriched:
    """(language, sentiment label, sentiment score, sorted personal-data kinds) of one inbound
    message, as stored on it; the same analysis as ``socialdesk analyze``."""
    language = detect_language(text, previous_language=previous_language)
    sentiment = analyze_sentiment(text, language=language.code if language.detected else None)
    return language.code, sentiment.label, round(sentiment.score, 4), _pii_kinds(text)


def enrich_messages(
    texts: Sequence[str],
    authors: Sequence[Hashable | None] | None = None,
    languages: dict[Any, str] | None = None,
) -> list[Enriched]:
    """:func:`enrich_message` of many messages, in order, with the same results but faster:
    each step (language, sentiment, personal data) runs over all the texts before the next, so
    the language model's and the lexicons' tables stay in the processor's cache, and identical
    texts (retweets, templates) are analysed once.

    ``authors[i]`` (a contact id, or None) chains the messages of one author: the previous
    language of message ``i`` is ``languages[authors[i]]``, and ``languages`` gets each
    message's language other than "und" as the messages are read in order."""
    known: dict[Any, str] = languages if languages is not None else {}
    guesses = []
    for i, reading in enumerate(read_languages(texts)):
        author = authors[i] if authors is not None else None
        previous = known.get(author) if author is not None else None
        guess = resolve_language(reading, previous_language=previous)
        if author is not None and guess.code != UNDETERMINED:
            known[author] = guess.code
        guesses.append(guess)
    sentiments: dict[tuple[str, str | None], Sentiment] = {}
    kinds: dict[str, list[str]] = {}
    keys = []
    for body, guess in zip(texts, guesses, strict=True):
        key = (body, guess.code if guess.detected else None)
        if key not in sentiments:
            sentiments[key] = analyze_sentiment(body, language=key[1])
        keys.append(key)
    for body in texts:
        if body not in kinds:
            kinds[body] = _pii_kinds(body)
    out: list[Enriched] = []
    for body, guess, key in zip(texts, guesses, keys, strict=True):
        sentiment = sentiments[key]
        out.append((guess.code, sentiment.label, round(sentiment.score, 4), list(kinds[body])))
    return out


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
        self,
        session: Session,
        workspace_id: int,
        resolve_after: timedelta | None,
        enrich: bool = True,
    ) -> None:
        self.session = session
        self.workspace_id = workspace_id
        self.resolve_after = resolve_after
        self.enrich = enrich
        # contact id -> language of their latest message in this batch (short texts inherit it)
        self.contact_language: dict[int, str] = {}
        # (index in message_rows, contact id) of the rows enrich() fills in, in message order
        self.to_enrich: list[tuple[int, int | None]] = []
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
        if not by_platform:
            return
        # A parent may have been delivered to any account of the workspace (or to none): look
        # each id up in every account through the unique (account, platform id) index, and in
        # the partial index of messages without an account. Copies of one message come back in
        # id order, as a scan of the workspace's messages would list them.
        account_ids = sorted(
            set(
                self.session.scalars(
                    select(ChannelAccount.id).where(
                        ChannelAccount.workspace_id == self.workspace_id
                    )
                )
            )
            | {e.channel_account_id for e in events if e.channel_account_id is not None}
        )
        # (id, platform, platform message id, account id, conversation id)
        rows: list[tuple[int, str, str | None, int | None, int | None]] = []
        for platform, ids in by_platform.items():
            wanted = sorted(ids)
            for chunk in _chunks(wanted):
                for row_id, pmid, account_id, conv_id in self.session.execute(
                    _PARENTS_UNACCOUNTED,
                    {"workspace_id": self.workspace_id, "platform": platform, "ids": chunk},
                ):
                    rows.append((row_id, platform, pmid, account_id, conv_id))
            for accounts in _chunks(account_ids, _CHUNK // 2):
                for chunk in _chunks(wanted):
                    for row_id, pmid, account_id, conv_id, ws, row_platform in self.session.execute(
                        _PARENTS_ACCOUNTED, {"accounts": accounts, "ids": chunk}
                    ):
                        if ws == self.workspace_id and row_platform == platform:
                            rows.append((row_id, platform, pmid, account_id, conv_id))
        rows.sort(key=lambda r: r[0])
        conv_ids = [r[4] for r in rows if r[4] is not None]
        found = [r[1:] for r in rows]
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
            # A late brand reply joins the conversation it answers but does not keep an idle
            # one alive: it was resolved before the reply came (importers' resolve_after).
            if parent_key is not None:
                self._resolve_if_idle(parent_key, event.platform_time)
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
        if self.enrich and inbound and event.author_kind == AuthorKind.CONTACT:
            self.to_enrich.append((len(self.message_rows), contact_id))
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
                "language": None,
                "sentiment": None,
                "sentiment_score": None,
                "pii_kinds": None,
            }
        )
        self.message_conv_keys.append(key)

    def enrich_rows(self) -> None:
        """Step 6 for the batch's inbound contact messages, all at once (enrich_messages), in
        message order: a short text inherits its author's latest language in the batch."""
        if not self.to_enrich:
            return
        rows = self.message_rows
        enriched = enrich_messages(
            [rows[i]["text"] for i, _ in self.to_enrich],
            [contact_id for _, contact_id in self.to_enrich],
            self.contact_language,
        )
        for (i, _), (language, sentiment, score, kinds) in zip(
            self.to_enrich, enriched, strict=True
        ):
            row = rows[i]
            row["language"] = language
            row["sentiment"] = sentiment
            row["sentiment_score"] = score
            row["pii_kinds"] = kinds
        self.to_enrich = []


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
    # Look each (account, platform id) up where it is unique: the (account, platform id) index,
    # or the partial index of messages stored without an account.
    wanted: dict[tuple[str, int | None], set[str]] = defaultdict(set)
    for event in unique:
        wanted[(event.platform, event.channel_account_id)].add(event.platform_message_id)
    stored: set[tuple[int | None, str, str | None]] = set()
    for (platform, account_id), ids in wanted.items():
        for chunk in _chunks(sorted(ids)):
            if account_id is None:
                query, params = (
                    _STORED_UNACCOUNTED,
                    {"workspace_id": workspace_id, "platform": platform, "ids": chunk},
                )
            else:  # workspace and platform checked below, for SQLite's planner (see above)
                query, params = _STORED_ACCOUNTED, {"account_id": account_id, "ids": chunk}
            stored.update(
                (account_id, platform, pmid)
                for pmid, ws, row_platform in session.execute(query, params)
                if ws == workspace_id and row_platform == platform
            )
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
    bulk_update_by_id(session, _IDENTITIES, stale)
    missing = [key for key in authors if key not in found]
    if missing:
        now = utcnow()
        contact_ids = _allocate_ids(session, _CONTACTS, len(missing))
        contact_rows = []
        for (platform, external_id), contact_id in zip(missing, contact_ids, strict=True):
            author = authors[(platform, external_id)].author
            name = author.name or (f"@{author.handle}" if author.handle else external_id)
            words = " ".join(w for w in (author.name, author.handle, external_id) if w)
            contact_rows.append(
                {
                    "id": contact_id,
                    "workspace_id": workspace_id,
                    "name": name,
                    "search_text": words,
                    "created_at": now,
                    "updated_at": now,
                }
            )
        bulk_insert(session, _CONTACTS, contact_rows)
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
        bulk_insert(session, _IDENTITIES, identity_rows)
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
    memo: dict[Any, Any] = {}  # processed values shared by this batch's statements
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
        ids = _allocate_ids(session, _CONVERSATIONS, len(rows))
        for row, key, conv_id in zip(rows, new_keys, ids, strict=True):
            row["id"] = conv_id
            batch.convs[key].id = conv_id
        bulk_insert(session, _CONVERSATIONS, rows, memo=memo)
        result.new_conversation_ids.extend(ids)
    existing = [c for c in batch.convs if c.dirty and not c.is_new]
    if existing:
        bulk_update_by_id(
            session,
            _CONVERSATIONS,
            [{"id": c.id, "updated_at": now, **_conversation_columns(c)} for c in existing],
            memo=memo,
        )
        result.updated_conversation_ids.extend(c.id for c in existing if c.id is not None)
    for row, conv_key in zip(batch.message_rows, batch.message_conv_keys, strict=True):
        row["conversation_id"] = batch.convs[conv_key].id if conv_key is not None else None
    message_ids = _allocate_ids(session, _MESSAGES, len(batch.message_rows))
    for row, message_id in zip(batch.message_rows, message_ids, strict=True):
        row["id"] = message_id
    bulk_insert(session, _MESSAGES, batch.message_rows, memo=memo)
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
        bulk_insert(session, _EVENTS, event_rows, memo=memo)


def ingest_batch(
    session: Session,
    workspace_id: int,
    events: Sequence[InboundEvent],
    *,
    resolve_after: timedelta | None = None,
    enrich: bool = True,
) -> IngestResult:
    """Dedupe, resolve contacts, thread and persist ``events``; the caller commits.

    ``resolve_after`` lets importers treat conversations idle that long (in message time) as
    resolved, so history threads as it would have live.

    ``enrich`` (step 6): inbound contact messages get their language, sentiment label and score
    and personal-data kinds (:func:`enrich_messages`, the whole batch at once after threading)
    stored on the message. Live intake always enriches; history imports pass ``enrich=False`` (the
    columns stay NULL) because enrichment costs about as much as the rest of the pipeline.
    """
    result = IngestResult(workspace_id=workspace_id, received=len(events))
    fresh = _drop_duplicates(session, workspace_id, events)
    result.duplicates = len(events) - len(fresh)
    if not fresh:
        return result
    ordered = platform_time_order(fresh)
    batch = _Batch(session, workspace_id, resolve_after, enrich)
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
    batch.enrich_rows()
    _write(batch, result)
    return result
