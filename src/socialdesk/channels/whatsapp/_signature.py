"""Meta's webhook security for WhatsApp: the subscription check and the payload signature.

The subscription check is a GET with ``hub.mode=subscribe``, ``hub.verify_token`` (the token
the admin typed into the app dashboard) and ``hub.challenge`` (echoed back as the plain body).
Every delivery carries ``X-Hub-Signature-256: sha256=<hex HMAC-SHA256(app secret, raw body)>``;
Meta escapes non-ASCII characters in the JSON, so only the raw bytes may be hashed.
"""

from __future__ import annotations

import hashlib
import hmac

__all__ = ["SIGNATURE_HEADER", "sign", "signature_is_valid", "subscription_is_valid"]

SIGNATURE_HEADER = "x-hub-signature-256"


def sign(app_secret: str, body: bytes) -> str:
    """The ``X-Hub-Signature-256`` value Meta sends with ``body``."""
    return "sha256=" + hmac.new(app_secret.encode(), body, hashlib.sha256).hexdigest()


def signature_is_valid(app_secret: str, body: bytes, header: str) -> bool:
    """Whether ``header`` signs exactly these bytes (constant-time; hex digits in any case)."""
    scheme, _, digest = header.strip().partition("=")
    if scheme.lower() != "sha256" or not digest:
        return False
    expected = hmac.new(app_secret.encode(), body, hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected.encode(), digest.lower().encode("ascii", "replace"))


def subscription_is_valid(mode: str, token: str, verify_token: str) -> bool:
    """Whether a ``hub.mode``/``hub.verify_token`` pair is Meta subscribing with our token."""
    return mode == "subscribe" and hmac.compare_digest(token.encode(), verify_token.encode())
