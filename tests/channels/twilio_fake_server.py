"""A local stand-in for Twilio's Messages API on 127.0.0.1, and the test kit of the SMS tests.

``POST /2010-04-01/Accounts/{AccountSid}/Messages.json``: HTTP Basic auth with the account
SID and auth token, a form-encoded body with ``To``, ``From`` or ``MessagingServiceSid``,
``Body`` and optionally ``StatusCallback``; answers 201 with a Message resource, or Twilio's
error JSON ``{"code", "message", "more_info", "status"}`` (20003 bad credentials, 21211
invalid To, 21602 no Body, 21603 no From). It records every request and can be told to
answer the next one with a rate limit, an outage or a refusal.

Webhooks are signed here with :func:`sign`, written from Twilio's documentation
independently of the code under test.
"""

from __future__ import annotations

import base64
import copy
import hashlib
import hmac
import itertools
import json
import re
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import httpx
from desk_kit import FakeDesk, connect
from fake_http import Answer, FakeHttpServer, form_fields, lower_headers

import socialdesk.channels.sms as sms
from socialdesk.bootstrap import App

__all__ = ["FakeTwilio", "Recorded", "SmsDesk", "sign"]

_PATH = re.compile(r"^/2010-04-01/Accounts/(?P<sid>AC[0-9a-f]{32})/Messages\.json$")
_E164 = re.compile(r"^\+[1-9]\d{6,14}$")


@dataclass
class Recorded:
    method: str
    path: str
    headers: dict[str, str]
    form: dict[str, str]


class FakeTwilio(FakeHttpServer[Recorded]):
    http_methods = ("POST",)
    content_type = "application/json; charset=utf-8"

    def __init__(self, *, account_sid: str, auth_token: str) -> None:
        super().__init__()
        self.account_sid = account_sid
        self.auth_token = auth_token
        self._ids = itertools.count(1)

    # -- the server side ----------------------------------------------------------------------
    def parse(self, handler: BaseHTTPRequestHandler, raw: bytes) -> Recorded:
        return Recorded(handler.command, handler.path, lower_headers(handler), form_fields(raw))

    def route(self, request: Recorded) -> Answer:
        path, headers, form = request.path, request.headers, request.form
        expected = (
            "Basic " + base64.b64encode(f"{self.account_sid}:{self.auth_token}".encode()).decode()
        )
        match = _PATH.match(path)
        if headers.get("authorization") != expected or (
            match is not None and match["sid"] != self.account_sid
        ):
            return 401, _error(20003, "Authenticate", 401), {}
        if match is None:
            return 404, _error(20404, "The requested resource was not found", 404), {}
        scripted = self.scripted()
        if scripted is not None:
            return scripted
        if not headers.get("content-type", "").startswith("application/x-www-form-urlencoded"):
            return 400, _error(20001, "Unsupported content type", 400), {}
        to = form.get("To", "")
        if not _E164.match(to):
            return 400, _error(21211, f"The 'To' number {to} is not a valid phone number.", 400), {}
        if not form.get("From") and not form.get("MessagingServiceSid"):
            return 400, _error(21603, "The 'From' phone number is required.", 400), {}
        body = form.get("Body", "")
        if not body:
            return 400, _error(21602, "Message body is required.", 400), {}
        if len(body) > 1600:
            return (
                400,
                _error(
                    21617, "The concatenated message body exceeds the 1600 character limit.", 400
                ),
                {},
            )
        sid = f"SM{next(self._ids):032x}"
        resource = {
            "sid": sid,
            "account_sid": self.account_sid,
            "to": to,
            "from": form.get("From"),
            "messaging_service_sid": form.get("MessagingServiceSid"),
            "body": body,
            "status": "accepted" if form.get("MessagingServiceSid") else "queued",
            "num_segments": "1",
            "direction": "outbound-api",
            "api_version": "2010-04-01",
            "error_code": None,
            "error_message": None,
            "uri": f"/2010-04-01/Accounts/{self.account_sid}/Messages/{sid}.json",
        }
        return 201, resource, {}


def _error(code: int, message: str, status: int) -> dict[str, Any]:
    return {
        "code": code,
        "message": message,
        "more_info": f"https://www.twilio.com/docs/errors/{code}",
        "status": status,
    }


def sign(auth_token: str, url: str, params: list[tuple[str, str]]) -> str:
    """X-Twilio-Signature as Twilio documents it: the URL, then each POST parameter's name and
    value in name order, HMAC-SHA1 with the auth token, base64."""
    data = url
    for name, value in sorted(params, key=lambda pair: (pair[0], pair[1])):
        data += name + value
    digest = hmac.new(auth_token.encode(), data.encode(), hashlib.sha1).digest()
    return base64.b64encode(digest).decode()


# -- test kit -----------------------------------------------------------------------------------
ACCOUNT_SID = "AC8e2f4a6b0c1d3e5f7a9b2c4d6e8f0a1b"
AUTH_TOKEN = "9f8e7d6c5b4a39281706f5e4d3c2b1a0"
BRAND_NUMBER = "+14155550100"
CUSTOMER_NUMBER = "+14155550199"
PUBLIC_URL = "https://desk.example.com"
FIXTURES = Path(sms.__file__).parent / "fixtures"


def fixture(name: str) -> list[tuple[str, str]]:
    """A webhook's POST parameters of channels/sms/fixtures, in order."""
    pairs = json.loads((FIXTURES / f"{name}.json").read_text("utf-8"))
    return [(str(k), str(v)) for k, v in copy.deepcopy(pairs)]


def replace(params: list[tuple[str, str]], **values: str) -> list[tuple[str, str]]:
    """``params`` with some values changed (names kept in place)."""
    return [(k, values.get(k, v)) for k, v in params]


def connect_number(app: App, workspace_id: int, base_url: str, **overrides: str) -> int:
    values = {
        "handle": BRAND_NUMBER,
        "external_id": BRAND_NUMBER,
        "account_sid": ACCOUNT_SID,
        "auth_token": AUTH_TOKEN,
        "public_url": PUBLIC_URL,
        "api_base_url": base_url,
        **overrides,
    }
    return connect(
        app,
        workspace_id,
        sms.CONNECTION,
        name="Acme SMS",
        values={k: v for k, v in values.items() if v},
    )


@dataclass
class SmsDesk(FakeDesk[FakeTwilio]):
    """One workspace with a number wired to the fake Twilio, seen through the API."""

    def deliver(
        self,
        params: list[tuple[str, str]],
        *,
        path: str | None = None,
        signed_url: str | None = None,
        token: str = AUTH_TOKEN,
        signature: str | None = None,
    ) -> httpx.Response:
        """Twilio posts a webhook to ``path``, signed over ``signed_url`` (by default the
        public URL of that path, as configured on the account)."""
        path = path or f"/hooks/sms/{self.account_id}"
        url = signed_url or PUBLIC_URL + path
        headers = {
            "content-type": "application/x-www-form-urlencoded",
            "X-Twilio-Signature": signature if signature is not None else sign(token, url, params),
        }
        if signature == "":
            del headers["X-Twilio-Signature"]
        return self.client.post(path, content=urlencode(params).encode(), headers=headers)

    def status(self, params: list[tuple[str, str]]) -> httpx.Response:
        return self.deliver(params, path=f"/hooks/sms/{self.account_id}/status")
