"""A local stand-in for the Graph API calls socialdesk makes, as an HTTP server on 127.0.0.1,
and the test kit of the Meta connector tests (accounts, fixtures, signed deliveries).

The server checks what Meta documents (bearer token, JSON body, the Send API's recipient,
messaging_type and tag, quick-reply limits, one private reply per comment), answers with
Meta's shapes (``{"recipient_id", "message_id"}``, ``{"id"}``, ``{"error": {...}}``), records
every request, and can be told to answer the next requests with a rate limit, an outage or a
refusal.
"""

from __future__ import annotations

import copy
import hashlib
import hmac
import itertools
import json
import re
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import httpx
from desk_kit import FakeDesk, acme_agent, connect
from fake_http import Answer, JsonFakeServer, Recorded
from fastapi.testclient import TestClient

import socialdesk.channels.meta as meta
from socialdesk.bootstrap import App

__all__ = ["FakeGraph", "MetaDesk", "Recorded"]

VERSION = "v23.0"
PAGE_ID = "448242228374517"
IG_ID = "17841405822304914"
COMMENTER_ID = "5872619349492613"  # the comment's from.id
PSID = "6784512390153527"  # the same person on Messenger
IG_COMMENTER_ID = "3321987654320011"
IGSID = "7612398450981234"
COMMENT_ID = "1091623449621377_1203456789012345"
IG_COMMENT_ID = "17865799348089039"
APP_SECRET = "9f3c2a7d1b6e4f0a8c5d2e7b3a1f6c4d"
VERIFY_TOKEN = "acme-meta-verify-5b1e"
PAGE_TOKEN = "EAAGm0PX4ZCpsBAFakePageAccessTokenForTests"
IG_TOKEN = "IGAAFakeInstagramUserAccessTokenForTests"
FIXTURES = Path(meta.__file__).parent / "fixtures"

_MESSAGES_PATH = re.compile(r"^/(v\d+\.\d+)/(\d{1,30})/messages$")
_EDGE_PATH = re.compile(r"^/(v\d+\.\d+)/([0-9_]{1,80})/(comments|replies)$")
_MESSAGING_TYPES = {"RESPONSE", "UPDATE", "MESSAGE_TAG"}
_TAGS = {"HUMAN_AGENT", "CONFIRMED_EVENT_UPDATE", "POST_PURCHASE_UPDATE", "ACCOUNT_UPDATE"}


def graph_error(
    message: str, code: int, *, subcode: int | None = None, kind: str = "OAuthException"
) -> dict[str, Any]:
    error: dict[str, Any] = {"message": message, "type": kind, "code": code}
    if subcode is not None:
        error["error_subcode"] = subcode
    error["fbtrace_id"] = "AbCdEfGhIjK"
    return {"error": error}


class FakeGraph(JsonFakeServer):
    """``url`` is the base URL to give the client; ``requests`` what it received.

    ``messaging_ids`` maps a comment id to the messaging id (PSID/IGSID) of its author, which
    the answer to a private reply names as ``recipient_id``.
    """

    content_type = "application/json; charset=UTF-8"

    def __init__(self, *, token: str, account_id: str, messaging_ids: dict[str, str]) -> None:
        super().__init__()
        self.token = token
        self.account_id = account_id
        self.messaging_ids = dict(messaging_ids)
        self._private_replied: set[str] = set()
        self._ids = itertools.count(1)

    # -- the server side ----------------------------------------------------------------------
    def route(self, request: Recorded) -> Answer:
        method, path, headers, body = request.method, request.path, request.headers, request.body
        if headers.get("authorization") != f"Bearer {self.token}":
            return (
                400,
                graph_error("Invalid OAuth access token - Cannot parse access token", 190),
                {},
            )
        scripted = self.scripted()
        if scripted is not None:
            return scripted
        if method != "POST":
            return (
                400,
                graph_error(f"Unsupported {method} request.", 100, kind="GraphMethodException"),
                {},
            )
        if not headers.get("content-type", "").startswith("application/json"):
            return 400, graph_error("(#100) Send a JSON body", 100), {}
        match = _MESSAGES_PATH.match(path)
        if match:
            if match.group(2) != self.account_id:
                return 400, graph_error(f"(#100) Unknown account {match.group(2)}", 100), {}
            return self._send(body)
        match = _EDGE_PATH.match(path)
        if match:
            return self._comment(body)
        return 400, graph_error(f"Unknown path components: {path}", 2500), {}

    def _new_id(self, prefix: str) -> str:
        with self._lock:
            return f"{prefix}{next(self._ids):06d}"

    def _comment(self, body: Any) -> Answer:
        if not isinstance(body, dict) or set(body) != {"message"}:
            return 400, graph_error('(#100) A comment is {"message": ...}', 100), {}
        if not isinstance(body["message"], str) or not body["message"].strip():
            return 400, graph_error("(#100) Missing message", 100), {}
        return 200, {"id": self._new_id("1091623449621377_99900")}, {}

    def _send(self, body: Any) -> Answer:
        problem = _invalid_send(body)
        if problem:
            return 400, graph_error(f"(#100) {problem}", 100), {}
        recipient = body["recipient"]
        mid = self._new_id("m_fake")
        if "comment_id" in recipient:
            comment = recipient["comment_id"]
            with self._lock:
                if comment in self._private_replied:
                    return (
                        400,
                        graph_error(
                            "(#10900) Activity already replied to", 10900, kind="OAuthException"
                        ),
                        {},
                    )
                self._private_replied.add(comment)
            psid = self.messaging_ids.get(comment)
            if psid is None:
                return 400, graph_error("(#100) No matching comment", 100), {}
            return 200, {"recipient_id": psid, "message_id": mid}, {}
        return 200, {"recipient_id": recipient["id"], "message_id": mid}, {}


