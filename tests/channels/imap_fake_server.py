"""A small IMAP4rev1 server on 127.0.0.1 (RFC 3501), enough for socialdesk's poller.

It speaks CAPABILITY, LOGIN, SELECT/EXAMINE (with ``* OK [UIDVALIDITY n]``), UID SEARCH with
a ``UID a:b`` / ``a:*`` set, UID FETCH ... (RFC822) with a literal, NOOP and LOGOUT, over a
plain socket. Tests put messages into its one mailbox, can renumber it (a new UIDVALIDITY),
and read back every command and every UID fetched.
"""

from __future__ import annotations

import re
import socketserver
import threading
from dataclasses import dataclass, field
from typing import Any

__all__ = ["FakeImap"]

_SET = re.compile(r"^(\d+|\*)(?::(\d+|\*))?$")
_TOKEN = re.compile(r'"((?:[^"\\]|\\.)*)"|(\S+)')


@dataclass
class _Mailbox:
    uidvalidity: int
    next_uid: int = 1
    messages: list[tuple[int, bytes]] = field(default_factory=list)  # (uid, raw), uid order


class FakeImap:
    """``host``/``port`` to connect to; ``commands`` and ``fetched`` what clients did."""

    def __init__(self, *, username: str, password: str, mailbox: str = "INBOX") -> None:
        self.username = username
        self.password = password
        self.mailbox_name = mailbox
        self.box = _Mailbox(uidvalidity=1001)
        self.commands: list[str] = []
        self.fetched: list[int] = []
        self.logins = 0
        self._lock = threading.Lock()
        fake = self

        class Handler(socketserver.StreamRequestHandler):
            def handle(self) -> None:
                fake._session(self)

        class Server(socketserver.ThreadingTCPServer):
            daemon_threads = True
            allow_reuse_address = True

        self._server = Server(("127.0.0.1", 0), Handler)
        self.host, self.port = self._server.server_address[:2]
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    # -- test controls -------------------------------------------------------------------
    def start(self) -> FakeImap:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def add(self, raw: bytes) -> int:
        """Deliver a message into the mailbox; returns its UID."""
        with self._lock:
            uid = self.box.next_uid
            self.box.next_uid += 1
            self.box.messages.append((uid, raw))
            return uid

    def expunge(self, uid: int) -> None:
        with self._lock:
            self.box.messages = [(u, r) for u, r in self.box.messages if u != uid]

    def renumber(self) -> None:
        """What a server does after a mailbox is rebuilt: new UIDVALIDITY, new UIDs."""
        with self._lock:
            self.box.uidvalidity += 1
            raws = [raw for _, raw in self.box.messages]
            self.box.messages = [(100 + i, raw) for i, raw in enumerate(raws)]
            self.box.next_uid = 100 + len(raws)

    # -- protocol --------------------------------------------------------------------------
    def _session(self, handler: socketserver.StreamRequestHandler) -> None:
        out = handler.wfile

        def send(line: str | bytes) -> None:
            out.write((line.encode() if isinstance(line, str) else line) + b"\r\n")

        send("* OK [CAPABILITY IMAP4rev1] fake IMAP ready")
        state: dict[str, Any] = {"auth": False, "selected": False}
        while True:
            line = handler.rfile.readline()
            if not line:
                return
            text = line.decode("utf-8", "replace").rstrip("\r\n")
            with self._lock:
                self.commands.append(text)
            parts = text.split(" ", 2)
            if len(parts) < 2:
                send("* BAD no tag")
                continue
            tag, command = parts[0], parts[1].upper()
            args = parts[2] if len(parts) > 2 else ""
            if command == "LOGOUT":
                send("* BYE fake IMAP says bye")
                send(f"{tag} OK LOGOUT completed")
                return
            try:
                self._command(send, state, tag, command, args)
            except Exception as exc:  # a bug in a test, shown to the client
                send(f"{tag} BAD {exc}")

    def _command(self, send: Any, state: dict[str, Any], tag: str, command: str, args: str) -> None:
        if command == "CAPABILITY":
            send("* CAPABILITY IMAP4rev1")
            send(f"{tag} OK CAPABILITY completed")
        elif command == "NOOP":
            send(f"{tag} OK NOOP completed")
        elif command == "LOGIN":
            user, password = [a or b for a, b in _TOKEN.findall(args)][:2]
            with self._lock:
                self.logins += 1
            if (user, password) != (self.username, self.password):
                send(f"{tag} NO [AUTHENTICATIONFAILED] Invalid credentials")
                return
            state["auth"] = True
            send(f"{tag} OK LOGIN completed")
        elif command in ("SELECT", "EXAMINE"):
            if not state["auth"]:
                send(f"{tag} BAD not authenticated")
                return
            name = next(a or b for a, b in _TOKEN.findall(args))
            if name.upper() != self.mailbox_name.upper():
                send(f"{tag} NO [NONEXISTENT] no such mailbox")
                return
            with self._lock:
                count, validity, next_uid = (
                    len(self.box.messages),
                    self.box.uidvalidity,
                    self.box.next_uid,
                )
            state["selected"] = True
            send(f"* {count} EXISTS")
            send("* 0 RECENT")
            send("* FLAGS (\\Answered \\Flagged \\Deleted \\Seen \\Draft)")
            send(f"* OK [UIDVALIDITY {validity}] UIDs valid")
            send(f"* OK [UIDNEXT {next_uid}] Predicted next UID")
            mode = "READ-ONLY" if command == "EXAMINE" else "READ-WRITE"
            send(f"{tag} OK [{mode}] {command} completed")
        elif command == "UID":
            if not state["selected"]:
                send(f"{tag} BAD no mailbox selected")
                return
            sub, _, rest = args.partition(" ")
            if sub.upper() == "SEARCH":
                self._search(send, tag, rest)
            elif sub.upper() == "FETCH":
                self._fetch(send, tag, rest)
            else:
                send(f"{tag} BAD UID {sub} not supported here")
        else:
            send(f"{tag} BAD {command} not supported here")

    def _uids(self, spec: str) -> list[tuple[int, int, bytes]]:
        """(sequence number, uid, raw) of the messages in a UID set ``a``, ``a:b``, ``a:*``."""
        match = _SET.match(spec.strip())
        if match is None:
            raise ValueError(f"bad UID set {spec!r}")
        with self._lock:
            messages = list(self.box.messages)
        if not messages:
            return []
        top = messages[-1][0]
        first = top if match.group(1) == "*" else int(match.group(1))
        last_raw = match.group(2) if match.group(2) is not None else match.group(1)
        last = top if last_raw == "*" else int(last_raw)
        low, high = sorted((first, last))  # RFC 3501: "a:b" is the same set as "b:a"
        return [
            (seq, uid, raw)
            for seq, (uid, raw) in enumerate(messages, start=1)
            if low <= uid <= high
        ]

    def _search(self, send: Any, tag: str, criteria: str) -> None:
        words = criteria.split()
        if len(words) != 2 or words[0].upper() != "UID":
            send(f"{tag} BAD only UID <set> searches here")
            return
        found = [uid for _, uid, _ in self._uids(words[1])]
        send("* SEARCH" + "".join(f" {uid}" for uid in found))
        send(f"{tag} OK SEARCH completed")

    def _fetch(self, send: Any, tag: str, rest: str) -> None:
        spec, _, items = rest.partition(" ")
        if items.strip().upper() not in ("(RFC822)", "RFC822"):
            send(f"{tag} BAD only RFC822 fetches here")
            return
        for seq, uid, raw in self._uids(spec):
            with self._lock:
                self.fetched.append(uid)
            send(f"* {seq} FETCH (UID {uid} RFC822 {{{len(raw)}}}".encode() + b"\r\n" + raw + b")")
        send(f"{tag} OK FETCH completed")
