"""A local SMTP server (aiosmtpd) on 127.0.0.1 that captures what socialdesk sends.

It can require AUTH LOGIN/PLAIN (over the plain connection, as a local relay may), and be
told to answer the next RCPT TO or DATA with an error (``fail_next``), so tests see 4xx and
5xx replies the way a real server gives them.
"""

from __future__ import annotations

import email
import socket
import threading
from collections import deque
from dataclasses import dataclass
from email import policy
from email.message import EmailMessage
from typing import Any

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword

__all__ = ["Captured", "FakeSmtp"]


@dataclass
class Captured:
    mail_from: str
    rcpt_tos: list[str]
    raw: bytes

    @property
    def message(self) -> EmailMessage:
        parsed = email.message_from_bytes(self.raw, policy=policy.default, _class=EmailMessage)
        assert isinstance(parsed, EmailMessage)
        return parsed


class FakeSmtp:
    def __init__(self, *, username: str | None = None, password: str | None = None) -> None:
        self.username = username
        self.password = password
        self.received: list[Captured] = []
        self.auth_attempts: list[str] = []
        self._script: deque[tuple[str, str]] = deque()  # (stage, reply)
        self._lock = threading.Lock()
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            self.port = int(probe.getsockname()[1])
        self.host = "127.0.0.1"
        kwargs: dict[str, Any] = {}
        if username is not None:
            kwargs.update(authenticator=self._authenticate, auth_require_tls=False)
        self._controller = Controller(self, hostname=self.host, port=self.port, **kwargs)

    def start(self) -> FakeSmtp:
        self._controller.start()
        return self

    def stop(self) -> None:
        self._controller.stop()

    def fail_next(self, stage: str, reply: str) -> None:
        """Answer the next ``stage`` ('rcpt' or 'data') with ``reply``, e.g. '451 4.7.1 Later'."""
        with self._lock:
            self._script.append((stage, reply))

    def _scripted(self, stage: str) -> str | None:
        with self._lock:
            if self._script and self._script[0][0] == stage:
                return self._script.popleft()[1]
        return None

    def _authenticate(
        self, server: Any, session: Any, envelope: Any, mechanism: str, auth_data: Any
    ) -> AuthResult:
        ok = (
            isinstance(auth_data, LoginPassword)
            and auth_data.login.decode() == self.username
            and auth_data.password.decode() == self.password
        )
        with self._lock:
            self.auth_attempts.append(mechanism)
        return AuthResult(success=ok, handled=False)

    # aiosmtpd handler hooks
    async def handle_RCPT(
        self, server: Any, session: Any, envelope: Any, address: str, rcpt_options: list[str]
    ) -> str:
        scripted = self._scripted("rcpt")
        if scripted is not None:
            return scripted
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        scripted = self._scripted("data")
        if scripted is not None:
            return scripted
        raw = envelope.original_content or envelope.content
        with self._lock:
            self.received.append(
                Captured(mail_from=envelope.mail_from, rcpt_tos=list(envelope.rcpt_tos), raw=raw)
            )
        return "250 2.0.0 Message accepted"
