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
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler
from typing import Any
from urllib.parse import urlsplit

from fake_http import Answer, FakeHttpServer, first_values, lower_headers

__all__ = ["FakeReddit", "FakeYouTube", "Recorded"]


@dataclass
class Recorded:
    method: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]
    body: Any


class _FakeApi(FakeHttpServer[Recorded]):
    """What both fakes share beyond the plumbing: the query string parsed, form and JSON bodies
    decoded by their content type, and scripted answers kept for the API calls (not tokens)."""

    def calls(self, method: str, path_end: str) -> list[Recorded]:
        return [r for r in self.requests if r.method == method and r.path.endswith(path_end)]

    def parse(self, handler: BaseHTTPRequestHandler, raw: bytes) -> Recorded:
        parts = urlsplit(handler.path)
        content_type = handler.headers.get("content-type", "")
        body: Any
        if "json" in content_type:
            body = json.loads(raw)
        elif "form" in content_type:
            body = first_values(raw.decode())
        else:
            body = raw.decode()
        return Recorded(
            handler.command, parts.path, first_values(parts.query), lower_headers(handler), body
        )

    def handle(self, handler: BaseHTTPRequestHandler, raw: bytes) -> Answer:
        request = self.parse(handler, raw)
        self.record(request)
        if request.path.endswith(("/access_token", "/token")):
            return self.route(request)  # tokens are not what the script is for
        return self.scripted() or self.route(request)


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

    def route(self, request: Recorded) -> Answer:
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

    def route(self, request: Recorded) -> Answer:
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
