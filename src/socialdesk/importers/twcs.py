"""Import the "Customer Support on Twitter" (TWCS) CSV format.

Columns ``tweet_id, author_id, inbound, created_at, text, response_tweet_id,
in_response_to_tweet_id``, optionally after an unnamed index column (pandas re-exports).
Brands (``inbound == False``) become channel accounts on platform ``twitter``; every tweet is a
public message. The file carries no delivery account for customers' tweets, so it is derived as
design.md says: the account of the parent message, else the brand that first replied.
"""

from __future__ import annotations

import csv
import gc
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TextIO

from sqlalchemy import Connection, select
from sqlalchemy.orm import Session

from socialdesk.domain.types import (
    AuthorKind,
    ConversationStatus,
    Direction,
    EventType,
    Visibility,
)
from socialdesk.pipeline.events import Author, InboundEvent
from socialdesk.pipeline.ingest import (
    bulk_insert,
    bulk_update_by_id,
    ingest_batch,
    platform_time_order,
)
from socialdesk.services.workspaces import ensure_accounts
from socialdesk.store.db import Database
from socialdesk.store.models import Conversation, Event
from socialdesk.store.types import utcnow

__all__ = ["ImportReport", "RowProblem", "Tweet", "import_twcs", "read_twcs"]

PLATFORM = "twitter"
COLUMNS = (
    "tweet_id",
    "author_id",
    "inbound",
    "created_at",
    "text",
    "response_tweet_id",
    "in_response_to_tweet_id",
)
_REQUIRED = 5  # the columns up to and including ``text``
_MONTHS = {
    m: i
    for i, m in enumerate(
        ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"), 1
    )
}

# SQLite settings of the import's connection (per connection, put back afterwards); neither
# changes durability: every batch still commits to the write-ahead log as before.
# - page cache in KiB (the default is 2 MiB): every batch touches pages all over the message,
#   FTS and conversation indexes; with the default cache most are read again for each batch.
# - WAL auto-checkpoint in pages (the default is 1,000, 4 MB): a batch writes more than that,
#   so every commit copied its pages back into the database file; every 50,000 pages (200 MB
#   of log) a page changed by many batches is copied once.
IMPORT_SQLITE_PRAGMAS = {"cache_size": -2 * 1024 * 1024, "wal_autocheckpoint": 50_000}

csv.field_size_limit(10_000_000)


class TwcsFormatError(ValueError):
    """The file is not in the TWCS format at all (its header is wrong)."""


@dataclass(frozen=True, slots=True)
class RowProblem:
    line: int
    message: str
    skipped: bool = True

    def __str__(self) -> str:
        verdict = "skipped" if self.skipped else "kept"
        return f"line {self.line}: {self.message} ({verdict})"


@dataclass(slots=True)
class Tweet:
    tweet_id: str
    author_id: str
    inbound: bool
    created_at: datetime
    text: str
    responses: tuple[str, ...]
    parent_id: str | None


@dataclass
class ImportReport:
    rows: int = 0
    tweets: int = 0
    brands: int = 0
    stored: int = 0
    duplicates: int = 0
    new_conversations: int = 0
    without_conversation: int = 0
    resolved: int = 0
    problems: list[RowProblem] = field(default_factory=list)


def parse_twitter_time(value: str) -> datetime:
    """Parse ``Tue Oct 31 22:14:37 +0000 2017`` (fast path) into an aware UTC datetime."""
    parts = value.split()
    if len(parts) == 6 and parts[4] == "+0000" and parts[1] in _MONTHS:
        hh, mm, ss = parts[3].split(":")
        return datetime(
            int(parts[5]), _MONTHS[parts[1]], int(parts[2]), int(hh), int(mm), int(ss), tzinfo=UTC
        )
    return datetime.strptime(value, "%a %b %d %H:%M:%S %z %Y").astimezone(UTC)


