"""The threading rule of design.md, as a pure decision on what is already known.

For an inbound message m from contact X on account A, handled in platform-time order:

1. m replies to a message in conversation C of X with A: m joins C (reopening it if resolved);
2. m replies to a message in a conversation of another contact (or of another account):
   m opens a new conversation for X, keeping its reply link;
3. otherwise m joins X's latest conversation with A if that is not resolved, else opens one.

An outbound message joins the conversation of the message it replies to; otherwise it is a post.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

__all__ = [
    "ConversationRef",
    "Decision",
    "is_resolved_at",
    "thread_inbound",
    "thread_outbound",
]


@dataclass(frozen=True, slots=True)
class ConversationRef:
    """What the rule needs to know about an existing conversation."""

    id: int
    contact_id: int
    account_id: int
    resolved: bool
    last_message_at: datetime


@dataclass(frozen=True, slots=True)
class Decision:
    """Join ``conversation_id`` (reopening it when ``reopen``), or open a new one when None."""

    conversation_id: int | None
    reopen: bool = False

    @property
    def opens_new(self) -> bool:
        return self.conversation_id is None


def is_resolved_at(
    conversation: ConversationRef, at: datetime, *, resolve_after: timedelta | None
) -> bool:
    """Resolved by an agent, or idle for ``resolve_after`` of message time (importers)."""
    if conversation.resolved:
        return True
    if resolve_after is None:
        return False
    return at - conversation.last_message_at >= resolve_after


def thread_inbound(
    *,
    contact_id: int,
    account_id: int,
    at: datetime,
    parent_conversation: ConversationRef | None,
    latest_conversation: ConversationRef | None,
    resolve_after: timedelta | None = None,
) -> Decision:
    """Decide where an inbound message goes (rules 1-3 of the brief)."""
    if parent_conversation is not None:
        same_thread = (
            parent_conversation.contact_id == contact_id
            and parent_conversation.account_id == account_id
        )
        if same_thread:
            reopen = is_resolved_at(parent_conversation, at, resolve_after=resolve_after)
            return Decision(parent_conversation.id, reopen=reopen)
        return Decision(None)
    if latest_conversation is not None and not is_resolved_at(
        latest_conversation, at, resolve_after=resolve_after
    ):
        return Decision(latest_conversation.id)
    return Decision(None)


def thread_outbound(parent_conversation: ConversationRef | None) -> int | None:
    """The conversation an outbound message joins, or None for a post."""
    return parent_conversation.id if parent_conversation is not None else None
