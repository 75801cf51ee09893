"""Telegram ``Update`` objects into normalized inbound events.

Only private chats with the bot are customer care: their ``message``, ``edited_message`` and
``callback_query`` (a press on an inline keyboard button) become private messages. Updates
from groups, supergroups and channels (``channel_post``…), and every other update type
(``my_chat_member``, polls, inline queries…), yield nothing: a bot added to a group sees the
group's traffic, which is not addressed to the care team, and answering in a group would
make a private-channel reply public.

Telegram numbers messages per chat, so a message's platform id is ``<chat id>:<message
id>``; a button press is ``callback:<callback query id>``; an edit is a new message
``<chat id>:<message id>:edited:<edit date>`` (its first version stays as it was).
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from socialdesk.channels.base import AccountInfo, ParseError
from socialdesk.domain.types import AuthorKind, Direction, Visibility
from socialdesk.pipeline.events import Author, InboundEvent

__all__ = ["PLATFORM", "callback_query_id", "load_update", "parse_update", "split_message_id"]

PLATFORM = "telegram"
# Media messages: the key of the media object in a Message, as attachment types.
_MEDIA = ("animation", "audio", "document", "sticker", "video", "video_note", "voice")


def load_update(payload: bytes) -> dict[str, Any]:
    """The Update object of a webhook body; it must have an integer ``update_id``."""
    try:
        data = json.loads(payload)
    except (ValueError, UnicodeDecodeError) as exc:
        raise ParseError(f"not JSON: {exc}") from exc
    if not isinstance(data, dict):
        raise ParseError("a Telegram update is a JSON object")
    update_id = data.get("update_id")
    if not isinstance(update_id, int) or isinstance(update_id, bool):
        raise ParseError("a Telegram update needs an integer update_id")
    return data


def callback_query_id(payload: bytes) -> str | None:
    """The id of the callback query in an update, if it holds one (to answer it)."""
    query = load_update(payload).get("callback_query")
    if isinstance(query, dict) and isinstance(query.get("id"), str):
        return str(query["id"])
    return None


def split_message_id(platform_message_id: str) -> tuple[int, int] | None:
    """(chat id, message id) of a platform id made by this module; None for button presses."""
    parts = platform_message_id.split(":")
    if len(parts) < 2:
        return None
    try:
        return int(parts[0]), int(parts[1])
    except ValueError:
        return None


def parse_update(account: AccountInfo, payload: bytes) -> list[InboundEvent]:
    update = load_update(payload)
    message = update.get("message")
    if message is not None:
        event = _message_event(account, _object(message, "message"), edited=False)
        return [event] if event is not None else []
    edited = update.get("edited_message")
    if edited is not None:
        event = _message_event(account, _object(edited, "edited_message"), edited=True)
        return [event] if event is not None else []
    query = update.get("callback_query")
    if query is not None:
        event = _callback_event(account, _object(query, "callback_query"))
        return [event] if event is not None else []
    return []  # channel posts, membership changes, polls...: not care conversations


def _object(value: Any, what: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise ParseError(f"{what} must be an object")
    return value


def _int(obj: dict[str, Any], key: str, what: str) -> int:
    value = obj.get(key)
    if not isinstance(value, int) or isinstance(value, bool):
        raise ParseError(f"{what} needs an integer {key}")
    return value


def _author(user: Any, what: str) -> Author:
    if not isinstance(user, dict):
        raise ParseError(f"{what} has no 'from' user")
    user_id = _int(user, "id", f"the user of {what}")
    names = [user.get(k) for k in ("first_name", "last_name")]
    name = " ".join(n.strip() for n in names if isinstance(n, str) and n.strip()) or None
    username = user.get("username")
    return Author(
        external_id=str(user_id),
        handle=username if isinstance(username, str) and username else None,
        name=name,
    )


def _private_chat(message: dict[str, Any], what: str) -> int | None:
    chat = message.get("chat")
    if not isinstance(chat, dict):
        raise ParseError(f"{what} has no chat")
    chat_id = _int(chat, "id", f"the chat of {what}")
    return chat_id if chat.get("type") == "private" else None


def _message_event(
    account: AccountInfo, message: dict[str, Any], *, edited: bool
) -> InboundEvent | None:
    what = "an edited message" if edited else "a message"
    message_id = _int(message, "message_id", what)
    chat_id = _private_chat(message, what)
    if chat_id is None:
        return None  # groups and channels: see the module's docstring
    user = message.get("from")
    if isinstance(user, dict) and user.get("is_bot") is True:
        return None
    author = _author(user, what)
    platform_id = f"{chat_id}:{message_id}"
    attachments = _attachments(message)
    if edited:
        edit_date = _int(message, "edit_date", what)
        sent_at = _time(edit_date)
        attachments.insert(0, {"type": "edit", "original_platform_message_id": platform_id})
        platform_id = f"{platform_id}:edited:{edit_date}"
    else:
        sent_at = _time(_int(message, "date", what))
    reply_to = message.get("reply_to_message")
    reply_to_id = None
    if isinstance(reply_to, dict) and isinstance(reply_to.get("message_id"), int):
        reply_to_id = f"{chat_id}:{reply_to['message_id']}"
    text = message.get("text", message.get("caption"))
    return InboundEvent(
        platform=PLATFORM,
        platform_message_id=platform_id,
        author=author,
        text=text if isinstance(text, str) else "",
        platform_time=sent_at,
        visibility=Visibility.PRIVATE,
        channel_account_id=account.id,
        direction=Direction.IN,
        reply_to_platform_id=reply_to_id,
        author_kind=AuthorKind.CONTACT,
        attachments=attachments,
    )


def _callback_event(account: AccountInfo, query: dict[str, Any]) -> InboundEvent | None:
    query_id = query.get("id")
    if not isinstance(query_id, str) or not query_id:
        raise ParseError("a callback query needs an id")
    author = _author(query.get("from"), "a callback query")
    keyboard_message = query.get("message")
    reply_to_id = None
    label: str | None = None
    data = query.get("data")
    if isinstance(keyboard_message, dict):
        chat_id = _private_chat(keyboard_message, "the message of a callback query")
        if chat_id is None:
            return None
        if isinstance(keyboard_message.get("message_id"), int):
            reply_to_id = f"{chat_id}:{keyboard_message['message_id']}"
        label = _button_text(keyboard_message, data)
    elif query.get("inline_message_id") is not None:
        return None  # a button under an inline-mode message in someone else's chat
    if label is None:
        if not isinstance(data, str) or not data:
            return None  # a game button, or a keyboard we did not send
        label = data
    return InboundEvent(
        platform=PLATFORM,
        platform_message_id=f"callback:{query_id}",
        author=author,
        text=label,
        # Callback queries carry no time of their own: the press is "now".
        platform_time=datetime.now(UTC),
        visibility=Visibility.PRIVATE,
        channel_account_id=account.id,
        direction=Direction.IN,
        reply_to_platform_id=reply_to_id,
        author_kind=AuthorKind.CONTACT,
        attachments=[{"type": "button_press", "data": data if isinstance(data, str) else None}],
    )


def _button_text(message: dict[str, Any], data: Any) -> str | None:
    """The label of the pressed button (its ``callback_data`` may be cut to 64 bytes)."""
    markup = message.get("reply_markup")
    rows = markup.get("inline_keyboard") if isinstance(markup, dict) else None
    if not isinstance(rows, list) or not isinstance(data, str):
        return None
    for row in rows:
        for button in row if isinstance(row, list) else []:
            if (
                isinstance(button, dict)
                and button.get("callback_data") == data
                and isinstance(button.get("text"), str)
            ):
                return str(button["text"])
    return None


def _time(seconds: int) -> datetime:
    return datetime.fromtimestamp(seconds, UTC)


def _attachments(message: dict[str, Any]) -> list[dict[str, Any]]:
    """Media as references: downloading a file takes ``getFile`` with the bot token."""
    found: list[dict[str, Any]] = []
    photos = message.get("photo")
    if isinstance(photos, list) and photos:
        largest = max(
            (p for p in photos if isinstance(p, dict)),
            key=lambda p: int(p.get("width") or 0) * int(p.get("height") or 0),
            default=None,
        )
        if largest is not None and isinstance(largest.get("file_id"), str):
            found.append({"type": "photo", "file_id": largest["file_id"]})
    for kind in _MEDIA:
        media = message.get(kind)
        if isinstance(media, dict) and isinstance(media.get("file_id"), str):
            item: dict[str, Any] = {"type": kind, "file_id": media["file_id"]}
            for key in ("file_name", "mime_type"):
                if isinstance(media.get(key), str):
                    item[key] = media[key]
            found.append(item)
    contact = message.get("contact")
    if isinstance(contact, dict) and isinstance(contact.get("phone_number"), str):
        found.append({"type": "contact", "phone_number": contact["phone_number"]})
    location = message.get("location")
    if isinstance(location, dict):
        found.append(
            {
                "type": "location",
                "latitude": location.get("latitude"),
                "longitude": location.get("longitude"),
            }
        )
    return found
