"""Telegram Bot API: webhook updates in, ``sendMessage`` out, inline keyboards as buttons.

Connecting a bot takes its token (from @BotFather) and a webhook secret: the bot's webhook
is set with ``setWebhook(url=<public base>/hooks/telegram/<account id>, secret_token=<secret>)``
(:func:`register_webhook`), and Telegram then sends the secret in the
``X-Telegram-Bot-Api-Secret-Token`` header of every update; updates without it are refused.

Private chats only (see ``_parse``): a reply always goes to the customer's private chat with
the bot (their user id is the chat id), quoting their latest message unless the account's
``quote_replies`` setting is ``false``. Buttons (``quick_replies`` extras) become an inline
keyboard, one button per row; a press comes back as the customer's message with the
button's label as its text.

The Bot API takes no idempotency key: the outbox records the message id right after the
call, so only a crash between Telegram's answer and that record can send a reply twice.
"""

from __future__ import annotations

import hmac

import httpx

from socialdesk.channels.base import (
    AccountInfo,
    ConnectionKey,
    ConnectionSpec,
    OutboundMessage,
    SendError,
    SendResult,
)
from socialdesk.channels.telegram._client import (
    DEFAULT_API_BASE_URL,
    TelegramClient,
    callback_data,
)
from socialdesk.channels.telegram._parse import (
    PLATFORM,
    callback_query_id,
    load_update,
    parse_update,
    split_message_id,
)
from socialdesk.domain.types import Visibility
from socialdesk.pipeline.events import InboundEvent

__all__ = [
    "CONNECTION",
    "DEFAULT_API_BASE_URL",
    "PLATFORM",
    "SECRET_HEADER",
    "TelegramChannel",
    "TelegramClient",
    "callback_data",
    "callback_query_id",
    "load_update",
    "register_webhook",
    "secret_token_is_valid",
    "webhook_url",
]

SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
# The update types socialdesk reads; setWebhook asks for these only.
ALLOWED_UPDATES = ["message", "edited_message", "callback_query"]

CONNECTION = ConnectionSpec(
    platform=PLATFORM,
    keys=(
        ConnectionKey("handle", "The bot's @username (e.g. acme_care_bot)"),
        ConnectionKey(
            "external_id",
            "The bot's numeric user id (the digits before ':' in its token)",
            required=False,
        ),
        ConnectionKey("bot_token", "The bot's token from @BotFather (123456:ABC-...)", secret=True),
        ConnectionKey(
            "webhook_secret",
            "The secret_token given to setWebhook (1-256 characters A-Z a-z 0-9 _ -): Telegram "
            "sends it with every update and socialdesk refuses updates without it",
            secret=True,
        ),
        ConnectionKey(
            "quote_replies",
            "'true' to quote the customer's latest message in each reply, 'false' not to",
            required=False,
            default="true",
        ),
        ConnectionKey(
            "api_base_url",
            "Bot API address (a local Bot API server, a proxy)",
            required=False,
            default=DEFAULT_API_BASE_URL,
        ),
    ),
)


def secret_token_is_valid(expected: str, header: str) -> bool:
    """Whether the secret token header matches (constant-time comparison)."""
    return hmac.compare_digest(expected.encode(), header.encode())


def webhook_url(public_base_url: str, account_id: int) -> str:
    return f"{public_base_url.rstrip('/')}/hooks/{PLATFORM}/{account_id}"


class TelegramChannel:
    platform = PLATFORM
    connection = CONNECTION

    def __init__(
        self, *, transport: httpx.BaseTransport | None = None, timeout: float = 10.0
    ) -> None:
        self._transport = transport
        self._timeout = timeout

    def parse(self, account: AccountInfo, payload: bytes) -> list[InboundEvent]:
        return parse_update(account, payload)

    def client(self, account: AccountInfo) -> TelegramClient:
        token = account.credentials.get("bot_token")
        if not token:
            raise SendError(
                f"Telegram bot @{account.handle} has no token: connect it again", permanent=True
            )
        return TelegramClient(
            token=token,
            base_url=str(account.settings.get("api_base_url") or DEFAULT_API_BASE_URL),
            transport=self._transport,
            timeout=self._timeout,
        )

    def send(self, account: AccountInfo, message: OutboundMessage) -> SendResult:
        if message.visibility != Visibility.PRIVATE:
            raise SendError("Telegram chats are private: reply privately", permanent=True)
        chat = message.recipient_external_id
        if not chat or not chat.lstrip("-").isdigit():
            raise SendError("the customer has no Telegram chat to write to", permanent=True)
        reply_to: int | None = None
        quote = str(account.settings.get("quote_replies", "true")).strip().lower()
        if message.reply_to_platform_id and quote not in ("false", "no", "0", "off"):
            ids = split_message_id(message.reply_to_platform_id)
            if ids is not None and str(ids[0]) == chat:
                reply_to = ids[1]
        sent = self.client(account).send_message(
            int(chat), message.text, reply_to_message_id=reply_to, buttons=message.buttons
        )
        chat_obj = sent.get("chat")
        chat_id = chat_obj.get("id") if isinstance(chat_obj, dict) else None
        return SendResult(platform_message_id=f"{chat_id or chat}:{sent['message_id']}")


def register_webhook(channel: TelegramChannel, account: AccountInfo, public_base_url: str) -> str:
    """``setWebhook`` for ``account`` at ``<public_base_url>/hooks/telegram/<id>`` with its
    secret; returns the URL. Raises :class:`SendError` when Telegram refuses."""
    secret = account.credentials.get("webhook_secret")
    if not secret:
        raise SendError(
            f"Telegram bot @{account.handle} has no webhook secret: connect it again",
            permanent=True,
        )
    url = webhook_url(public_base_url, account.id)
    channel.client(account).set_webhook(url, secret_token=secret, allowed_updates=ALLOWED_UPDATES)
    return url
