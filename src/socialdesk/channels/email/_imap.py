"""Fetching new mail from an IMAP mailbox (stdlib ``imaplib``), by UID.

The cursor is the mailbox's UIDVALIDITY and the highest UID already fetched: a poll asks for
``UID SEARCH UID <last+1>:*`` and fetches those messages (``UID FETCH n (RFC822)``) in a
read-only ``EXAMINE``, so the mailbox's \\Seen flags are left to the people who read it.
When the server announces another UIDVALIDITY the old UIDs mean nothing any more: the
mailbox is read again from the start, and the items' Message-IDs (the raw events' and the
messages' deduplication keys) keep what was already stored from being stored twice.
"""

from __future__ import annotations

import imaplib
import re
import ssl
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from socialdesk.channels.base import PolledItem, PollResult, SendError
from socialdesk.channels.email._parse import envelope, message_id_of

__all__ = ["ImapSettings", "poll_mailbox"]

# Messages fetched per poll at most; a larger backlog continues at the next (soon) poll.
BATCH = 50
_UIDVALIDITY = re.compile(rb"UIDVALIDITY\s+(\d+)", re.IGNORECASE)
_UID = re.compile(rb"UID\s+(\d+)", re.IGNORECASE)


@dataclass(frozen=True, slots=True)
class ImapSettings:
    host: str
    port: int
    security: str  # ssl | starttls | plain
    username: str
    password: str
    mailbox: str = "INBOX"
    timeout: float = 30.0


def _transient(action: str, exc: BaseException) -> SendError:
    return SendError(f"IMAP {action} failed: {exc}", permanent=False)


@contextmanager
def _connect(settings: ImapSettings) -> Iterator[imaplib.IMAP4]:
    try:
        if settings.security == "ssl":
            conn: imaplib.IMAP4 = imaplib.IMAP4_SSL(
                settings.host,
                settings.port,
                ssl_context=ssl.create_default_context(),
                timeout=settings.timeout,
            )
        else:
            conn = imaplib.IMAP4(settings.host, settings.port, timeout=settings.timeout)
            if settings.security == "starttls":
                conn.starttls(ssl_context=ssl.create_default_context())
    except (OSError, imaplib.IMAP4.error) as exc:
        raise _transient(f"connection to {settings.host}:{settings.port}", exc) from exc
    try:
        try:
            conn.login(settings.username, settings.password)
        except imaplib.IMAP4.abort as exc:
            raise _transient("login", exc) from exc
        except imaplib.IMAP4.error as exc:
            # Wrong credentials do not fix themselves: the poll chain stops, the admin sees it.
            raise SendError(
                f"IMAP login refused for {settings.username}: {exc}", permanent=True
            ) from exc
        yield conn
    except (OSError, imaplib.IMAP4.abort) as exc:
        raise _transient("session", exc) from exc
    finally:
        with suppress(OSError, imaplib.IMAP4.error):
            conn.logout()


def _quoted(mailbox: str) -> str:
    return '"' + mailbox.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _uidvalidity(conn: imaplib.IMAP4, mailbox: str) -> int:
    # imaplib keeps the "* OK [UIDVALIDITY n]" line of the EXAMINE answer as a response.
    _, values = conn.response("UIDVALIDITY")
    for value in values or []:
        if isinstance(value, bytes) and value.strip().isdigit():
            return int(value.strip())
    status, data = conn.status(_quoted(mailbox), "(UIDVALIDITY)")
    if status == "OK":
        for line in data:
            match = _UIDVALIDITY.search(line) if isinstance(line, bytes) else None
            if match:
                return int(match.group(1))
    raise SendError("the IMAP server did not tell the mailbox's UIDVALIDITY", permanent=False)


def _fetch(conn: imaplib.IMAP4, uid: int) -> bytes | None:
    status, data = conn.uid("FETCH", str(uid), "(RFC822)")
    if status != "OK":
        raise SendError(f"IMAP UID FETCH {uid} failed: {data!r}", permanent=False)
    for item in data:
        if isinstance(item, tuple) and len(item) == 2 and isinstance(item[1], bytes):
            found = _UID.search(item[0]) if isinstance(item[0], bytes) else None
            if found is None or int(found.group(1)) == uid:
                return item[1]
    return None  # expunged between SEARCH and FETCH


def poll_mailbox(settings: ImapSettings, cursor: dict[str, Any], *, now: datetime) -> PollResult:
    """New messages since ``cursor`` as polled items (see the module's description)."""
    try:
        with _connect(settings) as conn:
            status, data = conn.select(_quoted(settings.mailbox), readonly=True)
            if status != "OK":
                raise SendError(
                    f"IMAP mailbox {settings.mailbox!r} cannot be opened: {data!r}",
                    permanent=True,
                )
            validity = _uidvalidity(conn, settings.mailbox)
            last = int(cursor.get("last_uid") or 0)
            if cursor.get("uidvalidity") != validity:
                last = 0  # new numbering: read everything again, deduplicated by Message-ID
            status, data = conn.uid("SEARCH", f"UID {last + 1}:*")
            if status != "OK":
                raise SendError(f"IMAP UID SEARCH failed: {data!r}", permanent=False)
            # "n:*" always matches the newest message, even when its UID is below n.
            uids = sorted({int(u) for line in data if line for u in line.split() if int(u) > last})
            todo, more = uids[:BATCH], len(uids) > BATCH
            items: list[PolledItem] = []
            for uid in todo:
                raw = _fetch(conn, uid)
                last = max(last, uid)
                if raw is None:
                    continue
                items.append(
                    PolledItem(
                        external_id=message_id_of(raw),
                        payload=envelope(
                            raw,
                            via="imap",
                            received_at=now,
                            mailbox=settings.mailbox,
                            uidvalidity=validity,
                            uid=uid,
                        ),
                    )
                )
    except TimeoutError as exc:
        raise _transient("poll", exc) from exc
    except imaplib.IMAP4.error as exc:
        raise _transient("command", exc) from exc
    return PollResult(
        items=items,
        cursor={"uidvalidity": validity, "last_uid": last},
        next_poll_seconds=0.0 if more else None,
    )
