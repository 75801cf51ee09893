"""Web chat: a widget any site embeds with one ``<script>`` tag, served by socialdesk.

A channel account is a *site*: its allowed origins (the pages that may embed the widget),
the widget's title, greeting and colour, and optionally the address offline visitors are
told replies come from. There is no outside platform: the widget talks to socialdesk's
public hook (web/hooks/webchat.py), visitors' messages are stored as raw events like any
webhook's, and agents' replies are "delivered" into the visitor's transcript
(``webchat_messages``) and pushed to the widget over server-sent events.

Delivery state: ``sent`` when the reply is in the transcript, ``delivered`` when the widget
confirmed it received it, ``read`` when it was shown in the open panel. The widget's
confirmations are stored as raw events of type ``receipts`` and applied through the usual
receipt path (this channel is a ``ReceiptChannel``), so they are forward-only and idempotent.
"""

from __future__ import annotations

import re

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from socialdesk.channels.base import (
    AccountInfo,
    ConnectionKey,
    ConnectionSpec,
    DeliveryReceipt,
    OutboundMessage,
    SendError,
    SendResult,
)
from socialdesk.channels.webchat._hub import VisitorHub
from socialdesk.channels.webchat._offline import (
    EMAIL_PLATFORM,
    FOLLOWUP_EVENT,
    agents_online,
    queue_email_followup,
    webchat_followup_step,
)
from socialdesk.channels.webchat._payload import (
    MAX_TEXT_CHARS,
    PLATFORM,
    ReceiptsPayload,
    StoredMessage,
    inbound_platform_id,
    outbound_platform_id,
    parse_payload,
    receipts_of,
)
from socialdesk.channels.webchat._token import issue_token, new_visitor_id, read_token
from socialdesk.domain.types import AuthorKind, Direction, Visibility
from socialdesk.pipeline.events import Author, InboundEvent
from socialdesk.store.db import Database
from socialdesk.store.models import WebchatMessage, WebchatVisitor

__all__ = [
    "CONNECTION",
    "DEFAULT_COLOUR",
    "DEFAULT_TITLE",
    "EMAIL_PLATFORM",
    "FOLLOWUP_EVENT",
    "MAX_TEXT_CHARS",
    "PLATFORM",
    "VisitorHub",
    "WebchatChannel",
    "agents_online",
    "allowed_origins",
    "issue_token",
    "new_visitor_id",
    "normalize_origin",
    "read_token",
    "site_colour",
    "webchat_followup_step",
]

DEFAULT_TITLE = "Chat with us"
DEFAULT_GREETING = "Hi! How can we help you today?"
DEFAULT_COLOUR = "#1d4ed8"
DEFAULT_RATE = "20"

CONNECTION = ConnectionSpec(
    platform=PLATFORM,
    keys=(
        ConnectionKey("handle", "A short name for the site, e.g. acme-website"),
        ConnectionKey(
            "allowed_origins",
            "Origins of the pages that may embed the chat widget, separated by commas or "
            "spaces, each as scheme://host[:port] (e.g. https://www.acme.example)",
        ),
        ConnectionKey("title", "The chat panel's title", required=False, default=DEFAULT_TITLE),
        ConnectionKey(
            "greeting",
            "The first line visitors read in the chat panel",
            required=False,
            default=DEFAULT_GREETING,
        ),
        ConnectionKey(
            "colour",
            "The widget's accent colour as #rrggbb (dark enough for white text)",
            required=False,
            default=DEFAULT_COLOUR,
        ),
        ConnectionKey(
            "followup_email",
            "The address offline visitors are told replies come from (shown in the widget)",
            required=False,
        ),
        ConnectionKey(
            "public_url",
            "socialdesk's address as visitors' browsers reach it (default: the address the "
            "widget script was loaded from)",
            required=False,
        ),
        ConnectionKey(
            "rate_limit_per_minute",
            "Messages one visitor may send per minute",
            required=False,
            default=DEFAULT_RATE,
        ),
    ),
)

_COLOUR = re.compile(r"^#[0-9a-fA-F]{6}$")


def normalize_origin(origin: str) -> str:
    return origin.strip().rstrip("/").lower()


def allowed_origins(account: AccountInfo) -> set[str]:
    raw = str(account.settings.get("allowed_origins") or "")
    return {normalize_origin(o) for o in re.split(r"[,\s]+", raw) if o.strip()}


def site_colour(account: AccountInfo) -> str:
    colour = str(account.settings.get("colour") or "")
    return colour if _COLOUR.match(colour) else DEFAULT_COLOUR


class WebchatChannel:
    platform = PLATFORM
    connection = CONNECTION

    def __init__(self, db: Database) -> None:
        self.db = db
        self.hub = VisitorHub()

    def parse(self, account: AccountInfo, payload: bytes) -> list[InboundEvent]:
        data = parse_payload(payload)
        if not isinstance(data, StoredMessage):
            return []
        return [
            InboundEvent(
                platform=PLATFORM,
                platform_message_id=inbound_platform_id(data.visitor.id, data.id),
                author=Author(external_id=data.visitor.id, name=data.visitor.name),
                text=data.text,
                platform_time=data.time,
                visibility=Visibility.PRIVATE,
                channel_account_id=account.id,
                direction=Direction.IN,
                author_kind=AuthorKind.CONTACT,
            )
        ]

    def parse_receipts(self, account: AccountInfo, payload: bytes) -> list[DeliveryReceipt]:
        data = parse_payload(payload)
        return receipts_of(data) if isinstance(data, ReceiptsPayload) else []

    def send(self, account: AccountInfo, message: OutboundMessage) -> SendResult:
        if message.visibility != Visibility.PRIVATE:
            raise SendError("web chat has no public posts: reply privately", permanent=True)
        visitor_id = message.recipient_external_id
        if not visitor_id:
            raise SendError("the conversation has no web chat visitor to answer", permanent=True)
        try:
            platform_id = self._store(account, visitor_id, message)
        except IntegrityError:  # the same reply stored concurrently: the first one stands
            platform_id = self._store(account, visitor_id, message)
        self.hub.publish(account.id, visitor_id)
        return SendResult(platform_message_id=platform_id)

    def _store(self, account: AccountInfo, visitor_id: str, message: OutboundMessage) -> str:
        with self.db.session() as session:
            visitor = session.scalar(
                select(WebchatVisitor).where(
                    WebchatVisitor.channel_account_id == account.id,
                    WebchatVisitor.visitor_id == visitor_id,
                )
            )
            if visitor is None:
                raise SendError(
                    f"web chat visitor {visitor_id} is unknown to site {account.handle}",
                    permanent=True,
                )
            row = session.scalar(
                select(WebchatMessage).where(
                    WebchatMessage.visitor_pk == visitor.id,
                    WebchatMessage.direction == Direction.OUT.value,
                    WebchatMessage.key == message.idempotency_key,
                )
            )
            if row is None:
                row = WebchatMessage(
                    channel_account_id=account.id,
                    visitor_pk=visitor.id,
                    direction=Direction.OUT.value,
                    key=message.idempotency_key,
                    text=message.text,
                )
                session.add(row)
                session.flush()
            if visitor.email_followup and visitor.email:
                title = str(account.settings.get("title") or DEFAULT_TITLE)
                queue_email_followup(session, visitor, message.idempotency_key, title)
            return outbound_platform_id(row.id)
