"""A local stand-in for the X API v2 endpoints socialdesk calls, as an HTTP server on 127.0.0.1.

It checks what the documentation requires (bearer token, JSON body, exact field shapes),
records every request, and can be told to answer the next requests with a rate limit, an
outage or a refusal.
"""

from __future__ import annotations

import itertools
import json
import re
import threading
from collections import deque
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

__all__ = ["FakeX", "Recorded"]

_DM_PATH = re.compile(r"^/2/dm_conversations/with/(\d{1,19})/messages$")
_TWEET_ID = re.compile(r"^\d{1,19}$")


@dataclass
class Recorded:
    method: str
    path: str
    headers: dict[str, str]
    body: Any


@dataclass
class _Scripted:
    status: int
    body: Any
    headers: dict[str, str] = field(default_factory=dict)


class FakeX:
    """``url`` is the base URL to give the client; ``requests`` what it received."""

    def __init__(self, *, token: str, brand_id: str = "2244994945") -> None:
        self.token = token
        self.brand_id = brand_id
        self.requests: list[Recorded] = []
        self._script: deque[_Scripted] = deque()
        self._ids = itertools.count(1924500000000000000)
        self._forced_id: str | None = None
        self._lock = threading.Lock()
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                fake._handle(self)

            def do_GET(self) -> None:
                fake._handle(self)

            def log_message(self, format: str, *args: Any) -> None:
                pass  # keep pytest output clean

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"

    def start(self) -> FakeX:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)

    def answer_next(
        self, status: int, body: Any = None, headers: dict[str, str] | None = None
    ) -> None:
        """The next request (after the checks of the bearer token) gets this answer."""
        self._script.append(_Scripted(status, body, headers or {}))

    def next_id(self, value: str) -> None:
        """The next created tweet or DM gets this id."""
        self._forced_id = value

    def posts(self, path: str) -> list[Recorded]:
        return [r for r in self.requests if r.method == "POST" and r.path == path]

    # -- the server side ----------------------------------------------------------------------
    def _new_id(self) -> str:
        with self._lock:
            forced, self._forced_id = self._forced_id, None
            return forced or str(next(self._ids))

    def _handle(self, handler: BaseHTTPRequestHandler) -> None:
        length = int(handler.headers.get("Content-Length") or 0)
        raw = handler.rfile.read(length) if length else b""
        try:
            body: Any = json.loads(raw) if raw else None
        except ValueError:
            body = raw.decode("utf-8", errors="replace")
        headers = {k.lower(): v for k, v in handler.headers.items()}
        with self._lock:
            self.requests.append(Recorded(handler.command, handler.path, headers, body))
        status, answer, extra = self._route(handler.command, handler.path, headers, body)
        data = json.dumps(answer).encode()
        handler.send_response(status)
        handler.send_header("Content-Type", "application/json; charset=utf-8")
        handler.send_header("Content-Length", str(len(data)))
        for name, value in extra.items():
            handler.send_header(name, value)
        handler.end_headers()
        handler.wfile.write(data)

    def _route(
        self, method: str, path: str, headers: dict[str, str], body: Any
    ) -> tuple[int, Any, dict[str, str]]:
        if headers.get("authorization") != f"Bearer {self.token}":
            return 401, _problem(401, "Unauthorized", "Unauthorized"), {}
        with self._lock:
            scripted = self._script.popleft() if self._script else None
        if scripted is not None:
            return scripted.status, scripted.body, scripted.headers
        if method != "POST":
            return 405, _problem(405, "Method Not Allowed", f"{method} is not supported"), {}
        if not headers.get("content-type", "").startswith("application/json"):
            return 415, _problem(415, "Unsupported Media Type", "send application/json"), {}
        if path == "/2/tweets":
            return self._create_tweet(body)
        match = _DM_PATH.match(path)
        if match:
            return self._send_dm(match.group(1), body)
        return 404, _problem(404, "Not Found Error", f"no route {path}"), {}

    def _create_tweet(self, body: Any) -> tuple[int, Any, dict[str, str]]:
        problem = _invalid_tweet(body)
        if problem:
            return 400, _invalid_request(problem), {}
        tweet_id = self._new_id()
        data = {"id": tweet_id, "text": body["text"], "edit_history_tweet_ids": [tweet_id]}
        return 201, {"data": data}, _rate_headers()

    def _send_dm(self, participant: str, body: Any) -> tuple[int, Any, dict[str, str]]:
        if not isinstance(body, dict) or set(body) != {"text"} or not isinstance(body["text"], str):
            return 400, _invalid_request('a DM body is exactly {"text": ...}'), {}
        conversation = "-".join(sorted((participant, self.brand_id)))
        data = {"dm_conversation_id": conversation, "dm_event_id": self._new_id()}
        return 201, {"data": data}, _rate_headers()


def _invalid_tweet(body: Any) -> str | None:
    if not isinstance(body, dict):
        return "the body must be a JSON object"
    if set(body) - {"text", "reply"}:
        return f"unexpected fields {sorted(set(body) - {'text', 'reply'})}"
    if not isinstance(body.get("text"), str) or not body["text"].strip():
        return "text is required"
    if len(body["text"]) > 280:
        return "text is longer than 280 characters"
    if "reply" in body:
        reply = body["reply"]
        if not isinstance(reply, dict) or set(reply) != {"in_reply_to_tweet_id"}:
            return 'reply must be {"in_reply_to_tweet_id": ...}'
        if not isinstance(reply["in_reply_to_tweet_id"], str) or not _TWEET_ID.match(
            reply["in_reply_to_tweet_id"]
        ):
            return "in_reply_to_tweet_id must be a string of digits"
    return None


def _problem(status: int, title: str, detail: str) -> dict[str, Any]:
    return {"title": title, "detail": detail, "type": "about:blank", "status": status}


def _invalid_request(message: str) -> dict[str, Any]:
    return {
        "errors": [{"message": message}],
        "title": "Invalid Request",
        "detail": "One or more parameters to your request was invalid.",
        "type": "https://api.twitter.com/2/problems/invalid-request",
    }


def _rate_headers() -> dict[str, str]:
    return {"x-rate-limit-limit": "100", "x-rate-limit-remaining": "99"}
