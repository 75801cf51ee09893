"""X's Account Activity webhook (web/hooks/twitter.py) and what the pipeline makes of it."""

from __future__ import annotations

import base64
import hashlib
import hmac

from sqlalchemy import select
from x_support import (
    CONSUMER_SECRET,
    CUSTOMER_ID,
    MENTION_ID,
    XDesk,
    connect_x,
    encode,
    fixture,
    row_counts,
    x_signature,
)

from socialdesk.store.models import ContactIdentity, Message, RawEvent


def test_crc_challenge_is_answered_with_the_hmac_of_the_token(x: XDesk) -> None:
    response = x.client.get(f"/hooks/twitter/{x.account_id}", params={"crc_token": "Y3JjLXRva2Vu"})

    assert response.status_code == 200, response.text
    expected = base64.b64encode(
        hmac.new(CONSUMER_SECRET.encode(), b"Y3JjLXRva2Vu", hashlib.sha256).digest()
    ).decode()
    assert response.json() == {"response_token": f"sha256={expected}"}


def test_crc_without_a_token_is_422(x: XDesk) -> None:
    response = x.client.get(f"/hooks/twitter/{x.account_id}")

    assert response.status_code == 422
    assert response.headers["content-type"].startswith("application/problem+json")


def test_crc_for_an_account_that_is_not_on_x_is_404(x: XDesk) -> None:
    response = x.client.get(f"/hooks/twitter/{x.account_id + 99}", params={"crc_token": "abc"})

    assert response.status_code == 404
    assert response.headers["content-type"].startswith("application/problem+json")


def test_signed_mention_is_stored_before_the_answer_and_processed_by_the_job(x: XDesk) -> None:
    before = row_counts(x.app)

    response = x.deliver(fixture("mention"))

    assert response.status_code == 200, response.text
    assert response.json()["duplicate"] is False
    after = row_counts(x.app)
    assert after["raw_events"] == before["raw_events"] + 1
    assert after["messages"] == before["messages"]  # processed later, by the ingest job
    x.process()
    [message] = x.messages()
    assert message.platform_message_id == MENTION_ID
    assert (message.direction, message.visibility) == ("in", "public")
    # The full text of a truncated tweet, not the 140-character stub.
    assert message.text.endswith("Order 88123 was installed last week.")
    assert message.platform_time.isoformat() == "2025-05-19T14:01:46+00:00"
    with x.app.db.read_session() as session:
        raw = session.get(RawEvent, response.json()["raw_event_id"])
        assert raw is not None and raw.status == "processed"


def test_the_customer_identity_carries_followers_and_verification(x: XDesk) -> None:
    x.deliver(fixture("mention"))
    x.deliver(fixture("reply_to_brand"))  # later: 23 followers, now verified
    x.process()

    with x.app.db.read_session() as session:
        identity = session.scalar(
            select(ContactIdentity).where(ContactIdentity.external_id == CUSTOMER_ID)
        )
    assert identity is not None
    assert (identity.platform, identity.handle, identity.followers, identity.verified) == (
        "twitter",
        "dana_k",
        23,
        True,
    )


def test_a_reply_keeps_its_link_and_media(x: XDesk) -> None:
    x.deliver(fixture("reply_to_brand"))
    x.process()

    [message] = x.messages()
    assert message.reply_to_platform_id == "1924467702112739328"
    assert message.attachments == [
        {"type": "photo", "url": "https://pbs.twimg.com/media/GrRouterRed.jpg"}
    ]


def test_missing_signature_is_401_and_nothing_is_stored(x: XDesk) -> None:
    before = row_counts(x.app)

    response = x.client.post(
        f"/hooks/twitter/{x.account_id}",
        content=encode(fixture("mention")),
        headers={"content-type": "application/json"},
    )

    assert response.status_code == 401
    assert response.headers["content-type"].startswith("application/problem+json")
    assert row_counts(x.app) == before


def test_signature_with_another_secret_is_403_and_nothing_is_stored(x: XDesk) -> None:
    before = row_counts(x.app)

    response = x.deliver(fixture("mention"), secret="not-the-consumer-secret")

    assert response.status_code == 403
    assert response.headers["content-type"].startswith("application/problem+json")
    assert "signature" in response.json()["detail"]
    assert row_counts(x.app) == before


def test_signature_of_other_bytes_is_403(x: XDesk) -> None:
    body = encode(fixture("mention"))
    tampered = body.replace(b"blinking red", b"blinking blue")

    response = x.client.post(
        f"/hooks/twitter/{x.account_id}",
        content=tampered,
        headers={"x-twitter-webhooks-signature": x_signature(CONSUMER_SECRET, body)},
    )

    assert response.status_code == 403
    assert x.messages() == []


