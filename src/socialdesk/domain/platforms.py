"""What each platform allows a reply to be: length limits per audience and "move to DM" links.

Limits are the platforms' documented maxima (X: 280 characters per post and 10,000 per DM;
Messenger text: 2,000; WhatsApp text body: 4,096; Telegram message: 4,096; one SMS segment is
160 GSM characters, longer texts are split and billed per segment).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import quote

__all__ = ["ReplyLimits", "dm_link", "render_canned", "reply_limits"]


@dataclass(frozen=True)
class ReplyLimits:
    public: int
    private: int


_LIMITS = {
    "twitter": ReplyLimits(public=280, private=10_000),
    "facebook": ReplyLimits(public=8_000, private=2_000),
    "instagram": ReplyLimits(public=2_200, private=1_000),
    "whatsapp": ReplyLimits(public=4_096, private=4_096),
    "telegram": ReplyLimits(public=4_096, private=4_096),
    "sms": ReplyLimits(public=1_600, private=1_600),
    "email": ReplyLimits(public=100_000, private=100_000),
    "sandbox": ReplyLimits(public=280, private=2_000),
}
_DEFAULT = ReplyLimits(public=2_000, private=2_000)


def reply_limits(platform: str) -> ReplyLimits:
    return _LIMITS.get(platform, _DEFAULT)


def dm_link(platform: str, *, brand_handle: str, brand_external_id: str | None) -> str | None:
    """A link that opens a private conversation with the brand, for a public reply."""
    if platform == "twitter" and brand_external_id:
        return f"https://x.com/messages/compose?recipient_id={quote(brand_external_id)}"
    if platform in ("facebook", "instagram"):
        return f"https://m.me/{quote(brand_handle)}"
    if platform == "sandbox":
        return f"https://sandbox.socialdesk.test/dm/{quote(brand_handle)}"
    return None


def render_canned(body: str, variables: dict[str, str]) -> str:
    """Fill ``{{contact.name}}``-style placeholders; unknown ones are left as written."""

    def replace(match: re.Match[str]) -> str:
        return variables.get(match.group(1).strip(), match.group(0))

    return re.sub(r"\{\{\s*([\w.]+)\s*\}\}", replace, body)
