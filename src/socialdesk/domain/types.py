"""The vocabulary of design.md as enumerations shared by every layer."""

from __future__ import annotations

from enum import StrEnum


class Direction(StrEnum):
    IN = "in"
    OUT = "out"


class Visibility(StrEnum):
    PUBLIC = "public"
    PRIVATE = "private"


class ConversationStatus(StrEnum):
    OPEN = "open"
    PENDING = "pending"
    SNOOZED = "snoozed"
    RESOLVED = "resolved"


class Priority(StrEnum):
    LOW = "low"
    NORMAL = "normal"
    HIGH = "high"
    URGENT = "urgent"


class AuthorKind(StrEnum):
    CONTACT = "contact"
    AGENT = "agent"
    BOT = "bot"
    BRAND = "brand"  # the brand's own posts, or replies whose agent is unknown (imports)
    SYSTEM = "system"  # auto-replies


class DeliveryState(StrEnum):
    RECEIVED = "received"  # inbound messages
    QUEUED = "queued"
    SENT = "sent"
    DELIVERED = "delivered"
    READ = "read"
    FAILED = "failed"


class Role(StrEnum):
    ADMIN = "admin"
    SUPERVISOR = "supervisor"
    AGENT = "agent"


class EventType(StrEnum):
    MESSAGE_IN = "message.in"
    MESSAGE_OUT = "message.out"
    MESSAGE_DELIVERY = "message.delivery"
    CONVERSATION_OPENED = "conversation.opened"
    STATUS_CHANGED = "conversation.status_changed"
    PRIORITY_CHANGED = "conversation.priority_changed"
    ASSIGNED = "conversation.assigned"
    TEAM_CHANGED = "conversation.team_changed"
    TAGS_CHANGED = "conversation.tags_changed"
    NOTE_ADDED = "conversation.note_added"
    CONTACT_MERGED = "contact.merged"
    CONTACT_UPDATED = "contact.updated"


# Statuses an agent may set by hand.
SETTABLE_STATUSES = frozenset(ConversationStatus)

__all__ = [
    "SETTABLE_STATUSES",
    "AuthorKind",
    "ConversationStatus",
    "DeliveryState",
    "Direction",
    "EventType",
    "Priority",
    "Role",
    "Visibility",
]
