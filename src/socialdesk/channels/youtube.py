"""YouTube: comments on the brand's channel videos, polled; replies posted as comments.

The YouTube Data API v3 has no push for comments, so the account is polled
(pipeline/polling.py): ``GET /commentThreads?part=snippet,replies&allThreadsRelatedToChannelId=
{channel}&order=time&maxResults=100&textFormat=plainText`` returns the newest threads on the
channel's videos with their top-level comment and the replies the API includes. Every comment
is one polled item (its comment id deduplicates it); the cursor keeps the newest
``publishedAt`` seen and the ids seen at that instant. A thread holds at most a few replies in
this answer: replies beyond them are not fetched (``comments.list?parentId=`` would be one call
per thread; a documented limit).

Threading: a top-level comment opens a conversation; a reply names its thread's top-level
comment (``snippet.parentId``) and joins it. The brand's own comments (author channel id = the
account's channel id) come back as ``direction=out``.

Replies are ``POST /comments?part=snippet`` with ``snippet.parentId`` = the top-level comment
of the thread (a reply's id is ``<top-level id>.<reply id>``, so any comment of the thread
names it) and ``snippet.textOriginal``. OAuth 2.0 bearer tokens come from a refresh-token grant
at Google's token endpoint. Errors: ``quotaExceeded`` waits an hour, ``rateLimitExceeded`` and
5xx are retried, other refusals (``commentsDisabled``, ``forbidden``…) are permanent with
Google's message. The API takes no idempotency key (see the Reddit module for what that means).
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

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

__all__ = ["CONNECTION", "PLATFORM", "YouTubeChannel"]

PLATFORM = "youtube"
DEFAULT_API_BASE_URL = "https://www.googleapis.com/youtube/v3"
DEFAULT_TOKEN_URL = "https://oauth2.googleapis.com/token"
QUOTA_RETRY_SECONDS = 3600.0

CONNECTION = ConnectionSpec(
    platform=PLATFORM,
    polled=True,
    keys=(
        ConnectionKey("handle", "The channel's handle (e.g. acme, without @)"),
        ConnectionKey("external_id", "The channel id (UC…)"),
        ConnectionKey("client_id", "The Google OAuth client id"),
        ConnectionKey("client_secret", "The Google OAuth client secret", secret=True),
        ConnectionKey(
            "refresh_token",
            "A refresh token of the channel's owner (scope youtube.force-ssl)",
            secret=True,
        ),
        ConnectionKey(
            "api_base_url", "YouTube Data API address", required=False, default=DEFAULT_API_BASE_URL
        ),
        ConnectionKey(
            "token_url", "Google's OAuth token endpoint", required=False, default=DEFAULT_TOKEN_URL
        ),
        ConnectionKey("poll_seconds", "Seconds between polls", required=False, default="120"),
    ),
)


def _google_error(response: httpx.Response) -> tuple[str, list[str]]:
    """Google's ``error.message`` and the ``reason`` of each ``error.errors[]``."""
    try:
        body = response.json()
    except ValueError:
        return response.reason_phrase or "", []
    error = body.get("error") if isinstance(body, dict) else None
    if not isinstance(error, dict):
        return response.reason_phrase or "", []
    reasons = [
        str(e["reason"])
        for e in error.get("errors") or []
        if isinstance(e, dict) and isinstance(e.get("reason"), str)
    ]
    message = error.get("message") or error.get("status") or response.reason_phrase or ""
    return str(message)[:500], reasons


def _explain(response: httpx.Response) -> str:
    message, reasons = _google_error(response)
    return f"{message} ({', '.join(reasons)})" if reasons else message


