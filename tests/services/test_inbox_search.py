"""Inbox search takes one of three ways to a page (common words: probe the view's most recent
conversations first; rare words: sort just the few matches; otherwise: test every
conversation). Whichever it takes, the page is the same: checked here on SQLite and
PostgreSQL across views, sorts and pages, with tiny pages and windows so that every way and
every fallback is exercised."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import pytest

from socialdesk.bootstrap import App
from socialdesk.services import conversations, inbox
from socialdesk.services.accounts import create_user
from socialdesk.services.conversations import ConversationFilter, list_conversations
from socialdesk.services.inbox import InboxQuery, inbox_page
from socialdesk.services.sandbox import create_sandbox_account
from socialdesk.services.workspaces import get_or_create_workspace
from socialdesk.store.models import Contact, Conversation, Message
from socialdesk.store.types import utcnow

QUERIES = ["refund", "router", "rita", "refund late", "nothing-like-this"]
VIEWS = ["all", "resolved", "unassigned", "mine"]
SORTS = ["recent", "waiting", "priority", "due"]


@dataclass
class Desk:
    app: App
    workspace_id: int
    agent_id: int


@pytest.fixture
def desk(app: App) -> Desk:
    now = utcnow()
    with app.db.session() as s:
        ws = get_or_create_workspace(s, "acme").id
        account = create_sandbox_account(s, ws, name="Acme", handle="acmecare").id
        agent = create_user(s, ws, email="ana@acme.test", name="Ana").id
        for n in range(40):
            name = "Router Rita" if n == 7 else f"Customer {n}"
            contact = Contact(workspace_id=ws, name=name, search_text=name.lower())
            s.add(contact)
            s.flush()
            at = now - timedelta(minutes=7 * n + (n % 3))
            conv = Conversation(
                workspace_id=ws,
                channel_account_id=account,
                contact_id=contact.id,
                status="resolved" if n % 5 == 0 else "open",
                priority=("low", "normal", "high", "urgent")[n % 4],
                assignee_id=agent if n % 3 == 0 else None,
                has_public=True,
                first_inbound_at=at,
                last_inbound_at=at - timedelta(minutes=n % 4),
                last_message_at=at,
                sla_due_at=None if n % 6 == 0 else at + timedelta(minutes=(n * 13) % 50),
            )
            s.add(conv)
            s.flush()
            texts = ["I want a refund" if n % 3 else "hello there"]
            if n % 4 == 1:
                texts.append("still waiting, the refund is late")
            if n in (5, 11, 30):
                texts.append("my router blinks red")
            for k, text in enumerate(texts):
                s.add(
                    Message(
                        workspace_id=ws,
                        platform="sandbox",
                        channel_account_id=account,
                        conversation_id=conv.id,
                        contact_id=contact.id,
                        direction="in",
                        visibility="public",
                        platform_message_id=f"m-{n}-{k}",
                        author_kind="contact",
                        author_external_id=f"c{n}",
                        text=text,
                        platform_time=at - timedelta(seconds=k),
                        received_at=at,
                        delivery_state="received",
                    )
                )
    return Desk(app, ws, agent)


def _pages(desk: Desk, q: str, view: str, sort: str) -> list[tuple[list[int], bool]]:
    out = []
    with desk.app.db.read_session() as s:
        for page in (1, 2, 3):
            rows, more, _latest = inbox_page(
                s,
                desk.workspace_id,
                desk.agent_id,
                InboxQuery(view=view, sort=sort, q=q, page=page),
            )
            out.append(([c.id for c in rows], more))
    return out


_RECENT, _FEW = inbox._recent_matches, inbox.few_search_matches


def _force(monkeypatch: pytest.MonkeyPatch, way: str, used: list[str]) -> None:
    recent, few = _RECENT, _FEW

    def spy_recent(*args: Any, **kwargs: Any) -> Any:
        found = recent(*args, **kwargs)
        used.append("window" if found is not None else "window fell back")
        return found

    def spy_few(*args: Any, **kwargs: Any) -> Any:
        ids = few(*args, **kwargs)
        used.append("few" if ids is not None else "few fell back")
        return ids

    monkeypatch.setattr(inbox, "_recent_matches", spy_recent)
    monkeypatch.setattr(inbox, "few_search_matches", spy_few if way == "few" else lambda *a: None)
    monkeypatch.setattr(inbox, "is_common_search", lambda *a: way == "window")


def test_every_way_to_a_search_page_gives_the_same_page(
    desk: Desk, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(inbox, "PAGE_SIZE", 4)
    monkeypatch.setattr(inbox, "_SEARCH_WINDOW", 3)
    expected: dict[tuple[str, str, str], Any] = {}
    used: list[str] = []
    for way in ("plain", "few", "window"):
        _force(monkeypatch, way, used)
        for q in QUERIES:
            for view in VIEWS:
                for sort in SORTS:
                    got = _pages(desk, q, view, sort)
                    key = (q, view, sort)
                    if way == "plain":
                        expected[key] = got
                    else:
                        assert got == expected[key], (way, key)
    # the comparison means something: real pages, and every way and fallback was taken
    assert expected[("refund", "all", "recent")][0][1] is True  # a full page with more
    assert expected[("router", "all", "recent")][0][0]  # the rare word is found
    assert expected[("rita", "all", "recent")][0][0]  # by the customer's name
    assert expected[("nothing-like-this", "all", "recent")][0] == ([], False)
    assert {"window", "window fell back", "few"} <= set(used)


def test_the_real_thresholds_pick_the_window_only_for_common_words(
    desk: Desk, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(inbox, "_COMMON_HITS", 10)
    with desk.app.db.read_session() as s:
        dialect = s.get_bind().dialect.name
        assert inbox.is_common_search(s, desk.workspace_id, dialect, "refund")  # 26+ messages
        assert not inbox.is_common_search(s, desk.workspace_id, dialect, "router")  # 3


def test_the_api_list_finds_the_same_conversations_by_either_way(
    desk: Desk, monkeypatch: pytest.MonkeyPatch
) -> None:
    def listed(q: str) -> list[list[int]]:
        pages, cursor = [], None
        with desk.app.db.read_session() as s:
            for _ in range(20):
                rows, cursor = list_conversations(
                    s, desk.workspace_id, ConversationFilter(q=q), limit=4, cursor=cursor
                )
                pages.append([c.id for c in rows])
                if cursor is None:
                    break
        return pages

    used: list[str] = []
    few = conversations.few_search_matches

    def spy(*args: Any) -> Any:
        ids = few(*args)
        used.append("few" if ids is not None else "few fell back")
        return ids

    for q in ("router", "rita", "refund", "nothing-like-this"):
        monkeypatch.setattr(conversations, "is_common_search", lambda *a: True)  # plain way
        plain = listed(q)
        monkeypatch.setattr(conversations, "is_common_search", lambda *a: False)
        monkeypatch.setattr(conversations, "few_search_matches", spy)
        assert listed(q) == plain, q
    assert "few" in used
