"""WhatsApp Cloud API: webhooks in (messages and status updates), ``/{phone-number-id}/messages``
out, the 24-hour customer service window enforced before a reply is queued.

Connecting an account takes the business phone number (its display number as the handle, its
``phone_number_id`` as the external id), the Meta app's secret (webhook signatures), the verify
token typed into the app dashboard (subscription check), a system user access token with
``whatsapp_business_messaging`` (sending) and, optionally, the approved templates agents may
send outside the window (``templates``, a JSON list, see ``_compose``). ``api_base_url`` and
``api_version`` point the client elsewhere (a proxy, a test server, a newer Graph version).

The Cloud API takes no idempotency key: the outbox records the wamid right after the call,
but a send whose answer is lost (timeout after Meta accepted it) is retried and may reach the
customer twice. Keep the timeout generous.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

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
from socialdesk.channels.whatsapp._client import (
    DEFAULT_API_BASE_URL,
    DEFAULT_API_VERSION,
    WhatsAppClient,
    error_to_send_error,
)
from socialdesk.channels.whatsapp._compose import (
    MAX_BUTTON_TITLE,
    MAX_BUTTONS,
    Template,
    approved_templates,
    message_body,
)
from socialdesk.channels.whatsapp._parse import (
    PLATFORM,
    describe_error,
    parse_messages,
    parse_statuses,
    phone_number_ids,
)
from socialdesk.channels.whatsapp._signature import (
    SIGNATURE_HEADER,
    sign,
    signature_is_valid,
    subscription_is_valid,
)
from socialdesk.domain.types import Visibility
from socialdesk.pipeline.events import InboundEvent

__all__ = [
    "CONNECTION",
    "DEFAULT_API_BASE_URL",
    "DEFAULT_API_VERSION",
    "MAX_BUTTONS",
    "MAX_BUTTON_TITLE",
    "PLATFORM",
    "SERVICE_WINDOW",
    "SIGNATURE_HEADER",
    "Template",
    "WhatsAppChannel",
    "WhatsAppClient",
    "approved_templates",
    "describe_error",
    "error_to_send_error",
    "phone_number_ids",
    "sign",
    "signature_is_valid",
    "subscription_is_valid",
]

# Free-form messages may follow a customer's message for this long; after it, only templates.
SERVICE_WINDOW = timedelta(hours=24)

CONNECTION = ConnectionSpec(
    platform=PLATFORM,
    keys=(
        ConnectionKey("handle", "The business phone number as customers see it, e.g. 15550783881"),
        ConnectionKey(
            "external_id",
            "The number's phone_number_id (WhatsApp Manager > API setup; metadata."
            "phone_number_id in webhooks): sends go to /{phone_number_id}/messages",
        ),
        ConnectionKey(
            "app_secret",
            "The Meta app's secret (App settings > Basic): checks X-Hub-Signature-256",
            secret=True,
        ),
        ConnectionKey(
            "verify_token",
            "The verify token typed into the app's webhook settings (hub.verify_token)",
            secret=True,
        ),
        ConnectionKey(
            "access_token",
            "A system user access token with whatsapp_business_messaging, for sending",
            secret=True,
        ),
        ConnectionKey(
            "templates",
            "Approved message templates agents may send outside the 24-hour window, as JSON: "
            '[{"name": "order_update", "language": "en_US", "parameters": 1, '
            '"text": "Your order {{1}} has shipped"}]',
            required=False,
            default="[]",
        ),
        ConnectionKey(
            "api_base_url", "Graph API address", required=False, default=DEFAULT_API_BASE_URL
        ),
        ConnectionKey(
            "api_version", "Graph API version", required=False, default=DEFAULT_API_VERSION
        ),
    ),
)


class WhatsAppChannel:
    platform = PLATFORM
    connection = CONNECTION

    def __init__(
        self, *, transport: httpx.BaseTransport | None = None, timeout: float = 20.0
    ) -> None:
        self._transport = transport
        self._timeout = timeout

    def parse(self, account: AccountInfo, payload: bytes) -> list[InboundEvent]:
        return parse_messages(account, payload)

    def parse_receipts(self, account: AccountInfo, payload: bytes) -> list[DeliveryReceipt]:
        return parse_statuses(account, payload)

    def check_send(self, account: AccountInfo, context: SendContext) -> SendDecision:
        if context.visibility != Visibility.PRIVATE:
            return SendDecision.refuse(
                "WhatsApp has no public posts: every message is private to the customer; "
                "send it as a private message"
            )
        if context.is_template:
            return SendDecision.allow()  # approved templates may be sent at any time
        last = context.last_inbound_private_at
        if last is None:
            return SendDecision.refuse(
                "The customer has not written to this WhatsApp number yet, so WhatsApp allows "
                "only approved templates: send an approved template instead"
            )
        last, now = _utc(last), _utc(context.now)
        if now - last >= SERVICE_WINDOW:
            return SendDecision.refuse(
                f"The customer's last WhatsApp message was {_ago(now - last)} ago, outside "
                "WhatsApp's 24-hour customer service window, where free-form messages are not "
                "allowed: send an approved template instead"
            )
        return SendDecision.allow()

    def templates(self, account: AccountInfo) -> list[Template]:
        """The approved templates of ``account`` (an unreadable setting is a permanent error)."""
        try:
            return approved_templates(account.settings)
        except ValueError as exc:
            raise SendError(
                f"WhatsApp account {account.handle}: {exc}; fix it in the account's settings",
                permanent=True,
            ) from exc

    def client(self, account: AccountInfo) -> WhatsAppClient:
        token = account.credentials.get("access_token")
        if not token:
            raise SendError(
                f"WhatsApp account {account.handle} has no access token: connect it again",
                permanent=True,
            )
        if not account.external_id:
            raise SendError(
                f"WhatsApp account {account.handle} has no phone_number_id: connect it again",
                permanent=True,
            )
        return WhatsAppClient(
            access_token=token,
            phone_number_id=account.external_id,
            base_url=str(account.settings.get("api_base_url") or DEFAULT_API_BASE_URL),
            version=str(account.settings.get("api_version") or DEFAULT_API_VERSION),
            transport=self._transport,
            timeout=self._timeout,
        )

    def send(self, account: AccountInfo, message: OutboundMessage) -> SendResult:
        if message.visibility != Visibility.PRIVATE:
            raise SendError(
                "WhatsApp messages are always private; nothing was sent", permanent=True
            )
        if not message.recipient_external_id:
            raise SendError(
                "the customer has no WhatsApp id (phone number) to send to", permanent=True
            )
        body = message_body(message, message.recipient_external_id, self.templates(account))
        wamid = self.client(account).send_message(body)
        return SendResult(platform_message_id=wamid)


def _ago(elapsed: timedelta) -> str:
    hours = int(elapsed.total_seconds() // 3600)
    if hours < 48:
        return f"{hours} hours"
    return f"{hours // 24} days"


def _utc(value: datetime) -> datetime:
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)
