"""Raw mail into normalized inbound events (stdlib ``email``, ``policy.default``).

A stored payload is a JSON envelope around the message's exact bytes (base64: mail is not
always UTF-8, and raw events are stored as text), with where it came from::

    {"format": "rfc822", "via": "imap" | "smtp", "received_at": "2025-05-19T14:02:00+00:00",
     "mailbox": "INBOX", "uidvalidity": 7, "uid": 42, "rcpt_to": [...], "rfc822": "..."}

The sender's lower-cased address is the contact's identity; Message-ID (without its angle
brackets) is the platform id; In-Reply-To, else the last References id, the reply link.
"""

from __future__ import annotations

import base64
import binascii
import email
import hashlib
import json
import re
from datetime import UTC, datetime
from email import policy
from email.headerregistry import Address
from email.message import EmailMessage, Message
from typing import Any

from socialdesk.channels.base import AccountInfo, ParseError
from socialdesk.domain.email_text import html_to_text, trim_quoted
from socialdesk.domain.types import AuthorKind, Direction, Visibility
from socialdesk.pipeline.events import Author, InboundEvent

__all__ = [
    "PLATFORM",
    "auto_submitted_reason",
    "envelope",
    "message_id_of",
    "parse_envelope",
    "parse_mail",
    "platform_id",
    "read_envelope",
]

PLATFORM = "email"
MAX_ID_LENGTH = 200  # messages.platform_message_id
_MSG_ID = re.compile(r"<([^<>\s]+)>")
_AUTOMATED_SENDERS = re.compile(
    r"^(mailer-daemon|postmaster|no-?reply|do-?not-?reply|bounces?)([+-].*)?$", re.IGNORECASE
)


def envelope(raw: bytes, *, via: str, received_at: datetime, **where: Any) -> bytes:
    """The stored payload for one message fetched by IMAP or received by SMTP."""
    data = {
        "format": "rfc822",
        "via": via,
        "received_at": received_at.astimezone(UTC).isoformat(),
        **where,
        "rfc822": base64.b64encode(raw).decode("ascii"),
    }
    return json.dumps(data).encode("utf-8")


