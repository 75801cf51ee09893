"""Events per second through the whole ingest pipeline, next to a bare insert of the same rows.

``ingest_batch`` does dedupe, contacts, threading and the writes (messages with their FTS5
trigger on SQLite or GIN index on PostgreSQL, conversations, events), each call in its own
transaction. It runs here on synthetic traffic (:mod:`benchmarks.synthetic`):

* ``batched``: consecutive slices of ``batch_size`` events per transaction (imports, bursts);
* ``one_by_one``: one event per transaction (live webhooks).

The baseline is a bare insert of the same message rows (the ones the pipeline stores, without
conversation or contact) straight into ``messages`` through the driver: ``executemany`` of a
one-row INSERT, as asked, and a multi-row ``INSERT ... VALUES`` (1,000 rows per statement) as
the fastest plain insert. The pipeline's overhead is reported as the ratio of the rates.
Each measurement runs on a fresh database; the best of ``repeats`` runs is reported (the
machine may be shared), with every run's figures kept.
"""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
from collections.abc import Callable, Sequence
from dataclasses import asdict
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import psycopg.types.json
from sqlalchemy import func, select, text
from sqlalchemy.engine import make_url

from benchmarks.common import (
    RESULTS,
    Timer,
    machine_info,
    postgres_database,
    postgres_unavailable,
    sqlite_url,
    write_json,
)
from benchmarks.synthetic import EventMix, brand_handles, synthetic_events
from socialdesk.domain.types import DeliveryState, Direction
from socialdesk.pipeline.events import InboundEvent
from socialdesk.pipeline.ingest import ingest_batch
from socialdesk.services.workspaces import ensure_accounts, get_or_create_workspace
from socialdesk.store.db import Database
from socialdesk.store.migrate import migrate
from socialdesk.store.models import Base, Conversation, Event, Message

__all__ = ["main", "run"]

TARGET_BATCHED_SQLITE = 5000  # events/s, from the issue
BRANDS = 12
SEED = 20171031
MULTIROW = 1000
MESSAGE_COLUMNS = (
    "workspace_id",
    "platform",
    "channel_account_id",
    "conversation_id",
    "contact_id",
    "direction",
    "visibility",
    "platform_message_id",
    "reply_to_platform_id",
    "author_kind",
    "author_user_id",
    "author_external_id",
    "text",
    "attachments",
    "is_auto",
    "platform_time",
    "received_at",
    "delivery_state",
    "delivery_error",
    "idempotency_key",
    "raw_event_id",
)


class _Desk:
    """A migrated database with one workspace and the synthetic brands' accounts."""

    def __init__(self, url: str) -> None:
        self.db = Database(url)
        migrate(self.db)
        with self.db.session() as session:
            self.workspace_id = get_or_create_workspace(session).id
            accounts = ensure_accounts(session, self.workspace_id, "twitter", brand_handles(BRANDS))
        self.account_ids = [accounts[h] for h in brand_handles(BRANDS)]

    def counts(self) -> dict[str, int]:
        with self.db.read_session() as session:
            return {
                "messages": session.scalar(select(func.count()).select_from(Message)) or 0,
                "conversations": session.scalar(select(func.count()).select_from(Conversation))
                or 0,
                "events": session.scalar(select(func.count()).select_from(Event)) or 0,
            }

    def close(self) -> None:
        self.db.dispose()


def _events(count: int, account_ids: Sequence[int]) -> list[InboundEvent]:
    return synthetic_events(count, account_ids, seed=SEED, mix=EventMix())


def _analyze(desk: _Desk) -> None:
    with desk.db.engine.connect() as conn:
        conn.execution_options(isolation_level="AUTOCOMMIT").exec_driver_sql("ANALYZE")


