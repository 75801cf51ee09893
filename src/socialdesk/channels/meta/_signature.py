"""Meta's webhook security: the subscription handshake and the signature of every delivery.

A delivery is signed as ``X-Hub-Signature-256: sha256=`` + hex(HMAC-SHA256(app secret, raw
body)). Meta escapes non-ASCII characters (``\\u00e4``) in the JSON it sends, so the digest
is always taken over the bytes exactly as received, never over re-encoded JSON.
"""

from __future__ import annotations

import hashlib
import hmac

__all__ = ["SIGNATURE_HEADER", "handshake_challenge", "sign", "signature_is_valid"]

SIGNATURE_HEADER = "x-hub-signature-256"


def sign(app_secret: str, body: bytes) -> str:
    """The header value Meta sends for ``body``."""
    return "sha256=" + hmac.new(app_secret.encode(), body, hashlib.sha256).hexdigest()


def signature_is_valid(app_secret: str, body: bytes, header: str) -> bool:
    """Whether ``header`` signs exactly these bytes (constant-time comparison)."""
    expected = sign(app_secret, body)
    # Hex digits are case-insensitive; Meta sends lower case, be lenient on the digits only.
    value = header.strip()
    if value[:7].lower() == "sha256=":
        value = "sha256=" + value[7:].lower()
    return hmac.compare_digest(expected.encode(), value.encode())


def handshake_challenge(
    verify_token: str, *, mode: str | None, token: str | None, challenge: str | None
) -> str | None:
    """The challenge to echo when Meta's subscription check is genuine, else None."""
    if mode != "subscribe" or token is None or challenge is None:
        return None
    if not hmac.compare_digest(verify_token.encode(), token.encode()):
        return None
    return challenge
