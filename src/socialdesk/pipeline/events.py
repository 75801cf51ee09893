"""The normalized inbound event every channel module and importer produces."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from socialdesk.domain.types import AuthorKind, Direction, Visibility

__all__ = ["Author", "InboundEvent"]


@dataclass(frozen=True, slots=True)
class Author:
    """Who wrote a message, as the platform names them."""

    external_id: str
    handle: str | None = None
    name: str | None = None
    followers: int | None = None
    verified: bool = False


@dataclass(slots=True)
class InboundEvent:
    """One message as a platform (or an import) reports it, before we know anything else.

    ``direction`` is ``out`` for the brand's own messages seen through the platform (echoes of
    replies sent outside socialdesk, or history in an import); those join conversations but
    never create contacts.
    """

    platform: str
    platform_message_id: str
    author: Author
    text: str
    platform_time: datetime
    visibility: Visibility
    channel_account_id: int | None
    direction: Direction = Direction.IN
    reply_to_platform_id: str | None = None
    author_kind: AuthorKind = AuthorKind.CONTACT
    attachments: list[dict[str, Any]] = field(default_factory=list)
    raw_event_id: int | None = None
