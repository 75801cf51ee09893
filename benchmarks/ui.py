"""Server time of the agent workspace's pages with 100,000 conversations in the database.

Target (agent workspace issue): a page of 50 conversations renders in under 100 ms of server
time. The database is filled through the real ingest pipeline with synthetic traffic, then
each page is requested in-process (no network) many times; median and p95 are reported with
the number of SQL statements each page needs.
"""

from __future__ import annotations

import json
import os
import platform
import re
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from sqlalchemy import event, func, select

from benchmarks.synthetic import brand_handles, synthetic_events
from socialdesk.bootstrap import bootstrap
from socialdesk.config import Settings
from socialdesk.pipeline.ingest import ingest_batch
from socialdesk.services.accounts import create_user
from socialdesk.services.workspaces import ensure_accounts, get_or_create_workspace
from socialdesk.store.models import Conversation, User

RESULTS = Path(__file__).parent / "results" / "ui.json"
TARGET_CONVERSATIONS = int(os.environ.get("SOCIALDESK_BENCH_UI_CONVERSATIONS", "100000"))
RUNS = int(os.environ.get("SOCIALDESK_BENCH_UI_RUNS", "30"))
TARGET_MS = 100.0


def _fill(app: Any, workspace_id: int) -> tuple[int, float]:
    """Ingest synthetic traffic until the target number of conversations exists."""
    with app.db.session() as session:
        handles = brand_handles(40)
        accounts = ensure_accounts(session, workspace_id, "twitter", handles)
        account_ids = [accounts[h] for h in handles]
    started = time.perf_counter()
    seed, total = 1, 0
    while total < TARGET_CONVERSATIONS:
        events = synthetic_events(60_000, account_ids, seed=seed)
        for start in range(0, len(events), 5000):
            with app.db.session() as session:
                ingest_batch(session, workspace_id, events[start : start + 5000])
        with app.db.read_session() as session:
            total = session.scalar(select(func.count()).select_from(Conversation)) or 0
        seed += 1
        print(f"  ui bench: {total:,} conversations", file=sys.stderr)
    return total, time.perf_counter() - started


def _spread_ownership(app: Any, workspace_id: int, agent_id: int) -> None:
    """Give the agent a realistic share: every 50th conversation mine, half unassigned."""
    with app.db.session() as session:
        session.execute(
            Conversation.__table__.update()
            .where(Conversation.workspace_id == workspace_id, Conversation.id % 50 == 0)
            .values(assignee_id=agent_id)
        )


def _measure(client: Any, url: str, statements: list[int]) -> dict[str, Any]:
    times = []
    counts = []
    for _ in range(RUNS):
        statements.clear()
        started = time.perf_counter()
        response = client.get(url)
        times.append((time.perf_counter() - started) * 1000)
        counts.append(len(statements))
        if response.status_code != 200:
            raise RuntimeError(f"{url} answered {response.status_code}")
    times.sort()
    return {
        "url": url,
        "median_ms": round(statistics.median(times), 2),
        "p95_ms": round(times[max(0, int(len(times) * 0.95) - 1)], 2),
        "sql_statements": max(counts),
        "under_target": statistics.median(times) < TARGET_MS,
    }


def run() -> dict[str, Any]:
    from fastapi.testclient import TestClient

    from socialdesk.web.app import create_app

    keep = os.environ.get("SOCIALDESK_BENCH_UI_DB")  # reuse a filled database (profiling)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(keep) if keep else Path(tmp) / "ui.db"
        reuse = path.exists()
        app = bootstrap(Settings(database_url=f"sqlite:///{path}", embedded_workers=0))
        if reuse:
            with app.db.read_session() as session:
                workspace_id = get_or_create_workspace(session).id
                conversations = session.scalar(select(func.count()).select_from(Conversation))
            fill_seconds = 0.0
        else:
            with app.db.session() as session:
                workspace_id = get_or_create_workspace(session).id
                create_user(
                    session,
                    workspace_id,
                    email="bench@example.test",
                    name="Bench",
                    role="agent",
                    password="bench-password",
                )
            conversations, fill_seconds = _fill(app, workspace_id)
            with app.db.read_session() as session:
                agent_id = session.scalar(select(User.id)) or 0
            _spread_ownership(app, workspace_id, agent_id)
        statements: list[int] = []
        event.listen(app.db.engine, "before_cursor_execute", lambda *_args: statements.append(1))
        client = TestClient(create_app(app, run_workers=False))
        login = client.get("/login").text
        csrf = re.search(r'name="csrf_token" value="([^"]+)"', login)
        assert csrf is not None
        client.post(
            "/login",
            data={
                "email": "bench@example.test",
                "password": "bench-password",
                "csrf_token": csrf.group(1),
                "next": "/inbox",
            },
        )
        with app.db.read_session() as session:
            some_conversation = session.scalar(
                select(Conversation.id).order_by(Conversation.last_message_at.desc()).limit(1)
            )
        pages = {
            "inbox_all": "/inbox?view=all",
            "inbox_mine": "/inbox?view=mine",
            "inbox_unassigned": "/inbox?view=unassigned",
            "inbox_breaching": "/inbox?view=breaching",
            "inbox_resolved_page_3": "/inbox?view=resolved&page=3",
            "inbox_waiting_sort": "/inbox?view=all&sort=waiting",
            "inbox_search": "/inbox?view=all&q=refund",  # a word in ~5 % of the messages
            "inbox_search_customer": "/inbox?view=all&q=user5147",  # one customer's handle
            "inbox_search_page_2": "/inbox?view=all&q=refund&page=2",
            "conversation": f"/conversations/{some_conversation}",
        }
        results = {name: _measure(client, url, statements) for name, url in pages.items()}
        app.db.dispose()
    return {
        "benchmark": "ui",
        "target": f"a page of 50 conversations in under {TARGET_MS:.0f} ms server time",
        "database": "sqlite",
        "conversations": conversations,
        "fill_seconds": round(fill_seconds, 1),
        "runs_per_page": RUNS,
        "pages": results,
        "machine": {
            "cores": os.cpu_count(),
            "python": platform.python_version(),
            "platform": platform.platform(),
        },
    }


def main() -> None:
    result = run()
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(result, indent=2) + "\n")
    for name, page in result["pages"].items():
        print(
            f"{name:24s} median {page['median_ms']:7.1f} ms  p95 {page['p95_ms']:7.1f} ms  "
            f"{page['sql_statements']} statements"
        )


if __name__ == "__main__":
    main()
