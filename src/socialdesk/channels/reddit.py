"""Reddit: comments and posts in the brand's subreddits, polled; replies posted as comments.

Reddit has no webhooks, so the account is polled (pipeline/polling.py): for each watched
subreddit the newest comments (``GET /r/{sub}/comments``) and posts (``GET /r/{sub}/new``),
through the OAuth API (``https://oauth.reddit.com``) with a bearer token from a refresh-token
grant (``POST https://www.reddit.com/api/v1/access_token``, the app's client id and secret as
HTTP Basic auth). Every comment or post is one polled item (its fullname, ``t1_…``/``t3_…``,
deduplicates it); the cursor keeps, per subreddit and listing, the newest ``created_utc``
seen and the fullnames seen at that second, so nothing is stored twice and nothing between
two polls is missed as long as fewer than 100 items arrive between polls (raise the poll
rate of busy subreddits). The first poll takes the newest 100 of each listing.

Threading: a comment answers its ``parent_id`` (a post or a comment), which the threading rule
follows like a reply on X. The brand's own comments (author = the account's handle) come back
as ``direction=out`` and join the conversation without creating a contact.

Replies are ``POST /api/comment`` (``thing_id`` = the customer's comment or post, ``text``,
``api_type=json``). Reddit's private messages are not handled: a private reply is refused with
the reason before it is queued. Reddit takes no idempotency key: a resend after an answer lost
on the network can post the comment twice (the outbox records the id right after the call).
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote

import httpx

from socialdesk.channels.base import (
    AccountInfo,
    ConnectionKey,
    ConnectionSpec,
    OutboundMessage,
    ParseError,
    PolledItem,
    PollResult,
    SendContext,
    SendDecision,
    SendError,
    SendResult,
)
from socialdesk.channels.http_api import JsonApi, OAuthRefresh
from socialdesk.domain.types import AuthorKind, Direction, Visibility
from socialdesk.pipeline.events import Author, InboundEvent

__all__ = ["CONNECTION", "PLATFORM", "RedditChannel"]

PLATFORM = "reddit"
DEFAULT_API_BASE_URL = "https://oauth.reddit.com"
DEFAULT_AUTH_BASE_URL = "https://www.reddit.com"
LISTING_LIMIT = 100
_LISTINGS = {"comments": "t1", "new": "t3"}

CONNECTION = ConnectionSpec(
    platform=PLATFORM,
    polled=True,
    keys=(
        ConnectionKey("handle", "The brand's Reddit username (without u/)"),
        ConnectionKey(
            "subreddits", "Subreddits to watch, comma-separated, without r/ (e.g. acme,acmehelp)"
        ),
        ConnectionKey("client_id", "The Reddit app's client id"),
        ConnectionKey("client_secret", "The Reddit app's secret", secret=True),
        ConnectionKey(
            "refresh_token",
            "A refresh token of the brand's account (scopes read, submit, identity)",
            secret=True,
        ),
        ConnectionKey(
            "api_base_url", "Reddit OAuth API address", required=False, default=DEFAULT_API_BASE_URL
        ),
        ConnectionKey(
            "auth_base_url",
            "Reddit address for access tokens",
            required=False,
            default=DEFAULT_AUTH_BASE_URL,
        ),
        ConnectionKey("poll_seconds", "Seconds between polls", required=False, default="60"),
    ),
)


def _explain(response: httpx.Response) -> str:
    try:
        body = response.json()
    except ValueError:
        return response.reason_phrase or ""
    if isinstance(body, dict):
        for key in ("message", "error", "reason", "explanation"):
            if isinstance(body.get(key), str | int):
                return str(body[key])[:500]
    return response.reason_phrase or ""


class RedditChannel:
    platform = PLATFORM
    connection = CONNECTION

    def __init__(
        self, *, transport: httpx.BaseTransport | None = None, timeout: float = 10.0
    ) -> None:
        self._api = JsonApi(
            "Reddit",
            transport=transport,
            timeout=timeout,
            user_agent="socialdesk/1.0 (customer care; polled)",
            explain=_explain,
        )
        self._oauth = OAuthRefresh(
            self._api,
            api_base_url=DEFAULT_API_BASE_URL,
            token_url=_token_url,
            no_token=_no_token,
            basic_auth=True,
        )

    # -- reading ---------------------------------------------------------------------------

    def parse(self, account: AccountInfo, payload: bytes) -> list[InboundEvent]:
        try:
            thing = json.loads(payload)
        except ValueError as exc:
            raise ParseError(f"a Reddit item must be JSON: {exc}") from exc
        if not isinstance(thing, dict) or not isinstance(thing.get("data"), dict):
            raise ParseError("a Reddit item needs 'kind' and 'data'")
        kind, data = thing.get("kind"), thing["data"]
        if kind not in ("t1", "t3"):
            return []
        try:
            name = str(data["name"])
            author = str(data.get("author") or "[deleted]")
            created = datetime.fromtimestamp(float(data["created_utc"]), tz=UTC)
        except (KeyError, TypeError, ValueError) as exc:
            raise ParseError(f"Reddit item without name, author or created_utc: {exc}") from exc
        if kind == "t3":
            title, body = str(data.get("title") or ""), str(data.get("selftext") or "")
            text, parent = (f"{title}\n\n{body}" if body else title), None
        else:
            text, parent = str(data.get("body") or ""), data.get("parent_id")
        ours = author.lower() == account.handle.lower()
        permalink = data.get("permalink")
        return [
            InboundEvent(
                platform=PLATFORM,
                platform_message_id=name,
                author=Author(
                    external_id=str(data.get("author_fullname") or f"u/{author}"),
                    handle=author,
                    name=author,
                ),
                text=text,
                platform_time=created,
                visibility=Visibility.PUBLIC,
                channel_account_id=account.id,
                direction=Direction.OUT if ours else Direction.IN,
                author_kind=AuthorKind.BRAND if ours else AuthorKind.CONTACT,
                reply_to_platform_id=str(parent) if parent else None,
                attachments=(
                    [{"type": "link", "url": f"https://www.reddit.com{permalink}"}]
                    if isinstance(permalink, str) and permalink.startswith("/")
                    else []
                ),
            )
        ]

    def poll(self, account: AccountInfo, cursor: dict[str, Any]) -> PollResult:
        subreddits = [
            s.strip().removeprefix("r/")
            for s in str(account.settings.get("subreddits", "")).split(",")
            if s.strip()
        ]
        if not subreddits:
            raise SendError(
                "no subreddit to watch: set 'subreddits' on the account", permanent=True
            )
        items: list[PolledItem] = []
        new_cursor: dict[str, Any] = {}
        for subreddit in subreddits:
            for listing, kind in _LISTINGS.items():
                key = f"{subreddit.lower()}/{listing}"
                seen = cursor.get(key) or {}
                things = self._listing(account, subreddit, listing)
                fresh, new_cursor[key] = _newer_than(things, kind, seen)
                items.extend(
                    PolledItem(external_id=str(t["data"]["name"]), payload=json.dumps(t).encode())
                    for t in fresh
                )
        items.sort(key=lambda item: json.loads(item.payload)["data"]["created_utc"])
        return PollResult(items=items, cursor=new_cursor)

    def _listing(self, account: AccountInfo, subreddit: str, listing: str) -> list[dict[str, Any]]:
        body = self._oauth.call(
            account,
            "GET",
            f"/r/{quote(subreddit, safe='')}/{listing}",
            what=f"the listing r/{subreddit}/{listing}",
            params={"limit": LISTING_LIMIT, "raw_json": 1},
        )
        data = body.get("data")
        children = data.get("children") if isinstance(data, dict) else None
        if not isinstance(children, list):
            raise SendError(f"Reddit's r/{subreddit}/{listing} is not a listing", permanent=False)
        return [c for c in children if isinstance(c, dict) and isinstance(c.get("data"), dict)]

    # -- writing ---------------------------------------------------------------------------

    def check_send(self, account: AccountInfo, context: SendContext) -> SendDecision:
        if context.visibility != Visibility.PUBLIC:
            return SendDecision.refuse(
                "Reddit conversations are answered with a public comment; private messages "
                "are not supported by this connector"
            )
        return SendDecision.allow()

    def send(self, account: AccountInfo, message: OutboundMessage) -> SendResult:
        if message.visibility != Visibility.PUBLIC:
            raise SendError("Reddit replies are public comments only", permanent=True)
        if not message.reply_to_platform_id:
            raise SendError("a Reddit reply needs the comment or post it answers", permanent=True)
        body = self._oauth.call(
            account,
            "POST",
            "/api/comment",
            what="the comment",
            data={
                "thing_id": message.reply_to_platform_id,
                "text": message.text,
                "api_type": "json",
            },
        )
        raw_answer = body.get("json")
        answer: dict[str, Any] = raw_answer if isinstance(raw_answer, dict) else {}
        errors = answer.get("errors") or []
        if errors:
            first = errors[0] if isinstance(errors[0], list) else [str(errors[0])]
            code = str(first[0]) if first else "ERROR"
            reason = f"Reddit refused the comment: {' - '.join(str(p) for p in first[:2])}"
            if code == "RATELIMIT":
                raise SendError(reason, permanent=False, retry_after=60.0)
            raise SendError(reason, permanent=True)
        things = (answer.get("data") or {}).get("things") or []
        name = things[0].get("data", {}).get("name") if things else None
        if not isinstance(name, str) or not name:
            raise SendError(
                "Reddit accepted the comment but did not say its id; not sent again",
                permanent=True,
            )
        return SendResult(platform_message_id=name)


def _token_url(account: AccountInfo) -> str:
    base = str(account.settings.get("auth_base_url") or DEFAULT_AUTH_BASE_URL).rstrip("/")
    return f"{base}/api/v1/access_token"


def _no_token(body: dict[str, Any]) -> str:
    return (
        f"Reddit gave no access token: {body.get('error') or 'no reason given'} "
        "(is the refresh token still valid?)"
    )


def _newer_than(
    things: list[dict[str, Any]], kind: str, seen: dict[str, Any]
) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    """Items of ``kind`` not seen before, and the cursor after them."""
    last = float(seen.get("created_utc", 0))
    at_last = set(seen.get("names", []))
    fresh = []
    for thing in things:
        if thing.get("kind") != kind:
            continue
        data = thing["data"]
        try:
            created, name = float(data["created_utc"]), str(data["name"])
        except (KeyError, TypeError, ValueError):
            continue
        if created > last or (created == last and name not in at_last):
            fresh.append(thing)
    newest = max([last, *(float(t["data"]["created_utc"]) for t in fresh)])
    names = {str(t["data"]["name"]) for t in fresh if float(t["data"]["created_utc"]) == newest}
    if newest == last:
        names |= at_last
    return fresh, {"created_utc": newest, "names": sorted(names)}
