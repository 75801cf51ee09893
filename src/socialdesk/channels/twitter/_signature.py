"""X's webhook security: the CRC challenge and the signature of every delivery.

Both are ``sha256=`` + base64(HMAC-SHA256(key=consumer secret, message)); the message is the
``crc_token`` for the challenge and the raw request body for a delivery.
"""

from __future__ import annotations

import base64
import hashlib
import hmac

__all__ = ["SIGNATURE_HEADER", "crc_response_token", "sign", "signature_is_valid"]

SIGNATURE_HEADER = "x-twitter-webhooks-signature"


def sign(consumer_secret: str, message: bytes) -> str:
    digest = hmac.new(consumer_secret.encode(), message, hashlib.sha256).digest()
    return "sha256=" + base64.b64encode(digest).decode("ascii")


def crc_response_token(consumer_secret: str, crc_token: str) -> str:
    """The ``response_token`` that proves to X we hold the consumer secret."""
    return sign(consumer_secret, crc_token.encode())


def signature_is_valid(consumer_secret: str, body: bytes, header: str) -> bool:
    """Whether ``header`` signs exactly these bytes (constant-time comparison)."""
    return hmac.compare_digest(sign(consumer_secret, body).encode(), header.strip().encode())
