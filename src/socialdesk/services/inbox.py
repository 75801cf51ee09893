"""The agent's inbox: named views with live counts, filters and sorts over conversations."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from urllib.parse import urlencode

from sqlalchemy import Select, and_, case, exists, func, or_, select
from sqlalchemy.orm import Session, selectinload

from socialdesk.domain.errors import InvalidInput
from socialdesk.domain.types import ConversationStatus, Visibility
from socialdesk.store.models import (
    ChannelAccount,
    Contact,
    Conversation,
    Message,
    Tag,
    conversation_tags,
    team_members,
)
from socialdesk.store.search import contact_matches, message_matches
from socialdesk.store.types import utcnow

__all__ = [
    "VIEWS",
    "InboxQuery",
    "InboxView",
    "few_search_matches",
    "inbox_page",
    "is_common_search",
    "view_counts",
]

PAGE_SIZE = 50


@dataclass(frozen=True)
class InboxView:
    key: str
    label: str


VIEWS = (
    InboxView("mine", "Mine"),
    InboxView("unassigned", "Unassigned"),
    InboxView("teams", "My teams"),
    InboxView("all", "All open"),
    InboxView("breaching", "Breaching SLA soon"),
    InboxView("resolved", "Resolved"),
)
_VIEW_KEYS = {v.key for v in VIEWS}
SORTS = {
    "recent": "Newest activity",
    "waiting": "Longest waiting",
    "priority": "Priority",
    "due": "SLA due",
}


@dataclass
class InboxQuery:
    view: str = "all"
    sort: str = "recent"
    account_id: int | None = None
    platform: str | None = None
    tag: str | None = None
    status: str | None = None
    visibility: str | None = None
    q: str | None = None
    page: int = 1
    extra: dict[str, Any] = field(default_factory=dict)

    def url_params(self, *, page: int | None = None) -> str:
        """The query as the inbox's URL parameters, each once (links that keep the filters)."""
        params = {
            "view": self.view,
            "sort": self.sort,
            "account": self.account_id,
            "platform": self.platform,
            "tag": self.tag,
            "status": self.status,
            "visibility": self.visibility,
            "q": self.q,
            "page": page if page is not None else (self.page if self.page > 1 else None),
        }
        return urlencode({k: v for k, v in params.items() if v not in (None, "")})

    def validate(self) -> None:
        if self.view not in _VIEW_KEYS:
            raise InvalidInput(f"unknown view {self.view!r}")
        if self.sort not in SORTS:
            raise InvalidInput(f"unknown sort {self.sort!r}")
        if self.status and self.status not in set(ConversationStatus):
            raise InvalidInput(f"unknown status {self.status!r}")
        if self.visibility and self.visibility not in set(Visibility):
            raise InvalidInput("visibility must be public or private")
        if not 1 <= self.page <= 10_000:
            raise InvalidInput("page out of range")


def _team_ids(user_id: int) -> Select[Any]:
    return select(team_members.c.team_id).where(team_members.c.user_id == user_id)


def _view_condition(view: str, user_id: int, now: datetime) -> Any:
    not_resolved = Conversation.status != ConversationStatus.RESOLVED.value
    if view == "mine":
        return and_(not_resolved, Conversation.assignee_id == user_id)
    if view == "unassigned":
        return and_(not_resolved, Conversation.assignee_id.is_(None))
    if view == "teams":
        return and_(not_resolved, Conversation.team_id.in_(_team_ids(user_id)))
    if view == "breaching":
        # A running SLA clock past 80 % of its target (breached ones included); paused and
        # stopped clocks have no warning time (services/sla.py keeps sla_warn_at).
        return and_(not_resolved, Conversation.sla_warn_at <= now)
    if view == "resolved":
        return Conversation.status == ConversationStatus.RESOLVED.value
    return not_resolved


def view_counts(session: Session, workspace_id: int, user_id: int) -> dict[str, int]:
    """Every view's count: one COUNT per view, each answered from its own index."""
    now = utcnow()
    counts = {}
    for view in VIEWS:
        counts[view.key] = (
            session.scalar(
                select(func.count())
                .select_from(Conversation)
                .where(
                    Conversation.workspace_id == workspace_id,
                    _view_condition(view.key, user_id, now),
                )
            )
            or 0
        )
    return counts


_PRIORITY_RANK = case(
    {"urgent": 0, "high": 1, "normal": 2, "low": 3}, value=Conversation.priority, else_=4
)


