"""Meta: Facebook Page comments and Messenger, Instagram comments and direct messages.

One webhook layer for both platforms (the ``hub.challenge`` handshake, ``X-Hub-Signature-256``
on every delivery, the ``entry``/``changes``/``messaging`` shapes), one thin Graph API client
with a configurable base URL and version, and the send window of Meta's messaging policy
(``_window``). Comments become public messages threaded by their parent ids, direct messages
private ones, the account's own comments and message echoes come in as direction ``out``, and
delivery/read events become receipts.
"""

from __future__ import annotations

from socialdesk.channels.meta._channel import (
    FACEBOOK_CONNECTION,
    INSTAGRAM_CONNECTION,
    MAX_QUICK_REPLIES,
    FacebookChannel,
    InstagramChannel,
    MetaChannel,
)
from socialdesk.channels.meta._client import (
    DEFAULT_API_VERSION,
    GraphClient,
    graph_error,
    retry_after_seconds,
)
from socialdesk.channels.meta._parse import (
    FACEBOOK,
    INSTAGRAM,
    MetaFlavour,
    entry_ids,
    parse_receipts,
    parse_webhook,
)
from socialdesk.channels.meta._signature import (
    SIGNATURE_HEADER,
    handshake_challenge,
    sign,
    signature_is_valid,
)
from socialdesk.channels.meta._window import (
    HUMAN_AGENT_WINDOW,
    PRIVATE_REPLY_WINDOW,
    STANDARD_WINDOW,
    decide,
)

__all__ = [
    "DEFAULT_API_VERSION",
    "FACEBOOK",
    "FACEBOOK_CONNECTION",
    "HUMAN_AGENT_WINDOW",
    "INSTAGRAM",
    "INSTAGRAM_CONNECTION",
    "MAX_QUICK_REPLIES",
    "PRIVATE_REPLY_WINDOW",
    "SIGNATURE_HEADER",
    "STANDARD_WINDOW",
    "FacebookChannel",
    "GraphClient",
    "InstagramChannel",
    "MetaChannel",
    "MetaFlavour",
    "decide",
    "entry_ids",
    "graph_error",
    "handshake_challenge",
    "parse_receipts",
    "parse_webhook",
    "retry_after_seconds",
    "sign",
    "signature_is_valid",
]
