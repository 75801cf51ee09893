"""Account Activity payloads (v1.1 tweet and DM objects) into normalized inbound events.

Ids are always read from the ``*_str`` fields: X's ids exceed 53 bits and lose digits in any
JSON reader that turns numbers into doubles.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from socialdesk.channels.base import AccountInfo, ParseError
from socialdesk.domain.types import AuthorKind, Direction, Visibility
from socialdesk.pipeline.events import Author, InboundEvent

__all__ = ["parse_activity", "payload_for_user"]

PLATFORM = "twitter"
_MONTHS = {
    name: number
    for number, name in enumerate(
        ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"),
        start=1,
    )
}


def payload_for_user(payload: bytes) -> str | None:
    """The ``for_user_id`` of a delivery: the subscribed account the events are for."""
    data = _load(payload)
    value = data.get("for_user_id")
    return str(value) if value is not None else None


def parse_activity(account: AccountInfo, payload: bytes) -> list[InboundEvent]:
    """Messages in one delivery; event types other than tweets and DMs yield none."""
    data = _load(payload)
    for_user = data.get("for_user_id")
    if not isinstance(for_user, str | int):
        raise ParseError("an Account Activity payload names its account in for_user_id")
    brand_id = str(for_user)
    if account.external_id is not None and brand_id != account.external_id:
        return []  # events of another account subscribed to the same app
    events: list[InboundEvent] = []
    for tweet in _objects(data, "tweet_create_events"):
        event = _tweet_event(account, brand_id, tweet)
        if event is not None:
            events.append(event)
    users = data.get("users")
    users = users if isinstance(users, dict) else {}
    for dm in _objects(data, "direct_message_events"):
        event = _dm_event(account, brand_id, dm, users)
        if event is not None:
            events.append(event)
    return events


def _load(payload: bytes) -> dict[str, Any]:
    try:
        data = json.loads(payload)
    except (ValueError, UnicodeDecodeError) as exc:
        raise ParseError(f"not JSON: {exc}") from exc
    if not isinstance(data, dict):
        raise ParseError("an Account Activity payload is a JSON object")
    return data


def _objects(data: dict[str, Any], key: str) -> list[dict[str, Any]]:
    items = data.get(key, [])
    if not isinstance(items, list) or not all(isinstance(i, dict) for i in items):
        raise ParseError(f"{key} must be a list of objects")
    return items


def _id(obj: dict[str, Any], key: str) -> str | None:
    """``key``_str, else ``key`` (string ids only: a JSON number may have lost digits)."""
    value = obj.get(f"{key}_str", obj.get(key))
    if isinstance(value, str) and value.strip():
        return value.strip()
    if isinstance(value, int) and not isinstance(value, bool) and value < 2**53:
        return str(value)
    return None


def _tweet_event(account: AccountInfo, brand_id: str, tweet: dict[str, Any]) -> InboundEvent | None:
    if "retweeted_status" in tweet:
        return None  # a retweet of the brand's post is applause, not a message
    tweet_id = _id(tweet, "id")
    user = tweet.get("user")
    if tweet_id is None or not isinstance(user, dict):
        raise ParseError("a tweet needs id_str and a user object")
    author = _author(user)
    own = author.external_id == brand_id
    return InboundEvent(
        platform=PLATFORM,
        platform_message_id=tweet_id,
        author=author,
        text=_tweet_text(tweet),
        platform_time=_tweet_time(tweet),
        visibility=Visibility.PUBLIC,
        channel_account_id=account.id,
        # The brand's own tweets (replies sent from X itself, or echoes of ours) keep threads
        # whole; echoes of replies sent from socialdesk are dropped as duplicates.
        direction=Direction.OUT if own else Direction.IN,
        reply_to_platform_id=_id(tweet, "in_reply_to_status_id"),
        author_kind=AuthorKind.BRAND if own else AuthorKind.CONTACT,
        attachments=_media(tweet),
    )


def _tweet_text(tweet: dict[str, Any]) -> str:
    extended = tweet.get("extended_tweet")
    if isinstance(extended, dict) and isinstance(extended.get("full_text"), str):
        return str(extended["full_text"])
    for key in ("full_text", "text"):
        if isinstance(tweet.get(key), str):
            return str(tweet[key])
    return ""


def _tweet_time(tweet: dict[str, Any]) -> datetime:
    created = tweet.get("created_at")
    if isinstance(created, str):
        parsed = _twitter_time(created)
        if parsed is not None:
            return parsed
    millis = tweet.get("timestamp_ms")
    if isinstance(millis, str | int) and str(millis).isdigit():
        return datetime.fromtimestamp(int(millis) / 1000, UTC)
    raise ParseError(f"tweet {_id(tweet, 'id')} has no created_at time")


def _twitter_time(value: str) -> datetime | None:
    """``Mon May 19 14:01:46 +0000 2025`` (English names whatever the process locale)."""
    parts = value.split()
    if len(parts) != 6 or parts[1] not in _MONTHS:
        return None
    try:
        hour, minute, second = (int(p) for p in parts[3].split(":"))
        offset = datetime.strptime(parts[4], "%z").tzinfo
        local = datetime(
            int(parts[5]), _MONTHS[parts[1]], int(parts[2]), hour, minute, second, tzinfo=offset
        )
    except ValueError:
        return None
    return local.astimezone(UTC)


def _author(user: dict[str, Any]) -> Author:
    user_id = _id(user, "id")
    if user_id is None:
        raise ParseError("a user object needs id_str")
    followers = user.get("followers_count")
    return Author(
        external_id=user_id,
        handle=user.get("screen_name") if isinstance(user.get("screen_name"), str) else None,
        name=user.get("name") if isinstance(user.get("name"), str) else None,
        followers=followers if isinstance(followers, int) and followers >= 0 else None,
        verified=user.get("verified") is True,
    )


def _media(tweet: dict[str, Any]) -> list[dict[str, Any]]:
    sources = [tweet, tweet.get("extended_tweet")]
    for source in sources:
        if not isinstance(source, dict):
            continue
        entities = source.get("extended_entities")
        if isinstance(entities, dict) and isinstance(entities.get("media"), list):
            return [_attachment(m) for m in entities["media"] if isinstance(m, dict)]
    return []


def _attachment(media: dict[str, Any]) -> dict[str, Any]:
    return {
        "type": str(media.get("type") or "media"),
        "url": media.get("media_url_https") or media.get("media_url"),
    }


def _dm_event(
    account: AccountInfo, brand_id: str, dm: dict[str, Any], users: dict[str, Any]
) -> InboundEvent | None:
    if dm.get("type") != "message_create":
        return None
    create = dm.get("message_create")
    event_id = _id(dm, "id")
    if not isinstance(create, dict) or event_id is None:
        raise ParseError("a direct message event needs an id and message_create")
    sender_id = _id(create, "sender_id")
    if sender_id is None:
        raise ParseError(f"direct message {event_id} has no sender_id")
    if sender_id == brand_id:
        # DMs the brand sent come back too; they carry no thread link to join a conversation.
        return None
    data = create.get("message_data")
    data = data if isinstance(data, dict) else {}
    profile = users.get(sender_id)
    author = _author(profile) if isinstance(profile, dict) else Author(external_id=sender_id)
    millis = dm.get("created_timestamp")
    if not (isinstance(millis, str | int) and str(millis).isdigit()):
        raise ParseError(f"direct message {event_id} has no created_timestamp")
    attachment = data.get("attachment")
    media = attachment.get("media") if isinstance(attachment, dict) else None
    return InboundEvent(
        platform=PLATFORM,
        platform_message_id=event_id,
        author=author,
        text=str(data["text"]) if isinstance(data.get("text"), str) else "",
        platform_time=datetime.fromtimestamp(int(millis) / 1000, UTC),
        visibility=Visibility.PRIVATE,
        channel_account_id=account.id,
        direction=Direction.IN,
        author_kind=AuthorKind.CONTACT,
        attachments=[_attachment(media)] if isinstance(media, dict) else [],
    )