class YouTubeChannel:
    platform = PLATFORM
    connection = CONNECTION

    def __init__(
        self, *, transport: httpx.BaseTransport | None = None, timeout: float = 10.0
    ) -> None:
        self._api = JsonApi("YouTube", transport=transport, timeout=timeout, explain=_explain)
        self._oauth = OAuthRefresh(
            self._api, api_base_url=DEFAULT_API_BASE_URL, token_url=_token_url, no_token=_no_token
        )

    # -- reading ---------------------------------------------------------------------------

    def parse(self, account: AccountInfo, payload: bytes) -> list[InboundEvent]:
        try:
            item = json.loads(payload)
            comment = item["comment"]
            snippet = comment["snippet"]
            comment_id = str(comment["id"])
            published = datetime.fromisoformat(str(snippet["publishedAt"]).replace("Z", "+00:00"))
        except (ValueError, KeyError, TypeError) as exc:
            raise ParseError(
                f"a YouTube item needs comment.id and snippet.publishedAt: {exc}"
            ) from exc
        channel = snippet.get("authorChannelId")
        author_id = channel.get("value") if isinstance(channel, dict) else None
        ours = author_id is not None and author_id == account.external_id
        parent = snippet.get("parentId")
        video = item.get("videoId") or snippet.get("videoId")
        return [
            InboundEvent(
                platform=PLATFORM,
                platform_message_id=comment_id,
                author=Author(
                    external_id=str(author_id or f"name:{snippet.get('authorDisplayName')}"),
                    handle=_handle(snippet.get("authorChannelUrl")),
                    name=snippet.get("authorDisplayName"),
                ),
                text=str(snippet.get("textOriginal") or snippet.get("textDisplay") or ""),
                platform_time=published,
                visibility=Visibility.PUBLIC,
                channel_account_id=account.id,
                direction=Direction.OUT if ours else Direction.IN,
                author_kind=AuthorKind.BRAND if ours else AuthorKind.CONTACT,
                reply_to_platform_id=str(parent) if parent else None,
                attachments=(
                    [{"type": "link", "url": f"https://www.youtube.com/watch?v={video}"}]
                    if isinstance(video, str) and video
                    else []
                ),
            )
        ]

    def poll(self, account: AccountInfo, cursor: dict[str, Any]) -> PollResult:
        if not account.external_id:
            raise SendError(
                "the YouTube account has no channel id: connect it again", permanent=True
            )
        body = self._call(
            account,
            "GET",
            "/commentThreads",
            what="the channel's comment threads",
            params={
                "part": "snippet,replies",
                "allThreadsRelatedToChannelId": account.external_id,
                "order": "time",
                "maxResults": 100,
                "textFormat": "plainText",
            },
        )
        threads = body.get("items")
        if not isinstance(threads, list):
            raise SendError("YouTube's comment threads answer has no items", permanent=False)
        since = str(cursor.get("published_at") or "")
        at_since = set(cursor.get("ids") or [])
        found: list[tuple[str, str, dict[str, Any]]] = []
        for thread in threads:
            if not isinstance(thread, dict):
                continue
            snippet = thread.get("snippet") or {}
            video = snippet.get("videoId")
            comments = [snippet.get("topLevelComment")]
            comments += list((thread.get("replies") or {}).get("comments") or [])
            for comment in comments:
                if not isinstance(comment, dict) or not isinstance(comment.get("snippet"), dict):
                    continue
                published = str(comment["snippet"].get("publishedAt") or "")
                cid = str(comment.get("id") or "")
                if not published or not cid:
                    continue
                if published > since or (published == since and cid not in at_since):
                    found.append((published, cid, {"videoId": video, "comment": comment}))
        found.sort(key=lambda f: (f[0], f[1]))
        newest = max([since, *(f[0] for f in found)])
        ids = {cid for published, cid, _ in found if published == newest}
        if newest == since:
            ids |= at_since
        return PollResult(
            items=[
                PolledItem(external_id=cid, payload=json.dumps(p).encode()) for _, cid, p in found
            ],
            cursor={"published_at": newest, "ids": sorted(ids)},
        )

    # -- writing ---------------------------------------------------------------------------

    def check_send(self, account: AccountInfo, context: SendContext) -> SendDecision:
        if context.visibility != Visibility.PUBLIC:
            return SendDecision.refuse(
                "YouTube has no private messages: answer with a public comment"
            )
        return SendDecision.allow()

    def send(self, account: AccountInfo, message: OutboundMessage) -> SendResult:
        if message.visibility != Visibility.PUBLIC or not message.reply_to_platform_id:
            raise SendError("a YouTube reply is a public comment in a thread", permanent=True)
        top_level = message.reply_to_platform_id.split(".", 1)[0]
        body = self._call(
            account,
            "POST",
            "/comments",
            what="the comment",
            params={"part": "snippet"},
            json={"snippet": {"parentId": top_level, "textOriginal": message.text}},
        )
        comment_id = body.get("id")
        if not isinstance(comment_id, str) or not comment_id:
            raise SendError(
                "YouTube accepted the comment but did not say its id; not sent again",
                permanent=True,
            )
        return SendResult(platform_message_id=comment_id)

    # -- plumbing --------------------------------------------------------------------------

    def _call(
        self, account: AccountInfo, method: str, path: str, *, what: str, **kwargs: Any
    ) -> dict[str, Any]:
        try:
            return self._oauth.call(account, method, path, what=what, **kwargs)
        except SendError as exc:
            if exc.permanent and "quotaExceeded" in exc.reason:
                # The daily quota: nothing is wrong with the message; try after a while.
                raise SendError(
                    exc.reason, permanent=False, retry_after=QUOTA_RETRY_SECONDS
                ) from exc
            if exc.permanent and "rateLimitExceeded" in exc.reason:
                raise SendError(exc.reason, permanent=False, retry_after=60.0) from exc
            raise


def _token_url(account: AccountInfo) -> str:
    return str(account.settings.get("token_url") or DEFAULT_TOKEN_URL)


def _no_token(body: dict[str, Any]) -> str:
    return "Google gave no access token; connect the account again"


def _handle(channel_url: object) -> str | None:
    """``http://www.youtube.com/@name`` → ``name``; None for other shapes."""
    if isinstance(channel_url, str) and "/@" in channel_url:
        return channel_url.rsplit("/@", 1)[1] or None
    return None
