"""Who is looking at or typing in which conversation, for the next few seconds.

Kept in memory: presence is ephemeral, and a lost entry only hides a face for a moment.
(With several web processes this becomes a Redis hash with the same interface.)
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass

__all__ = ["Presence", "PresenceBoard"]

VIEWING_TTL = 30.0
TYPING_TTL = 8.0


@dataclass(frozen=True)
class Presence:
    user_id: int
    name: str
    typing: bool


class PresenceBoard:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        # conversation id -> user id -> (name, seen at, typing until)
        self._seen: dict[int, dict[int, tuple[str, float, float]]] = {}

    def mark(self, conversation_id: int, user_id: int, name: str, *, typing: bool) -> bool:
        """Record a heartbeat; True when what others should see changed."""
        now = time.monotonic()
        with self._lock:
            people = self._seen.setdefault(conversation_id, {})
            before = people.get(user_id)
            typing_until = now + TYPING_TTL if typing else (before[2] if before else 0.0)
            people[user_id] = (name, now, typing_until)
            was_typing = before is not None and before[2] > now
            return before is None or was_typing != (typing_until > now)

    def leave(self, conversation_id: int, user_id: int) -> None:
        with self._lock:
            self._seen.get(conversation_id, {}).pop(user_id, None)

    def present(self, conversation_id: int, *, excluding: int | None = None) -> list[Presence]:
        now = time.monotonic()
        with self._lock:
            people = self._seen.get(conversation_id, {})
            for uid in [u for u, (_, seen, _) in people.items() if now - seen > VIEWING_TTL]:
                del people[uid]
            return [
                Presence(uid, name, typing_until > now)
                for uid, (name, _seen, typing_until) in sorted(people.items())
                if uid != excluding
            ]
