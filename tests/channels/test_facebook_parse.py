"""Page feed and Messenger payloads (fixtures written from Meta's docs) into inbound events."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest
from meta_fake_server import (
    COMMENT_ID,
    COMMENTER_ID,
    IG_ID,
    IGSID,
    PAGE_ID,
    PSID,
    fixture,
    fixture_bytes,
)

from socialdesk.channels.base import AccountInfo, DeliveryReceipt, ParseError
from socialdesk.channels.meta import FacebookChannel, InstagramChannel
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


def receipts_of(payload: dict | bytes) -> list[DeliveryReceipt]:
    body = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
    return FacebookChannel().parse_receipts(page(), body)


def test_deliveries_with_mids_name_their_messages_and_a_read_is_a_watermark() -> None:
    delivered, read = receipts_of(fixture_bytes("facebook_delivery"))

    assert delivered == DeliveryReceipt(
        "m_1457764197618:41d102a3e1ae206b77",
        DeliveryState.DELIVERED,
        datetime.fromtimestamp(1742671600, UTC),
    )
    assert not delivered.is_watermark
    # Messenger's read names no message: everything sent to the PSID up to the watermark.
    assert read.is_watermark
    assert read.platform_message_id is None
    assert read.state == DeliveryState.READ
    assert read.recipient_external_id == PSID
    assert read.up_to == datetime.fromtimestamp(1742671659, UTC)
    assert read.at == datetime.fromtimestamp(1742671660, UTC)


def test_a_read_watermark_keeps_its_milliseconds() -> None:
    [read] = receipts_of(fixture_bytes("facebook_read"))

    assert read.recipient_external_id == PSID
    assert read.up_to == datetime(2025, 3, 22, 19, 27, 39, 253000, tzinfo=UTC)
    assert read.state == DeliveryState.READ


def test_a_delivery_without_mids_is_a_watermark_timed_by_it_when_it_has_no_timestamp() -> None:
    # As in Meta's example of message_deliveries: no mids (older clients), no timestamp.
    [delivered] = receipts_of(fixture_bytes("facebook_delivery_watermark"))

    assert delivered.is_watermark
    assert delivered.state == DeliveryState.DELIVERED
    assert delivered.recipient_external_id == PSID
    assert delivered.up_to == datetime(2025, 3, 22, 19, 26, 39, 253000, tzinfo=UTC)
    assert delivered.at == delivered.up_to


def test_a_delivery_with_an_empty_mids_list_is_a_watermark() -> None:
    payload = fixture("facebook_delivery_watermark")
    payload["entry"][0]["messaging"][0]["delivery"]["mids"] = []

    [delivered] = receipts_of(payload)

    assert delivered.is_watermark and delivered.state == DeliveryState.DELIVERED


@pytest.mark.parametrize(
    "item",
    [
        {"recipient": {"id": PAGE_ID}, "read": {"watermark": 1742671659253}},  # no sender
        {"sender": {"id": PSID}, "recipient": {"id": PAGE_ID}, "read": {}},  # no watermark
        {"sender": {"id": PSID}, "read": {"watermark": "soon"}},
        {"sender": {"id": PSID}, "delivery": {"watermark": None}},
    ],
)
def test_a_watermark_without_a_person_or_a_time_matches_nothing_and_is_dropped(
    item: dict,
) -> None:
    payload = fixture("facebook_read")
    payload["entry"][0]["messaging"] = [item]

    assert receipts_of(payload) == []
    assert parse(payload) == []


def test_watermarks_of_another_page_are_left_to_that_page() -> None:
    payload = fixture("facebook_read")
    payload["entry"][0]["id"] = "999999999"

    assert receipts_of(payload) == []


def test_instagram_reads_name_their_message_and_make_no_watermark() -> None:
    account = AccountInfo(
        id=8, workspace_id=1, platform="instagram", handle="acme", external_id=IG_ID
    )
    read = {"sender": {"id": IGSID}, "recipient": {"id": IG_ID}, "read": {"watermark": 1}}
    payload = {"object": "instagram", "entry": [{"id": IG_ID, "messaging": [read]}]}

    assert InstagramChannel().parse_receipts(account, json.dumps(payload).encode()) == []


def test_receipts_are_not_messages() -> None:
    assert parse(fixture("facebook_delivery")) == []
    assert parse(fixture("facebook_read")) == []
    assert parse(fixture("facebook_delivery_watermark")) == []


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
