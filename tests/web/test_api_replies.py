"""POST /conversations/{id}/replies: queued with its job in one transaction, delivered once."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from conftest import Desk, ProblemCheck


def deliveries(desk: Desk) -> list[dict[str, Any]]:
    response = desk.get(f"/sandbox/{desk.tenant.account_id}/deliveries")
    assert response.status_code == 200, response.text
    items: list[dict[str, Any]] = response.json()["items"]
    return items


def test_reply_is_202_and_queued(desk: Desk) -> None:
    conv_id = desk.new_conversation("alice", kind="dms")
    before = desk.counts()

    response = desk.post(
        f"/conversations/{conv_id}/replies", {"text": "we're on it", "visibility": "private"}
    )

    assert response.status_code == 202, response.text
    body = response.json()
    assert (body["direction"], body["visibility"]) == ("out", "private")
    assert body["delivery_state"] == "queued"
    assert body["platform_message_id"] is None
    after = desk.counts()
    assert after["messages"] == before["messages"] + 1
    assert after["jobs"] == before["jobs"] + 1


def test_private_reply_reaches_the_sandbox_privately_once(desk: Desk) -> None:
    conv_id = desk.new_conversation("alice", "where is my parcel?", kind="posts")

    desk.post(f"/conversations/{conv_id}/replies", {"text": "DM us", "visibility": "private"})
    desk.process()
    desk.process()

    [delivery] = deliveries(desk)
    assert delivery["visibility"] == "private"
    assert delivery["text"] == "DM us"
    assert delivery["recipient"] == "alice"


def test_same_idempotency_key_twice_makes_one_message_and_one_delivery(desk: Desk) -> None:
    conv_id = desk.new_conversation("alice", kind="dms")
    reply = {"text": "refund issued", "visibility": "private", "idempotency_key": "refund-1"}

    first = desk.post(f"/conversations/{conv_id}/replies", reply)
    desk.process()
    second = desk.post(f"/conversations/{conv_id}/replies", reply)
    desk.process()

    assert first.status_code == second.status_code == 202
    assert first.json()["id"] == second.json()["id"]
    outbound = [
        m
        for m in desk.get(f"/conversations/{conv_id}").json()["messages"]
        if m["direction"] == "out"
    ]
    assert len(outbound) == 1
    assert len(deliveries(desk)) == 1


def test_idempotency_key_of_another_conversation_is_409(
    desk: Desk, assert_problem: ProblemCheck
) -> None:
    first = desk.new_conversation("alice", kind="dms")
    second = desk.new_conversation("bob", kind="dms")
    reply = {"text": "hello", "visibility": "private", "idempotency_key": "k"}
    desk.post(f"/conversations/{first}/replies", reply)
    before = desk.counts()

    response = desk.post(f"/conversations/{second}/replies", reply)

    assert_problem(response, 409, "already used for another conversation")
    assert desk.counts() == before


def test_concurrent_replies_with_one_key_make_one_message(desk: Desk) -> None:
    conv_id = desk.new_conversation("alice", kind="dms")
    reply = {"text": "once only", "visibility": "private", "idempotency_key": "burst"}

    with ThreadPoolExecutor(max_workers=6) as pool:
        responses = list(
            pool.map(lambda _: desk.post(f"/conversations/{conv_id}/replies", reply), range(6))
        )

    assert {r.status_code for r in responses} == {202}, [r.text for r in responses]
    assert len({r.json()["id"] for r in responses}) == 1
    desk.process()
    assert len(deliveries(desk)) == 1


def test_public_reply_answers_the_latest_public_post(desk: Desk) -> None:
    desk.customer_writes("alice", "first post")
    latest = desk.customer_writes("alice", "second post")
    conv_id = desk.conversation_of(latest)

    response = desk.post(
        f"/conversations/{conv_id}/replies", {"text": "hi", "visibility": "public"}
    )
    desk.process()

    assert response.json()["reply_to_platform_id"] == latest
    [delivery] = deliveries(desk)
    assert (delivery["visibility"], delivery["reply_to_platform_id"]) == ("public", latest)


def test_public_reply_without_a_public_post_is_422_and_writes_nothing(
    desk: Desk, assert_problem: ProblemCheck
) -> None:
    conv_id = desk.new_conversation("alice", kind="dms")
    before = desk.counts()

    response = desk.post(
        f"/conversations/{conv_id}/replies", {"text": "hi", "visibility": "public"}
    )

    assert_problem(response, 422, "no public post to reply to")
    assert desk.counts() == before


def test_customer_answer_to_a_reply_joins_the_conversation(desk: Desk) -> None:
    conv_id = desk.new_conversation("alice", "help?")
    desk.post(f"/conversations/{conv_id}/replies", {"text": "sure", "visibility": "public"})
    desk.process()
    [delivery] = deliveries(desk)

    answer = desk.customer_writes("alice", "thanks!", reply_to=delivery["platform_message_id"])

    assert desk.conversation_of(answer) == conv_id
