"""Page feed and Messenger payloads (fixtures written from Meta's docs) into inbound events."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest
from meta_fake_server import COMMENT_ID, COMMENTER_ID, PAGE_ID, PSID, fixture, fixture_bytes

from socialdesk.channels.base import AccountInfo, ParseError
from socialdesk.channels.meta import FacebookChannel
from socialdesk.domain.types import AuthorKind, DeliveryState, Direction, Visibility

POST_ID = "448242228374517_1091623449621377"


def page(external_id: str = PAGE_ID) -> AccountInfo:
    return AccountInfo(
        id=7, workspace_id=1, platform="facebook", handle="acmebroadband", external_id=external_id
    )


def parse(payload: dict | bytes) -> list:
    body = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
    return FacebookChannel().parse(page(), body)


def test_a_comment_on_the_pages_post_is_a_public_message_threaded_on_the_post() -> None:
    [event] = parse(fixture_bytes("facebook_comment"))

    assert event.platform == "facebook"
    assert event.platform_message_id == COMMENT_ID
    assert event.visibility == Visibility.PUBLIC
    assert event.direction == Direction.IN
    assert event.author.external_id == COMMENTER_ID
    assert event.author.name == "Dana Kováč"  # escaped Unicode decoded
    assert event.text == "My fibre has been down since this morning, any news?"
    assert event.reply_to_platform_id == POST_ID
    assert event.platform_time == datetime(2025, 3, 22, 18, 20, 4, tzinfo=UTC)
    assert event.channel_account_id == 7


def test_a_reply_to_a_comment_points_at_its_parent_comment() -> None:
    [event] = parse(fixture("facebook_comment_reply"))

    assert event.reply_to_platform_id == COMMENT_ID
    assert event.direction == Direction.IN


def test_the_pages_own_comment_is_an_outbound_brand_message() -> None:
    [event] = parse(fixture("facebook_page_comment"))

    assert event.direction == Direction.OUT
    assert event.author_kind == AuthorKind.BRAND
    assert event.reply_to_platform_id == COMMENT_ID


@pytest.mark.parametrize("verb", ["edited", "remove", "hide"])
def test_edits_and_removals_of_comments_are_not_new_messages(verb: str) -> None:
    payload = fixture("facebook_comment")
    payload["entry"][0]["changes"][0]["value"]["verb"] = verb

    assert parse(payload) == []


def test_reactions_are_not_messages() -> None:
    assert parse(fixture("facebook_reaction")) == []


def test_a_comment_without_from_has_nobody_to_answer_and_is_skipped() -> None:
    payload = fixture("facebook_comment")
    del payload["entry"][0]["changes"][0]["value"]["from"]

    assert parse(payload) == []


def test_a_messenger_message_is_private() -> None:
    [event] = parse(fixture("facebook_message"))

    assert event.visibility == Visibility.PRIVATE
    assert event.direction == Direction.IN
    assert event.author.external_id == PSID
    assert event.platform_message_id == "m_1457764197618:41d102a3e1ae206a38"
    assert event.platform_time == datetime(2025, 3, 22, 19, 20, 4, tzinfo=UTC)


def test_a_quick_reply_tap_and_a_swipe_reply_are_kept() -> None:
    payload = fixture("facebook_message")
    message = payload["entry"][0]["messaging"][0]["message"]
    message["quick_reply"] = {"payload": "Track my order"}
    message["reply_to"] = {"mid": "m_earlier"}

    [event] = parse(payload)

    assert event.reply_to_platform_id == "m_earlier"
    assert {"type": "quick_reply", "payload": "Track my order"} in event.attachments


def test_an_echo_of_the_pages_message_is_outbound() -> None:
    [event] = parse(fixture("facebook_message_echo"))

    assert event.direction == Direction.OUT
    assert event.author_kind == AuthorKind.BRAND
    assert event.visibility == Visibility.PRIVATE
    assert event.platform_message_id == "m_1457764197618:41d102a3e1ae206b77"


def test_every_entry_and_item_of_a_batch_is_read() -> None:
    payload = fixture("facebook_message")
    second = fixture("facebook_comment")["entry"][0]
    payload["entry"].append(second)
    extra = dict(payload["entry"][0]["messaging"][0])
    extra["message"] = {"mid": "m_second", "text": "and another thing"}
    payload["entry"][0]["messaging"].append(extra)

    events = parse(payload)

    assert [e.platform_message_id for e in events] == [
        "m_1457764197618:41d102a3e1ae206a38",
        "m_second",
        COMMENT_ID,
    ]


def test_entries_of_another_page_are_left_to_that_page() -> None:
    payload = fixture("facebook_message")
    payload["entry"][0]["id"] = "999999999"

    assert parse(payload) == []


def test_deliveries_with_mids_become_receipts_and_watermark_reads_are_skipped() -> None:
    receipts = FacebookChannel().parse_receipts(page(), fixture_bytes("facebook_delivery"))

    assert [(r.platform_message_id, r.state) for r in receipts] == [
        ("m_1457764197618:41d102a3e1ae206b77", DeliveryState.DELIVERED)
    ]
    assert receipts[0].at == datetime.fromtimestamp(1742671600, UTC)


def test_receipts_are_not_messages() -> None:
    assert parse(fixture("facebook_delivery")) == []


@pytest.mark.parametrize(
    "body",
    [
        b"not json",
        b"[]",
        b'{"object": "instagram", "entry": []}',
        b'{"object": "page", "entry": {}}',
        b'{"object": "page", "entry": [{"time": 1}]}',
        b'{"object": "page", "entry": [{"id": "448242228374517", "messaging": [{"message": {}}]}]}',
    ],
)
def test_payloads_that_are_not_what_meta_documents_are_refused(body: bytes) -> None:
    with pytest.raises(ParseError):
        parse(body)
