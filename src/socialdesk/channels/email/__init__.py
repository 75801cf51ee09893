"""Email: a support mailbox read by IMAP polling (or a local SMTP receiver), replies by SMTP.

Every email is private. The sender's lower-cased address is the contact's identity; Message-ID
is the message's platform id and In-Reply-To (else the last References id) its reply link, so
a customer's answer to one of our replies joins the conversation it answers. Quoted history is
cut from the stored text (:func:`socialdesk.domain.email_text.trim_quoted`); the raw mail is
kept in the raw event. Mail sent by machines (Auto-Submitted, delivery reports, bulk) is stored
with author kind ``bot`` and an ``auto_submitted`` reason, and routing never answers it.

Replies go out as multipart/alternative from the account's address with "Re: <subject of the
customer's mail>" (or the subject given in an ``{"type": "email", "subject": ...}`` extra),
In-Reply-To and References of the customer's latest mail, and a Message-ID derived from the
outbox idempotency key (see ``_smtp`` on what that does and does not guarantee).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select

from socialdesk.channels.base import (
    AccountInfo,
    ConnectionKey,
    ConnectionSpec,
    OutboundMessage,
    PollResult,
    SendContext,
    SendDecision,
    SendError,
    SendResult,
)
from socialdesk.channels.email._imap import ImapSettings, poll_mailbox
from socialdesk.channels.email._parse import (
    PLATFORM,
    auto_submitted_reason,
    envelope,
    message_id_of,
    parse_envelope,
    parse_mail,
    read_envelope,
)
from socialdesk.channels.email._smtp import (
    MailReply,
    SmtpSettings,
    build_reply,
    deliver,
    message_id_for,
)
from socialdesk.domain.types import Visibility
from socialdesk.pipeline.events import InboundEvent
from socialdesk.store.db import Database
from socialdesk.store.models import Message

__all__ = [
    "CONNECTION",
    "DEFAULT_SUBJECT",
    "PLATFORM",
    "EmailChannel",
    "auto_submitted_reason",
    "build_reply",
    "envelope",
    "message_id_for",
    "message_id_of",
    "parse_mail",
    "read_envelope",
]

DEFAULT_SUBJECT = "Your conversation with {name}"
_SECURITY = ("ssl", "starttls", "plain")

CONNECTION = ConnectionSpec(
    platform=PLATFORM,
    polled=True,
    keys=(
        ConnectionKey(
            "handle",
            "The support address (support@brand.example): replies come from it, and mail from "
            "it is recognised as the brand's own",
        ),
        ConnectionKey("from_name", "Display name on replies (e.g. Acme Care)", required=False),
        ConnectionKey(
            "imap_host",
            "IMAP server to read the mailbox from; leave empty when mail arrives through the "
            "local SMTP receiver instead",
            required=False,
        ),
        ConnectionKey("imap_port", "IMAP port", required=False, default="993"),
        ConnectionKey(
            "imap_security",
            "ssl (port 993), starttls (port 143) or plain (tests and local servers only)",
            required=False,
            default="ssl",
        ),
        ConnectionKey("imap_username", "IMAP login (default: the support address)", required=False),
        ConnectionKey(
            "imap_password", "IMAP password or app password", secret=True, required=False
        ),
        ConnectionKey("imap_mailbox", "Mailbox to read", required=False, default="INBOX"),
        ConnectionKey("poll_seconds", "Seconds between IMAP polls", required=False, default="60"),
        ConnectionKey("smtp_host", "SMTP server replies are handed to"),
        ConnectionKey("smtp_port", "SMTP port", required=False, default="587"),
        ConnectionKey(
            "smtp_security",
            "starttls (port 587), ssl (port 465) or plain (tests and local relays only)",
            required=False,
            default="starttls",
        ),
        ConnectionKey("smtp_username", "SMTP login (default: the support address)", required=False),
        ConnectionKey(
            "smtp_password",
            "SMTP password; leave empty for a relay that needs no login",
            secret=True,
            required=False,
        ),
        ConnectionKey(
            "default_subject",
            "Subject of a first email in a conversation that started elsewhere; {name} is "
            "the From name",
            required=False,
            default=DEFAULT_SUBJECT,
        ),
    ),
)


def _setting(account: AccountInfo, name: str) -> str:
    value = account.settings.get(name)
    if value in (None, ""):
        default = next((k.default for k in CONNECTION.keys if k.name == name), None)
        return default or ""
    return str(value).strip()


def _port(account: AccountInfo, name: str) -> int:
    value = _setting(account, name)
    if not value.isdigit() or not 0 < int(value) < 65536:
        raise SendError(f"{name} must be a port number, not {value!r}", permanent=True)
    return int(value)


def _security(account: AccountInfo, name: str) -> str:
    value = _setting(account, name).lower()
    if value not in _SECURITY:
        raise SendError(
            f"{name} must be one of {', '.join(_SECURITY)}, not {value!r}", permanent=True
        )
    return value


def _looks_like_message_id(value: str | None) -> bool:
    # Platform ids of other channels (an X DM id) are no Message-IDs: never put them in a header.
    return bool(value) and "@" in str(value) and " " not in str(value)


def _re(subject: str) -> str:
    subject = subject.strip()
    if not subject:
        return ""
    return subject if subject.lower().startswith("re:") else f"Re: {subject}"


class EmailChannel:
    platform = PLATFORM
    connection = CONNECTION

    def __init__(self, db: Database | None = None, *, timeout: float = 30.0) -> None:
        # The database gives replies the subject and References of the mail they answer.
        self._db = db
        self._timeout = timeout

    # -- in -------------------------------------------------------------------------------
    def parse(self, account: AccountInfo, payload: bytes) -> list[InboundEvent]:
        return parse_envelope(account, payload)

    def poll(self, account: AccountInfo, cursor: dict[str, Any]) -> PollResult:
        host = _setting(account, "imap_host")
        if not host:
            return PollResult(items=[], cursor=cursor, next_poll_seconds=3600.0)
        password = account.credentials.get("imap_password", "")
        settings = ImapSettings(
            host=host,
            port=_port(account, "imap_port"),
            security=_security(account, "imap_security"),
            username=_setting(account, "imap_username") or account.handle,
            password=password,
            mailbox=_setting(account, "imap_mailbox") or "INBOX",
            timeout=self._timeout,
        )
        return poll_mailbox(settings, cursor, now=datetime.now(UTC))

    # -- out ------------------------------------------------------------------------------
    def check_send(self, account: AccountInfo, context: SendContext) -> SendDecision:
        if context.visibility == Visibility.PUBLIC:
            return SendDecision.refuse(
                "email is private: there is no public post to answer; send a private reply"
            )
        return SendDecision.allow()

    def _parent(self, account: AccountInfo, platform_id: str) -> dict[str, Any]:
        """The email metadata stored with the customer's mail we answer ({} if unknown)."""
        if self._db is None:
            return {}
        with self._db.read_session() as session:
            attachments = session.scalar(
                select(Message.attachments).where(
                    Message.channel_account_id == account.id,
                    Message.platform_message_id == platform_id,
                )
            )
        for item in attachments or []:
            if isinstance(item, dict) and item.get("type") == "email":
                return item
        return {}

    def send(self, account: AccountInfo, message: OutboundMessage) -> SendResult:
        if message.visibility != Visibility.PRIVATE:
            raise SendError("email replies are private messages", permanent=True)
        recipient = message.recipient_external_id
        if not recipient or "@" not in recipient:
            raise SendError(
                "the customer has no email address: continue the conversation on email first",
                permanent=True,
            )
        from_name = _setting(account, "from_name") or None
        in_reply_to = (
            message.reply_to_platform_id
            if _looks_like_message_id(message.reply_to_platform_id)
            else None
        )
        parent = self._parent(account, in_reply_to) if in_reply_to else {}
        references = [str(r) for r in parent.get("references") or [] if _looks_like_message_id(r)]
        if in_reply_to and in_reply_to not in references:
            references.append(in_reply_to)
        extra = message.extra("email") or {}
        subject = str(extra.get("subject") or "").strip() or _re(str(parent.get("subject") or ""))
        if not subject:
            subject = _setting(account, "default_subject").replace(
                "{name}", from_name or account.handle
            )
        message_id = message_id_for(message.idempotency_key, account.handle)
        mail = build_reply(
            MailReply(
                from_address=account.handle,
                from_name=from_name,
                to_address=recipient,
                to_name=None,
                subject=subject,
                text=message.text,
                message_id=message_id,
                in_reply_to=in_reply_to,
                references=tuple(references[-20:]),
            )
        )
        smtp = SmtpSettings(
            host=_setting(account, "smtp_host"),
            port=_port(account, "smtp_port"),
            security=_security(account, "smtp_security"),
            username=_setting(account, "smtp_username") or account.handle,
            password=account.credentials.get("smtp_password") or None,
            timeout=self._timeout,
        )
        if not smtp.host:
            raise SendError("the email account has no smtp_host: connect it again", permanent=True)
        deliver(smtp, mail, account.handle, recipient)
        return SendResult(platform_message_id=message_id)
