"""Live updates for agents' screens: an in-process hub that server-sent-event streams read.

Publishers are worker threads and request handlers (after their transaction commits);
subscribers are asyncio streams. ``publish`` is thread-safe and never blocks: a slow screen
that falls behind loses old updates (it re-renders from the database anyway), never the app.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import threading
from dataclasses import dataclass, field
from typing import Any

__all__ = ["LiveHub", "LiveUpdate"]

_QUEUE_LIMIT = 200


@dataclass(frozen=True)
class LiveUpdate:
    id: int
    workspace_id: int
    kind: str  # conversation.changed, message.new, presence …
    data: dict[str, Any] = field(default_factory=dict)

    def as_json(self) -> str:
        return json.dumps({"kind": self.kind, **self.data}, separators=(",", ":"))


@dataclass
class _Subscriber:
    workspace_id: int
    queue: asyncio.Queue[LiveUpdate]
    loop: asyncio.AbstractEventLoop


class LiveHub:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._subscribers: dict[int, _Subscriber] = {}
        self._ids = itertools.count(1)

    def subscribe(self, workspace_id: int) -> tuple[int, asyncio.Queue[LiveUpdate]]:
        queue: asyncio.Queue[LiveUpdate] = asyncio.Queue(maxsize=_QUEUE_LIMIT)
        key = next(self._ids)
        with self._lock:
            self._subscribers[key] = _Subscriber(workspace_id, queue, asyncio.get_running_loop())
        return key, queue

    def unsubscribe(self, key: int) -> None:
        with self._lock:
            self._subscribers.pop(key, None)

    @property
    def subscriber_count(self) -> int:
        with self._lock:
            return len(self._subscribers)

    def publish(self, workspace_id: int, kind: str, **data: Any) -> None:
        update = LiveUpdate(next(self._ids), workspace_id, kind, data)
        with self._lock:
            targets = [s for s in self._subscribers.values() if s.workspace_id == workspace_id]
        for subscriber in targets:
            try:
                subscriber.loop.call_soon_threadsafe(_offer, subscriber.queue, update)
            except RuntimeError:  # the subscriber's loop has closed
                continue


def _offer(queue: asyncio.Queue[LiveUpdate], update: LiveUpdate) -> None:
    if queue.full():
        with contextlib.suppress(asyncio.QueueEmpty):
            queue.get_nowait()
    queue.put_nowait(update)
