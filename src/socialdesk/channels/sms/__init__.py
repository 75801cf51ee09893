"""SMS through Twilio: signed webhooks in, the Message resource out, status callbacks as
delivery receipts.

Twilio calls ``/hooks/sms/<account id>`` for every text to the number (set it as the
number's "A message comes in" webhook, HTTP POST) and ``/hooks/sms/<account id>/status``
for the status of each reply (socialdesk names it as ``StatusCallback`` when sending). Both
carry ``X-Twilio-Signature``, computed over the public URL Twilio called: behind a proxy that
URL is not the one the request arrives at, so ``public_url`` says what it is.

Customers are identified by their number in E.164 form (domain.phone). Twilio's Messages API
takes no idempotency key: the outbox records the SID right after the call, so only a crash
between Twilio's answer and that record can send a reply twice.
"""

from __future__ import annotations

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
from socialdesk.channels.sms._client import DEFAULT_API_BASE_URL, TwilioClient
from socialdesk.channels.sms._parse import (
    PLATFORM,
    form_params,
    is_status_callback,
    parse_message,
    parse_status,
)
from socialdesk.channels.sms._signature import (
    SIGNATURE_HEADER,
    signature_is_valid,
    twilio_signature,
    url_variants,
)
from socialdesk.domain.types import Visibility
from socialdesk.pipeline.events import InboundEvent

__all__ = [
    "CONNECTION",
    "DEFAULT_API_BASE_URL",
    "EMPTY_TWIML",
    "PLATFORM",
    "SIGNATURE_HEADER",
    "SmsChannel",
    "TwilioClient",
    "form_params",
    "is_status_callback",
    "signature_is_valid",
    "status_callback_url",
    "twilio_signature",
    "url_variants",
]

EMPTY_TWIML = '<?xml version="1.0" encoding="UTF-8"?><Response/>'

CONNECTION = ConnectionSpec(
    platform=PLATFORM,
    keys=(
        ConnectionKey("handle", "The name agents see for this number (e.g. +14155550100)"),
        ConnectionKey(
            "external_id",
            "The Twilio number customers text, in E.164 form (+14155550100); replies are sent "
            "from it unless messaging_service_sid is set",
        ),
        ConnectionKey("account_sid", "The Twilio Account SID (AC...)"),
        ConnectionKey(
            "auth_token",
            "The Twilio auth token: checks X-Twilio-Signature and authenticates sends",
            secret=True,
        ),
        ConnectionKey(
            "public_url",
            "socialdesk's public address as Twilio calls it (e.g. https://desk.example.com): "
            "signatures are checked against it and status callbacks point to it. Without it "
            "the address requests arrive at is used and no status callbacks are requested",
            required=False,
        ),
        ConnectionKey(
            "messaging_service_sid",
            "Send through this Twilio Messaging Service (MG...) instead of from the number",
            required=False,
        ),
        ConnectionKey(
            "default_country_code",
            "Calling code for numbers Twilio gives without one (e.g. 1 or 44)",
            required=False,
        ),
        ConnectionKey(
            "api_base_url", "Twilio API address", required=False, default=DEFAULT_API_BASE_URL
        ),
    ),
)


def status_callback_url(account: AccountInfo) -> str | None:
    base = str(account.settings.get("public_url") or "").strip().rstrip("/")
    return f"{base}/hooks/{PLATFORM}/{account.id}/status" if base else None


class SmsChannel:
    platform = PLATFORM
    connection = CONNECTION

    def __init__(
        self, *, transport: httpx.BaseTransport | None = None, timeout: float = 10.0
    ) -> None:
        self._transport = transport
        self._timeout = timeout

    def parse(self, account: AccountInfo, payload: bytes) -> list[InboundEvent]:
        return parse_message(account, payload)

    def parse_receipts(self, account: AccountInfo, payload: bytes) -> list[DeliveryReceipt]:
        return parse_status(payload)

    def check_send(self, account: AccountInfo, context: SendContext) -> SendDecision:
        if context.visibility != Visibility.PRIVATE:
            return SendDecision.refuse("SMS is a private channel: send a private reply")
        return SendDecision.allow()

    def send(self, account: AccountInfo, message: OutboundMessage) -> SendResult:
        if message.visibility != Visibility.PRIVATE:
            raise SendError("SMS is a private channel: send a private reply", permanent=True)
        to = message.recipient_external_id
        if not to:
            raise SendError("the customer has no phone number to text", permanent=True)
        sid = str(account.settings.get("account_sid") or "").strip()
        token = account.credentials.get("auth_token")
        if not sid or not token:
            raise SendError(
                f"SMS account {account.handle} has no Twilio account SID or auth token: "
                "connect it again",
                permanent=True,
            )
        client = TwilioClient(
            account_sid=sid,
            auth_token=token,
            base_url=str(account.settings.get("api_base_url") or DEFAULT_API_BASE_URL),
            transport=self._transport,
            timeout=self._timeout,
        )
        created = client.create_message(
            to=to,
            body=message.text,
            from_=account.external_id,
            messaging_service_sid=str(account.settings.get("messaging_service_sid") or "") or None,
            status_callback=status_callback_url(account),
        )
        return SendResult(platform_message_id=str(created["sid"]))