def read_envelope(payload: bytes) -> tuple[bytes, dict[str, Any]]:
    """(the message's bytes, the envelope's other fields); ParseError when malformed."""
    try:
        data = json.loads(payload)
    except (ValueError, UnicodeDecodeError) as exc:
        raise ParseError(f"not an email envelope: {exc}") from exc
    if not isinstance(data, dict) or data.get("format") != "rfc822":
        raise ParseError("an email payload is a JSON object with format 'rfc822'")
    encoded = data.pop("rfc822", None)
    if not isinstance(encoded, str):
        raise ParseError("an email envelope carries the message as base64 in 'rfc822'")
    try:
        raw = base64.b64decode(encoded, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise ParseError(f"the message in the envelope is not base64: {exc}") from exc
    return raw, data


def _ids(value: str | None) -> list[str]:
    """Message ids in a Message-ID / In-Reply-To / References header, without brackets."""
    if not value:
        return []
    found = _MSG_ID.findall(str(value))
    if found:
        return found
    bare = str(value).strip()
    return [bare] if bare and " " not in bare and "@" in bare else []


def platform_id(message_id: str | None, raw: bytes) -> str:
    """The platform id of a message: its Message-ID, or a digest of its bytes when it has
    none (or one too long to store)."""
    if message_id and len(message_id) <= MAX_ID_LENGTH:
        return message_id
    return "sha256:" + hashlib.sha256(raw).hexdigest()


def message_id_of(raw: bytes) -> str:
    """The platform id of raw mail (for deduplicating polls without a full parse)."""
    headers = email.message_from_bytes(raw, policy=policy.default, _class=EmailMessage)
    found = _ids(_header(headers, "Message-ID"))
    return platform_id(found[0] if found else None, raw)


def _header(msg: Message, name: str) -> str | None:
    try:
        value = msg.get(name)
    except (ValueError, TypeError, IndexError):  # a malformed header the parser chokes on
        value = None
    return str(value) if value is not None else None


def auto_submitted_reason(msg: Message) -> str | None:
    """Why a message was sent by a machine (RFC 3834 Auto-Submitted, delivery reports,
    bulk/list precedence, autoresponder headers, daemon senders), or None for a person."""
    auto = (_header(msg, "Auto-Submitted") or "").strip().lower()
    if auto and auto != "no":
        return f"auto-submitted: {auto.split(';')[0].strip()}"
    if msg.get_content_type() == "multipart/report":
        return f"delivery report ({msg.get_param('report-type') or 'report'})"
    precedence = (_header(msg, "Precedence") or "").strip().lower()
    if precedence in ("bulk", "junk", "list", "auto_reply"):
        return f"precedence: {precedence}"
    for name in ("X-Autoreply", "X-Autorespond"):  # older autoresponders' own marks
        value = (_header(msg, name) or "").strip().lower()
        if value:
            return f"{name.lower()}: {value}"
    sender = _sender(msg)
    if sender is not None and _AUTOMATED_SENDERS.match(sender.username or ""):
        return f"automated sender {sender.addr_spec}"
    return None


def _sender(msg: Message) -> Address | None:
    try:
        header = msg["From"]
    except (ValueError, TypeError, IndexError):
        return None
    addresses = getattr(header, "addresses", ()) if header is not None else ()
    for address in addresses:
        if address.addr_spec and "@" in address.addr_spec:
            return address
    return None


def _date(msg: Message, fallback: Any) -> datetime:
    try:
        header = msg["Date"]
        value = getattr(header, "datetime", None)
    except (ValueError, TypeError, IndexError):
        value = None
    if isinstance(value, datetime):
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
    if isinstance(fallback, str):
        try:
            parsed = datetime.fromisoformat(fallback)
        except ValueError:
            parsed = None
        if parsed is not None:
            return parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed.astimezone(UTC)
    raise ParseError("a message without a readable Date header needs the envelope's received_at")


def _text_of(part: Message) -> str:
    try:
        content = part.get_content()  # type: ignore[attr-defined]
    except (LookupError, ValueError, AssertionError):
        payload = part.get_payload(decode=True)
        content = payload.decode("utf-8", errors="replace") if isinstance(payload, bytes) else ""
    return content if isinstance(content, str) else ""


def _body(msg: EmailMessage) -> tuple[str, Message | None]:
    """The body as text (text/plain preferred, HTML converted when it is the only one)."""
    plain = msg.get_body(preferencelist=("plain",))
    if plain is not None:
        return _text_of(plain), plain
    html = msg.get_body(preferencelist=("html",))
    if html is not None:
        return html_to_text(_text_of(html)), html
    return "", None


def _attachments(msg: EmailMessage, body: Message | None) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = []
    stack: list[Any] = list(msg.iter_attachments()) if msg.is_multipart() else []
    while stack:
        part = stack.pop(0)
        if part is body:
            continue
        if part.get_content_maintype() == "multipart" and part.get_filename() is None:
            stack.extend(part.iter_parts())
            continue
        if part.get_content_type() == "message/rfc822":
            inner = part.get_payload()
            data = bytes(inner[0]) if isinstance(inner, list) and inner else bytes(part)
        else:
            payload = part.get_payload(decode=True)
            data = payload if isinstance(payload, bytes) else b""
        found.append(
            {
                "type": "file",
                "name": part.get_filename() or _default_name(part),
                "content_type": part.get_content_type(),
                "size": len(data),
            }
        )
    return found


def _default_name(part: Message) -> str:
    if part.get_content_type() == "message/rfc822":
        return "forwarded message.eml"
    return f"attachment.{part.get_content_subtype() or 'bin'}"


def parse_mail(account: AccountInfo, raw: bytes, *, received_at: str | None = None) -> InboundEvent:
    """One message as an inbound event (see the module's description)."""
    msg = email.message_from_bytes(raw, policy=policy.default, _class=EmailMessage)
    if not isinstance(msg, EmailMessage):  # pragma: no cover - _class makes it one
        raise ParseError("not an email message")
    sender = _sender(msg)
    if sender is None:
        raise ParseError("an email needs a From address")
    address = sender.addr_spec.strip().lower()
    message_ids = _ids(_header(msg, "Message-ID"))
    pid = platform_id(message_ids[0] if message_ids else None, raw)
    in_reply_to = _ids(_header(msg, "In-Reply-To"))
    references = _ids(_header(msg, "References"))
    reply_to = in_reply_to[0] if in_reply_to else (references[-1] if references else None)
    if reply_to is not None and len(reply_to) > MAX_ID_LENGTH:
        reply_to = None
    full_text, body_part = _body(msg)
    text = trim_quoted(full_text)
    auto = auto_submitted_reason(msg)
    own = address == account.handle.strip().lower()
    subject = (_header(msg, "Subject") or "").strip()
    meta: dict[str, Any] = {
        "type": "email",
        "subject": subject,
        "message_id": pid,
        "references": (references + [r for r in in_reply_to if r not in references])[-20:],
        "trimmed": text.split() != full_text.split(),  # quoted history was cut
    }
    if auto is not None:
        meta["auto_submitted"] = auto
    if own:
        kind = AuthorKind.BRAND
    elif auto is not None:
        # A machine's mail (bounce, out-of-office, newsletter) is kept in the conversation but
        # is not a customer's message: routing (rules, assignment, SLA clocks, auto-replies)
        # only ever looks at author_kind 'contact', so nothing answers it automatically.
        kind = AuthorKind.BOT
    else:
        kind = AuthorKind.CONTACT
    return InboundEvent(
        platform=PLATFORM,
        platform_message_id=pid,
        author=Author(external_id=address, handle=address, name=sender.display_name or None),
        text=text,
        platform_time=_date(msg, received_at),
        visibility=Visibility.PRIVATE,
        channel_account_id=account.id,
        direction=Direction.OUT if own else Direction.IN,
        reply_to_platform_id=reply_to,
        author_kind=kind,
        attachments=[meta, *_attachments(msg, body_part)],
    )


def parse_envelope(account: AccountInfo, payload: bytes) -> list[InboundEvent]:
    raw, data = read_envelope(payload)
    received = data.get("received_at")
    return [parse_mail(account, raw, received_at=received if isinstance(received, str) else None)]
