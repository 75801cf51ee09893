"""Local stand-ins for Reddit's OAuth API and the YouTube Data API v3, on 127.0.0.1.

Each checks what the documentation requires (HTTP Basic client credentials on Reddit's token
endpoint, form fields on Google's, bearer tokens on every API call, the documented parameter
and body shapes), keeps the items a test put there, records every request, and can be told to
answer the next requests with a rate limit, an outage or a refusal.
"""

from __future__ import annotations

import base64
import itertools
import json
import threading
from collections import deque
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

__all__ = ["FakeReddit", "FakeYouTube", "Recorded"]


@dataclass
class Recorded:
    method: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]
    body: Any


@dataclass
class _Scripted:
    status: int
    body: Any
    headers: dict[str, str] = field(default_factory=dict)


class _FakeApi:
    """The HTTP plumbing both fakes share: a threaded server, a script of forced answers."""

    def __init__(self) -> None:
        self.requests: list[Recorded] = []
        self._script: deque[_Scripted] = deque()
        self._lock = threading.Lock()
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                fake._serve(self)

            def do_POST(self) -> None:
                fake._serve(self)

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"

    def start(self) -> _FakeApi:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)

    def answer_next(self, status: int, body: Any, headers: dict[str, str] | None = None) -> None:
        self._script.append(_Scripted(status, body, headers or {}))

    def calls(self, method: str, path_end: str) -> list[Recorded]:
        return [r for r in self.requests if r.method == method and r.path.endswith(path_end)]

    def _serve(self, handler: BaseHTTPRequestHandler) -> None:
        parts = urlsplit(handler.path)
        length = int(handler.headers.get("content-length") or 0)
        raw = handler.rfile.read(length) if length else b""
        content_type = handler.headers.get("content-type", "")
        body: Any
        if "json" in content_type:
            body = json.loads(raw)
        elif "form" in content_type:
            body = {k: v[0] for k, v in parse_qs(raw.decode()).items()}
        else:
            body = raw.decode()
        record = Recorded(
            handler.command,
            parts.path,
            {k: v[0] for k, v in parse_qs(parts.query).items()},
            {k.lower(): v for k, v in handler.headers.items()},
            body,
        )
        with self._lock:
            self.requests.append(record)
            scripted = self._script.popleft() if self._script else None
        if scripted is not None and not parts.path.endswith(("/access_token", "/token")):
            status, answer, headers = scripted.status, scripted.body, scripted.headers
        else:
            if scripted is not None:
                self._script.appendleft(scripted)  # tokens are not what the script is for
            status, answer, headers = self.route(record)
        data = json.dumps(answer).encode()
        handler.send_response(status)
        handler.send_header("content-type", "application/json")
        handler.send_header("content-length", str(len(data)))
        for name, value in headers.items():
            handler.send_header(name, value)
        handler.end_headers()
        handler.wfile.write(data)

    def route(self, request: Recorded) -> tuple[int, Any, dict[str, str]]:
        raise NotImplementedError


