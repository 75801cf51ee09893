"""A mention arrives by webhook, an agent answers through the API, the worker delivers it to
(the fake) X, and X's echo of the reply changes nothing."""

from __future__ import annotations

from typing import Any

from x_support import CUSTOMER_ID, MENTION_ID, XDesk, fixture

from socialdesk.pipeline.intake import process_raw_events


def _brand_echo(tweet_id: str, text: str) -> dict[str, Any]:
    """What X sends back for the brand's own reply (a tweet_create_event by the brand)."""
    echo = fixture("brand_reply")
    tweet = echo["tweet_create_events"][0]
    tweet["id_str"] = tweet_id
    tweet["id"] = int(tweet_id)
    tweet["text"] = text
    tweet["created_at"] = "Mon May 19 14:30:00 +0000 2025"
    return echo


def test_mention_answered_through_the_api_reaches_x_once(x: XDesk) -> None:
    assert x.deliver(fixture("mention")).status_code == 200
    x.process()

    listed = x.get("/conversations").json()["items"]
    assert len(listed) == 1
    conversation_id = listed[0]["id"]
    response = x.post(
        f"/conversations/{conversation_id}/replies",
        {"text": "@dana_k Sorry about that! We're checking your line now.", "visibility": "public"},
    )
    assert response.status_code in (200, 201, 202), response.text
    x.process()

    [request] = x.fake.requests
    assert (request.method, request.path) == ("POST", "/2/tweets")
    assert request.body == {
        "text": "@dana_k Sorry about that! We're checking your line now.",
        "reply": {"in_reply_to_tweet_id": MENTION_ID},
    }
    detail = x.get(f"/conversations/{conversation_id}").json()
    [out] = [m for m in detail["messages"] if m["direction"] == "out"]
    assert out["delivery_state"] == "sent"
    assert out["platform_message_id"].isdigit()
    assert out["reply_to_platform_id"] == MENTION_ID

    # X reports the brand's new tweet back: the same message, not a second one.
    x.deliver(_brand_echo(out["platform_message_id"], request.body["text"]))
    x.process()

    detail = x.get(f"/conversations/{conversation_id}").json()
    assert [(m["direction"], m["visibility"]) for m in detail["messages"]] == [
        ("in", "public"),
        ("out", "public"),
    ]
    assert len(x.fake.requests) == 1


def test_an_echo_ingested_before_the_send_is_recorded_gives_way(x: XDesk) -> None:
    x.deliver(fixture("mention"))
    x.process()
    [conversation] = x.conversations()
    response = x.post(
        f"/conversations/{conversation.id}/replies",
        {"text": "@dana_k On it!", "visibility": "public"},
    )
    assert response.status_code in (200, 201, 202), response.text
    # X is quick: its echo of tweet 1924500000000000777 is processed before the delivery job
    # records the id that the send returned.
    x.fake.next_id("1924500000000000777")
    echo = x.deliver(_brand_echo("1924500000000000777", "@dana_k On it!"))
    with x.app.db.session() as session:
        process_raw_events(
            session, [echo.json()["raw_event_id"]], x.app.channels, cipher=x.app.cipher
        )
    in_order_stored = sorted(x.messages(), key=lambda m: m.id)
    assert [(m.author_kind, m.platform_message_id) for m in in_order_stored] == [
        ("contact", MENTION_ID),
        ("agent", None),
        ("brand", "1924500000000000777"),
    ]
    x.process()

    messages = x.messages()
    assert [(m.direction, m.author_kind, m.platform_message_id) for m in messages] == [
        ("in", "contact", MENTION_ID),
        ("out", "agent", "1924500000000000777"),
    ]
    [conversation] = x.conversations()
    assert conversation.message_count == 2


def test_a_customer_who_mentions_then_dms_is_one_conversation_of_two_audiences(
    x: XDesk,
) -> None:
    x.deliver(fixture("mention"))
    x.deliver(fixture("direct_message"))
    x.process()

    listed = x.get("/conversations").json()["items"]
    assert len(listed) == 1
    detail = x.get(f"/conversations/{listed[0]['id']}").json()
    assert [m["visibility"] for m in detail["messages"]] == ["public", "private"]
    # And the answer to the DM goes back privately.
    x.post(
        f"/conversations/{listed[0]['id']}/replies",
        {"text": "Thanks, we found the fault on your line.", "visibility": "private"},
    )
    x.process()
    [request] = x.fake.requests
    assert request.path == f"/2/dm_conversations/with/{CUSTOMER_ID}/messages"
    assert request.body == {"text": "Thanks, we found the fault on your line."}
