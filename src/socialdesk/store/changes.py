"""Which conversations a committed transaction touched, for live screens.

Every ORM write (API, agent workspace, workers) is seen here after its commit; bulk writes of
the ingest pipeline report through :class:`socialdesk.pipeline.notify.Notifier` instead.
"""

from __future__ import annotations

import itertools
import logging
from collections.abc import Callable

from sqlalchemy import event
from sqlalchemy.orm import Session, UOWTransaction

from socialdesk.store.models import Conversation, Event, Message, Note

__all__ = ["subscribe_conversation_changes"]

Listener = Callable[[dict[int, set[int]]], None]
_listeners: list[Listener] = []
_KEY = "touched_conversations"


def subscribe_conversation_changes(listener: Listener) -> Callable[[], None]:
    """Call ``listener({workspace id: {conversation ids}})`` after each commit that changed
    conversations; returns a function that unsubscribes."""
    _listeners.append(listener)
    return lambda: _listeners.remove(listener) if listener in _listeners else None


@event.listens_for(Session, "after_flush")
def _collect(session: Session, _context: UOWTransaction) -> None:
    if not _listeners:
        return
    touched: dict[int, set[int]] = session.info.setdefault(_KEY, {})
    for obj in itertools.chain(session.new, session.dirty, session.deleted):
        conversation_id: int | None
        if isinstance(obj, Conversation):
            conversation_id = obj.id
        elif isinstance(obj, Message | Note | Event):
            conversation_id = obj.conversation_id
        else:
            continue
        if conversation_id is not None:
            touched.setdefault(obj.workspace_id, set()).add(conversation_id)


@event.listens_for(Session, "after_commit")
def _publish(session: Session) -> None:
    touched = session.info.pop(_KEY, None)
    if not touched:
        return
    for listener in list(_listeners):
        try:
            listener(touched)
        except Exception:  # a screen must never break a committed write
            logging.getLogger(__name__).exception("conversation change listener failed")


@event.listens_for(Session, "after_rollback")
def _forget(session: Session) -> None:
    session.info.pop(_KEY, None)