def _tweet_id(value: str, column: str) -> str:
    if value.isascii() and value.isdigit():  # the usual form, digits only: nothing to check
        return value if value[0] != "0" or len(value) == 1 else str(int(value))
    value = value.strip()
    try:
        number = float(value) if ("." in value or "e" in value.lower()) else int(value)
    except ValueError:
        raise ValueError(f"{column} {value!r} is not a tweet id") from None
    if number != int(number) or number < 0:
        raise ValueError(f"{column} {value!r} is not a tweet id")
    return str(int(number))


def _parse_row(fields: list[str]) -> Tweet:
    tweet_id = _tweet_id(fields[0], "tweet_id")
    author_id = fields[1].strip()
    if not author_id:
        raise ValueError("author_id is empty")
    inbound_text = fields[2].strip()
    if inbound_text not in ("True", "False"):
        raise ValueError(f"inbound must be True or False, found {inbound_text!r}")
    try:
        created_at = parse_twitter_time(fields[3].strip())
    except (ValueError, KeyError):
        raise ValueError(f"created_at {fields[3]!r} is not a Twitter date") from None
    responses = tuple(
        _tweet_id(part, "response_tweet_id") for part in fields[5].split(",") if part.strip()
    )
    parent = fields[6].strip()
    return Tweet(
        tweet_id=tweet_id,
        author_id=author_id,
        inbound=inbound_text == "True",
        created_at=created_at,
        text=fields[4],
        responses=responses,
        parent_id=_tweet_id(parent, "in_response_to_tweet_id") if parent else None,
    )


def read_twcs(stream: TextIO, problems: list[RowProblem]) -> Iterator[tuple[int, Tweet]]:
    """Yield (line number, tweet) for every usable row; problems are appended as found."""
    reader = csv.reader(stream)
    try:
        header = next(reader)
    except StopIteration:
        raise TwcsFormatError("the file is empty; expected a TWCS header line") from None
    names = [h.strip() for h in header]
    offset = 1 if names and names[0] == "" else 0
    if tuple(names[offset:]) != COLUMNS:
        raise TwcsFormatError(
            "line 1: the header is not TWCS; expected "
            + ",".join(COLUMNS)
            + f" (optionally after an unnamed index column), found {','.join(names)}"
        )
    width = len(COLUMNS) + offset
    line = reader.line_num + 1
    for fields in reader:
        start, line = line, reader.line_num + 1
        if not fields or (len(fields) == 1 and not fields[0].strip()):
            continue
        data = fields[offset:]
        if len(fields) > width:
            problems.append(RowProblem(start, f"expected {width} fields, found {len(fields)}"))
            continue
        if len(fields) < width:
            if len(data) < _REQUIRED:
                problems.append(RowProblem(start, f"expected {width} fields, found {len(fields)}"))
                continue
            # A row broken inside its text keeps its tweet; the reply links are lost.
            missing = ", ".join(COLUMNS[len(data) :])
            problems.append(
                RowProblem(start, f"row ends early; {missing} taken as empty", skipped=False)
            )
            data = data + [""] * (len(COLUMNS) - len(data))
        try:
            yield start, _parse_row(data)
        except ValueError as exc:
            problems.append(RowProblem(start, str(exc)))


def _derive_accounts(tweets: dict[str, Tweet]) -> dict[str, str | None]:
    """Delivery account (brand handle) of every customer tweet, per design.md."""
    replies: dict[str, set[str]] = {}
    for tweet in tweets.values():
        if tweet.parent_id:
            replies.setdefault(tweet.parent_id, set()).add(tweet.tweet_id)

    def first_brand_reply(tweet: Tweet) -> str | None:
        candidates = [
            tweets[i]
            for i in set(tweet.responses) | replies.get(tweet.tweet_id, set())
            if i in tweets and not tweets[i].inbound
        ]
        if not candidates:
            return None
        first = min(candidates, key=lambda t: (t.created_at, int(t.tweet_id)))
        return first.author_id

    accounts: dict[str, str | None] = {}

    def resolve(tweet_id: str) -> str | None:
        chain: list[Tweet] = []
        current: str | None = tweet_id
        answer: str | None = None
        seen: set[str] = set()
        while current is not None and current in tweets and current not in seen:
            seen.add(current)
            tweet = tweets[current]
            if not tweet.inbound:
                answer = tweet.author_id
                break
            if current in accounts:
                answer = accounts[current]
                break
            chain.append(tweet)
            current = tweet.parent_id
        # Unwind: a tweet takes its parent's account, else the brand that first replied to it.
        for tweet in reversed(chain):
            answer = answer if answer is not None else first_brand_reply(tweet)
            accounts[tweet.tweet_id] = answer
        return accounts.get(tweet_id, answer)

    for tweet in tweets.values():
        if tweet.inbound and tweet.tweet_id not in accounts:
            resolve(tweet.tweet_id)
    return accounts