def inbox_page(
    session: Session, workspace_id: int, user_id: int, query: InboxQuery
) -> tuple[list[Conversation], bool, dict[int, Message]]:
    """One page of conversations, whether there is more, and each row's latest message."""
    query.validate()
    now = utcnow()
    dialect = session.get_bind().dialect.name
    stmt = select(Conversation).where(
        Conversation.workspace_id == workspace_id, _view_condition(query.view, user_id, now)
    )
    if query.account_id:
        stmt = stmt.where(Conversation.channel_account_id == query.account_id)
    if query.platform:
        stmt = stmt.where(
            Conversation.channel_account_id.in_(
                select(ChannelAccount.id).where(
                    ChannelAccount.workspace_id == workspace_id,
                    ChannelAccount.platform == query.platform,
                )
            )
        )
    if query.status:
        stmt = stmt.where(Conversation.status == query.status)
    if query.visibility == Visibility.PUBLIC:
        stmt = stmt.where(Conversation.has_public.is_(True))
    elif query.visibility == Visibility.PRIVATE:
        stmt = stmt.where(Conversation.has_private.is_(True))
    if query.tag:
        stmt = stmt.where(
            exists().where(
                conversation_tags.c.conversation_id == Conversation.id,
                conversation_tags.c.tag_id == Tag.id,
                Tag.name == query.tag.strip().lower(),
            )
        )
    searching = bool(query.q and query.q.strip())
    order = _order(query.sort)
    if searching:
        q = query.q or ""
        contact_match = Conversation.contact_id.in_(
            select(Contact.id).where(
                Contact.workspace_id == workspace_id, contact_matches(dialect, q)
            )
        )
        found: list[Conversation] | None = None
        few = None
        if is_common_search(session, workspace_id, dialect, q):
            found = _recent_matches(session, stmt, dialect, q, contact_match, order, query.page)
        else:
            few = few_search_matches(session, workspace_id, dialect, q)
        if found is not None:
            more = len(found) > PAGE_SIZE
            found = found[:PAGE_SIZE]
            return found, more, latest_messages(session, [c.id for c in found])
        if few is not None:
            stmt = stmt.where(Conversation.id.in_(sorted(few)))
        else:
            stmt = stmt.where(
                or_(
                    Conversation.id.in_(
                        select(Message.conversation_id).where(
                            Message.workspace_id == workspace_id, message_matches(dialect, q)
                        )
                    ),
                    contact_match,
                )
            )
    rows = list(session.scalars(_page(stmt, order, query.page)))
    more = len(rows) > PAGE_SIZE
    rows = rows[:PAGE_SIZE]
    return rows, more, latest_messages(session, [c.id for c in rows])


# A search for words found in many messages ("refund") first looks for matches among the
# view's most recent conversations, one probe each, instead of collecting every matching
# message; rarer words (or a window without a full page of matches) take the plain path.
_COMMON_HITS = 1_000  # matching messages from which a search counts as common
_SEARCH_WINDOW = 2_000  # conversations probed, past the requested page's offset


def is_common_search(session: Session, workspace_id: int, dialect: str, q: str) -> bool:
    hits = (
        select(Message.id)
        .where(Message.workspace_id == workspace_id, message_matches(dialect, q))
        .limit(_COMMON_HITS)
        .subquery()
    )
    return (session.scalar(select(func.count()).select_from(hits)) or 0) >= _COMMON_HITS


def few_search_matches(
    session: Session, workspace_id: int, dialect: str, q: str
) -> set[int] | None:
    """The ids of the conversations a search finds, when they are few (under
    :data:`_COMMON_HITS` messages and as many conversations of matching customers): the
    page then sorts just those instead of testing every conversation of the view."""
    ids = set(
        session.scalars(
            select(Message.conversation_id).where(
                Message.workspace_id == workspace_id,
                message_matches(dialect, q),
                Message.conversation_id.is_not(None),
            )
        )
    )
    customers = list(
        session.scalars(
            select(Contact.id)
            .where(Contact.workspace_id == workspace_id, contact_matches(dialect, q))
            .limit(_COMMON_HITS + 1)
        )
    )
    if len(customers) > _COMMON_HITS:
        return None
    if customers:  # by the contact index, not a scan of the workspace's conversations
        ids.update(
            session.scalars(select(Conversation.id).where(Conversation.contact_id.in_(customers)))
        )
    return {i for i in ids if i is not None}


def _recent_matches(
    session: Session,
    stmt: Select[Any],
    dialect: str,
    q: str,
    contact_match: Any,
    order: list[Any],
    page: int,
) -> list[Conversation] | None:
    """The page among the first conversations of the view (in its order) that match, or
    None when that window holds fewer than a full page of them (then nothing can be said
    about what lies beyond it)."""
    offset = (page - 1) * PAGE_SIZE
    window = (
        stmt.with_only_columns(Conversation.id)
        .order_by(*order)
        .limit(offset + PAGE_SIZE + _SEARCH_WINDOW)
        .subquery()
    )
    has_message = exists(
        select(Message.id).where(
            Message.conversation_id == Conversation.id, message_matches(dialect, q)
        )
    )
    probe = select(Conversation).where(
        Conversation.id.in_(select(window.c.id)), or_(has_message, contact_match)
    )
    rows = list(session.scalars(_page(probe, order, page)))
    return rows if len(rows) > PAGE_SIZE else None


def _order(sort: str) -> list[Any]:
    if sort == "waiting":
        return [Conversation.last_inbound_at.asc(), Conversation.id]
    if sort == "priority":
        return [_PRIORITY_RANK, Conversation.last_message_at.desc(), Conversation.id.desc()]
    if sort == "due":
        # Least time left first (breached at the top); no running clock at the end.
        return [Conversation.sla_due_at.is_(None), Conversation.sla_due_at.asc(), Conversation.id]
    return [Conversation.last_message_at.desc(), Conversation.id.desc()]


def _page(stmt: Select[Any], order: list[Any], page: int) -> Select[Any]:
    return (
        stmt.options(
            selectinload(Conversation.contact).selectinload(Contact.identities),
            selectinload(Conversation.tags),
            selectinload(Conversation.channel_account),
        )
        .order_by(*order)
        .offset((page - 1) * PAGE_SIZE)
        .limit(PAGE_SIZE + 1)
    )


def latest_messages(session: Session, conversation_ids: list[int]) -> dict[int, Message]:
    """The newest message of each conversation, in one query."""
    if not conversation_ids:
        return {}
    newest = (
        select(Message.conversation_id, func.max(Message.id).label("id"))
        .where(Message.conversation_id.in_(conversation_ids))
        .group_by(Message.conversation_id)
        .subquery()
    )
    messages = session.scalars(select(Message).join(newest, newest.c.id == Message.id))
    return {m.conversation_id: m for m in messages if m.conversation_id is not None}