def _pipeline(
    desk: _Desk, events: Sequence[InboundEvent], batch_size: int, *, analyze: bool = False
) -> dict[str, Any]:
    """``ingest_batch`` over ``events``; ``analyze``: PostgreSQL gathers planner statistics
    after the first batch (inside the timing), as autovacuum does on a live database."""
    stored = duplicates = new_conversations = 0
    with Timer() as timer:
        for start in range(0, len(events), batch_size):
            with desk.db.session() as session:
                result = ingest_batch(
                    session, desk.workspace_id, events[start : start + batch_size]
                )
            stored += result.stored
            duplicates += result.duplicates
            new_conversations += len(result.new_conversation_ids)
            if analyze and start == 0:
                _analyze(desk)
    return {
        "events": len(events),
        "transactions": -(-len(events) // batch_size),
        "stored_messages": stored,
        "duplicates_dropped": duplicates,
        "new_conversations": new_conversations,
        "rows_after": desk.counts(),
        "wall_seconds": round(timer.wall, 3),
        "cpu_seconds": round(timer.cpu, 3),
        "events_per_second": round(len(events) / timer.wall, 1),
        "stored_messages_per_second": round(stored / timer.wall, 1),
    }


def _unique(events: Sequence[InboundEvent]) -> list[InboundEvent]:
    seen: set[tuple[int | None, str]] = set()
    unique = []
    for event in events:
        key = (event.channel_account_id, event.platform_message_id)
        if key not in seen:
            seen.add(key)
            unique.append(event)
    return unique


def _message_rows(
    desk: _Desk, events: Sequence[InboundEvent], sqlite: bool
) -> list[tuple[Any, ...]]:
    """The rows the pipeline stores for ``events``, as driver parameters (no conversation)."""
    now = datetime.now(UTC)

    def when(value: datetime) -> Any:  # what SQLAlchemy binds for a UTC datetime
        return value.replace(tzinfo=None).isoformat(" ", "microseconds") if sqlite else value

    attachments: Any = "[]" if sqlite else psycopg.types.json.Json([])
    rows = []
    for e in events:
        inbound = e.direction == Direction.IN
        rows.append(
            (
                desk.workspace_id,
                e.platform,
                e.channel_account_id,
                None,
                None,
                e.direction.value,
                e.visibility.value,
                e.platform_message_id,
                e.reply_to_platform_id,
                e.author_kind.value,
                None,
                e.author.external_id,
                e.text,
                attachments,
                0 if sqlite else False,
                when(e.platform_time),
                when(now),
                (DeliveryState.RECEIVED if inbound else DeliveryState.SENT).value,
                None,
                None,
                None,
            )
        )
    return rows


def _bare(
    desk: _Desk,
    rows: Sequence[tuple[Any, ...]],
    *,
    rows_per_transaction: int,
    rows_per_statement: int,
) -> dict[str, Any]:
    """Insert ``rows`` into ``messages`` through the driver, with no pipeline at all."""
    sqlite = desk.db.is_sqlite
    mark = "?" if sqlite else "%s"
    one = "(" + ", ".join([mark] * len(MESSAGE_COLUMNS)) + ")"
    head = f"INSERT INTO messages ({', '.join(MESSAGE_COLUMNS)}) VALUES "
    raw = desk.db.engine.raw_connection()
    try:
        conn: Any = raw.driver_connection
        cursor = conn.cursor()
        with Timer() as timer:
            for start in range(0, len(rows), rows_per_transaction):
                chunk = rows[start : start + rows_per_transaction]
                if sqlite:
                    cursor.execute("BEGIN IMMEDIATE")
                if rows_per_statement == 1:
                    cursor.executemany(head + one, chunk)
                else:
                    for part in range(0, len(chunk), rows_per_statement):
                        group = chunk[part : part + rows_per_statement]
                        cursor.execute(
                            head + ", ".join([one] * len(group)),
                            [value for row in group for value in row],
                        )
                if sqlite:
                    cursor.execute("COMMIT")
                else:
                    conn.commit()
        cursor.close()
    finally:
        raw.close()
    return {
        "rows": len(rows),
        "transactions": -(-len(rows) // rows_per_transaction),
        "rows_per_statement": rows_per_statement,
        "wall_seconds": round(timer.wall, 3),
        "cpu_seconds": round(timer.cpu, 3),
        "rows_per_second": round(len(rows) / timer.wall, 1),
    }


def _best(
    repeats: int, fresh: Callable[[], _Desk], measure: Callable[[_Desk], dict[str, Any]]
) -> dict[str, Any]:
    runs = []
    for _ in range(repeats):
        desk = fresh()
        try:
            runs.append(measure(desk))
        finally:
            desk.close()
    best = min(runs, key=lambda r: r["wall_seconds"])
    return {
        **best,
        "repeats": repeats,
        "wall_seconds_all": [r["wall_seconds"] for r in runs],
        "cpu_seconds_all": [r["cpu_seconds"] for r in runs],
        "wall_seconds_median": round(statistics.median(r["wall_seconds"] for r in runs), 3),
    }


def _backend(
    name: str,
    fresh: Callable[[], _Desk],
    *,
    batched_events: int,
    single_events: int,
    batch_size: int,
    repeats: int,
) -> dict[str, Any]:
    probe = fresh()
    account_ids = probe.account_ids
    sqlite = probe.db.is_sqlite
    many = _events(batched_events, account_ids)
    few = _events(single_events, account_ids)
    many_rows = _message_rows(probe, _unique(many), sqlite)
    few_rows = _message_rows(probe, _unique(few), sqlite)
    probe.close()
    print(f"  {name}: pipeline, {batched_events:,} events in batches of {batch_size:,}", flush=True)
    batched = _best(repeats, fresh, lambda d: _pipeline(d, many, batch_size))
    analyzed = None
    if not sqlite:
        print(f"  {name}: the same, with planner statistics after the first batch", flush=True)
        analyzed = _best(repeats, fresh, lambda d: _pipeline(d, many, batch_size, analyze=True))
    print(f"  {name}: pipeline, {single_events:,} events one per transaction", flush=True)
    single = _best(repeats, fresh, lambda d: _pipeline(d, few, 1))
    print(f"  {name}: bare inserts of the same message rows", flush=True)
    bare_many = _best(
        repeats,
        fresh,
        lambda d: _bare(d, many_rows, rows_per_transaction=batch_size, rows_per_statement=1),
    )
    bare_multirow = _best(
        repeats,
        fresh,
        lambda d: _bare(d, many_rows, rows_per_transaction=batch_size, rows_per_statement=MULTIROW),
    )
    bare_single = _best(
        repeats, fresh, lambda d: _bare(d, few_rows, rows_per_transaction=1, rows_per_statement=1)
    )

    def ratio(bare: dict[str, Any], pipeline: dict[str, Any]) -> float:
        return round(bare["rows_per_second"] / pipeline["stored_messages_per_second"], 2)

    result: dict[str, Any] = {
        "batched": {
            "pipeline": batched,
            "bare_executemany": bare_many,
            "bare_multirow_insert": bare_multirow,
            "overhead_ratio_vs_executemany": ratio(bare_many, batched),
            "overhead_ratio_vs_multirow_insert": ratio(bare_multirow, batched),
        },
        "one_by_one": {
            "pipeline": single,
            "bare_insert": bare_single,
            "overhead_ratio": ratio(bare_single, single),
        },
    }
    if analyzed is not None:
        result["batched"]["pipeline_with_statistics"] = {
            **analyzed,
            "note": (
                "ANALYZE after the first batch: without statistics PostgreSQL 15 filters the "
                "platform message ids of a lookup instead of seeking them in the unique index"
            ),
        }
        result["batched"]["overhead_ratio_vs_executemany_with_statistics"] = ratio(
            bare_many, analyzed
        )
    return result


def run(
    *,
    batched_events: int = 50_000,
    single_events: int = 2_000,
    batch_size: int = 5_000,
    repeats: int = 3,
    postgres: bool = True,
) -> dict[str, Any]:
    """Measure both backends; PostgreSQL is skipped (with the reason) when unreachable."""
    result: dict[str, Any] = {
        "benchmark": "ingest",
        "description": (
            "Events per second through ingest_batch (dedupe, contacts, threading, persist "
            "with events; FTS5 triggers on SQLite, GIN indexes on PostgreSQL), single process, "
            "next to a bare insert of the same message rows into messages. Ratio = bare rows/s "
            "divided by pipeline stored messages/s. Best of `repeats` runs, each on a fresh "
            "database. PostgreSQL: a scratch database created for the run, emptied between runs; "
            "its tables start without planner statistics, as after a fresh install, and "
            "autovacuum may or may not ANALYZE them during a run."
        ),
        "machine": machine_info(),
        "parameters": {
            "batched_events": batched_events,
            "one_by_one_events": single_events,
            "batch_size": batch_size,
            "repeats": repeats,
            "brands": BRANDS,
            "seed": SEED,
            "event_mix": asdict(EventMix()),
        },
        "target": {"batched_sqlite_events_per_second": TARGET_BATCHED_SQLITE},
        "sqlite": None,
        "postgresql": None,
    }
    with tempfile.TemporaryDirectory(prefix="socialdesk-bench-") as tmp:
        directory = Path(tmp)
        counter = iter(range(1_000_000))
        result["sqlite"] = _backend(
            "sqlite",
            lambda: _Desk(sqlite_url(directory, f"ingest{next(counter)}")),
            batched_events=batched_events,
            single_events=single_events,
            batch_size=batch_size,
            repeats=repeats,
        )
    rate = result["sqlite"]["batched"]["pipeline"]["events_per_second"]
    result["target"]["met"] = rate >= TARGET_BATCHED_SQLITE
    if not postgres:
        result["postgresql"] = {"skipped": "disabled with --no-postgres"}
    elif (reason := postgres_unavailable()) is not None:
        result["postgresql"] = {"skipped": reason}
    else:
        with postgres_database("ingest") as url:
            result["postgresql"] = _backend(
                "postgresql",
                lambda: _PostgresDesk(url),
                batched_events=batched_events,
                single_events=single_events,
                batch_size=batch_size,
                repeats=repeats,
            )
            result["postgresql"]["database"] = make_url(url).database
    result["machine"]["load_average_at_end"] = _loadavg()
    return result


class _PostgresDesk(_Desk):
    """The scratch database emptied and migrated again for each measurement."""

    def __init__(self, url: str) -> None:
        db = Database(url)
        migrate(db)
        tables = ", ".join(t.name for t in reversed(Base.metadata.sorted_tables))
        with db.engine.begin() as conn:
            conn.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))
        db.dispose()
        super().__init__(url)


