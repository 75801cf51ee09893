"""Meta webhook deliveries (Page feed, Messenger, Instagram) into normalized inbound events.

One delivery holds ``entry`` objects (one per Page or Instagram account, up to 1,000 updates),
each with ``changes`` (Page feed, Instagram comments) and/or ``messaging`` (Messenger and
Instagram direct messages, echoes, delivery and read receipts). Only the entries of the account
being parsed are read: one Meta app posts the updates of every subscribed account to the same
callback, and the webhook files a copy under each account named in it.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from socialdesk.channels.base import AccountInfo, DeliveryReceipt, ParseError
from socialdesk.domain.types import AuthorKind, DeliveryState, Direction, Visibility
from socialdesk.pipeline.events import Author, InboundEvent

__all__ = ["FACEBOOK", "INSTAGRAM", "MetaFlavour", "entry_ids", "parse_receipts", "parse_webhook"]


@dataclass(frozen=True, slots=True)
class MetaFlavour:
    """What differs between the Page and Instagram webhooks."""

    platform: str
    webhook_object: str  # the delivery's ``object``
    comment_fields: frozenset[str]  # ``changes[].field`` values that carry comments


FACEBOOK = MetaFlavour("facebook", "page", frozenset({"feed"}))
INSTAGRAM = MetaFlavour("instagram", "instagram", frozenset({"comments", "live_comments"}))


def _load(flavour: MetaFlavour, payload: bytes) -> list[dict[str, Any]]:
    try:
        data = json.loads(payload)
    except (ValueError, UnicodeDecodeError) as exc:
        raise ParseError(f"not JSON: {exc}") from exc
    if not isinstance(data, dict):
        raise ParseError("a Meta webhook delivery is a JSON object")
    if data.get("object") != flavour.webhook_object:
        raise ParseError(
            f"a {flavour.platform} delivery has object {flavour.webhook_object!r}, "
            f"not {data.get('object')!r}"
        )
    entries = data.get("entry")
    if not isinstance(entries, list) or not all(isinstance(e, dict) for e in entries):
        raise ParseError("entry must be a list of objects")
    for entry in entries:
        if _text_id(entry.get("id")) is None:
            raise ParseError("every entry names its Page or Instagram account in id")
    return entries


def entry_ids(flavour: MetaFlavour, payload: bytes) -> list[str]:
    """The accounts (Page or Instagram ids) a delivery has updates for, in order."""
    ids: list[str] = []
    for entry in _load(flavour, payload):
        entry_id = _text_id(entry.get("id"))
        if entry_id is not None and entry_id not in ids:
            ids.append(entry_id)
    return ids


def _own_entries(
    flavour: MetaFlavour, account: AccountInfo, payload: bytes
) -> list[tuple[str, dict[str, Any]]]:
    entries = _load(flavour, payload)
    found = []
    for entry in entries:
        entry_id = _text_id(entry.get("id"))
        assert entry_id is not None  # checked by _load
        if account.external_id is None or entry_id == account.external_id:
            found.append((entry_id, entry))
    return found


def parse_webhook(flavour: MetaFlavour, account: AccountInfo, payload: bytes) -> list[InboundEvent]:
    """Comments and messages of one delivery; other updates (likes, reactions, edits,
    removals, receipts, posts by the page itself) yield no events."""
    events: list[InboundEvent] = []
    for entry_id, entry in _own_entries(flavour, account, payload):
        entry_time = _time(entry.get("time"))
        for change in _changes(entry):
            event = _comment_event(flavour, account, entry_id, change, entry_time)
            if event is not None:
                events.append(event)
        for item in _list(entry, "messaging"):
            event = _messaging_event(flavour, account, entry_id, item)
            if event is not None:
                events.append(event)
    return events


def parse_receipts(
    flavour: MetaFlavour, account: AccountInfo, payload: bytes
) -> list[DeliveryReceipt]:
    """Delivery and read reports on messages the account sent.

    ``delivery.mids`` name the delivered messages; a ``read`` names one message only on
    Instagram (``read.mid``). Messenger's reads, and its deliveries without ``mids`` (older
    Messenger clients), carry only a ``watermark``: "every message sent to this person at or
    before this time (epoch milliseconds) was delivered / read". Those become watermark
    receipts for the person in ``sender.id`` (their PSID; ``recipient.id`` is the Page),
    which pipeline.receipts applies to every message we sent them up to that time.
    """
    receipts: list[DeliveryReceipt] = []
    for _entry_id, entry in _own_entries(flavour, account, payload):
        for item in _list(entry, "messaging"):
            at = _time(item.get("timestamp"))
            delivery = item.get("delivery")
            if isinstance(delivery, dict):
                when = at or _time(delivery.get("watermark"))
                listed = delivery.get("mids")
                mids = (
                    [m for m in listed if isinstance(m, str) and m]
                    if isinstance(listed, list)
                    else []
                )
                for mid in mids:
                    if when is not None:
                        receipts.append(DeliveryReceipt(mid, DeliveryState.DELIVERED, when))
                if not mids:
                    receipts.extend(_watermark(flavour, item, delivery, DeliveryState.DELIVERED))
            read = item.get("read")
            if isinstance(read, dict):
                if isinstance(read.get("mid"), str) and read["mid"]:
                    when = at or _time(read.get("watermark"))
                    if when is not None:
                        receipts.append(DeliveryReceipt(read["mid"], DeliveryState.READ, when))
                else:
                    receipts.extend(_watermark(flavour, item, read, DeliveryState.READ))
    return receipts


def _watermark(
    flavour: MetaFlavour, item: dict[str, Any], report: dict[str, Any], state: DeliveryState
) -> list[DeliveryReceipt]:
    """The watermark receipt of a Messenger ``delivery`` or ``read`` (none when the report
    lacks what it takes to match messages: the person's id or the watermark)."""
    if flavour is not FACEBOOK:
        return []  # Instagram documents per-message receipts (read.mid) only
    sender = item.get("sender")
    person = _text_id(sender.get("id")) if isinstance(sender, dict) else None
    up_to = _watermark_time(report.get("watermark"))
    if person is None or up_to is None:
        return []
    # Meta's own example of a delivery has no timestamp: the watermark is the best "when".
    at = _time(item.get("timestamp")) or up_to
    return [DeliveryReceipt(None, state, at, recipient_external_id=person, up_to=up_to)]


def _watermark_time(value: Any) -> datetime | None:
    """A watermark is epoch milliseconds (a JSON number; a digit string is accepted too)."""
    if isinstance(value, str) and value.strip().isdigit():
        value = int(value.strip())
    if isinstance(value, int) and not isinstance(value, bool) and value > 0:
        seconds, millis = divmod(value, 1000)  # exact: no float rounding at the millisecond
        return datetime.fromtimestamp(seconds, UTC) + timedelta(milliseconds=millis)
    return None


# -- helpers ---------------------------------------------------------------------------------
def _list(obj: dict[str, Any], key: str) -> list[dict[str, Any]]:
    items = obj.get(key, [])
    if not isinstance(items, list):
        raise ParseError(f"{key} must be a list")
    return [i for i in items if isinstance(i, dict)]


def _changes(entry: dict[str, Any]) -> list[dict[str, Any]]:
    changes = _list(entry, "changes")
    # Meta's Instagram examples sometimes show one change inline on the entry.
    if not changes and isinstance(entry.get("field"), str) and isinstance(entry.get("value"), dict):
        changes = [{"field": entry["field"], "value": entry["value"]}]
    return changes


def _text_id(value: Any) -> str | None:
    """Graph ids are strings; a JSON number is accepted only while it is exact."""
    if isinstance(value, str) and value.strip():
        return value.strip()
    if isinstance(value, int) and not isinstance(value, bool) and 0 <= value < 2**53:
        return str(value)
    return None


def _time(value: Any) -> datetime | None:
    """Epoch seconds or milliseconds (Meta uses both), or an ISO 8601 time."""
    if isinstance(value, str) and value.strip().isdigit():
        value = int(value.strip())
    if isinstance(value, int | float) and not isinstance(value, bool) and value > 0:
        seconds = value / 1000 if value > 10**11 else value
        return datetime.fromtimestamp(seconds, UTC)
    if isinstance(value, str):
        try:
            parsed = datetime.fromisoformat(value.strip().replace("+0000", "+00:00"))
        except ValueError:
            return None
        return parsed.astimezone(UTC) if parsed.tzinfo else parsed.replace(tzinfo=UTC)
    return None


def _comment_event(
    flavour: MetaFlavour,
    account: AccountInfo,
    entry_id: str,
    change: dict[str, Any],
    entry_time: datetime | None,
) -> InboundEvent | None:
    if change.get("field") not in flavour.comment_fields:
        return None
    value = change.get("value")
    if not isinstance(value, dict):
        raise ParseError(f"a {change.get('field')} change needs a value object")
    if flavour is FACEBOOK:
        if value.get("item") != "comment" or value.get("verb") != "add":
            return None  # likes, reactions, posts, edits and removals are not messages
        comment_id = _text_id(value.get("comment_id"))
        text = value.get("message")
        post_id = _text_id(value.get("post_id"))
        parent_id = _text_id(value.get("parent_id"))
        # A top-level comment's parent is the post itself.
        reply_to = parent_id or post_id
        at = _time(value.get("created_time")) or entry_time
        media: list[dict[str, Any]] = []
        if isinstance(value.get("photo"), str):
            media.append({"type": "photo", "url": value["photo"]})
    else:
        comment_id = _text_id(value.get("id"))
        text = value.get("text")
        media_obj = value.get("media")
        media_id = _text_id(media_obj.get("id")) if isinstance(media_obj, dict) else None
        reply_to = _text_id(value.get("parent_id")) or media_id
        at = _time(value.get("timestamp")) or entry_time
        media = []
    sender = value.get("from")
    sender_id = _text_id(sender.get("id")) if isinstance(sender, dict) else None
    if comment_id is None:
        raise ParseError(f"a {flavour.platform} comment needs its id")
    if sender_id is None or not isinstance(sender, dict):
        # Meta leaves "from" out when the app may not see the person: nobody to answer.
        return None
    if at is None:
        raise ParseError(f"comment {comment_id} has no time")
    own = sender_id == entry_id
    return InboundEvent(
        platform=flavour.platform,
        platform_message_id=comment_id,
        author=Author(
            external_id=sender_id,
            handle=sender.get("username") if isinstance(sender.get("username"), str) else None,
            name=sender.get("name") if isinstance(sender.get("name"), str) else None,
        ),
        text=text if isinstance(text, str) else "",
        platform_time=at,
        visibility=Visibility.PUBLIC,
        channel_account_id=account.id,
        # The page's own comments (answers written on Facebook itself, or our replies seen
        # again) keep threads whole; echoes of replies sent from socialdesk are duplicates.
        direction=Direction.OUT if own else Direction.IN,
        reply_to_platform_id=reply_to,
        author_kind=AuthorKind.BRAND if own else AuthorKind.CONTACT,
        attachments=media,
    )


def _messaging_event(
    flavour: MetaFlavour, account: AccountInfo, entry_id: str, item: dict[str, Any]
) -> InboundEvent | None:
    message = item.get("message")
    postback = item.get("postback")
    if not isinstance(message, dict) and not isinstance(postback, dict):
        return None  # delivery, read, reaction, referral, optin...: not messages
    sender = item.get("sender")
    recipient = item.get("recipient")
    sender_id = _text_id(sender.get("id")) if isinstance(sender, dict) else None
    recipient_id = _text_id(recipient.get("id")) if isinstance(recipient, dict) else None
    at = _time(item.get("timestamp"))
    if sender_id is None or recipient_id is None or at is None:
        raise ParseError("a messaging event needs sender.id, recipient.id and timestamp")
    attachments: list[dict[str, Any]] = []
    reply_to: str | None = None
    if isinstance(message, dict):
        if message.get("is_deleted") or message.get("is_unsupported"):
            return None
        mid = message.get("mid")
        text = str(message["text"]) if isinstance(message.get("text"), str) else ""
        echo = message.get("is_echo") is True
        answered = message.get("reply_to")
        if isinstance(answered, dict) and isinstance(answered.get("mid"), str):
            reply_to = answered["mid"]
        quick = message.get("quick_reply")
        if isinstance(quick, dict) and isinstance(quick.get("payload"), str):
            attachments.append({"type": "quick_reply", "payload": quick["payload"]})
        for attachment in message.get("attachments") or []:
            if isinstance(attachment, dict):
                inner = attachment.get("payload")
                url = inner.get("url") if isinstance(inner, dict) else None
                attachments.append({"type": str(attachment.get("type") or "file"), "url": url})
    else:
        assert isinstance(postback, dict)
        mid = postback.get("mid")
        text = str(postback["title"]) if isinstance(postback.get("title"), str) else ""
        echo = False
        if isinstance(postback.get("payload"), str):
            attachments.append({"type": "postback", "payload": postback["payload"]})
    if not isinstance(mid, str) or not mid:
        raise ParseError("a message needs its mid")
    # The account's own messages come back as echoes (sender is the Page / Instagram account).
    own = echo or sender_id == entry_id
    return InboundEvent(
        platform=flavour.platform,
        platform_message_id=mid,
        author=Author(external_id=sender_id, handle=account.handle if own else None),
        text=text,
        platform_time=at,
        visibility=Visibility.PRIVATE,
        channel_account_id=account.id,
        direction=Direction.OUT if own else Direction.IN,
        reply_to_platform_id=reply_to,
        author_kind=AuthorKind.BRAND if own else AuthorKind.CONTACT,
        attachments=attachments,
    )
