"""WhatsApp Cloud API webhooks (``entry[].changes[].value``) into inbound events and receipts.

A delivery may hold messages from customers (``value.messages`` with the senders' profiles in
``value.contacts``) and status updates on messages we sent (``value.statuses``), for one or
several business phone numbers (``value.metadata.phone_number_id``); an account reads only
the changes of its own number.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

from socialdesk.channels.base import AccountInfo, DeliveryReceipt, ParseError
from socialdesk.domain.types import AuthorKind, DeliveryState, Direction, Visibility
from socialdesk.pipeline.events import Author, InboundEvent

__all__ = [
    "PLATFORM",
    "describe_error",
    "parse_messages",
    "parse_statuses",
    "phone_number_ids",
]

PLATFORM = "whatsapp"
_OBJECT = "whatsapp_business_account"
_MEDIA = ("image", "video", "audio", "document", "sticker")
_STATES = {
    "sent": DeliveryState.SENT,
    "delivered": DeliveryState.DELIVERED,
    "read": DeliveryState.READ,
    "failed": DeliveryState.FAILED,
}
# Error codes whose meaning the agent needs spelled out next to Meta's own words.
_HINTS = {
    131047: "more than 24 hours have passed since the customer last wrote; send an approved "
    "template instead",
    131026: "the recipient cannot receive this message (not on WhatsApp, an old app version "
    "or terms not accepted)",
    131049: "WhatsApp did not deliver this marketing template to keep the customer's "
    "experience healthy; try again later",
    131051: "WhatsApp does not support this message type",
}


def phone_number_ids(payload: bytes) -> list[str]:
    """The business phone numbers a delivery is for, in order of appearance."""
    seen: list[str] = []
    for value in _values(_load(payload)):
        number = _phone_number_id(value)
        if number is not None and number not in seen:
            seen.append(number)
    return seen


def parse_messages(account: AccountInfo, payload: bytes) -> list[InboundEvent]:
    """The customers' messages in a delivery for ``account``'s phone number."""
    events: list[InboundEvent] = []
    for value in _own_values(account, _load(payload)):
        profiles = _profiles(value)
        for message in _objects(value, "messages"):
            events.append(_message_event(account, message, profiles))
    return events


def parse_statuses(account: AccountInfo, payload: bytes) -> list[DeliveryReceipt]:
    """Status updates (sent, delivered, read, failed) on messages ``account`` sent."""
    receipts: list[DeliveryReceipt] = []
    for value in _own_values(account, _load(payload)):
        for status in _objects(value, "statuses"):
            receipt = _receipt(status)
            if receipt is not None:
                receipts.append(receipt)
    return receipts


def describe_error(error: dict[str, Any]) -> str:
    """One line for the agent from a Cloud API error object (``code``, ``title``,
    ``message``, ``error_data.details``), with a hint for the codes that need one."""
    code = error.get("code")
    parts: list[str] = []
    for key in ("title", "message"):
        text = error.get(key)
        if isinstance(text, str) and text.strip() and text.strip() not in parts:
            parts.append(text.strip())
    data = error.get("error_data")
    details = data.get("details") if isinstance(data, dict) else None
    if isinstance(details, str) and details.strip() and details.strip() not in parts:
        parts.append(details.strip())
    said = " - ".join(parts) or "no explanation given"
    label = f"WhatsApp error {code}" if isinstance(code, int | str) and str(code) else "WhatsApp"
    hint = _HINTS.get(int(code)) if isinstance(code, int | str) and str(code).isdigit() else None
    return f"{hint} ({label}: {said})" if hint else f"{label}: {said}"


# -- the envelope -----------------------------------------------------------------------------
def _load(payload: bytes) -> dict[str, Any]:
    try:
        data = json.loads(payload)
    except (ValueError, UnicodeDecodeError) as exc:
        raise ParseError(f"not JSON: {exc}") from exc
    if not isinstance(data, dict):
        raise ParseError("a WhatsApp webhook payload is a JSON object")
    if data.get("object") != _OBJECT:
        raise ParseError(f"a WhatsApp webhook payload has object {_OBJECT!r}")
    return data


def _values(data: dict[str, Any]) -> Iterator[dict[str, Any]]:
    """Every ``changes[].value`` of the ``messages`` field, across all entries."""
    for entry in _objects(data, "entry"):
        for change in _objects(entry, "changes"):
            if change.get("field") != "messages":
                continue  # template status, account updates...: not conversations
            value = change.get("value")
            if not isinstance(value, dict):
                raise ParseError("a messages change carries a value object")
            yield value


def _own_values(account: AccountInfo, data: dict[str, Any]) -> Iterator[dict[str, Any]]:
    for value in _values(data):
        number = _phone_number_id(value)
        if account.external_id is None or number == account.external_id:
            yield value


def _phone_number_id(value: dict[str, Any]) -> str | None:
    metadata = value.get("metadata")
    number = metadata.get("phone_number_id") if isinstance(metadata, dict) else None
    return str(number) if isinstance(number, str | int) and str(number) else None


def _objects(data: dict[str, Any], key: str) -> list[dict[str, Any]]:
    items = data.get(key, [])
    if not isinstance(items, list) or not all(isinstance(i, dict) for i in items):
        raise ParseError(f"{key} must be a list of objects")
    return items


def _time(obj: dict[str, Any], what: str) -> datetime:
    stamp = obj.get("timestamp")
    if isinstance(stamp, str | int) and not isinstance(stamp, bool) and str(stamp).isdigit():
        return datetime.fromtimestamp(int(stamp), UTC)
    raise ParseError(f"{what} has no timestamp (seconds since the epoch)")


def _text(obj: Any, key: str) -> str | None:
    value = obj.get(key) if isinstance(obj, dict) else None
    return value if isinstance(value, str) else None


# -- messages ---------------------------------------------------------------------------------
def _profiles(value: dict[str, Any]) -> dict[str, str]:
    names: dict[str, str] = {}
    for contact in _objects(value, "contacts"):
        wa_id = contact.get("wa_id")
        name = _text(contact.get("profile"), "name")
        if isinstance(wa_id, str) and name:
            names[wa_id] = name
    return names


def _message_event(
    account: AccountInfo, message: dict[str, Any], profiles: dict[str, str]
) -> InboundEvent:
    message_id, sender = message.get("id"), message.get("from")
    if not isinstance(message_id, str) or not message_id:
        raise ParseError("a WhatsApp message needs an id (wamid)")
    if not isinstance(sender, str) or not sender:
        raise ParseError(f"message {message_id} has no sender (from)")
    text, attachments, reply_to = _content(message)
    if reply_to is None:
        reply_to = _text(message.get("context"), "id")
    return InboundEvent(
        platform=PLATFORM,
        platform_message_id=message_id,
        author=Author(external_id=sender, handle=f"+{sender}", name=profiles.get(sender)),
        text=text,
        platform_time=_time(message, f"message {message_id}"),
        visibility=Visibility.PRIVATE,
        channel_account_id=account.id,
        direction=Direction.IN,
        reply_to_platform_id=reply_to,
        author_kind=AuthorKind.CONTACT,
        attachments=attachments,
    )


def _content(message: dict[str, Any]) -> tuple[str, list[dict[str, Any]], str | None]:
    """(text, attachments, message answered) of one message by its ``type``."""
    kind = str(message.get("type") or "unknown")
    body = message.get(kind)
    body = body if isinstance(body, dict) else {}
    if kind == "text":
        return _text(body, "body") or "", [], None
    if kind == "interactive":
        reply_kind = str(body.get("type") or "")
        chosen = body.get(reply_kind)
        chosen = chosen if isinstance(chosen, dict) else {}
        title = _text(chosen, "title") or ""
        extra: dict[str, Any] = {
            "type": reply_kind or "interactive",
            "id": _text(chosen, "id"),
            "title": title,
        }
        if _text(chosen, "description"):
            extra["description"] = _text(chosen, "description")
        return title, [extra], None
    if kind == "button":  # a quick-reply button of a template message
        label = _text(body, "text") or ""
        return label, [{"type": "button", "payload": _text(body, "payload"), "text": label}], None
    if kind in _MEDIA:
        media: dict[str, Any] = {"type": kind, "id": _text(body, "id")}
        for key in ("mime_type", "sha256", "filename", "caption"):
            if _text(body, key) is not None:
                media[key] = _text(body, key)
        if isinstance(body.get("voice"), bool):
            media["voice"] = body["voice"]
        return _text(body, "caption") or "", [media], None
    if kind == "reaction":
        emoji = _text(body, "emoji") or ""
        reaction = {"type": "reaction", "message_id": _text(body, "message_id"), "emoji": emoji}
        return emoji or "(reaction removed)", [reaction], _text(body, "message_id")
    if kind == "location":
        place: dict[str, Any] = {"type": "location"}
        for key in ("latitude", "longitude"):
            if isinstance(body.get(key), int | float) and not isinstance(body.get(key), bool):
                place[key] = body[key]
        for key in ("name", "address", "url"):
            if _text(body, key):
                place[key] = _text(body, key)
        named = ", ".join(str(place[k]) for k in ("name", "address") if k in place)
        where = f"{place.get('latitude', '?')}, {place.get('longitude', '?')}"
        return f"Location: {named or where}", [place], None
    if kind == "contacts":
        cards = message.get("contacts")
        cards = [c for c in cards if isinstance(c, dict)] if isinstance(cards, list) else []
        names = [_text(c.get("name"), "formatted_name") or "?" for c in cards]
        return (
            f"Shared contact: {', '.join(names)}",
            [{"type": "contacts", "contacts": cards}],
            None,
        )
    if kind == "system":
        return _text(body, "body") or "", [{"type": "system", **body}], None
    # order, unsupported and types added after this was written: kept, never dropped.
    extra = {"type": kind}
    errors = message.get("errors")
    if isinstance(errors, list) and errors and isinstance(errors[0], dict):
        extra["error"] = describe_error(errors[0])
    return f"[{kind} message]", [extra], None


# -- statuses ---------------------------------------------------------------------------------
def _receipt(status: dict[str, Any]) -> DeliveryReceipt | None:
    message_id, state = status.get("id"), _STATES.get(str(status.get("status")))
    if not isinstance(message_id, str) or not message_id:
        raise ParseError("a WhatsApp status needs the id (wamid) of the message")
    if state is None:
        return None  # "deleted", "warning" and future states do not move delivery
    error = None
    if state == DeliveryState.FAILED:
        errors = status.get("errors")
        first = errors[0] if isinstance(errors, list) and errors else None
        error = (
            describe_error(first)
            if isinstance(first, dict)
            else "WhatsApp reported the message failed without a reason"
        )
    return DeliveryReceipt(
        platform_message_id=message_id,
        state=state,
        at=_time(status, f"status of {message_id}"),
        error=error,
    )
