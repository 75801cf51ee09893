"""Outgoing webhooks against a real HTTP server on 127.0.0.1: signed bodies, retries on 5xx,
no retry on 4xx, and an SLA breach delivered end to end."""

from __future__ import annotations

import json
import sys
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select, update

from socialdesk.bootstrap import App
from socialdesk.jobs.queue import JobStatus
from socialdesk.services.webhooks_out import (
    DELIVERY_HEADER,
    EVENT_HEADER,
    SIGNATURE_HEADER,
    WEBHOOK_JOB,
    WebhookSpec,
    create_subscription,
    dispatch_event,
    verify,
)
from socialdesk.store.models import Job
from socialdesk.store.types import utcnow

sys.path.insert(0, str(Path(__file__).parents[1] / "services"))
from sla_support import make_desk


@dataclass
class Receiver:
    """A customer's endpoint: checks each signature with the secret it was given."""

    secret: str = ""
    statuses: list[int] = field(default_factory=list)  # answers to give, then 200
    received: list[dict[str, Any]] = field(default_factory=list)
    url: str = ""


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    state = Receiver()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers["Content-Length"]))
            state.received.append(
                {
                    "body": json.loads(body),
                    "valid": verify(state.secret, body, self.headers.get(SIGNATURE_HEADER)),
                    "event": self.headers.get(EVENT_HEADER),
                    "delivery": self.headers.get(DELIVERY_HEADER),
                }
            )
            status = state.statuses.pop(0) if state.statuses else 200
            self.send_response(status)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *_args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    state.url = f"http://127.0.0.1:{server.server_address[1]}/hooks/socialdesk"
    try:
        yield state
    finally:
        server.shutdown()
        thread.join(timeout=5)


def _subscribe(app: App, workspace_id: int, receiver: Receiver, types: list[str]) -> int:
    with app.db.session() as session:
        row, secret = create_subscription(
            session, workspace_id, WebhookSpec(url=receiver.url, event_types=types), app.cipher
        )
    receiver.secret = secret
    return row.id


def _webhook_jobs(app: App) -> list[Job]:
    with app.db.read_session() as session:
        jobs = list(session.scalars(select(Job).where(Job.kind == WEBHOOK_JOB)))
        for job in jobs:
            session.expunge(job)
        return jobs


def _make_retries_due(app: App) -> None:
    with app.db.session() as session:
        session.execute(
            update(Job)
            .where(Job.kind == WEBHOOK_JOB, Job.status == JobStatus.QUEUED)
            .values(run_at=utcnow())
        )


def test_delivery_is_signed_and_retried_after_a_server_error(app: App, receiver: Receiver) -> None:
    desk = make_desk(app)
    _subscribe(app, desk.workspace_id, receiver, ["sla.breached"])
    receiver.statuses = [503]
    with app.db.session() as session:
        dispatch_event(session, desk.workspace_id, "sla.breached", {"conversation_id": 7})

    app.run_jobs_until_idle()
    [job] = _webhook_jobs(app)
    assert job.status == JobStatus.QUEUED and job.attempts == 1
    assert "503" in (job.last_error or "")
    _make_retries_due(app)
    app.run_jobs_until_idle()

    assert [r["valid"] for r in receiver.received] == [True, True]
    first, second = receiver.received
    assert first["delivery"] == second["delivery"]
    assert first["body"] == second["body"]
    assert second["body"]["type"] == "sla.breached"
    assert second["body"]["data"] == {"conversation_id": 7}
    assert second["event"] == "sla.breached"
    assert _webhook_jobs(app)[0].status == JobStatus.DONE


def test_a_client_error_is_not_retried(app: App, receiver: Receiver) -> None:
    desk = make_desk(app)
    _subscribe(app, desk.workspace_id, receiver, ["sla.warning"])
    receiver.statuses = [410]
    with app.db.session() as session:
        dispatch_event(session, desk.workspace_id, "sla.warning", {"conversation_id": 1})

    app.run_jobs_until_idle()

    [job] = _webhook_jobs(app)
    assert job.status == JobStatus.FAILED
    assert len(receiver.received) == 1


def test_only_subscribed_event_types_of_the_workspace_are_queued(
    app: App, receiver: Receiver
) -> None:
    desk = make_desk(app)
    _subscribe(app, desk.workspace_id, receiver, ["sla.warning"])
    with app.db.session() as session:
        assert dispatch_event(session, desk.workspace_id, "sla.breached", {}) == []
        assert dispatch_event(session, desk.workspace_id + 1, "sla.warning", {}) == []
        assert len(dispatch_event(session, desk.workspace_id, "sla.warning", {})) == 1


def test_a_wrong_secret_fails_verification(app: App, receiver: Receiver) -> None:
    desk = make_desk(app)
    _subscribe(app, desk.workspace_id, receiver, ["sla.warning"])
    receiver.secret = "not-the-secret-at-all"
    with app.db.session() as session:
        dispatch_event(session, desk.workspace_id, "sla.warning", {})

    app.run_jobs_until_idle()

    assert [r["valid"] for r in receiver.received] == [False]


def test_sla_breach_reaches_the_webhook_once(app: App, receiver: Receiver) -> None:
    desk = make_desk(app)
    desk.policy(first=60, resolution=None)
    _subscribe(app, desk.workspace_id, receiver, ["sla.warning", "sla.breached"])

    conv_id = desk.customer_writes(utcnow() - timedelta(hours=2))
    app.run_jobs_until_idle()
    app.run_jobs_until_idle()

    assert [r["body"]["type"] for r in receiver.received] == ["sla.warning", "sla.breached"]
    breach = receiver.received[1]["body"]["data"]
    assert breach["conversation_id"] == conv_id
    assert breach["clock"] == "first_response"
    assert breach["target_seconds"] == 3600
    assert all(r["valid"] for r in receiver.received)
