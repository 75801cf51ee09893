"""A local stand-in for the X API v2 endpoints socialdesk calls, as an HTTP server on 127.0.0.1.

It checks what the documentation requires (bearer token, JSON body, exact field shapes),
records every request, and can be told to answer the next requests with a rate limit, an
outage or a refusal.
"""

from __future__ import annotations

import itertools
import re
from typing import Any

from fake_http import Answer, JsonFakeServer, Recorded

__all__ = ["FakeX", "Recorded"]

_DM_PATH = re.compile(r"^/2/dm_conversations/with/(\d{1,19})/messages$")
_TWEET_ID = re.compile(r"^\d{1,19}$")


class FakeX(JsonFakeServer):
    """``url`` is the base URL to give the client; ``requests`` what it received."""

    content_type = "application/json; charset=utf-8"

    def __init__(self, *, token: str, brand_id: str = "2244994945") -> None:
        super().__init__()
        self.token = token
        self.brand_id = brand_id
        self._ids = itertools.count(1924500000000000000)
        self._forced_id: str | None = None

    def next_id(self, value: str) -> None:
        """The next created tweet or DM gets this id."""
        self._forced_id = value

    # -- the server side ----------------------------------------------------------------------
    def _new_id(self) -> str:
        with self._lock:
            forced, self._forced_id = self._forced_id, None
            return forced or str(next(self._ids))

    def route(self, request: Recorded) -> Answer:
        method, path, headers, body = request.method, request.path, request.headers, request.body
        if headers.get("authorization") != f"Bearer {self.token}":
            return 401, _problem(401, "Unauthorized", "Unauthorized"), {}
        scripted = self.scripted()
        if scripted is not None:
            return scripted
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

    def _create_tweet(self, body: Any) -> Answer:
        problem = _invalid_tweet(body)
        if problem:
            return 400, _invalid_request(problem), {}
        tweet_id = self._new_id()
        data = {"id": tweet_id, "text": body["text"], "edit_history_tweet_ids": [tweet_id]}
        return 201, {"data": data}, _rate_headers()

    def _send_dm(self, participant: str, body: Any) -> Answer:
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
