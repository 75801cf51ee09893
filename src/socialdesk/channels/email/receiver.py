"""A small SMTP receiver (aiosmtpd) for tests and small installs: mail addressed to an email
channel account's address is stored as a raw event, exactly like a message fetched by IMAP,
before the server answers 250; anything else is refused at RCPT time.

It is an intake, not a mail server: no relaying, no spam filtering, no TLS of its own. Run it
behind the installation's MTA (e.g. a Postfix transport to 127.0.0.1:2525) or on 127.0.0.1
for tests::

    receiver = MailReceiver(db).start(host="127.0.0.1", port=2525)
    ...
    receiver.stop()
"""

from __future__ import annotations

import asyncio
import logging
import socket
from datetime import UTC, datetime

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, Envelope, Session
from sqlalchemy import func, select

from socialdesk.channels.email._parse import PLATFORM, envelope, message_id_of
from socialdesk.pipeline.intake import store_raw_event
from socialdesk.store.db import Database
from socialdesk.store.models import ChannelAccount

__all__ = ["MAX_MESSAGE_BYTES", "MailReceiver"]

log = logging.getLogger(__name__)

MAX_MESSAGE_BYTES = 25 * 1024 * 1024


class _Handler:
    def __init__(self, db: Database) -> None:
        self.db = db

    def _accounts(self, address: str) -> list[tuple[int, int]]:
        with self.db.read_session() as session:
            rows = session.execute(
                select(ChannelAccount.id, ChannelAccount.workspace_id).where(
                    ChannelAccount.platform == PLATFORM,
                    func.lower(ChannelAccount.handle) == address.strip().lower(),
                )
            )
            return [(row.id, row.workspace_id) for row in rows]

    async def handle_RCPT(
        self,
        server: SMTP,
        session: Session,
        envelope: Envelope,
        address: str,
        rcpt_options: list[str],
    ) -> str:
        if not await asyncio.to_thread(self._accounts, address):
            return "550 5.1.1 No such mailbox here"
        envelope.rcpt_tos.append(address)
        return "250 2.1.5 OK"

    def _store(self, raw: bytes, rcpt_tos: list[str], mail_from: str | None) -> int:
        external = message_id_of(raw)
        stored = 0
        now = datetime.now(UTC)
        with self.db.session() as session:
            for rcpt in dict.fromkeys(r.lower() for r in rcpt_tos):
                for account_id, workspace_id in self._accounts(rcpt):
                    _, new = store_raw_event(
                        session,
                        workspace_id=workspace_id,
                        channel_account_id=account_id,
                        source=PLATFORM,
                        payload=envelope(
                            raw, via="smtp", received_at=now, rcpt_to=[rcpt], mail_from=mail_from
                        ),
                        external_id=f"{account_id}:{external}"[:200],
                    )
                    stored += int(new)
        return stored

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        raw = envelope.original_content or envelope.content
        if not isinstance(raw, bytes):
            raw = str(raw or "").encode("utf-8")
        try:
            await asyncio.to_thread(self._store, raw, list(envelope.rcpt_tos), envelope.mail_from)
        except Exception:  # the sender keeps the mail and tries again later
            log.exception("storing received mail failed")
            return "451 4.3.0 Could not store the message, try again later"
        return "250 2.0.0 Stored"


class MailReceiver:
    """An aiosmtpd server in a background thread that feeds the email intake."""

    def __init__(self, db: Database) -> None:
        self.db = db
        self._controller: Controller | None = None
        self.host = ""
        self.port = 0

    def start(self, *, host: str = "127.0.0.1", port: int = 0) -> MailReceiver:
        """Listen on ``host:port`` (0: a free port, see :attr:`port`)."""
        if port == 0:
            with socket.socket() as probe:
                probe.bind((host, 0))
                port = int(probe.getsockname()[1])
        self._controller = Controller(
            _Handler(self.db),
            hostname=host,
            port=port,
            data_size_limit=MAX_MESSAGE_BYTES,
            enable_SMTPUTF8=True,
            decode_data=False,
        )
        self._controller.start()
        self.host, self.port = host, port
        return self

    def stop(self) -> None:
        if self._controller is not None:
            self._controller.stop()
            self._controller = None
