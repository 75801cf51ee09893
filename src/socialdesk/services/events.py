"""Appending to the event log: every service change writes its event in the same transaction."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from socialdesk.domain.types import EventType
from socialdesk.store.models import Event
from socialdesk.store.types import utcnow

__all__ = ["Actor", "record_event"]


class Actor:
    """Who did something: an agent (with user id), the system, a bot, or an API token."""

    __slots__ = ("kind", "user_id")

    def __init__(self, kind: str, user_id: int | None = None) -> None:
        self.kind = kind
        self.user_id = user_id

    @classmethod
    def system(cls) -> Actor:
        return cls("system")

    @classmethod
    def agent(cls, user_id: int | None) -> Actor:
        return cls("agent", user_id)


def record_event(
    session: Session,
    *,
    workspace_id: int,
    type: EventType | str,  # a service's own event type may be a plain string
    actor: Actor,
    conversation_id: int | None = None,
    contact_id: int | None = None,
    message_id: int | None = None,
    data: dict[str, Any] | None = None,
    occurred_at: datetime | None = None,
) -> None:
    now = utcnow()
    session.add(
        Event(
            workspace_id=workspace_id,
            type=str(type),
            conversation_id=conversation_id,
            contact_id=contact_id,
            message_id=message_id,
            actor_kind=actor.kind,
            actor_user_id=actor.user_id,
            data=data or {},
            occurred_at=occurred_at or now,
            recorded_at=now,
        )
    )