def _loadavg() -> list[float]:
    return [round(x, 2) for x in os.getloadavg()]


def summary(result: dict[str, Any]) -> list[str]:
    lines = []
    for backend in ("sqlite", "postgresql"):
        data = result.get(backend) or {}
        if "skipped" in data:
            lines.append(f"ingest {backend}: skipped ({data['skipped']})")
            continue
        if not data:
            continue
        b, s = data["batched"], data["one_by_one"]
        analyzed = b.get("pipeline_with_statistics")
        with_stats = (
            f" ({analyzed['events_per_second']:,.0f} with planner statistics)" if analyzed else ""
        )
        lines.append(
            f"ingest {backend}: batched {b['pipeline']['events_per_second']:,.0f} events/s"
            f"{with_stats} "
            f"(bare executemany {b['bare_executemany']['rows_per_second']:,.0f} rows/s, "
            f"x{b['overhead_ratio_vs_executemany']}; multi-row "
            f"{b['bare_multirow_insert']['rows_per_second']:,.0f} rows/s, "
            f"x{b['overhead_ratio_vs_multirow_insert']}); one by one "
            f"{s['pipeline']['events_per_second']:,.0f} events/s "
            f"(bare {s['bare_insert']['rows_per_second']:,.0f} rows/s, x{s['overhead_ratio']})"
        )
    target = result["target"]
    lines.append(
        f"ingest target: >= {target['batched_sqlite_events_per_second']:,} events/s batched on "
        f"SQLite: {'met' if target.get('met') else 'NOT met'}"
    )
    return lines


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=50_000, help="events, batched mode")
    parser.add_argument("--single-events", type=int, default=2_000, help="one-by-one mode")
    parser.add_argument("--batch-size", type=int, default=5_000)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--no-postgres", action="store_true")
    parser.add_argument("--output", type=Path, default=RESULTS / "ingest.json")
    parser.add_argument("--note", help="free text recorded in the result (which code, why)")
    args = parser.parse_args(argv)
    result = run(
        batched_events=args.events,
        single_events=args.single_events,
        batch_size=args.batch_size,
        repeats=args.repeats,
        postgres=not args.no_postgres,
    )
    if args.note:
        result["note"] = args.note
    write_json(args.output, result)
    print("\n".join(summary(result)))


if __name__ == "__main__":
    main()
