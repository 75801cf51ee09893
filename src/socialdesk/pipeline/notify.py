"""Hook points called after an ingest batch has committed (live updates, webhooks, bots)."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field

__all__ = ["IngestResult", "Notifier"]

log = logging.getLogger(__name__)


@dataclass
class IngestResult:
    """What one batch changed; handed to every subscriber after commit."""

    workspace_id: int
    received: int = 0
    duplicates: int = 0
    stored_without_conversation: int = 0
    message_ids: list[int] = field(default_factory=list)
    new_conversation_ids: list[int] = field(default_factory=list)
    updated_conversation_ids: list[int] = field(default_factory=list)

    @property
    def stored(self) -> int:
        return len(self.message_ids)


Subscriber = Callable[[IngestResult], None]


class Notifier:
    """A list of subscribers; a failing subscriber is logged and never undoes the ingest."""

    def __init__(self) -> None:
        self._subscribers: list[Subscriber] = []

    def subscribe(self, subscriber: Subscriber) -> None:
        self._subscribers.append(subscriber)

    def publish(self, result: IngestResult) -> None:
        for subscriber in list(self._subscribers):
            try:
                subscriber(result)
            except Exception:  # a screen or webhook must not break ingestion
                log.exception("ingest subscriber %r failed", subscriber)
