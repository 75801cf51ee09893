"""Visitor tokens: opaque to the visitor, signed and encrypted by socialdesk.

A token is a Fernet token (store.crypto's key ring, so key rotation works for them too) of
``{"kind": "webchat-visitor", "site": <account id>, "visitor": <visitor id>}``. Nothing is
stored when one is issued: the visitor's row appears with their first message.
"""

from __future__ import annotations

import secrets

from socialdesk.store.crypto import CredentialCipher, CredentialsUnreadable

__all__ = ["issue_token", "new_visitor_id", "read_token"]

_KIND = "webchat-visitor"
MAX_TOKEN_CHARS = 1000


def new_visitor_id() -> str:
    return f"v-{secrets.token_hex(12)}"


def issue_token(cipher: CredentialCipher, account_id: int, visitor_id: str) -> str:
    return cipher.encrypt({"kind": _KIND, "site": str(account_id), "visitor": visitor_id})


def read_token(cipher: CredentialCipher, account_id: int, token: str) -> str | None:
    """The visitor id a token was issued to for this site, or None (forged, altered, issued
    for another site, or signed with a key no longer configured)."""
    if not token or len(token) > MAX_TOKEN_CHARS:
        return None
    try:
        data = cipher.decrypt(token)
    except CredentialsUnreadable:
        return None
    except ValueError:  # not JSON inside: not one of ours
        return None
    if data.get("kind") != _KIND or data.get("site") != str(account_id):
        return None
    visitor = data.get("visitor", "")
    return visitor if visitor.startswith("v-") and len(visitor) <= 64 else None