def _events(tweets: dict[str, Tweet], account_ids: dict[str, int]) -> list[InboundEvent]:
    derived = _derive_accounts(tweets)
    events = []
    authors: dict[str, Author] = {}  # one (frozen) Author per author id: less memory
    for tweet in tweets.values():
        if tweet.inbound:
            handle = derived.get(tweet.tweet_id)
            account_id = account_ids[handle] if handle else None
            direction, kind = Direction.IN, AuthorKind.CONTACT
        else:
            account_id = account_ids[tweet.author_id]
            direction, kind = Direction.OUT, AuthorKind.AGENT
        events.append(
            InboundEvent(
                platform=PLATFORM,
                platform_message_id=tweet.tweet_id,
                author=authors.get(tweet.author_id)
                or authors.setdefault(
                    tweet.author_id, Author(external_id=tweet.author_id, handle=tweet.author_id)
                ),
                text=tweet.text,
                platform_time=tweet.created_at,
                visibility=Visibility.PUBLIC,
                channel_account_id=account_id,
                direction=direction,
                reply_to_platform_id=tweet.parent_id,
                author_kind=kind,
            )
        )
    return events


def resolve_idle_conversations(
    session: Session, workspace_id: int, *, now: datetime, resolve_after: timedelta
) -> int:
    """Resolve open conversations idle for ``resolve_after`` at ``now`` (message time)."""
    rows = session.execute(
        select(
            Conversation.id,
            Conversation.contact_id,
            Conversation.status,
            Conversation.last_message_at,
        ).where(
            Conversation.workspace_id == workspace_id,
            Conversation.status != ConversationStatus.RESOLVED.value,
            Conversation.last_message_at <= now - resolve_after,
        )
    ).all()
    if not rows:
        return 0
    recorded = utcnow()
    bulk_update_by_id(
        session,
        Conversation.__table__,  # type: ignore[arg-type]
        [
            {
                "id": r.id,
                "status": ConversationStatus.RESOLVED.value,
                "resolved_at": r.last_message_at + resolve_after,
                "updated_at": recorded,
            }
            for r in rows
        ],
    )
    bulk_insert(
        session,
        Event.__table__,  # type: ignore[arg-type]
        [
            {
                "workspace_id": workspace_id,
                "type": EventType.STATUS_CHANGED.value,
                "conversation_id": r.id,
                "contact_id": r.contact_id,
                "message_id": None,
                "actor_kind": AuthorKind.SYSTEM.value,
                "actor_user_id": None,
                "data": {"from": r.status, "to": "resolved", "reason": "idle"},
                "occurred_at": r.last_message_at + resolve_after,
                "recorded_at": recorded,
            }
            for r in rows
        ],
    )
    return len(rows)


ProgressFn = Callable[[int], None]


