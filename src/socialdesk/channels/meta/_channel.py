"""The Facebook Page + Messenger and Instagram channels: one Meta connector, two platforms."""

from __future__ import annotations

from typing import Any

import httpx

from socialdesk.channels.base import (
    AccountInfo,
    ConnectionKey,
    ConnectionSpec,
    DeliveryReceipt,
    OutboundMessage,
    SendContext,
    SendDecision,
    SendError,
    SendResult,
)
from socialdesk.channels.meta._client import DEFAULT_API_VERSION, GraphClient
from socialdesk.channels.meta._parse import (
    FACEBOOK,
    INSTAGRAM,
    MetaFlavour,
    parse_receipts,
    parse_webhook,
)
from socialdesk.channels.meta._store import comment_to_answer, link_messaging_identity
from socialdesk.channels.meta._window import (
    PRIVATE_REPLY_WINDOW,
    decide,
    human_agent_tag_allowed,
)
from socialdesk.domain.types import Visibility
from socialdesk.pipeline.events import InboundEvent
from socialdesk.store.db import Database
from socialdesk.store.types import utcnow

__all__ = [
    "FACEBOOK_CONNECTION",
    "INSTAGRAM_CONNECTION",
    "MAX_QUICK_REPLIES",
    "FacebookChannel",
    "InstagramChannel",
    "MetaChannel",
]

FACEBOOK_GRAPH_URL = "https://graph.facebook.com"
INSTAGRAM_GRAPH_URL = "https://graph.instagram.com"
MAX_QUICK_REPLIES = 13
MAX_QUICK_REPLY_TITLE = 20


def _common_keys(app: str, default_url: str) -> tuple[ConnectionKey, ...]:
    return (
        ConnectionKey(
            "app_secret",
            f"The Meta app's secret (App settings > Basic): checks the X-Hub-Signature-256 of "
            f"every {app} webhook delivery",
            secret=True,
        ),
        ConnectionKey(
            "verify_token",
            "Any string you choose and type into the app's webhook settings as the Verify "
            "Token; socialdesk answers Meta's subscription check (hub.challenge) with it",
            secret=True,
        ),
        ConnectionKey(
            "human_agent_tag",
            "yes: private replies from 24 hours to 7 days after the customer's last message go "
            "out with the HUMAN_AGENT tag (needs Meta's Human Agent permission for the app); "
            "no: only within 24 hours",
            required=False,
            default="no",
        ),
        ConnectionKey(
            "api_base_url",
            "Graph API address (a proxy, a test server)",
            required=False,
            default=default_url,
        ),
        ConnectionKey(
            "api_version",
            "Graph API version used in every call",
            required=False,
            default=DEFAULT_API_VERSION,
        ),
    )


FACEBOOK_CONNECTION = ConnectionSpec(
    platform=FACEBOOK.platform,
    keys=(
        ConnectionKey("handle", "The Facebook Page's username or name"),
        ConnectionKey(
            "external_id", "The numeric Page id (entry.id in webhooks, the Send API's page)"
        ),
        ConnectionKey(
            "access_token",
            "A Page access token with pages_messaging, pages_manage_engagement and "
            "pages_read_user_content, for replies and Messenger",
            secret=True,
        ),
        *_common_keys("Page and Messenger", FACEBOOK_GRAPH_URL),
    ),
)

INSTAGRAM_CONNECTION = ConnectionSpec(
    platform=INSTAGRAM.platform,
    keys=(
        ConnectionKey("handle", "The Instagram professional account's username"),
        ConnectionKey(
            "external_id",
            "The Instagram professional account id (entry.id in webhooks; the Send API's path)",
        ),
        ConnectionKey(
            "access_token",
            "An Instagram user access token with instagram_business_manage_messages and "
            "instagram_business_manage_comments (Instagram Login), or the linked Page's token "
            "with api_base_url https://graph.facebook.com (Facebook Login)",
            secret=True,
        ),
        *_common_keys("Instagram", INSTAGRAM_GRAPH_URL),
    ),
)


