"""Twilio's form-encoded webhooks: incoming messages, and status callbacks of ours.

Both arrive as ``application/x-www-form-urlencoded`` POSTs and are stored as their raw body.
An incoming message has ``From``, ``To``, ``Body``, ``MessageSid``, ``NumMedia`` and
``MediaUrl{N}``/``MediaContentType{N}``; a status callback has ``MessageSid`` and
``MessageStatus`` (``queued``, ``sent``, ``delivered``, ``undelivered``, ``failed``, ``read``…)
with an ``ErrorCode`` when the message did not arrive. Neither carries a time: the time we
read it stands in.
"""

from __future__ import annotations

from datetime import UTC, datetime
from urllib.parse import parse_qsl

from socialdesk.channels.base import AccountInfo, DeliveryReceipt, ParseError
from socialdesk.domain.phone import try_normalize_phone
from socialdesk.domain.types import AuthorKind, DeliveryState, Direction, Visibility
from socialdesk.pipeline.events import Author, InboundEvent

__all__ = [
    "PLATFORM",
    "form_params",
    "is_status_callback",
    "parse_message",
    "parse_status",
    "sender_id",
]

PLATFORM = "sms"
_MAX_MEDIA = 10  # Twilio delivers at most 10 media per MMS

_STATES = {
    "accepted": DeliveryState.QUEUED,
    "scheduled": DeliveryState.QUEUED,
    "queued": DeliveryState.QUEUED,
    "sending": DeliveryState.QUEUED,
    "sent": DeliveryState.SENT,
    "delivered": DeliveryState.DELIVERED,
    "read": DeliveryState.READ,
    "undelivered": DeliveryState.FAILED,
    "failed": DeliveryState.FAILED,
    "canceled": DeliveryState.FAILED,
}
# Twilio's words for the delivery errors a care team meets most (twilio.com/docs/errors).
_ERRORS = {
    "21610": "the recipient has unsubscribed (replied STOP)",
    "30003": "unreachable destination handset",
    "30004": "message blocked by the recipient or their carrier",
    "30005": "unknown destination handset",
    "30006": "landline or unreachable carrier",
    "30007": "filtered by the carrier as spam",
    "30008": "unknown error from the carrier",
    "30034": "sent from a number not registered for A2P 10DLC",
}


def form_params(payload: bytes) -> list[tuple[str, str]]:
    """The POST parameters of a form-encoded body, in order (repeated names kept)."""
    try:
        text = payload.decode("utf-8")
        return parse_qsl(text, keep_blank_values=True, strict_parsing=bool(text))
    except (UnicodeDecodeError, ValueError) as exc:
        raise ParseError(f"not a form-encoded Twilio request: {exc}") from exc


def _fields(payload: bytes) -> dict[str, str]:
    return dict(form_params(payload))


def is_status_callback(fields: dict[str, str]) -> bool:
    status = fields.get("MessageStatus")
    return status is not None and status != "received"


def sender_id(raw: str, account: AccountInfo) -> str:
    """A sender's identity: E.164 when it is a phone number, else as given (short codes)."""
    country = account.settings.get("default_country_code")
    normalized = try_normalize_phone(raw, default_country_code=str(country) if country else None)
    return normalized or raw.strip()


def parse_message(account: AccountInfo, payload: bytes) -> list[InboundEvent]:
    fields = _fields(payload)
    if is_status_callback(fields):
        return []
    sid = fields.get("MessageSid", "").strip()
    sender = fields.get("From", "").strip()
    if not sid or not sender:
        raise ParseError("an incoming Twilio message needs MessageSid and From")
    if "Body" not in fields and "NumMedia" not in fields:
        raise ParseError(f"incoming message {sid} has neither Body nor NumMedia")
    phone = sender_id(sender, account)
    return [
        InboundEvent(
            platform=PLATFORM,
            platform_message_id=sid,
            author=Author(external_id=phone, handle=phone),
            text=fields.get("Body", ""),
            platform_time=datetime.now(UTC),
            visibility=Visibility.PRIVATE,
            channel_account_id=account.id,
            direction=Direction.IN,
            author_kind=AuthorKind.CONTACT,
            attachments=_media(fields, sid),
        )
    ]


def _media(fields: dict[str, str], sid: str) -> list[dict[str, str]]:
    raw = fields.get("NumMedia", "0").strip() or "0"
    if not raw.isdigit():
        raise ParseError(f"incoming message {sid} has a NumMedia that is not a number")
    found = []
    for index in range(min(int(raw), _MAX_MEDIA)):
        url = fields.get(f"MediaUrl{index}")
        if url:
            found.append({"type": fields.get(f"MediaContentType{index}") or "media", "url": url})
    return found


def parse_status(payload: bytes) -> list[DeliveryReceipt]:
    """The receipt in a status callback (none in an incoming message or an unknown status)."""
    fields = _fields(payload)
    if not is_status_callback(fields):
        return []
    sid = fields.get("MessageSid", "").strip()
    if not sid:
        raise ParseError("a Twilio status callback needs MessageSid")
    status = fields["MessageStatus"].strip().lower()
    state = _STATES.get(status)
    if state is None:
        return []
    error = None
    if state == DeliveryState.FAILED:
        code = fields.get("ErrorCode", "").strip()
        error = f"Twilio reports the SMS {status}"
        if code:
            known = _ERRORS.get(code)
            error += f": error {code}" + (f", {known}" if known else "")
            error += f" (https://www.twilio.com/docs/errors/{code})"
    return [
        DeliveryReceipt(platform_message_id=sid, state=state, at=datetime.now(UTC), error=error)
    ]
