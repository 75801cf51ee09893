"""Account Activity payloads into inbound events (channels/twitter/_parse.py), no database."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from x_support import BRAND_HANDLE, BRAND_ID, CUSTOMER_ID, MENTION_ID, encode, fixture

from socialdesk.channels.base import AccountInfo, ParseError
from socialdesk.channels.twitter import TwitterChannel
from socialdesk.domain.types import AuthorKind, Direction, Visibility
from socialdesk.pipeline.events import Author, InboundEvent

ACCOUNT = AccountInfo(
    id=7, workspace_id=1, platform="twitter", handle=BRAND_HANDLE, external_id=BRAND_ID
)


def parse(payload: dict[str, Any] | bytes) -> list[InboundEvent]:
    body = payload if isinstance(payload, bytes) else encode(payload)
    return TwitterChannel().parse(ACCOUNT, body)


def test_a_mention_becomes_a_public_inbound_message() -> None:
    [event] = parse(fixture("mention"))

    assert event.platform == "twitter"
    assert event.platform_message_id == MENTION_ID
    assert (event.direction, event.visibility, event.author_kind) == (
        Direction.IN,
        Visibility.PUBLIC,
        AuthorKind.CONTACT,
    )
    assert event.author == Author(
        external_id=CUSTOMER_ID, handle="dana_k", name="Dana K", followers=21, verified=False
    )
    assert event.channel_account_id == ACCOUNT.id
    assert event.reply_to_platform_id is None
    assert event.platform_time == datetime(2025, 5, 19, 14, 1, 46, tzinfo=UTC)


def test_ids_are_read_from_the_string_fields() -> None:
    payload = fixture("mention")
    # As a JavaScript reader would have mangled it: the number lost its last digits.
    payload["tweet_create_events"][0]["id"] = 1924465506158879000

    [event] = parse(payload)

    assert event.platform_message_id == MENTION_ID


def test_an_untruncated_tweet_keeps_its_text() -> None:
    payload = fixture("reply_to_brand")

    [event] = parse(payload)

    assert event.text == "@acmecare Still blinking red after the restart. Photo attached."


def test_created_at_with_an_offset_is_converted_to_utc() -> None:
    payload = fixture("mention")
    payload["tweet_create_events"][0]["created_at"] = "Mon May 19 16:01:46 +0200 2025"

    [event] = parse(payload)

    assert event.platform_time == datetime(2025, 5, 19, 14, 1, 46, tzinfo=UTC)


def test_timestamp_ms_stands_in_for_an_unreadable_created_at() -> None:
    payload = fixture("mention")
    payload["tweet_create_events"][0]["created_at"] = "yesterday"

    [event] = parse(payload)

    assert event.platform_time == datetime(2025, 5, 19, 14, 1, 46, tzinfo=UTC)


def test_a_dm_becomes_a_private_inbound_message_with_the_senders_profile() -> None:
    [event] = parse(fixture("direct_message"))

    assert event.platform_message_id == "1924466600000000001"
    assert (event.direction, event.visibility) == (Direction.IN, Visibility.PRIVATE)
    assert event.author.external_id == CUSTOMER_ID
    assert (event.author.handle, event.author.followers) == ("dana_k", 21)
    assert event.platform_time == datetime.fromtimestamp(1747663570, UTC)


def test_a_dm_from_a_sender_without_profile_keeps_the_sender_id() -> None:
    payload = fixture("direct_message")
    del payload["users"]

    [event] = parse(payload)

    assert event.author == Author(external_id=CUSTOMER_ID)


def test_the_brands_own_tweet_is_outbound_by_the_brand() -> None:
    [event] = parse(fixture("brand_reply"))

    assert (event.direction, event.author_kind) == (Direction.OUT, AuthorKind.BRAND)
    assert event.reply_to_platform_id == MENTION_ID


@pytest.mark.parametrize("name", ["brand_direct_message", "favorite", "retweet"])
def test_payloads_without_customer_messages_yield_nothing(name: str) -> None:
    assert parse(fixture(name)) == []


def test_activity_for_another_account_yields_nothing() -> None:
    payload = fixture("mention")
    payload["for_user_id"] = "11112222"

    assert parse(payload) == []


def test_non_dm_events_in_direct_message_events_are_skipped() -> None:
    payload = fixture("direct_message")
    payload["direct_message_events"][0]["type"] = "participants_join"

    assert parse(payload) == []


@pytest.mark.parametrize(
    ("body", "complaint"),
    [
        (b"{not json", "not JSON"),
        (b"[1, 2]", "JSON object"),
        (b'{"tweet_create_events": []}', "for_user_id"),
        (b'{"for_user_id": "2244994945", "tweet_create_events": {}}', "list of objects"),
        (
            b'{"for_user_id": "2244994945", "tweet_create_events": [{"text": "hi"}]}',
            "id_str",
        ),
    ],
)
def test_malformed_payloads_are_parse_errors(body: bytes, complaint: str) -> None:
    with pytest.raises(ParseError, match=complaint):
        parse(body)
