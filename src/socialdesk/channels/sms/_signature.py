"""Twilio's request signature: ``X-Twilio-Signature`` on every webhook it sends.

base64(HMAC-SHA1(key=auth token, message=URL + name1 + value1 + name2 + value2 ...)) where
the URL is the full public URL Twilio called (scheme, host, port as configured, path, query)
and the POST parameters are sorted by name (then by value when a name repeats), each name
and value appended with no separator. Twilio may add parameters at any time: all of them are
signed, so all are used.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from collections.abc import Iterable
from urllib.parse import urlsplit, urlunsplit

__all__ = ["SIGNATURE_HEADER", "signature_is_valid", "twilio_signature", "url_variants"]

SIGNATURE_HEADER = "X-Twilio-Signature"
_DEFAULT_PORTS = {"https": 443, "http": 80}


def twilio_signature(auth_token: str, url: str, params: Iterable[tuple[str, str]]) -> str:
    message = url + "".join(name + value for name, value in sorted(params))
    digest = hmac.new(auth_token.encode("utf-8"), message.encode("utf-8"), hashlib.sha1)
    return base64.b64encode(digest.digest()).decode("ascii")


def url_variants(url: str) -> list[str]:
    """``url`` as written, and with its default port added or removed: Twilio signs the URL
    as it was configured, which may or may not spell out ``:443``."""
    parts = urlsplit(url)
    default = _DEFAULT_PORTS.get(parts.scheme)
    host = parts.hostname or ""
    if ":" in host:
        host = f"[{host}]"
    if parts.username is not None:  # basic-auth credentials in the URL stay as written
        return [url]
    if parts.port is None and default is not None:
        other = urlunsplit(parts._replace(netloc=f"{host}:{default}"))
    elif parts.port == default:
        other = urlunsplit(parts._replace(netloc=host))
    else:
        return [url]
    return [url, other]


def signature_is_valid(
    auth_token: str, url: str, params: Iterable[tuple[str, str]], header: str
) -> bool:
    """Whether ``header`` signs these parameters at ``url`` (constant-time comparisons)."""
    pairs = list(params)
    given = header.strip().encode()
    matched = False
    for candidate in url_variants(url):
        expected = twilio_signature(auth_token, candidate, pairs).encode()
        matched |= hmac.compare_digest(expected, given)
    return matched