def _invalid_send(body: Any) -> str | None:
    if not isinstance(body, dict):
        return "the body must be a JSON object"
    recipient = body.get("recipient")
    if not isinstance(recipient, dict) or len(recipient) != 1:
        return "recipient is exactly one of {id} or {comment_id}"
    if "comment_id" in recipient:
        if set(body) - {"recipient", "message", "messaging_type"}:
            return f"unexpected fields {sorted(set(body) - {'recipient', 'message'})}"
    elif "id" in recipient:
        kind = body.get("messaging_type")
        if kind not in _MESSAGING_TYPES:
            return "messaging_type must be RESPONSE, UPDATE or MESSAGE_TAG"
        if kind == "MESSAGE_TAG" and body.get("tag") not in _TAGS:
            return "a MESSAGE_TAG message needs a valid tag"
        if kind != "MESSAGE_TAG" and "tag" in body:
            return "tag is only for messaging_type MESSAGE_TAG"
    else:
        return "recipient is exactly one of {id} or {comment_id}"
    message = body.get("message")
    if not isinstance(message, dict) or not isinstance(message.get("text"), str):
        return "message.text is required"
    if len(message["text"]) >= 2000:
        return "message.text must be shorter than 2000 characters"
    quick = message.get("quick_replies")
    if quick is not None:
        if not isinstance(quick, list) or not 1 <= len(quick) <= 13:
            return "quick_replies holds 1 to 13 items"
        for item in quick:
            if not isinstance(item, dict) or item.get("content_type") != "text":
                return "quick reply content_type must be text"
            if not isinstance(item.get("title"), str) or not 0 < len(item["title"]) <= 20:
                return "quick reply titles are 1-20 characters"
            if not isinstance(item.get("payload"), str) or len(item["payload"]) > 1000:
                return "quick reply payload is a string of at most 1000 characters"
    return None


# -- the test kit ------------------------------------------------------------------------------
def fixture(name: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((FIXTURES / f"{name}.json").read_text("utf-8"))
    return copy.deepcopy(data)


def fixture_bytes(name: str) -> bytes:
    """A fixture exactly as stored, escaped Unicode and all (as Meta sends it)."""
    return (FIXTURES / f"{name}.json").read_bytes()


def hub_signature(secret: str, body: bytes) -> str:
    """Computed here from the documentation, independently of the code under test."""
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def at_time(payload: dict[str, Any], when: datetime) -> dict[str, Any]:
    """The payload with every time (entry.time, timestamps, created_time) set to ``when``."""
    seconds = int(when.timestamp())
    for entry in payload["entry"]:
        entry["time"] = seconds * 1000 if "messaging" in entry else seconds
        for item in entry.get("messaging", []):
            item["timestamp"] = seconds * 1000
        for change in entry.get("changes", []):
            if "created_time" in change["value"]:
                change["value"]["created_time"] = seconds
    return payload


def connect_meta(app: App, workspace_id: int, platform: str, url: str, **overrides: str) -> int:
    spec = meta.FACEBOOK_CONNECTION if platform == "facebook" else meta.INSTAGRAM_CONNECTION
    values = {
        "handle": "acmebroadband",
        "external_id": PAGE_ID if platform == "facebook" else IG_ID,
        "app_secret": APP_SECRET,
        "verify_token": VERIFY_TOKEN,
        "access_token": PAGE_TOKEN if platform == "facebook" else IG_TOKEN,
        "api_base_url": url,
        **overrides,
    }
    return connect(app, workspace_id, spec, name=f"Acme on {platform}", values=values)


@dataclass
class MetaDesk(FakeDesk[FakeGraph]):
    """One workspace with a Facebook Page or Instagram account wired to the fake Graph API."""

    platform: str  # "facebook" or "instagram"

    def deliver(
        self,
        payload: dict[str, Any] | bytes,
        *,
        secret: str = APP_SECRET,
        account_id: int | None = None,
    ) -> httpx.Response:
        """Meta posts an update to our webhook, signed as Meta signs it."""
        body = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
        return self.client.post(
            f"/hooks/{self.platform}/{account_id or self.account_id}",
            content=body,
            headers={
                "content-type": "application/json",
                "x-hub-signature-256": hub_signature(secret, body),
            },
        )


def make_desk(app: App, web: TestClient, platform: str, fake: FakeGraph) -> MetaDesk:
    """The acme workspace, an agent with an API token, and its account on (the fake) Meta."""
    workspace_id, _, token = acme_agent(app)
    account_id = connect_meta(app, workspace_id, platform, fake.url)
    return MetaDesk(
        app=app,
        client=web,
        fake=fake,
        platform=platform,
        workspace_id=workspace_id,
        account_id=account_id,
        api_token=token,
    )


def facebook_graph() -> FakeGraph:
    return FakeGraph(token=PAGE_TOKEN, account_id=PAGE_ID, messaging_ids={COMMENT_ID: PSID})


def instagram_graph() -> FakeGraph:
    return FakeGraph(token=IG_TOKEN, account_id=IG_ID, messaging_ids={IG_COMMENT_ID: IGSID})