class FakeReddit(_FakeApi):
    """``things`` per subreddit; ``/api/comment`` appends the brand's comment."""

    def __init__(self, *, client_id: str, client_secret: str, refresh_token: str) -> None:
        super().__init__()
        self.client_id, self.client_secret, self.refresh_token = (
            client_id,
            client_secret,
            refresh_token,
        )
        self.things: dict[str, list[dict[str, Any]]] = {}
        self.issued: list[str] = []
        self._ids = itertools.count(9000)

    def route(self, request: Recorded) -> tuple[int, Any, dict[str, str]]:
        if request.path == "/api/v1/access_token":
            expected = base64.b64encode(f"{self.client_id}:{self.client_secret}".encode()).decode()
            if request.headers.get("authorization") != f"Basic {expected}":
                return 401, {"message": "Unauthorized", "error": 401}, {}
            if request.body != {"grant_type": "refresh_token", "refresh_token": self.refresh_token}:
                return 400, {"error": "invalid_grant"}, {}
            token = f"reddit-token-{len(self.issued) + 1}"
            self.issued.append(token)
            return 200, {"access_token": token, "token_type": "bearer", "expires_in": 86400}, {}
        if (
            request.headers.get("authorization")
            != f"Bearer {self.issued[-1] if self.issued else ''}"
        ):
            return 401, {"message": "Unauthorized", "error": 401}, {}
        if not request.headers.get("user-agent"):
            return 429, {"message": "Too Many Requests: set a User-Agent"}, {}
        parts = request.path.strip("/").split("/")
        if request.method == "GET" and len(parts) == 3 and parts[0] == "r":
            subreddit, listing = parts[1].lower(), parts[2]
            kind = {"comments": "t1", "new": "t3"}.get(listing)
            if kind is None:
                return 404, {"message": "Not Found", "error": 404}, {}
            limit = int(request.query.get("limit", "25"))
            items = [t for t in self.things.get(subreddit, []) if t["kind"] == kind]
            newest_first = sorted(items, key=lambda t: -t["data"]["created_utc"])[:limit]
            return 200, {"kind": "Listing", "data": {"children": newest_first, "after": None}}, {}
        if request.method == "POST" and request.path == "/api/comment":
            form = request.body if isinstance(request.body, dict) else {}
            if form.get("api_type") != "json" or not form.get("thing_id") or not form.get("text"):
                return 400, {"message": "Bad Request"}, {}
            name = f"t1_brand{next(self._ids)}"
            data = {
                "name": name,
                "id": name[3:],
                "parent_id": form["thing_id"],
                "body": form["text"],
            }
            return (
                200,
                {"json": {"errors": [], "data": {"things": [{"kind": "t1", "data": data}]}}},
                {},
            )
        return 404, {"message": "Not Found", "error": 404}, {}


class FakeYouTube(_FakeApi):
    """``threads`` as the Data API returns them; ``POST /comments`` adds a reply."""

    def __init__(
        self, *, client_id: str, client_secret: str, refresh_token: str, channel_id: str
    ) -> None:
        super().__init__()
        self.client_id, self.client_secret, self.refresh_token = (
            client_id,
            client_secret,
            refresh_token,
        )
        self.channel_id = channel_id
        self.threads: list[dict[str, Any]] = []
        self.issued: list[str] = []
        self._ids = itertools.count(1)

    def route(self, request: Recorded) -> tuple[int, Any, dict[str, str]]:
        if request.path == "/token":
            expected = {
                "grant_type": "refresh_token",
                "refresh_token": self.refresh_token,
                "client_id": self.client_id,
                "client_secret": self.client_secret,
            }
            if request.body != expected:
                return 400, {"error": "invalid_grant", "error_description": "Bad Request"}, {}
            token = f"ya29.fake-{len(self.issued) + 1}"
            self.issued.append(token)
            return 200, {"access_token": token, "expires_in": 3599, "token_type": "Bearer"}, {}
        if (
            request.headers.get("authorization")
            != f"Bearer {self.issued[-1] if self.issued else ''}"
        ):
            return (
                401,
                _google(401, "Request had invalid authentication credentials.", "authError"),
                {},
            )
        if request.method == "GET" and request.path.endswith("/commentThreads"):
            q = request.query
            if q.get("allThreadsRelatedToChannelId") != self.channel_id or "snippet" not in q.get(
                "part", ""
            ):
                return 400, _google(400, "Bad parameters", "badRequest"), {}
            limit = int(q.get("maxResults", "20"))
            return (
                200,
                {"kind": "youtube#commentThreadListResponse", "items": self.threads[:limit]},
                {},
            )
        if request.method == "POST" and request.path.endswith("/comments"):
            snippet = (
                (request.body or {}).get("snippet", {}) if isinstance(request.body, dict) else {}
            )
            parent = snippet.get("parentId")
            if (
                request.query.get("part") != "snippet"
                or not parent
                or not snippet.get("textOriginal")
            ):
                return (
                    400,
                    _google(
                        400,
                        "The request is missing a required parameter.",
                        "missingRequiredParameter",
                    ),
                    {},
                )
            if "." in parent:
                return (
                    400,
                    _google(400, "parentId must be a top-level comment.", "invalidParentId"),
                    {},
                )
            comment_id = f"{parent}.brandReply{next(self._ids)}"
            return 200, {"kind": "youtube#comment", "id": comment_id, "snippet": snippet}, {}
        return 404, _google(404, "Not found", "notFound"), {}


def _google(code: int, message: str, reason: str) -> dict[str, Any]:
    return {
        "error": {
            "code": code,
            "message": message,
            "errors": [{"message": message, "domain": "youtube.comment", "reason": reason}],
        }
    }
