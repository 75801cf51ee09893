"""A local stand-in for the WhatsApp Cloud API, and the test kit of the WhatsApp connector.

``FakeWhatsApp`` is an HTTP server on 127.0.0.1 that answers ``POST /{version}/{phone-number-id}
/messages`` as Meta documents it: bearer token, ``messaging_product: whatsapp``, one of the
``text``/``interactive``/``template`` shapes with their limits (4,096 characters of text; 1-3
reply buttons with unique titles of at most 20 characters), answered with ``{"messaging_product",
"contacts": [{"input", "wa_id"}], "messages": [{"id": "wamid..."}]}`` or a Graph API error
object. It records every request and can be told to answer the next ones with a rate limit, an
outage or a refusal.

``WaDesk`` is one workspace with a WhatsApp account wired to the fake server, seen through the
webhook (deliveries signed as Meta signs them) and the REST API.
"""

from __future__ import annotations

import copy
import hashlib
import hmac
import itertools
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
from desk_kit import FakeDesk, acme_agent, connect
from fake_http import Answer, JsonFakeServer, Recorded
from fastapi.testclient import TestClient

import socialdesk.channels.whatsapp as whatsapp
from socialdesk.bootstrap import App
from socialdesk.store.models import Message

__all__ = [
    "ACCESS_TOKEN",
    "APP_SECRET",
    "CUSTOMER_WA_ID",
    "PHONE_NUMBER_ID",
    "VERIFY_TOKEN",
    "FakeWhatsApp",
    "Recorded",
    "WaDesk",
    "encode",
    "fixture",
    "graph_error",
    "meta_signature",
    "whatsapp_desk",
]

PHONE_NUMBER_ID = "106540352242922"
DISPLAY_NUMBER = "15550783881"
CUSTOMER_WA_ID = "16505551234"
APP_SECRET = "5c1f0b4a8e0d2b7f9a3c6e1d4b8f2a7c"
VERIFY_TOKEN = "socialdesk-verify-7d3f"
ACCESS_TOKEN = "EAAJB7example0SystemUserToken0ZBZCwhatsapp"
VERSION = "v23.0"
FIXTURES = Path(whatsapp.__file__).parent / "fixtures"

_PATH = re.compile(r"^/(v\d+\.\d+)/(\d{1,20})/messages$")
_WA_ID = re.compile(r"^\+?\d{6,15}$")


# -- the platform side ------------------------------------------------------------------------
def graph_error(
    code: int, message: str, details: str | None = None, *, subcode: int | None = None
) -> dict[str, Any]:
    """A Graph API error answer as the Cloud API writes it."""
    error: dict[str, Any] = {
        "message": message,
        "type": "OAuthException",
        "code": code,
        "fbtrace_id": "AazqIeC1cpX5Zf1pRmLZjpq",
    }
    if details is not None:
        error["error_data"] = {"messaging_product": "whatsapp", "details": details}
    if subcode is not None:
        error["error_subcode"] = subcode
    return {"error": error}


class FakeWhatsApp(JsonFakeServer):
    """``url`` is the base URL to give the client; ``requests`` what it received."""

    content_type = "application/json; charset=UTF-8"

    def __init__(
        self, *, token: str = ACCESS_TOKEN, phone_number_id: str = PHONE_NUMBER_ID
    ) -> None:
        super().__init__()
        self.token = token
        self.phone_number_id = phone_number_id
        self._ids = itertools.count(1)

    @property
    def messages_path(self) -> str:
        return f"/{VERSION}/{self.phone_number_id}/messages"

    def sent(self) -> list[Recorded]:
        return [r for r in self.requests if r.method == "POST" and r.path == self.messages_path]

    def route(self, request: Recorded) -> Answer:
        method, path, headers, body = request.method, request.path, request.headers, request.body
        if headers.get("authorization") != f"Bearer {self.token}":
            return (
                401,
                graph_error(190, "Invalid OAuth access token - Cannot parse access token"),
                {},
            )
        scripted = self.scripted()
        if scripted is not None:
            return scripted
        match = _PATH.match(path)
        if method != "POST" or match is None:
            return 400, graph_error(100, f"Unsupported {method} request: {path}"), {}
        if match.group(2) != self.phone_number_id:
            return 400, graph_error(100, f"Object with ID '{match.group(2)}' does not exist"), {}
        if not headers.get("content-type", "").startswith("application/json"):
            return 400, graph_error(100, "(#100) The parameter messaging_product is required."), {}
        problem = _invalid_message(body)
        if problem is not None:
            return 400, graph_error(100, "(#100) Invalid parameter", problem), {}
        wamid = f"wamid.HBgLMTY1MDU1NTEyMzQVAgARGBI{next(self._ids):020d}AA=="
        answer = {
            "messaging_product": "whatsapp",
            "contacts": [{"input": body["to"], "wa_id": body["to"].lstrip("+")}],
            "messages": [{"id": wamid}],
        }
        return 200, answer, {}


def _invalid_message(body: Any) -> str | None:
    """What the Cloud API would refuse in a send body, or None."""
    if not isinstance(body, dict):
        return "the body must be a JSON object"
    if body.get("messaging_product") != "whatsapp":
        return "messaging_product must be 'whatsapp'"
    if body.get("recipient_type", "individual") != "individual":
        return "recipient_type must be 'individual'"
    if not isinstance(body.get("to"), str) or not _WA_ID.match(body["to"]):
        return "to must be a phone number or WhatsApp id"
    allowed = {"messaging_product", "recipient_type", "to", "type", "context"}
    kind = body.get("type", "text")
    if kind not in ("text", "interactive", "template"):
        return f"type {kind!r} is not one socialdesk sends"
    unexpected = set(body) - allowed - {kind}
    if unexpected:
        return f"unexpected fields {sorted(unexpected)}"
    if "context" in body:
        context = body["context"]
        if not isinstance(context, dict) or set(context) != {"message_id"}:
            return 'context must be {"message_id": ...}'
    content = body.get(kind)
    if not isinstance(content, dict):
        return f"{kind} must be an object"
    if kind == "text":
        text = content.get("body")
        if not isinstance(text, str) or not text.strip():
            return "text.body is required"
        if len(text) > 4096:
            return "text.body is longer than 4096 characters"
        return None
    if kind == "interactive":
        return _invalid_interactive(content)
    return _invalid_template(content)


