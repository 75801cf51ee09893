"""Writing replies as mail and handing them to an SMTP server (stdlib ``smtplib``).

SMTP has no idempotency key. The reply's Message-ID is derived from the outbox's idempotency
key, so a resend after a crash (the server accepted the message, the worker died before
recording it) carries the same Message-ID: mail clients and most mailbox providers show
copies with one Message-ID as one message, but the second copy is still transmitted.
"""

from __future__ import annotations

import hashlib
import html
import smtplib
import ssl
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import formataddr, formatdate

from socialdesk.channels.base import SendError

__all__ = ["MailReply", "SmtpSettings", "build_reply", "deliver", "message_id_for"]


@dataclass(frozen=True, slots=True)
class SmtpSettings:
    host: str
    port: int
    security: str  # starttls | ssl | plain
    username: str | None
    password: str | None
    timeout: float = 30.0


@dataclass(frozen=True, slots=True)
class MailReply:
    from_address: str
    from_name: str | None
    to_address: str
    to_name: str | None
    subject: str
    text: str
    message_id: str  # without angle brackets
    in_reply_to: str | None
    references: tuple[str, ...]


def message_id_for(idempotency_key: str, from_address: str) -> str:
    """Our Message-ID for a reply: the same key always gives the same id."""
    digest = hashlib.sha256(idempotency_key.encode("utf-8")).hexdigest()[:32]
    domain = from_address.rpartition("@")[2] or "socialdesk.invalid"
    return f"{digest}.socialdesk@{domain}"


def _html(text: str) -> str:
    paragraphs = [p for p in text.replace("\r\n", "\n").split("\n\n") if p.strip()]
    body = "\n".join(
        "<p>" + "<br>\n".join(html.escape(line) for line in p.split("\n")) + "</p>"
        for p in paragraphs
    )
    return (
        '<!DOCTYPE html>\n<html><head><meta charset="utf-8"></head>\n'
        f'<body style="font-family:sans-serif;line-height:1.4">\n{body}\n</body></html>\n'
    )


def build_reply(reply: MailReply) -> EmailMessage:
    """multipart/alternative (text and simple HTML) with threading headers."""
    msg = EmailMessage()
    msg["From"] = formataddr((reply.from_name or "", reply.from_address))
    msg["To"] = formataddr((reply.to_name or "", reply.to_address))
    msg["Subject"] = reply.subject
    msg["Date"] = formatdate(usegmt=True)
    msg["Message-ID"] = f"<{reply.message_id}>"
    if reply.in_reply_to:
        msg["In-Reply-To"] = f"<{reply.in_reply_to}>"
    if reply.references:
        msg["References"] = " ".join(f"<{r}>" for r in reply.references)
    msg.set_content(reply.text)
    msg.add_alternative(_html(reply.text), subtype="html")
    return msg


def _code_error(code: int, text: bytes | str, what: str) -> SendError:
    reason = text.decode("utf-8", "replace") if isinstance(text, bytes) else str(text)
    reason = f"{what}: {code} {reason}".strip()
    # 4xx: try again later (greylisting, a full queue); 5xx: the server's final answer.
    return SendError(reason, permanent=code >= 500 or code < 400)


def deliver(settings: SmtpSettings, msg: EmailMessage, sender: str, recipient: str) -> None:
    """Hand ``msg`` to the server; SendError (4xx transient, 5xx permanent) when refused."""
    context = ssl.create_default_context()
    try:
        if settings.security == "ssl":
            client: smtplib.SMTP = smtplib.SMTP_SSL(
                settings.host, settings.port, timeout=settings.timeout, context=context
            )
        else:
            client = smtplib.SMTP(settings.host, settings.port, timeout=settings.timeout)
        with client:
            client.ehlo()
            if settings.security == "starttls":
                client.starttls(context=context)
                client.ehlo()
            if settings.username and settings.password:
                client.login(settings.username, settings.password)
            client.send_message(msg, from_addr=sender, to_addrs=[recipient])
    except smtplib.SMTPRecipientsRefused as exc:
        code, text = next(iter(exc.recipients.values()), (550, b"recipient refused"))
        raise _code_error(code, text, f"the mail server refused {recipient}") from exc
    except smtplib.SMTPResponseException as exc:  # sender refused, data refused, auth...
        raise _code_error(
            exc.smtp_code, exc.smtp_error, "the mail server refused the message"
        ) from exc
    except smtplib.SMTPNotSupportedError as exc:
        raise SendError(f"the mail server does not support it: {exc}", permanent=True) from exc
    except (TimeoutError, smtplib.SMTPException, OSError) as exc:
        raise SendError(
            f"the mail server {settings.host}:{settings.port} could not be reached: {exc}",
            permanent=False,
        ) from exc
