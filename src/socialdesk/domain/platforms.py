"""What each platform allows a reply to be: which audiences exist, their length limits, how the
composer describes who a reply reaches, and "move to DM" links.

Limits are the platforms' documented maxima: X 280 characters per post and 10,000 per DM;
Facebook comments 8,000 and Messenger text 2,000; Instagram comments 2,200 and direct messages
1,000; WhatsApp text body 4,096; Telegram message 4,096; Reddit comments 10,000; YouTube
comments 10,000; socialdesk's web chat 4,000 (its hook refuses longer texts); email has no
practical limit (``None``: socialdesk's own reply cap applies). SMS's 1,600 is Twilio's limit
for one message; ``domain.phone.sms_segments`` counts its GSM-7/UCS-2 segments (153 or 67
characters each once split, 70 per single segment as soon as one non-GSM character appears),
for a composer's counter (``Platform.counter == "sms"``).

A platform without public replies (WhatsApp, Telegram, SMS, email, web chat) has ``public``
``None``; one without private messages (Reddit and YouTube comments) ``private`` ``None``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import quote

__all__ = [
    "Platform",
    "ReplyLimits",
    "audience_line",
    "dm_link",
    "platform",
    "render_canned",
    "reply_limits",
]


@dataclass(frozen=True)
class ReplyLimits:
    """Longest reply per audience; None: the platform has no such replies (or, for email's
    private messages, no practical limit: see :attr:`Platform.unlimited`)."""

    public: int | None
    private: int | None


@dataclass(frozen=True)
class Platform:
    """How a platform's replies look to the agent composing them."""

    key: str
    label: str  # "Facebook"
    has_public: bool
    has_private: bool
    public_limit: int | None = None
    private_limit: int | None = None
    public_kind: str = "reply"  # "Public <kind>: visible to everyone"
    private_kind: str = "message"  # "Private <kind>: only @handle sees it"
    handle_prefix: str = "@"  # how a customer's handle is written there
    counter: str = "characters"  # "characters", or "sms" (characters and segments)

    @property
    def limits(self) -> ReplyLimits:
        return ReplyLimits(
            public=self.public_limit if self.has_public else None,
            private=self.private_limit if self.has_private else None,
        )

    @property
    def visibilities(self) -> tuple[str, ...]:
        return tuple(
            v for v, has in (("public", self.has_public), ("private", self.has_private)) if has
        )

    def limit(self, visibility: str) -> int | None:
        return self.public_limit if visibility == "public" else self.private_limit

    def kind(self, visibility: str) -> str:
        return self.public_kind if visibility == "public" else self.private_kind


_PLATFORMS = {
    p.key: p
    for p in (
        Platform("twitter", "X", True, True, 280, 10_000, "reply on X", "direct message on X"),
        Platform(
            "facebook",
            "Facebook",
            True,
            True,
            8_000,
            2_000,
            "comment reply on Facebook",
            "Messenger message",
            handle_prefix="",
        ),
        Platform(
            "instagram",
            "Instagram",
            True,
            True,
            2_200,
            1_000,
            "comment reply on Instagram",
            "Instagram direct message",
        ),
        Platform(
            "whatsapp",
            "WhatsApp",
            False,
            True,
            None,
            4_096,
            private_kind="WhatsApp message",
            handle_prefix="+",
        ),
        Platform("telegram", "Telegram", False, True, None, 4_096, private_kind="Telegram message"),
        Platform(
            "sms",
            "SMS",
            False,
            True,
            None,
            1_600,
            private_kind="text message",
            handle_prefix="",
            counter="sms",
        ),
        Platform("email", "Email", False, True, None, None, private_kind="email", handle_prefix=""),
        Platform(
            "webchat",
            "Web chat",
            False,
            True,
            None,
            4_000,
            private_kind="web chat message",
            handle_prefix="",
        ),
        Platform(
            "reddit", "Reddit", True, False, 10_000, None, "Reddit comment", handle_prefix="u/"
        ),
        Platform(
            "youtube",
            "YouTube",
            True,
            False,
            10_000,
            None,
            "YouTube comment reply",
            handle_prefix="",
        ),
        Platform("sandbox", "Sandbox", True, True, 280, 2_000),
    )
}


def platform(key: str) -> Platform:
    """The rules of ``key``; an unknown platform gets both audiences at 2,000 characters."""
    known = _PLATFORMS.get(key)
    if known is not None:
        return known
    return Platform(key, key.capitalize(), True, True, 2_000, 2_000)


def reply_limits(platform_key: str) -> ReplyLimits:
    return platform(platform_key).limits


def _who(rules: Platform, handle: str | None) -> str:
    if not handle:
        return ""
    if rules.handle_prefix == "+" and not handle.isdigit():
        return handle  # already written with its + (or not a number at all)
    return rules.handle_prefix + handle.lstrip("@") if rules.handle_prefix else handle


# Where a public handle always has a follower count worth showing (0 when unknown).
_FOLLOWED = frozenset({"twitter", "sandbox", "instagram"})


def audience_line(
    platform_key: str, visibility: str, *, handle: str | None, followers: int | None = None
) -> str:
    """Who a reply of ``visibility`` reaches, in words: "Public: visible to everyone, …"."""
    rules = platform(platform_key)
    who = _who(rules, handle)
    if visibility == "public":
        line = f"Public {rules.public_kind}: visible to everyone"
        if who and (followers is not None or rules.key in _FOLLOWED):
            line += f", {who} has {followers or 0:,} followers"
        return line
    if visibility == "private":
        return f"Private {rules.private_kind}: only {who or 'this customer'} sees it"
    return "Internal note: only your team sees it"


_USERNAME = re.compile(r"^[A-Za-z0-9_.]{1,100}$")


def dm_link(platform: str, *, brand_handle: str, brand_external_id: str | None) -> str | None:
    """A link that opens a private conversation with the brand, for a public reply."""
    handle = brand_handle.strip().lstrip("@")
    if platform == "twitter" and brand_external_id:
        return f"https://x.com/messages/compose?recipient_id={quote(brand_external_id)}"
    if platform == "facebook":
        # m.me takes the Page's username, or its numeric id when the handle is a display name.
        if _USERNAME.match(handle):
            return f"https://m.me/{quote(handle)}"
        return f"https://m.me/{quote(brand_external_id)}" if brand_external_id else None
    if platform == "instagram" and _USERNAME.match(handle):
        return f"https://ig.me/m/{quote(handle)}"
    if platform == "telegram" and _USERNAME.match(handle):
        return f"https://t.me/{quote(handle)}"
    if platform == "sandbox":
        return f"https://sandbox.socialdesk.test/dm/{quote(handle)}"
    return None


def render_canned(body: str, variables: dict[str, str]) -> str:
    """Fill ``{{contact.name}}``-style placeholders; unknown ones are left as written."""

    def replace(match: re.Match[str]) -> str:
        return variables.get(match.group(1).strip(), match.group(0))

    return re.sub(r"\{\{\s*([\w.]+)\s*\}\}", replace, body)
