"""First response time: from a conversation's first inbound message to the first outbound
message by a human agent at or after it (auto-replies and bots do not count)."""

from __future__ import annotations

import statistics
from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select, type_coerce
from sqlalchemy.orm import Session, aliased

from socialdesk.domain.types import AuthorKind, Direction
from socialdesk.store.models import ChannelAccount, Conversation, Message
from socialdesk.store.types import UTCDateTime

__all__ = ["AccountFrt", "first_response_by_account"]


@dataclass(frozen=True)
class AccountFrt:
    handle: str
    platform: str
    conversations: int
    responded: int
    median_first_response_seconds: float | None

    def as_dict(self) -> dict[str, int | float | None]:
        return {
            "conversations": self.conversations,
            "responded": self.responded,
            "median_first_response_seconds": self.median_first_response_seconds,
        }


def first_response_by_account(
    session: Session,
    workspace_id: int,
    *,
    since: datetime | None = None,
    until: datetime | None = None,
) -> list[AccountFrt]:
    """Per channel account: conversations, those answered, and the median FRT in seconds."""
    first_in = (
        select(
            Message.conversation_id.label("conversation_id"),
            func.min(Message.platform_time).label("first_in"),
        )
        .where(
            Message.workspace_id == workspace_id,
            Message.conversation_id.is_not(None),
            Message.direction == Direction.IN.value,
        )
        .group_by(Message.conversation_id)
        .subquery()
    )
    reply = aliased(Message)
    first_out = (
        select(func.min(reply.platform_time))
        .where(
            reply.conversation_id == first_in.c.conversation_id,
            reply.direction == Direction.OUT.value,
            reply.author_kind == AuthorKind.AGENT.value,
            reply.is_auto.is_(False),
            reply.platform_time >= first_in.c.first_in,
        )
        .scalar_subquery()
    )
    query = (
        select(
            ChannelAccount.handle,
            ChannelAccount.platform,
            type_coerce(first_in.c.first_in, UTCDateTime()).label("first_in"),
            type_coerce(first_out, UTCDateTime()).label("first_out"),
        )
        .select_from(first_in)
        .join(Conversation, Conversation.id == first_in.c.conversation_id)
        .join(ChannelAccount, ChannelAccount.id == Conversation.channel_account_id)
    )
    if since is not None:
        query = query.where(first_in.c.first_in >= since)
    if until is not None:
        query = query.where(first_in.c.first_in < until)
    waits: dict[tuple[str, str], list[float | None]] = defaultdict(list)
    for handle, platform, started, answered in session.execute(query):
        seconds = None
        if answered is not None:
            seconds = (answered - started).total_seconds()
        waits[(handle, platform)].append(seconds)
    accounts_with_none = session.execute(
        select(ChannelAccount.handle, ChannelAccount.platform).where(
            ChannelAccount.workspace_id == workspace_id
        )
    ).all()
    result = []
    for handle, platform in accounts_with_none:
        values = waits.get((handle, platform), [])
        answered_values = [v for v in values if v is not None]
        result.append(
            AccountFrt(
                handle=handle,
                platform=platform,
                conversations=len(values),
                responded=len(answered_values),
                median_first_response_seconds=(
                    float(statistics.median(answered_values)) if answered_values else None
                ),
            )
        )
    result.sort(key=lambda a: (a.platform, a.handle.lower()))
    return result
