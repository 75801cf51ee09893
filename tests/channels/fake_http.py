"""The HTTP plumbing every fake platform API of the channel tests shares.

A :class:`FakeHttpServer` is a ``ThreadingHTTPServer`` on 127.0.0.1 (a free port) served from a
daemon thread, with ``url``, ``start`` and ``stop``; it records every request it parses in
``requests`` and can be told to answer the next requests with a scripted answer
(``answer_next``: a rate limit, an outage, a refusal). Each platform's fake subclasses it and
writes only its own part: how a request is parsed (:meth:`FakeHttpServer.parse`) and answered
(:meth:`FakeHttpServer.route`), where its own checks (tokens, paths, body shapes) live.
"""

from __future__ import annotations

import json
import threading
from collections import deque
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Generic, Self, TypeVar
from urllib.parse import parse_qs, parse_qsl

__all__ = [
    "Answer",
    "FakeHttpServer",
    "JsonFakeServer",
    "Recorded",
    "first_values",
    "form_fields",
    "json_or_text",
    "lower_headers",
]

Answer = tuple[int, Any, dict[str, str]]
"""What a fake answers: HTTP status, the JSON body, extra response headers."""

R = TypeVar("R")


@dataclass
class Recorded:
    """One request as a fake received it (``body`` decoded as the fake reads it)."""

    method: str
    path: str
    headers: dict[str, str]
    body: Any


def json_or_text(raw: bytes, empty: Any = None) -> Any:
    """A JSON body decoded, ``empty`` for no body, and the text itself when it is not JSON."""
    if not raw:
        return empty
    try:
        return json.loads(raw)
    except ValueError:
        return raw.decode("utf-8", errors="replace")


def form_fields(raw: bytes) -> dict[str, str]:
    """A form-encoded body as a dict (blank values kept, the last of a repeated name wins)."""
    return dict(parse_qsl(raw.decode(), keep_blank_values=True))


def first_values(encoded: str) -> dict[str, str]:
    """A query string or form body as a dict of the first value of each (non-blank) name."""
    return {k: v[0] for k, v in parse_qs(encoded).items()}


def lower_headers(handler: BaseHTTPRequestHandler) -> dict[str, str]:
    return {k.lower(): v for k, v in handler.headers.items()}


class FakeHttpServer(Generic[R]):
    """``url`` is the base URL to give the client; ``requests`` what it received.

    Subclasses implement :meth:`parse` and :meth:`route`, or :meth:`handle` when what is
    recorded and what is answered depend on each other.
    """

    http_methods: tuple[str, ...] = ("GET", "POST")
    content_type = "application/json"

    def __init__(self) -> None:
        self.requests: list[R] = []
        self._script: deque[Answer] = deque()
        self._lock = threading.Lock()
        fake = self

        def serve(handler: BaseHTTPRequestHandler) -> None:
            fake._serve(handler)

        def log_message(handler: BaseHTTPRequestHandler, format: str, *args: Any) -> None:
            pass  # keep pytest output clean

        members: dict[str, Any] = {f"do_{method}": serve for method in self.http_methods}
        handler = type(
            "Handler", (BaseHTTPRequestHandler,), {**members, "log_message": log_message}
        )
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"

    def start(self) -> Self:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)

    def answer_next(
        self, status: int, body: Any = None, headers: dict[str, str] | None = None
    ) -> None:
        """The next request (once it passes the fake's credential checks) gets this answer."""
        with self._lock:
            self._script.append((status, body, headers or {}))

    # -- for subclasses -----------------------------------------------------------------------
    def parse(self, handler: BaseHTTPRequestHandler, raw: bytes) -> R:
        raise NotImplementedError

    def route(self, request: R) -> Answer:
        raise NotImplementedError

    def handle(self, handler: BaseHTTPRequestHandler, raw: bytes) -> Answer:
        """By default: parse, record, route."""
        request = self.parse(handler, raw)
        self.record(request)
        return self.route(request)

    def record(self, request: R) -> None:
        with self._lock:
            self.requests.append(request)

    def scripted(self) -> Answer | None:
        """The next scripted answer, taken off the script, or None."""
        with self._lock:
            return self._script.popleft() if self._script else None

    # -- the wire -----------------------------------------------------------------------------
    def _serve(self, handler: BaseHTTPRequestHandler) -> None:
        length = int(handler.headers.get("Content-Length") or 0)
        raw = handler.rfile.read(length) if length else b""
        status, answer, extra = self.handle(handler, raw)
        data = json.dumps(answer).encode()
        handler.send_response(status)
        handler.send_header("Content-Type", self.content_type)
        handler.send_header("Content-Length", str(len(data)))
        for name, value in extra.items():
            handler.send_header(name, value)
        handler.end_headers()
        handler.wfile.write(data)


class JsonFakeServer(FakeHttpServer[Recorded]):
    """A fake whose requests are recorded as :class:`Recorded` with a JSON (or text) body."""

    def parse(self, handler: BaseHTTPRequestHandler, raw: bytes) -> Recorded:
        return Recorded(handler.command, handler.path, lower_headers(handler), json_or_text(raw))

    def posts(self, path: str) -> list[Recorded]:
        return [r for r in self.requests if r.method == "POST" and r.path == path]
