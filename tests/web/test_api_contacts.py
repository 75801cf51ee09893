"""Contacts: search, one customer's picture, tags, notes, and merging two into one."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from conftest import Desk, ProblemCheck


def test_search_finds_contacts_by_handle(desk: Desk) -> None:
    desk.new_conversation("alice")
    desk.new_conversation("bob")

    items = desk.get("/contacts", params={"q": "bob"}).json()["items"]

    assert [c["identities"][0]["handle"] for c in items] == ["bob"]


def test_search_by_tag_keeps_tagged_contacts(desk: Desk) -> None:
    desk.new_conversation("alice")
    desk.new_conversation("bob")
    desk.post(f"/contacts/{desk.contact_of('alice')}/tags", {"add": ["VIP"]})

    items = desk.get("/contacts", params={"tag": "vip"}).json()["items"]

    assert [c["id"] for c in items] == [desk.contact_of("alice")]
    assert items[0]["tags"] == ["vip"]


def test_contact_shows_identities_notes_and_conversations(desk: Desk) -> None:
    conv_id = desk.new_conversation("alice")
    contact_id = desk.contact_of("alice")
    note = desk.post(f"/contacts/{contact_id}/notes", {"body": "prefers email"})

    body = desk.get(f"/contacts/{contact_id}").json()

    assert note.status_code == 201
    assert body["id"] == contact_id
    assert [(i["platform"], i["external_id"], i["handle"]) for i in body["identities"]] == [
        ("sandbox", "alice", "alice")
    ]
    assert [n["body"] for n in body["notes"]] == ["prefers email"]
    assert [(c["id"], c["status"]) for c in body["conversations"]] == [(conv_id, "open")]
    assert body["conversations"][0]["last_message_at"]
    assert body["crm_id"] is None
    assert body["merged_into_id"] is None


def test_merge_moves_identities_and_conversations_to_the_survivor(desk: Desk) -> None:
    on_x = desk.new_conversation("alice")
    on_dm = desk.new_conversation("alice_private", kind="dms")
    survivor, merged = desk.contact_of("alice"), desk.contact_of("alice_private")

    response = desk.post(f"/contacts/{survivor}/merge", {"other_contact_id": merged})

    assert response.status_code == 200, response.text
    body = response.json()
    assert body["id"] == survivor
    assert sorted(i["handle"] for i in body["identities"]) == ["alice", "alice_private"]
    assert sorted(c["id"] for c in body["conversations"]) == sorted([on_x, on_dm])
    assert desk.get(f"/conversations/{on_dm}").json()["contact"]["id"] == survivor


def test_merged_contact_id_answers_with_the_survivor(desk: Desk) -> None:
    desk.new_conversation("alice")
    desk.new_conversation("alice2")
    survivor, merged = desk.contact_of("alice"), desk.contact_of("alice2")
    desk.post(f"/contacts/{survivor}/merge", {"other_contact_id": merged})

    assert desk.get(f"/contacts/{merged}").json()["id"] == survivor
    assert [c["id"] for c in desk.get("/contacts").json()["items"]] == [survivor]


def test_merge_writes_one_merge_event_and_keeps_both_rows(desk: Desk) -> None:
    desk.new_conversation("alice")
    desk.new_conversation("alice2")
    before = desk.counts()

    desk.post(
        f"/contacts/{desk.contact_of('alice')}/merge",
        {"other_contact_id": desk.contact_of("alice2")},
    )

    after = desk.counts()
    assert after["events"] == before["events"] + 1
    assert after["contacts"] == before["contacts"]


def test_merging_a_contact_with_itself_is_422(desk: Desk, assert_problem: ProblemCheck) -> None:
    desk.new_conversation("alice")
    contact_id = desk.contact_of("alice")
    before = desk.counts()

    response = desk.post(f"/contacts/{contact_id}/merge", {"other_contact_id": contact_id})

    assert_problem(response, 422, "cannot be merged with itself")
    assert desk.counts() == before


def test_merging_an_unknown_contact_is_404_and_changes_nothing(
    desk: Desk, assert_problem: ProblemCheck
) -> None:
    desk.new_conversation("alice")
    before = desk.counts()

    response = desk.post(
        f"/contacts/{desk.contact_of('alice')}/merge", {"other_contact_id": 424242}
    )

    assert_problem(response, 404, "contact 424242 does not exist")
    assert desk.counts() == before


def test_contact_tags_are_added_and_removed(desk: Desk) -> None:
    desk.new_conversation("alice")
    contact_id = desk.contact_of("alice")
    desk.post(f"/contacts/{contact_id}/tags", {"add": ["vip", "press"]})

    response = desk.post(f"/contacts/{contact_id}/tags", {"remove": ["press"]})

    assert response.status_code == 200, response.text
    assert response.json()["tags"] == ["vip"]
