"""X (Twitter): Account Activity webhooks in, API v2 replies and direct messages out.

Connecting an account takes the app's consumer secret (webhook signatures and the CRC
challenge), an OAuth 2.0 user access token of the brand (scopes ``tweet.read tweet.write
users.read dm.read dm.write``), the brand's user id and handle; ``api_base_url`` points the
client elsewhere (a proxy, a test server).
"""

from __future__ import annotations

import httpx

from socialdesk.channels.base import (
    AccountInfo,
    ConnectionKey,
    ConnectionSpec,
    OutboundMessage,
    SendError,
    SendResult,
)
from socialdesk.channels.twitter._client import DEFAULT_API_BASE_URL, XClient, retry_after_seconds
from socialdesk.channels.twitter._parse import PLATFORM, parse_activity, payload_for_user
from socialdesk.channels.twitter._signature import (
    SIGNATURE_HEADER,
    crc_response_token,
    sign,
    signature_is_valid,
)
from socialdesk.domain.types import Visibility
from socialdesk.pipeline.events import InboundEvent

__all__ = [
    "CONNECTION",
    "DEFAULT_API_BASE_URL",
    "PLATFORM",
    "SIGNATURE_HEADER",
    "TwitterChannel",
    "XClient",
    "crc_response_token",
    "payload_for_user",
    "retry_after_seconds",
    "sign",
    "signature_is_valid",
]

CONNECTION = ConnectionSpec(
    platform=PLATFORM,
    keys=(
        ConnectionKey("handle", "The brand's @handle on X"),
        ConnectionKey("external_id", "The brand's numeric X user id (for_user_id in webhooks)"),
        ConnectionKey(
            "consumer_secret",
            "The X app's API key secret: signs webhooks and answers the CRC challenge",
            secret=True,
        ),
        ConnectionKey(
            "access_token", "OAuth 2.0 user access token of the brand, for sending", secret=True
        ),
        ConnectionKey(
            "api_base_url", "X API address", required=False, default=DEFAULT_API_BASE_URL
        ),
    ),
)


class TwitterChannel:
    platform = PLATFORM
    connection = CONNECTION

    def __init__(
        self, *, transport: httpx.BaseTransport | None = None, timeout: float = 10.0
    ) -> None:
        self._transport = transport
        self._timeout = timeout

    def parse(self, account: AccountInfo, payload: bytes) -> list[InboundEvent]:
        return parse_activity(account, payload)

    def client(self, account: AccountInfo) -> XClient:
        token = account.credentials.get("access_token")
        if not token:
            raise SendError(
                f"X account @{account.handle} has no access token: connect it again",
                permanent=True,
            )
        return XClient(
            access_token=token,
            base_url=str(account.settings.get("api_base_url") or DEFAULT_API_BASE_URL),
            transport=self._transport,
            timeout=self._timeout,
        )

    def send(self, account: AccountInfo, message: OutboundMessage) -> SendResult:
        # X's API takes no idempotency key: the outbox records the id right after this call,
        # and a resend after an unanswered request may be refused as duplicate content.
        client = self.client(account)
        if message.visibility == Visibility.PUBLIC:
            tweet_id = client.create_tweet(message.text, in_reply_to=message.reply_to_platform_id)
            return SendResult(platform_message_id=tweet_id)
        if not message.recipient_external_id:
            raise SendError(
                "the customer has no X user id to send a direct message to", permanent=True
            )
        dm_id = client.send_dm(message.recipient_external_id, message.text)
        return SendResult(platform_message_id=dm_id)