def _invalid_interactive(content: dict[str, Any]) -> str | None:
    if content.get("type") != "button":
        return "interactive.type must be 'button'"
    text = content.get("body", {}).get("text") if isinstance(content.get("body"), dict) else None
    if not isinstance(text, str) or not text or len(text) > 1024:
        return "interactive.body.text is required, at most 1024 characters"
    action = content.get("action")
    buttons = action.get("buttons") if isinstance(action, dict) else None
    if not isinstance(buttons, list) or not 1 <= len(buttons) <= 3:
        return "interactive.action.buttons holds 1 to 3 buttons"
    titles, ids = [], []
    for button in buttons:
        reply = button.get("reply") if isinstance(button, dict) else None
        if button.get("type") != "reply" or not isinstance(reply, dict):
            return 'a button is {"type": "reply", "reply": {"id", "title"}}'
        title, button_id = reply.get("title"), reply.get("id")
        if not isinstance(title, str) or not 1 <= len(title) <= 20:
            return "a button title has 1 to 20 characters"
        if not isinstance(button_id, str) or not 1 <= len(button_id) <= 256:
            return "a button id has 1 to 256 characters"
        titles.append(title)
        ids.append(button_id)
    if len(set(titles)) != len(titles) or len(set(ids)) != len(ids):
        return "button titles and ids must be unique"
    return None


def _invalid_template(content: dict[str, Any]) -> str | None:
    if not isinstance(content.get("name"), str) or not content["name"]:
        return "template.name is required"
    language = content.get("language")
    if not isinstance(language, dict) or not isinstance(language.get("code"), str):
        return 'template.language is {"code": ...}'
    for component in content.get("components", []):
        if not isinstance(component, dict) or component.get("type") != "body":
            return "only body components are expected"
        for parameter in component.get("parameters", []):
            if parameter.get("type") != "text" or not isinstance(parameter.get("text"), str):
                return 'a body parameter is {"type": "text", "text": ...}'
    return None


# -- the socialdesk side ----------------------------------------------------------------------
def fixture(name: str) -> dict[str, Any]:
    """A payload of channels/whatsapp/fixtures, as a fresh dict to adapt."""
    data: dict[str, Any] = json.loads((FIXTURES / f"{name}.json").read_text("utf-8"))
    return copy.deepcopy(data)


def value_of(payload: dict[str, Any]) -> dict[str, Any]:
    """The first ``entry[].changes[].value`` of a payload (to adapt a fixture)."""
    value: dict[str, Any] = payload["entry"][0]["changes"][0]["value"]
    return value


def status_payload(wamid: str, state: str, timestamp: str = "1739321031") -> dict[str, Any]:
    """A status update fixture for the message ``wamid``."""
    payload = fixture(f"status_{state}")
    status = value_of(payload)["statuses"][0]
    status["id"], status["timestamp"] = wamid, timestamp
    return payload


def meta_signature(secret: str, body: bytes) -> str:
    """Computed here from Meta's documentation, independently of the code under test."""
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def encode(payload: dict[str, Any]) -> bytes:
    # Meta escapes non-ASCII characters; the signature covers exactly these bytes.
    return json.dumps(payload, ensure_ascii=True).encode()


@dataclass
class WaDesk(FakeDesk[FakeWhatsApp]):
    """One workspace with a WhatsApp number wired to the fake Cloud API."""

    def connect(self, **overrides: str) -> int:
        values = {
            "handle": DISPLAY_NUMBER,
            "external_id": PHONE_NUMBER_ID,
            "app_secret": APP_SECRET,
            "verify_token": VERIFY_TOKEN,
            "access_token": ACCESS_TOKEN,
            "api_base_url": self.fake.url,
            "api_version": VERSION,
            **overrides,
        }
        return connect(
            self.app,
            self.workspace_id,
            whatsapp.CONNECTION,
            name=f"WhatsApp {values['handle']}",
            values=values,
        )

    def deliver(
        self,
        payload: dict[str, Any] | bytes,
        *,
        secret: str = APP_SECRET,
        account_id: int | None = None,
    ) -> httpx.Response:
        """Meta posts a webhook to us, signed as Meta signs it."""
        body = payload if isinstance(payload, bytes) else encode(payload)
        return self.client.post(
            f"/hooks/whatsapp/{account_id or self.account_id}",
            content=body,
            headers={
                "content-type": "application/json",
                "x-hub-signature-256": meta_signature(secret, body),
            },
        )

    def message(self, message_id: int) -> Message:
        with self.app.db.read_session() as session:
            message = session.get(Message, message_id)
            assert message is not None
            return message


def whatsapp_desk(app: App, web: TestClient, **overrides: str) -> Iterator[WaDesk]:
    """The acme workspace, an agent with an API token, and its number on (the fake) WhatsApp."""
    fake = FakeWhatsApp().start()
    try:
        workspace_id, _, token = acme_agent(
            app, email="wa@acme.example", name="Wes", token_name="wa-tests"
        )
        desk = WaDesk(app, web, fake, workspace_id, 0, token)
        desk.account_id = desk.connect(**overrides)
        yield desk
    finally:
        fake.stop()
