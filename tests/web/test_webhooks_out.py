"""Outgoing webhooks against a real HTTP server on 127.0.0.1: signed bodies, retries on 5xx,
no retry on 4xx, and an SLA breach delivered end to end."""

from __future__ import annotations

import json
import socket
import sys
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import select, update

from socialdesk.bootstrap import App
from socialdesk.domain.errors import InvalidInput
from socialdesk.jobs.queue import ClaimedJob, JobStatus
from socialdesk.jobs.worker import PermanentJobError
from socialdesk.services.webhooks_out import (
    DELIVERY_HEADER,
    EVENT_HEADER,
    SIGNATURE_HEADER,
    WEBHOOK_JOB,
    WebhookSpec,
    create_subscription,
    dispatch_event,
    make_webhook_handler,
    resolve_target,
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
            session,
            workspace_id,
            WebhookSpec(url=receiver.url, event_types=types),
            app.cipher,
            allow_private=app.settings.webhook_private_targets,
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


# -- receivers must be public addresses (server-side request forgery) -----------------------------
PRIVATE_URLS = [
    "http://127.0.0.1:8080/hook",
    "http://10.1.2.3/hook",
    "http://192.168.0.10/hook",
    "http://169.254.169.254/latest/meta-data/",  # the cloud's metadata service
    "http://100.64.0.1/hook",  # carrier-grade NAT
    "http://0.0.0.0/hook",
    "http://[::1]/hook",
    "http://[::ffff:127.0.0.1]/hook",  # IPv4 loopback written as IPv6
    "http://[fd00::1]/hook",
    "http://localhost:9000/hook",
    "https://api.localhost/hook",
]


@pytest.mark.parametrize("url", PRIVATE_URLS)
def test_a_private_receiver_is_refused_when_saved(app: App, url: str) -> None:
    desk = make_desk(app)
    spec = WebhookSpec(url=url, event_types=["sla.breached"])
    with app.db.session() as session, pytest.raises(InvalidInput, match="public addresses only"):
        create_subscription(session, desk.workspace_id, spec, app.cipher)
    with app.db.session() as session:  # an intranet installation may allow it
        row, _secret = create_subscription(
            session, desk.workspace_id, spec, app.cipher, allow_private=True
        )
        assert row.url == url


def test_a_public_literal_address_is_used_as_it_is() -> None:
    assert resolve_target("https://93.184.216.34/hook") == "93.184.216.34"
    assert resolve_target("http://[2606:4700::1111]:8443/x") == "2606:4700::1111"


def _resolving_to(monkeypatch: pytest.MonkeyPatch, address: str) -> None:
    def fake(host: str, port: int, *args: Any, **kwargs: Any) -> list[Any]:
        family = socket.AF_INET6 if ":" in address else socket.AF_INET
        return [(family, socket.SOCK_STREAM, 6, "", (address, port))]

    monkeypatch.setattr(socket, "getaddrinfo", fake)


def test_a_name_that_resolves_to_a_private_address_is_refused_at_delivery(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Saved while it resolved to a public address; now it points inside (DNS rebinding).
    _resolving_to(monkeypatch, "10.0.0.7")
    with pytest.raises(PermanentJobError, match=r"private or local address 10\.0\.0\.7"):
        resolve_target("https://hooks.example.com/socialdesk")
    assert resolve_target("https://hooks.example.com/socialdesk", allow_private=True) == (
        "10.0.0.7"
    )


def test_a_delivery_connects_to_the_address_it_checked(
    app: App, monkeypatch: pytest.MonkeyPatch
) -> None:
    desk = make_desk(app)
    with app.db.session() as session:
        row, _secret = create_subscription(
            session,
            desk.workspace_id,
            WebhookSpec(url="https://hooks.example.com:8443/in?x=1", event_types=["sla.breached"]),
            app.cipher,
        )
    _resolving_to(monkeypatch, "93.184.216.34")
    seen: list[httpx.Request] = []

    def answer(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(204)

    deliver = make_webhook_handler(app.db, app.cipher, transport=httpx.MockTransport(answer))
    deliver(_job(row.id))

    [request] = seen
    assert str(request.url) == "https://93.184.216.34:8443/in?x=1"
    assert request.headers["host"] == "hooks.example.com:8443"
    assert request.extensions["sni_hostname"] == "hooks.example.com"  # TLS checks the name


def test_a_stored_private_receiver_gets_nothing_and_the_job_fails_with_the_reason(
    app: App, receiver: Receiver
) -> None:
    desk = make_desk(app)
    _subscribe(app, desk.workspace_id, receiver, ["sla.breached"])  # saved while allowed
    app.settings.webhook_private_targets = False  # then the installation stopped allowing it
    deliver = make_webhook_handler(app.db, app.cipher, allow_private=False)
    with app.db.session() as session:
        dispatch_event(session, desk.workspace_id, "sla.breached", {"conversation_id": 3})
    [job] = _webhook_jobs(app)

    with pytest.raises(PermanentJobError, match=r"127\.0\.0\.1"):
        deliver(_job(job.payload["subscription_id"], job.payload))
    assert receiver.received == []


def _job(subscription_id: int, payload: dict[str, Any] | None = None) -> ClaimedJob:
    body = payload or {
        "subscription_id": subscription_id,
        "event": "sla.breached",
        "delivery_id": "d-1",
        "body": json.dumps({"type": "sla.breached"}),
    }
    return ClaimedJob(
        id=1, kind=WEBHOOK_JOB, payload=body, attempts=1, max_attempts=8, worker_id="w"
    )
