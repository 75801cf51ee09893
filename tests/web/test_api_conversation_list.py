"""GET /conversations: each filter narrows the inbox, and pages walk it without gaps."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from conftest import Desk, Factory


def listed(desk: Desk, **params: object) -> list[int]:
    response = desk.get("/conversations", params=params)
    assert response.status_code == 200, response.text
    return [item["id"] for item in response.json()["items"]]


def test_status_filter_keeps_only_those_statuses(desk: Desk) -> None:
    open_id = desk.new_conversation("alice")
    pending_id = desk.new_conversation("bob")
    resolved_id = desk.new_conversation("carol")
    desk.patch(f"/conversations/{pending_id}", {"status": "pending"})
    desk.patch(f"/conversations/{resolved_id}", {"status": "resolved"})

    assert listed(desk, status="pending") == [pending_id]
    assert sorted(listed(desk, status=["open", "resolved"])) == sorted([open_id, resolved_id])


def test_assignee_filter_keeps_that_agents_conversations(desk: Desk, factory: Factory) -> None:
    other_agent = factory.user(desk.tenant.workspace_id, "second@acme.example")
    mine = desk.new_conversation("alice")
    theirs = desk.new_conversation("bob")
    desk.new_conversation("carol")
    desk.patch(f"/conversations/{mine}", {"assignee_id": desk.tenant.user_id})
    desk.patch(f"/conversations/{theirs}", {"assignee_id": other_agent})

    assert listed(desk, assignee=desk.tenant.user_id) == [mine]
    assert listed(desk, assignee=other_agent) == [theirs]


def test_assignee_none_keeps_unassigned_conversations(desk: Desk) -> None:
    assigned = desk.new_conversation("alice")
    unassigned = desk.new_conversation("bob")
    desk.patch(f"/conversations/{assigned}", {"assignee_id": desk.tenant.user_id})

    assert listed(desk, assignee="none") == [unassigned]


def test_team_filter_keeps_that_teams_conversations(desk: Desk, factory: Factory) -> None:
    team = factory.team(desk.tenant.workspace_id, "Billing")
    billing = desk.new_conversation("alice")
    desk.new_conversation("bob")
    desk.patch(f"/conversations/{billing}", {"team_id": team})

    assert listed(desk, team=team) == [billing]


def test_account_filter_keeps_that_accounts_conversations(desk: Desk, factory: Factory) -> None:
    second_account = factory.sandbox_account(desk.tenant.workspace_id, "acmehelp")
    on_first = desk.new_conversation("alice")
    on_second = desk.conversation_of(
        desk.customer_writes("alice", "other brand account", account_id=second_account)
    )

    assert listed(desk, account=second_account) == [on_second]
    assert listed(desk, account=desk.tenant.account_id) == [on_first]


def test_tag_filter_keeps_tagged_conversations(desk: Desk) -> None:
    tagged = desk.new_conversation("alice")
    desk.new_conversation("bob")
    desk.post(f"/conversations/{tagged}/tags", {"add": ["Refund"]})

    assert listed(desk, tag="refund") == [tagged]


@pytest.mark.parametrize("visibility", ["public", "private"])
def test_visibility_filter_keeps_conversations_with_such_messages(
    desk: Desk, visibility: str
) -> None:
    public = desk.new_conversation("alice", kind="posts")
    private = desk.new_conversation("bob", kind="dms")

    expected = public if visibility == "public" else private
    assert listed(desk, visibility=visibility) == [expected]


def test_q_finds_words_in_messages(desk: Desk) -> None:
    refund = desk.new_conversation("alice", "I want a refund for my blender")
    desk.new_conversation("bob", "where is my parcel")

    assert listed(desk, q="blender refund") == [refund]
    assert listed(desk, q="blend*") == [refund]


def test_q_finds_the_contacts_handle(desk: Desk) -> None:
    desk.new_conversation("alice", "hello")
    bob = desk.new_conversation("bobsmith", "hello")

    assert listed(desk, q="bobsmith") == [bob]


def test_contact_filter_keeps_that_contacts_conversations(desk: Desk) -> None:
    alice = desk.new_conversation("alice")
    desk.new_conversation("bob")

    assert listed(desk, contact=desk.contact_of("alice")) == [alice]


def test_newest_activity_comes_first(desk: Desk, factory: Factory) -> None:
    base = datetime(2026, 3, 1, tzinfo=UTC)
    ws, account = desk.tenant.workspace_id, desk.tenant.account_id
    old = factory.conversation(ws, account, last_message_at=base)
    new = factory.conversation(ws, account, last_message_at=base + timedelta(hours=1))

    assert listed(desk) == [new, old]


def test_pages_cover_every_conversation_once(desk: Desk, factory: Factory) -> None:
    base = datetime(2026, 3, 1, tzinfo=UTC)
    ws, account = desk.tenant.workspace_id, desk.tenant.account_id
    # Pairs share a time, so the id must break ties at page boundaries.
    created = {
        factory.conversation(ws, account, last_message_at=base + timedelta(minutes=i // 2))
        for i in range(11)
    }
    seen: list[int] = []
    cursor = None
    pages = 0
    while True:
        params: dict[str, object] = {"limit": 3}
        if cursor:
            params["cursor"] = cursor
        body = desk.get("/conversations", params=params).json()
        seen += [item["id"] for item in body["items"]]
        pages += 1
        cursor = body["next_cursor"]
        if cursor is None:
            break
        assert pages < 10, "pagination does not end"

    assert pages == 4
    assert len(seen) == len(set(seen)) == 11
    assert set(seen) == created


def test_cursor_keeps_the_filters_of_the_query(desk: Desk, factory: Factory) -> None:
    base = datetime(2026, 3, 1, tzinfo=UTC)
    ws, account = desk.tenant.workspace_id, desk.tenant.account_id
    resolved = [
        factory.conversation(ws, account, last_message_at=base + timedelta(minutes=i), status=s)
        for i, s in enumerate(["resolved", "open", "resolved", "open", "resolved"])
    ]
    first = desk.get("/conversations", params={"status": "resolved", "limit": 2}).json()
    second = desk.get(
        "/conversations",
        params={"status": "resolved", "limit": 2, "cursor": first["next_cursor"]},
    ).json()

    ids = [c["id"] for c in first["items"] + second["items"]]
    assert ids == [resolved[4], resolved[2], resolved[0]]
    assert second["next_cursor"] is None


def test_q_with_search_operators_is_taken_as_plain_words(desk: Desk) -> None:
    found = desk.new_conversation("alice", "the app says error 42")

    assert listed(desk, q='"error" AND (42) OR -x:*') == []
    assert listed(desk, q='"error" (42)') == [found]