@contextmanager
def _cycle_collector_paused() -> Iterator[None]:
    """No cyclic garbage collection while the file's rows become objects.

    Reading builds millions of long-lived objects that form no cycles; every full collection
    would walk all of them for nothing (a fifth of the reading time at 1 M rows). The collector's
    state is restored on the way out.
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


@contextmanager
def _import_connection(db: Database) -> Iterator[Connection]:
    """One connection for all the batches of an import, with :data:`IMPORT_SQLITE_PRAGMAS`.

    Each batch still runs in its own transaction (see :func:`_batch_session`); the settings
    are per connection, so they are put back before the connection returns to the pool.
    """
    with db.engine.connect() as conn:
        if not db.is_sqlite:
            yield conn
            return
        raw = conn.connection.driver_connection
        assert raw is not None
        previous = {
            name: int(raw.execute(f"PRAGMA {name}").fetchone()[0]) for name in IMPORT_SQLITE_PRAGMAS
        }
        for name, value in IMPORT_SQLITE_PRAGMAS.items():
            raw.execute(f"PRAGMA {name} = {int(value)}")
        try:
            yield conn
        finally:
            for name, value in previous.items():
                raw.execute(f"PRAGMA {name} = {value}")


@contextmanager
def _batch_session(conn: Connection) -> Iterator[Session]:
    """Like :meth:`Database.session` (commit on success, rollback on error), on ``conn``."""
    session = Session(bind=conn, expire_on_commit=False)
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()


def import_twcs(
    db: Database,
    workspace_id: int,
    path: Path,
    *,
    resolve_after: timedelta = timedelta(hours=24),
    batch_size: int = 5000,
    on_read: Callable[[int], None] | None = None,
    on_total: Callable[[int], None] | None = None,
    on_progress: ProgressFn | None = None,
    enrich: bool = False,
) -> ImportReport:
    """Import a TWCS file; running it again adds nothing.

    History is not enriched unless ``enrich`` (language, sentiment and personal data of each
    customer tweet roughly double the import time); see ``ingest_batch``."""
    report = ImportReport()
    with _cycle_collector_paused():
        tweets: dict[str, Tweet] = {}
        first_line: dict[str, int] = {}
        with path.open(newline="", encoding="utf-8-sig", errors="replace") as stream:
            for line, tweet in read_twcs(stream, report.problems):
                report.rows += 1
                if tweet.tweet_id in tweets:
                    report.problems.append(
                        RowProblem(
                            line,
                            f"tweet {tweet.tweet_id} already on line {first_line[tweet.tweet_id]}",
                        )
                    )
                    continue
                tweets[tweet.tweet_id] = tweet
                first_line[tweet.tweet_id] = line
                if on_read is not None and report.rows % 10000 == 0:
                    on_read(report.rows)
        report.problems.sort(key=lambda p: p.line)
        report.tweets = len(tweets)
        brands = {t.author_id for t in tweets.values() if not t.inbound}
        report.brands = len(brands)
        with db.session() as session:
            account_ids = ensure_accounts(session, workspace_id, PLATFORM, brands)
        events = platform_time_order(_events(tweets, account_ids))
        del tweets, first_line
    latest = max((e.platform_time for e in events), default=None)
    if on_total is not None:
        on_total(len(events))
    gc.freeze()  # the events live until the end: later collections need not walk them
    try:
        with _import_connection(db) as conn:
            _ingest_events(
                conn, workspace_id, events, report, resolve_after, batch_size, on_progress, enrich
            )
            if latest is not None:
                with _batch_session(conn) as session:
                    report.resolved = resolve_idle_conversations(
                        session, workspace_id, now=latest, resolve_after=resolve_after
                    )
    finally:
        gc.unfreeze()
    return report


def _ingest_events(
    conn: Connection,
    workspace_id: int,
    events: list[InboundEvent],
    report: ImportReport,
    resolve_after: timedelta,
    batch_size: int,
    on_progress: ProgressFn | None,
    enrich: bool = False,
) -> None:
    """Steps 3-8 for ``events`` in batches of ``batch_size``, one transaction each."""
    for start in range(0, len(events), batch_size):
        chunk = events[start : start + batch_size]
        with _batch_session(conn) as session:
            result = ingest_batch(
                session, workspace_id, chunk, resolve_after=resolve_after, enrich=enrich
            )
        report.stored += result.stored
        report.duplicates += result.duplicates
        report.new_conversations += len(result.new_conversation_ids)
        report.without_conversation += result.stored_without_conversation
        if on_progress is not None:
            on_progress(len(chunk))
