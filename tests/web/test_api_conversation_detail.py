"""GET /conversations/{id}: the whole case, public and private together, with its history."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from conftest import Desk


def test_post_then_dm_from_one_customer_make_one_conversation(desk: Desk) -> None:
    post = desk.customer_writes("alice", "@acmecare my order never arrived", kind="posts")
    dm = desk.customer_writes("alice", "order 4411, sent you the details here", kind="dms")

    conv_id = desk.conversation_of(post)
    assert desk.conversation_of(dm) == conv_id
    body = desk.get(f"/conversations/{conv_id}").json()
    assert [(m["visibility"], m["platform_message_id"]) for m in body["messages"]] == [
        ("public", post),
        ("private", dm),
    ]
    assert body["has_public"] is True
    assert body["has_private"] is True
    assert [c["id"] for c in desk.get("/conversations").json()["items"]] == [conv_id]


def test_messages_carry_direction_author_and_platform_ids(desk: Desk) -> None:
    post = desk.customer_writes("alice", "is the shop open?", kind="posts")
    conv_id = desk.conversation_of(post)

    message = desk.get(f"/conversations/{conv_id}").json()["messages"][0]
    assert message["direction"] == "in"
    assert message["visibility"] == "public"
    assert message["text"] == "is the shop open?"
    assert message["author_kind"] == "contact"
    assert message["author_external_id"] == "alice"
    assert message["platform_message_id"] == post
    assert message["reply_to_platform_id"] is None
    assert message["delivery_state"] == "received"
    assert message["delivery_error"] is None
    assert message["platform_time"].endswith("Z")


def test_contact_summary_shows_identity_and_tags(desk: Desk) -> None:
    desk.post(
        f"/sandbox/{desk.tenant.account_id}/posts",
        {"from": {"handle": "@Alice", "name": "Alice A.", "followers": 12000}, "text": "hi"},
    )
    desk.process()
    contact_id = desk.contact_of("Alice")
    desk.post(f"/contacts/{contact_id}/tags", {"add": ["vip"]})
    conv_id = desk.get("/conversations").json()["items"][0]["id"]

    contact = desk.get(f"/conversations/{conv_id}").json()["contact"]
    assert contact["id"] == contact_id
    assert contact["name"] == "Alice A."
    assert contact["tags"] == ["vip"]
    assert contact["identities"] == [
        {
            "platform": "sandbox",
            "external_id": "alice",
            "handle": "Alice",
            "display_name": "Alice A.",
            "followers": 12000,
            "verified": False,
            "influence": "high",
            "influence_score": 58.3,
        }
    ]


def test_notes_and_events_appear_in_order(desk: Desk) -> None:
    conv_id = desk.new_conversation("alice")
    desk.post(f"/conversations/{conv_id}/notes", {"body": "called her back"})
    desk.patch(f"/conversations/{conv_id}", {"priority": "high"})
    desk.post(f"/conversations/{conv_id}/tags", {"add": ["late-delivery"]})

    body = desk.get(f"/conversations/{conv_id}").json()
    assert [n["body"] for n in body["notes"]] == ["called her back"]
    assert body["notes"][0]["author_user_id"] == desk.tenant.user_id
    assert [e["type"] for e in body["events"]] == [
        "conversation.opened",
        "message.in",
        "conversation.note_added",
        "conversation.priority_changed",
        "conversation.tags_changed",
    ]
    priority = body["events"][3]
    assert priority["actor"] == {"kind": "agent", "user_id": desk.tenant.user_id}
    assert priority["data"] == {"from": "normal", "to": "high"}
    assert body["tags"] == ["late-delivery"]


def test_reply_shows_as_outbound_message_with_its_delivery(desk: Desk) -> None:
    conv_id = desk.new_conversation("alice", kind="dms")
    desk.post(f"/conversations/{conv_id}/replies", {"text": "on it", "visibility": "private"})
    desk.process()

    out = desk.get(f"/conversations/{conv_id}").json()["messages"][-1]
    assert out["direction"] == "out"
    assert out["author_kind"] == "agent"
    assert out["author_user_id"] == desk.tenant.user_id
    assert out["delivery_state"] == "sent"
    assert out["platform_message_id"].startswith("sbx-out-")