def test_signed_payload_that_is_not_account_activity_is_422(x: XDesk) -> None:
    before = row_counts(x.app)

    response = x.deliver(b'["not", "an", "object"]')

    assert response.status_code == 422
    assert row_counts(x.app) == before


def test_the_same_delivery_twice_is_one_message(x: XDesk) -> None:
    first = x.deliver(fixture("mention"))
    second = x.deliver(fixture("mention"))
    x.process()

    assert second.json() == {"raw_event_id": first.json()["raw_event_id"], "duplicate": True}
    assert [m.platform_message_id for m in x.messages()] == [MENTION_ID]


def test_a_tweet_delivered_again_in_another_payload_is_one_message(x: XDesk) -> None:
    x.deliver(fixture("mention"))
    x.process()
    again = fixture("mention")
    again["user_has_blocked"] = "true"  # other bytes, same tweet
    x.deliver(again)
    x.process()

    assert [m.platform_message_id for m in x.messages()] == [MENTION_ID]


def test_the_brands_own_reply_joins_the_thread_as_outbound(x: XDesk) -> None:
    x.deliver(fixture("mention"))
    x.deliver(fixture("brand_reply"))
    x.deliver(fixture("reply_to_brand"))
    x.process()

    messages = x.messages()
    assert [(m.direction, m.author_kind) for m in messages] == [
        ("in", "contact"),
        ("out", "brand"),
        ("in", "contact"),
    ]
    [conversation] = x.conversations()
    assert {m.conversation_id for m in messages} == {conversation.id}
    assert conversation.message_count == 3


def test_the_brands_own_dm_yields_no_message(x: XDesk) -> None:
    response = x.deliver(fixture("brand_direct_message"))
    x.process()

    assert response.status_code == 200
    assert x.messages() == []


def test_retweets_yield_no_message(x: XDesk) -> None:
    x.deliver(fixture("retweet"))
    x.process()

    assert x.messages() == []


def test_unknown_event_types_are_kept_and_yield_nothing(x: XDesk) -> None:
    response = x.deliver(fixture("favorite"))
    x.process()

    assert x.messages() == []
    with x.app.db.read_session() as session:
        raw = session.get(RawEvent, response.json()["raw_event_id"])
        assert raw is not None
        assert raw.status == "processed"
        assert "favorite_events" in raw.payload


def test_a_public_mention_then_a_dm_is_one_conversation(x: XDesk) -> None:
    x.deliver(fixture("mention"))
    x.deliver(fixture("direct_message"))
    x.process()

    [conversation] = x.conversations()
    messages = x.messages()
    assert [(m.visibility, m.direction) for m in messages] == [
        ("public", "in"),
        ("private", "in"),
    ]
    assert {m.conversation_id for m in messages} == {conversation.id}
    assert conversation.has_public and conversation.has_private
    with x.app.db.read_session() as session:
        identities = session.scalars(
            select(ContactIdentity).where(ContactIdentity.workspace_id == x.workspace_id)
        ).all()
    assert [(i.external_id, i.handle) for i in identities] == [(CUSTOMER_ID, "dana_k")]


def test_activity_of_a_sibling_account_on_the_same_app_is_filed_under_it(x: XDesk) -> None:
    # One X app sends every subscribed account's activity to one URL.
    other_id = connect_x(x.app, x.workspace_id, x.fake, handle="acmeshop", external_id="99887766")
    payload = fixture("mention")
    payload["for_user_id"] = "99887766"

    response = x.deliver(payload)  # arrives at @acmecare's URL
    x.process()

    assert response.status_code == 200
    with x.app.db.read_session() as session:
        raw = session.get(RawEvent, response.json()["raw_event_id"])
        assert raw is not None and raw.channel_account_id == other_id
    assert x.messages() == []
    with x.app.db.read_session() as session:
        filed = session.scalars(
            select(Message.platform_message_id).where(Message.channel_account_id == other_id)
        ).all()
    assert filed == [MENTION_ID]


def test_activity_for_an_unknown_account_is_kept_without_messages(x: XDesk) -> None:
    payload = fixture("mention")
    payload["for_user_id"] = "11112222"

    response = x.deliver(payload)
    x.process()

    assert response.status_code == 200
    assert x.messages() == []
    with x.app.db.read_session() as session:
        raw = session.get(RawEvent, response.json()["raw_event_id"])
        assert raw is not None
        assert (raw.channel_account_id, raw.status) == (x.account_id, "processed")
