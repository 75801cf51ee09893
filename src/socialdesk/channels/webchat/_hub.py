"""Waking visitors' event streams when a reply for them is stored.

In-process and thread-safe (replies are stored by worker threads, streams are asyncio
tasks). Streams also look at the database on every keep-alive, so a reply stored by a
worker in another process reaches the visitor within that interval.
"""

from __future__ import annotations

import asyncio
import itertools
import threading
from dataclasses import dataclass

__all__ = ["VisitorHub"]


@dataclass
class _Subscriber:
    site: int
    visitor_id: str
    event: asyncio.Event
    loop: asyncio.AbstractEventLoop


class VisitorHub:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._subscribers: dict[int, _Subscriber] = {}
        self._ids = itertools.count(1)

    def subscribe(self, site: int, visitor_id: str) -> tuple[int, asyncio.Event]:
        """Called from a running event loop; the event is set when the visitor has news."""
        event = asyncio.Event()
        key = next(self._ids)
        with self._lock:
            self._subscribers[key] = _Subscriber(
                site, visitor_id, event, asyncio.get_running_loop()
            )
        return key, event

    def unsubscribe(self, key: int) -> None:
        with self._lock:
            self._subscribers.pop(key, None)

    def connected(self, site: int, visitor_id: str) -> bool:
        with self._lock:
            return any(
                s.site == site and s.visitor_id == visitor_id for s in self._subscribers.values()
            )

    def publish(self, site: int, visitor_id: str) -> None:
        with self._lock:
            targets = [
                s
                for s in self._subscribers.values()
                if s.site == site and s.visitor_id == visitor_id
            ]
        for subscriber in targets:
            try:
                subscriber.loop.call_soon_threadsafe(subscriber.event.set)
            except RuntimeError:  # that stream's loop has closed
                continue
