"""Instagram webhooks (object "instagram"): comments public, direct messages private, echoes
outbound, reads of one message as receipts; and the Instagram send window."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest
from meta_fake_server import IG_COMMENT_ID, IG_COMMENTER_ID, IG_ID, IGSID, fixture, fixture_bytes

from socialdesk.channels.base import AccountInfo, ParseError, SendContext
from socialdesk.channels.meta import InstagramChannel
from socialdesk.domain.types import AuthorKind, DeliveryState, Direction, Visibility

MEDIA_ID = "18068417659012345"


def ig() -> AccountInfo:
    return AccountInfo(
        id=3, workspace_id=1, platform="instagram", handle="acmebroadband", external_id=IG_ID
    )


def test_a_comment_on_the_accounts_media_is_public_and_threaded_on_the_media() -> None:
    [event] = InstagramChannel().parse(ig(), fixture_bytes("instagram_comment"))

    assert event.platform == "instagram"
    assert event.platform_message_id == IG_COMMENT_ID
    assert event.visibility == Visibility.PUBLIC
    assert event.author.external_id == IG_COMMENTER_ID
    assert event.author.handle == "dana.k"
    assert event.reply_to_platform_id == MEDIA_ID
    assert event.platform_time == datetime.fromtimestamp(1742667607, UTC)


def test_a_reply_comment_points_at_its_parent() -> None:
    payload = fixture("instagram_comment")
    payload["entry"][0]["changes"][0]["value"]["parent_id"] = "17865799348000001"

    [event] = InstagramChannel().parse(ig(), json.dumps(payload).encode())

    assert event.reply_to_platform_id == "17865799348000001"


def test_the_inline_change_shape_of_metas_examples_is_read_too() -> None:
    payload = fixture("instagram_comment")
    change = payload["entry"][0].pop("changes")[0]
    payload["entry"][0].update(change)

    [event] = InstagramChannel().parse(ig(), json.dumps(payload).encode())

    assert event.platform_message_id == IG_COMMENT_ID


def test_a_direct_message_is_private_and_an_echo_is_outbound() -> None:
    [message] = InstagramChannel().parse(ig(), fixture_bytes("instagram_message"))
    [echo] = InstagramChannel().parse(ig(), fixture_bytes("instagram_message_echo"))

    assert (message.visibility, message.direction) == (Visibility.PRIVATE, Direction.IN)
    assert message.author.external_id == IGSID
    assert message.text == "Hi! Still no internet here"
    assert (echo.direction, echo.author_kind) == (Direction.OUT, AuthorKind.BRAND)


def test_a_read_naming_a_message_is_a_receipt() -> None:
    [receipt] = InstagramChannel().parse_receipts(ig(), fixture_bytes("instagram_read"))

    assert receipt.state == DeliveryState.READ
    assert receipt.platform_message_id.endswith("NjgzAB")


def test_a_page_delivery_is_not_an_instagram_one() -> None:
    with pytest.raises(ParseError):
        InstagramChannel().parse(ig(), fixture_bytes("facebook_comment"))


def test_the_instagram_window_names_instagram() -> None:
    now = datetime(2026, 11, 25, tzinfo=UTC)
    decision = InstagramChannel().check_send(
        ig(),
        SendContext(
            visibility="private", now=now, last_inbound_private_at=now - timedelta(hours=30)
        ),
    )

    assert not decision.allowed
    assert (decision.reason or "").startswith(
        "The customer last wrote on Instagram 30 hours ago; Instagram allows replies"
    )
