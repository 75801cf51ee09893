"""The composition root: database, channels, job handlers and notifier wired in one place.

Tests call :func:`bootstrap` with their own database URL; nothing builds an engine or a client
at import time.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from sqlalchemy.orm import Session

from socialdesk.channels.base import Channel
from socialdesk.channels.email import EmailChannel
from socialdesk.channels.meta import FacebookChannel, InstagramChannel
from socialdesk.channels.reddit import RedditChannel
from socialdesk.channels.sandbox import SandboxChannel
from socialdesk.channels.sms import SmsChannel
from socialdesk.channels.telegram import TelegramChannel
from socialdesk.channels.twitter import TwitterChannel
from socialdesk.channels.webchat import WebchatChannel, webchat_followup_step
from socialdesk.channels.whatsapp import WhatsAppChannel
from socialdesk.channels.youtube import YouTubeChannel
from socialdesk.config import Settings, get_settings
from socialdesk.jobs.worker import HandlerRegistry, Worker
from socialdesk.pipeline.intake import INGEST_JOB, process_raw_events
from socialdesk.pipeline.notify import Notifier
from socialdesk.pipeline.polling import POLL_JOB, ensure_polling, make_poll_handler
from socialdesk.pipeline.receipts import RECEIPT_JOB, retry_receipts
from socialdesk.pipeline.routing import RoutingStep
from socialdesk.services.assignment import (
    OFFER_JOB,
    SWEEP_JOB,
    assignment_step,
    offer_job,
    schedule_sweep,
    sweep_job,
)
from socialdesk.services.autoreply import autoreply_step
from socialdesk.services.conversations import WAKE_JOB, wake_snoozed
from socialdesk.services.opt_out import sms_opt_out_step
from socialdesk.services.replies import DELIVER_JOB, make_delivery_handler
from socialdesk.services.sla import SLA_JOB, check_sla, sla_step
from socialdesk.services.webhooks_out import WEBHOOK_JOB, make_webhook_handler
from socialdesk.store.crypto import CredentialCipher
from socialdesk.store.db import Database
from socialdesk.store.migrate import migrate

__all__ = ["App", "bootstrap"]


@dataclass
class App:
    settings: Settings
    db: Database
    channels: dict[str, Channel]
    registry: HandlerRegistry
    notifier: Notifier
    cipher: CredentialCipher
    workers: list[Worker] = field(default_factory=list)
    # Called in order for every live batch after the rules (pipeline.routing.route).
    routing_steps: list[RoutingStep] = field(default_factory=list)

    def worker(self, **kwargs: Any) -> Worker:
        kwargs.setdefault("lease", timedelta(seconds=self.settings.job_lease_seconds))
        kwargs.setdefault("poll_seconds", self.settings.job_poll_seconds)
        worker = Worker(self.db, self.registry, **kwargs)
        self.workers.append(worker)
        return worker

    def start_polling(self) -> int:
        """Start the poll chains of polled accounts that have none (at worker start)."""
        with self.db.session() as session:
            return ensure_polling(session, self.channels)

    def start_timers(self) -> None:
        """At worker start: the poll chains and the assignment sweep, where missing."""
        self.start_polling()
        with self.db.session() as session:
            schedule_sweep(session)

    def run_jobs_until_idle(self) -> int:
        """Drain every due job in this thread (CLI commands, tests)."""
        return Worker(self.db, self.registry).run_until_idle()


def bootstrap(
    settings: Settings | None = None,
    *,
    database_url: str | None = None,
    migrate_schema: bool = True,
) -> App:
    settings = settings or get_settings()
    db = Database(database_url or settings.resolved_database_url())
    if migrate_schema:
        migrate(db)
    notifier = Notifier()
    cipher = CredentialCipher.from_settings(settings)
    channels: dict[str, Channel] = {
        "sandbox": SandboxChannel(db),
        "twitter": TwitterChannel(),
        "reddit": RedditChannel(),
        "youtube": YouTubeChannel(),
        "facebook": FacebookChannel(db),
        "instagram": InstagramChannel(db),
        "webchat": WebchatChannel(db),
        "telegram": TelegramChannel(),
        "sms": SmsChannel(),
        "whatsapp": WhatsAppChannel(),
        "email": EmailChannel(db),
    }
    registry = HandlerRegistry()
    # The routing contract's steps, in this order: assignment_step, sla_step, autoreply_step
    # (one `routing_steps.append(...)` line each, below this one).
    routing_steps: list[RoutingStep] = []
    routing_steps.append(webchat_followup_step)  # offline web chats: email identity
    routing_steps.append(sms_opt_out_step)  # SMS STOP withdraws consent (before any reply)
    routing_steps.append(assignment_step)
    routing_steps.append(sla_step)
    routing_steps.append(autoreply_step)  # the last step (sla_step goes before this line)

    def ingest(session: Session, payloads: list[dict[str, Any]]) -> None:
        ids = [int(p["raw_event_id"]) for p in payloads]
        process_raw_events(
            session, ids, channels, notifier.publish, cipher=cipher, routing_steps=routing_steps
        )

    registry.batch(INGEST_JOB, ingest)
    registry.transactional(WAKE_JOB, wake_snoozed)
    registry.transactional(SLA_JOB, check_sla)
    registry.external(
        WEBHOOK_JOB,
        make_webhook_handler(db, cipher, allow_private=settings.webhook_private_targets),
    )
    registry.transactional(OFFER_JOB, offer_job)
    registry.transactional(SWEEP_JOB, sweep_job)
    registry.external(DELIVER_JOB, make_delivery_handler(db, channels, cipher=cipher))
    registry.transactional(RECEIPT_JOB, retry_receipts)
    registry.external(POLL_JOB, make_poll_handler(db, channels, cipher=cipher))
    return App(
        settings=settings,
        db=db,
        channels=channels,
        registry=registry,
        notifier=notifier,
        cipher=cipher,
        routing_steps=routing_steps,
    )