class MetaChannel:
    """What both Meta platforms share; subclasses name their flavour and endpoints.

    ``db`` lets a private reply find the comment it answers and link the person's messaging
    id to their contact (see ``_store``); without it, private replies to comments are refused.
    """

    platform: str
    connection: ConnectionSpec
    flavour: MetaFlavour
    app: str  # the name agents know ("Messenger", "Instagram")
    default_base_url: str
    reply_edge: str  # the edge that answers a comment publicly
    max_text_chars: int

    def __init__(
        self,
        db: Database | None = None,
        *,
        transport: httpx.BaseTransport | None = None,
        timeout: float = 10.0,
    ) -> None:
        self._db = db
        self._transport = transport
        self._timeout = timeout

    # -- inbound -------------------------------------------------------------------------------
    def parse(self, account: AccountInfo, payload: bytes) -> list[InboundEvent]:
        return parse_webhook(self.flavour, account, payload)

    def parse_receipts(self, account: AccountInfo, payload: bytes) -> list[DeliveryReceipt]:
        return parse_receipts(self.flavour, account, payload)

    # -- the send window -------------------------------------------------------------------------
    def check_send(self, account: AccountInfo, context: SendContext) -> SendDecision:
        return decide(
            self.app,
            context,
            human_agent_tag=human_agent_tag_allowed(account.settings.get("human_agent_tag")),
        )

    # -- outbound --------------------------------------------------------------------------------
    def client(self, account: AccountInfo) -> GraphClient:
        token = account.credentials.get("access_token")
        if not token:
            raise SendError(
                f"{self.platform} account {account.handle} has no access token: connect it again",
                permanent=True,
            )
        return GraphClient(
            access_token=token,
            base_url=str(account.settings.get("api_base_url") or self.default_base_url),
            api_version=str(account.settings.get("api_version") or DEFAULT_API_VERSION),
            transport=self._transport,
            timeout=self._timeout,
        )

    def send(self, account: AccountInfo, message: OutboundMessage) -> SendResult:
        # The Graph API takes no idempotency key: the outbox records the id right after this
        # call; a resend after an unanswered request may reach the customer twice.
        client = self.client(account)
        if message.visibility == Visibility.PUBLIC:
            return self._reply_publicly(client, message)
        if message.extra("private_reply") is not None:
            return self._reply_privately(client, account, message)
        return self._send_message(client, account, message)

    def _reply_publicly(self, client: GraphClient, message: OutboundMessage) -> SendResult:
        if not message.reply_to_platform_id:
            raise SendError("a public reply needs the comment it answers", permanent=True)
        data = client.post(
            message.reply_to_platform_id,
            self.reply_edge,
            body={"message": message.text},
            what="the comment reply",
        )
        return SendResult(platform_message_id=_answer_id(data, "id", what="the comment reply"))

    def _messages_path(self, account: AccountInfo) -> str:
        if not account.external_id:
            raise SendError(
                f"{self.platform} account {account.handle} has no external_id: connect it again",
                permanent=True,
            )
        return account.external_id

    def _check_text(self, text: str) -> None:
        if len(text) > self.max_text_chars:
            raise SendError(
                f"{self.app} takes at most {self.max_text_chars:,} characters in a message; "
                f"this one has {len(text):,}",
                permanent=True,
            )

    def _send_message(
        self, client: GraphClient, account: AccountInfo, message: OutboundMessage
    ) -> SendResult:
        if not message.recipient_external_id:
            raise SendError(
                f"the customer has no {self.app} id to send a private message to",
                permanent=True,
            )
        self._check_text(message.text)
        body: dict[str, Any] = {"recipient": {"id": message.recipient_external_id}}
        tag = message.extra("message_tag")
        if tag is not None and isinstance(tag.get("tag"), str):
            body["messaging_type"] = "MESSAGE_TAG"
            body["tag"] = tag["tag"]
        else:
            body["messaging_type"] = "RESPONSE"
        body["message"] = _message_body(message)
        data = client.post(
            self._messages_path(account), "messages", body=body, what="the private message"
        )
        return SendResult(
            platform_message_id=_answer_id(data, "message_id", what="the private message")
        )

    def _reply_privately(
        self, client: GraphClient, account: AccountInfo, message: OutboundMessage
    ) -> SendResult:
        if self._db is None or not message.recipient_external_id:
            raise SendError(
                "a private reply needs the comment it answers, which is not known here",
                permanent=True,
            )
        found = comment_to_answer(
            self._db,
            account,
            message.recipient_external_id,
            not_before=utcnow() - PRIVATE_REPLY_WINDOW,
        )
        if found.comment_id is None:
            raise SendError(f"No private reply sent: {found.reason}.", permanent=True)
        self._check_text(message.text)
        body = {"recipient": {"comment_id": found.comment_id}, "message": {"text": message.text}}
        data = client.post(
            self._messages_path(account), "messages", body=body, what="the private reply"
        )
        message_id = _answer_id(data, "message_id", what="the private reply")
        recipient = data.get("recipient_id")
        if isinstance(recipient, str) and recipient:
            link_messaging_identity(
                self._db,
                account,
                commenter_id=message.recipient_external_id,
                messaging_id=recipient,
            )
        return SendResult(platform_message_id=message_id)


def _message_body(message: OutboundMessage) -> dict[str, Any]:
    body: dict[str, Any] = {"text": message.text}
    buttons = message.buttons[:MAX_QUICK_REPLIES]
    if buttons:
        body["quick_replies"] = [
            {"content_type": "text", "title": label[:MAX_QUICK_REPLY_TITLE], "payload": label}
            for label in buttons
        ]
    return body


def _answer_id(data: dict[str, Any], key: str, *, what: str) -> str:
    value = data.get(key)
    if not isinstance(value, str) or not value:
        raise SendError(
            f"Meta accepted {what} but its answer has no {key}; not sent again to avoid a "
            "duplicate",
            permanent=True,
        )
    return value


class FacebookChannel(MetaChannel):
    """Page comments (public) and Messenger (private)."""

    platform = FACEBOOK.platform
    connection = FACEBOOK_CONNECTION
    flavour = FACEBOOK
    app = "Messenger"
    default_base_url = FACEBOOK_GRAPH_URL
    reply_edge = "comments"  # POST /{comment-id}/comments
    max_text_chars = 2000


class InstagramChannel(MetaChannel):
    """Instagram comments (public) and direct messages (private)."""

    platform = INSTAGRAM.platform
    connection = INSTAGRAM_CONNECTION
    flavour = INSTAGRAM
    app = "Instagram"
    default_base_url = INSTAGRAM_GRAPH_URL
    reply_edge = "replies"  # POST /{ig-comment-id}/replies
    max_text_chars = 1000
