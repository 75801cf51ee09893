"""Channel accounts and the sandbox customer's side."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from conftest import Desk, ProblemCheck


def test_sandbox_account_is_created_and_listed(desk: Desk) -> None:
    response = desk.post(
        "/channel-accounts", {"platform": "sandbox", "name": "Acme Help", "handle": "@acmehelp"}
    )

    assert response.status_code == 201, response.text
    created = response.json()
    assert (created["platform"], created["handle"], created["name"]) == (
        "sandbox",
        "acmehelp",
        "Acme Help",
    )
    listed = desk.get("/channel-accounts").json()["items"]
    assert [a["handle"] for a in listed] == ["acmecare", "acmehelp"]
    assert desk.get(f"/channel-accounts/{created['id']}").json() == created


def test_channel_accounts_never_show_settings(desk: Desk) -> None:
    account = desk.get(f"/channel-accounts/{desk.tenant.account_id}").json()

    assert "settings" not in account


def test_platforms_without_a_connector_are_422(desk: Desk, assert_problem: ProblemCheck) -> None:
    before = desk.counts()

    response = desk.post(
        "/channel-accounts", {"platform": "myspace", "name": "Acme", "handle": "acme"}
    )

    assert_problem(response, 422, "platform 'myspace' cannot be connected")
    assert desk.counts() == before


def test_second_account_with_the_same_handle_is_409(
    desk: Desk, assert_problem: ProblemCheck
) -> None:
    before = desk.counts()

    response = desk.post(
        "/channel-accounts", {"platform": "sandbox", "name": "Again", "handle": "acmecare"}
    )

    assert_problem(response, 409, "@acmecare already exists")
    assert desk.counts() == before


def test_blank_account_name_is_422(desk: Desk, assert_problem: ProblemCheck) -> None:
    response = desk.post(
        "/channel-accounts", {"platform": "sandbox", "name": "   ", "handle": "acmehelp"}
    )

    assert_problem(response, 422, "name: a name needs some text")


def test_injected_post_is_202_and_stored_before_processing(desk: Desk) -> None:
    before = desk.counts()

    response = desk.post(
        f"/sandbox/{desk.tenant.account_id}/posts",
        {"from": {"handle": "alice"}, "text": "hello", "id": "p-1"},
    )

    assert response.status_code == 202, response.text
    assert response.json()["message_id"] == "p-1"
    assert response.json()["duplicate"] is False
    after = desk.counts()
    assert after["raw_events"] == before["raw_events"] + 1
    assert after["messages"] == before["messages"]
    desk.process()
    assert desk.counts()["messages"] == before["messages"] + 1


def test_same_message_id_twice_is_a_duplicate_and_one_message(desk: Desk) -> None:
    body = {"from": {"handle": "alice"}, "text": "hello", "id": "p-1"}
    first = desk.post(f"/sandbox/{desk.tenant.account_id}/posts", body)
    desk.process()
    before = desk.counts()

    second = desk.post(f"/sandbox/{desk.tenant.account_id}/posts", body)
    desk.process()

    assert second.json() == {**first.json(), "duplicate": True}
    assert desk.counts() == before


def test_customer_details_reach_the_contact(desk: Desk) -> None:
    desk.post(
        f"/sandbox/{desk.tenant.account_id}/dms",
        {
            "from": {"id": "u-77", "handle": "bigfan", "name": "Big Fan", "verified": True},
            "text": "hi",
        },
    )
    desk.process()

    [contact] = desk.get("/contacts").json()["items"]
    assert contact["name"] == "Big Fan"
    assert contact["identities"][0]["external_id"] == "u-77"
    assert contact["identities"][0]["verified"] is True


def test_deliveries_are_newest_first(desk: Desk) -> None:
    conv_id = desk.new_conversation("alice", kind="dms")
    for text in ("one", "two"):
        desk.post(f"/conversations/{conv_id}/replies", {"text": text, "visibility": "private"})
        desk.process()

    items = desk.get(f"/sandbox/{desk.tenant.account_id}/deliveries").json()["items"]

    assert [d["text"] for d in items] == ["two", "one"]


def test_injecting_into_an_unknown_account_is_404(desk: Desk, assert_problem: ProblemCheck) -> None:
    response = desk.post("/sandbox/999999/posts", {"from": {"handle": "a"}, "text": "x"})

    assert_problem(response, 404, "channel account 999999 does not exist")
