"""Test kit for the X connector: the brand, its credentials, fixtures, signed deliveries."""

from __future__ import annotations

import base64
import copy
import hashlib
import hmac
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
from desk_kit import FakeDesk, connect
from desk_kit import row_counts as row_counts  # the tests import it from here
from x_fake_server import FakeX

import socialdesk.channels.twitter as twitter
from socialdesk.bootstrap import App
from socialdesk.store.models import Message

BRAND_ID = "2244994945"
BRAND_HANDLE = "acmecare"
CUSTOMER_ID = "6253282"
CONSUMER_SECRET = "kAcSOqF21Fu85e7zjz7ZN2U4ZRhfV3WpwPAoE3Z7kBw"
ACCESS_TOKEN = "Vk1NSWZzUFpsOGZ0YXJnZXQ6MTcxNzAwMDAwMDAwMDoxOjA6YXQ6MQ"
FIXTURES = Path(twitter.__file__).parent / "fixtures"
MENTION_ID = "1924465506158878979"


def fixture(name: str) -> dict[str, Any]:
    """A payload of channels/twitter/fixtures, as a fresh dict to adapt."""
    data: dict[str, Any] = json.loads((FIXTURES / f"{name}.json").read_text("utf-8"))
    return copy.deepcopy(data)


def x_signature(secret: str, body: bytes) -> str:
    """Computed here from the documentation, independently of the code under test."""
    digest = hmac.new(secret.encode(), body, hashlib.sha256).digest()
    return "sha256=" + base64.b64encode(digest).decode()


def encode(payload: dict[str, Any]) -> bytes:
    return json.dumps(payload, ensure_ascii=False).encode()


def connect_x(app: App, workspace_id: int, fake: FakeX, **overrides: str) -> int:
    values = {
        "handle": BRAND_HANDLE,
        "external_id": BRAND_ID,
        "consumer_secret": CONSUMER_SECRET,
        "access_token": ACCESS_TOKEN,
        "api_base_url": fake.url,
        **overrides,
    }
    return connect(app, workspace_id, twitter.CONNECTION, name="Acme on X", values=values)


@dataclass
class XDesk(FakeDesk[FakeX]):
    """One workspace with an X account wired to the fake X server, seen through the API."""

    def deliver(
        self,
        payload: dict[str, Any] | bytes,
        *,
        secret: str = CONSUMER_SECRET,
        account_id: int | None = None,
    ) -> httpx.Response:
        """X posts account activity to our webhook, signed as X signs it."""
        body = payload if isinstance(payload, bytes) else encode(payload)
        return self.client.post(
            f"/hooks/twitter/{account_id or self.account_id}",
            content=body,
            headers={
                "content-type": "application/json",
                "x-twitter-webhooks-signature": x_signature(secret, body),
            },
        )

    def message(self, platform_message_id: str) -> Message:
        found = [m for m in self.messages() if m.platform_message_id == platform_message_id]
        assert len(found) == 1, [m.platform_message_id for m in self.messages()]
        return found[0]
