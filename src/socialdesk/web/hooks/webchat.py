"""The web chat widget's public endpoints, under /hooks/webchat/<site id>/.

Every request must come from a page of one of the site's allowed origins (403 otherwise);
visitors prove who they are with the token ``POST …/sessions`` issued them (401 otherwise),
in an ``Authorization: Bearer`` header, or as ``?token=`` on the event stream (EventSource
cannot send headers). Visitors' messages are rate-limited per visitor (429 with
Retry-After), limited in size (413 for the body, 422 for the text), stored as a raw event
before the 202 answer and deduplicated on the widget's message id.

CORS: :class:`WebchatCors` answers preflights for these paths and lets the widget read
every answer, errors included; whether an origin may do anything is decided here, per site.
"""

from __future__ import annotations

import asyncio
import collections
import hashlib
import json
import math
import threading
import time
from collections.abc import AsyncIterator
from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Header, Query, Request, status
from fastapi.responses import StreamingResponse
from pydantic import BaseModel, Field, ValidationError
from sqlalchemy import select, update
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from socialdesk.bootstrap import App
from socialdesk.channels.base import AccountInfo
from socialdesk.channels.webchat import (
    MAX_TEXT_CHARS,
    PLATFORM,
    VisitorHub,
    WebchatChannel,
    agents_online,
    allowed_origins,
    issue_token,
    new_visitor_id,
    normalize_origin,
    read_token,
)
from socialdesk.channels.webchat._payload import outbound_platform_id
from socialdesk.domain.errors import Forbidden, InvalidInput, NotFound, SocialdeskError
from socialdesk.domain.types import Direction
from socialdesk.pipeline.intake import account_info, store_raw_event
from socialdesk.store.models import ChannelAccount, WebchatMessage, WebchatVisitor
from socialdesk.store.types import utcnow
from socialdesk.web.deps import RawBodyDep, ReadSessionDep, get_app
from socialdesk.web.hooks._intake import run_write_from_thread

__all__ = ["MAX_MESSAGE_BODY", "RateLimiter", "WebchatCors", "router"]

router = APIRouter(tags=["web chat"])

PREFIX = "/hooks/webchat/"
# A visitor's message: up to 4,000 characters of text (UTF-8: up to 16 kB) and a few fields.
MAX_MESSAGE_BODY = 20_000
MAX_SMALL_BODY = 4_000
SESSIONS_PER_MINUTE = 10  # new visitor tokens per client address and site
RECEIPTS_PER_MINUTE = 120
KEEPALIVE_SECONDS = 15.0
PAGE = 200


class Unauthorized(SocialdeskError):
    status = 401
    title = "Unauthorized"


class ContentTooLarge(SocialdeskError):
    status = 413
    title = "Content Too Large"


# ------------------------------------------------------------------ CORS and rate limits


class WebchatCors:
    """ASGI middleware for /hooks/webchat/*: answers CORS preflights and adds
    ``Access-Control-Allow-Origin`` to every answer (errors included) so the widget can read
    them. Permissive on purpose: the handlers refuse origins a site does not allow (403)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not scope["path"].startswith(PREFIX):
            await self.app(scope, receive, send)
            return
        headers = dict(scope.get("headers", []))
        origin = headers.get(b"origin")
        if origin is None:
            await self.app(scope, receive, send)
            return
        cors = [
            (b"access-control-allow-origin", origin),
            (b"vary", b"Origin"),
            (b"access-control-expose-headers", b"Retry-After"),
        ]
        if scope["method"] == "OPTIONS" and b"access-control-request-method" in headers:
            await send(
                {
                    "type": "http.response.start",
                    "status": 204,
                    "headers": [
                        *cors,
                        (b"access-control-allow-methods", b"GET, POST"),
                        (b"access-control-allow-headers", b"Authorization, Content-Type"),
                        (b"access-control-max-age", b"600"),
                    ],
                }
            )
            await send({"type": "http.response.body", "body": b""})
            return

        async def send_with_cors(message: Message) -> None:
            if message["type"] == "http.response.start":
                message = {**message, "headers": [*message.get("headers", []), *cors]}
            await send(message)

        await self.app(scope, receive, send_with_cors)


class RateLimiter:
    """Sliding one-minute windows per key, in memory (one web process)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._hits: dict[str, collections.deque[float]] = {}

    def check(self, key: str, per_minute: int) -> float | None:
        """Count a hit; None when allowed, else seconds until the next hit would be."""
        now = time.monotonic()
        with self._lock:
            hits = self._hits.setdefault(key, collections.deque())
            while hits and now - hits[0] >= 60.0:
                hits.popleft()
            if len(hits) >= per_minute:
                return max(0.0, 60.0 - (now - hits[0]))
            hits.append(now)
            if len(self._hits) > 50_000:  # forget idle keys now and then
                for stale in [k for k, v in self._hits.items() if not v or now - v[-1] > 60]:
                    del self._hits[stale]
            return None


_limiter_lock = threading.Lock()


def _limiter(request: Request) -> RateLimiter:
    state = request.app.state
    with _limiter_lock:
        limiter: RateLimiter | None = getattr(state, "webchat_limiter", None)
        if limiter is None:
            limiter = state.webchat_limiter = RateLimiter()
    return limiter


def _limit(request: Request, key: str, per_minute: int, what: str) -> None:
    wait = _limiter(request).check(key, per_minute)
    if wait is not None:
        seconds = max(1, math.ceil(wait))
        raise HTTPException(
            429,
            f"too many {what}: at most {per_minute} a minute; try again in {seconds} s",
            headers={"Retry-After": str(seconds)},
        )


# ------------------------------------------------------------------ checks


def _site(session: Session, account_id: int) -> ChannelAccount:
    account = session.get(ChannelAccount, account_id)
    if account is None or account.platform != PLATFORM:
        raise NotFound(f"no web chat site {account_id}")
    return account


def _check_origin(info: AccountInfo, origin: str | None, *, required: bool) -> str | None:
    if origin is None:
        if required:
            raise Forbidden("this request must come from a page of the site (no Origin header)")
        return None
    if normalize_origin(origin) not in allowed_origins(info):
        raise Forbidden(f"the origin {origin} may not use web chat site {info.id}")
    return origin


def _visitor_of(request: Request, account_id: int, token: str | None) -> str:
    if not token:
        raise Unauthorized("send the visitor token as 'Authorization: Bearer <token>'")
    visitor_id = read_token(get_app(request).cipher, account_id, token)
    if visitor_id is None:
        raise Unauthorized("the visitor token is not valid for this site; start a new session")
    return visitor_id


def _bearer(authorization: str | None) -> str | None:
    if not authorization:
        return None
    scheme, _, value = authorization.partition(" ")
    return value.strip() if scheme.lower() == "bearer" else None


def _rate(info: AccountInfo) -> int:
    try:
        return max(1, int(str(info.settings.get("rate_limit_per_minute") or "20")))
    except ValueError:
        return 20


def _channel(request: Request) -> WebchatChannel:
    channel = get_app(request).channels[PLATFORM]
    assert isinstance(channel, WebchatChannel)
    return channel


OriginHeader = Annotated[str | None, Header(alias="origin", include_in_schema=False)]
AuthHeader = Annotated[
    str | None, Header(alias="authorization", description="Bearer <visitor token>")
]


# ------------------------------------------------------------------ schemas


class SessionIn(BaseModel):
    model_config = {"extra": "forbid"}


class SessionOut(BaseModel):
    token: str
    visitor_id: str
    online: bool


class StatusOut(BaseModel):
    online: bool


class VisitorMessageIn(BaseModel):
    model_config = {"extra": "forbid"}

    id: str = Field(
        min_length=1,
        max_length=100,
        pattern=r"^[A-Za-z0-9_.:-]+$",
        description="the widget's id for this message; a resend with the same id is ignored",
    )
    text: str = Field(min_length=1, max_length=MAX_TEXT_CHARS)
    name: str | None = Field(default=None, max_length=300)
    email: str | None = Field(
        default=None, max_length=320, pattern=r"^[^@\s<>\"]+@[^@\s<>\"]+\.[^@\s<>\"]+$"
    )
    page: str | None = Field(default=None, max_length=2000)


class TranscriptItem(BaseModel):
    id: int
    direction: str
    text: str
    at: datetime
    platform_message_id: str | None = None


class MessageAccepted(BaseModel):
    raw_event_id: int
    duplicate: bool
    offline: bool
    email_followup: bool
    message: TranscriptItem


class Transcript(BaseModel):
    items: list[TranscriptItem]
    online: bool


class ReceiptsIn(BaseModel):
    model_config = {"extra": "forbid"}

    delivered_up_to: int | None = Field(default=None, ge=0)
    read_up_to: int | None = Field(default=None, ge=0)


class ReceiptsOut(BaseModel):
    delivered: int
    read: int
    raw_event_id: int | None


def _item(row: WebchatMessage) -> TranscriptItem:
    return TranscriptItem(
        id=row.id,
        direction=row.direction,
        text=row.text,
        at=row.created_at,
        platform_message_id=outbound_platform_id(row.id) if row.direction == "out" else None,
    )


def _parse(model: type[BaseModel], body: bytes, limit: int) -> Any:
    if len(body) > limit:
        raise ContentTooLarge(f"the request body exceeds {limit:,} bytes")
    try:
        return model.model_validate_json(body or b"{}")
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first.get("loc", ())) or "body"
        raise InvalidInput(f"{where}: {first.get('msg', 'invalid')}") from exc


# ------------------------------------------------------------------ routes


@router.post(
    "/webchat/{account_id}/sessions",
    status_code=status.HTTP_201_CREATED,
    response_model=SessionOut,
    summary="Start a web chat visitor session (issues the visitor's token)",
)
def webchat_session(
    account_id: int,
    request: Request,
    session: ReadSessionDep,
    body: RawBodyDep,
    origin: OriginHeader = None,
) -> SessionOut:
    account = _site(session, account_id)
    info = account_info(account)
    _check_origin(info, origin, required=True)
    _parse(SessionIn, body, MAX_SMALL_BODY)
    client = request.client.host if request.client else "unknown"
    _limit(request, f"session:{account_id}:{client}", SESSIONS_PER_MINUTE, "new chat sessions")
    visitor_id = new_visitor_id()
    return SessionOut(
        token=issue_token(get_app(request).cipher, account_id, visitor_id),
        visitor_id=visitor_id,
        online=agents_online(session, account.workspace_id),
    )


@router.get(
    "/webchat/{account_id}/status",
    response_model=StatusOut,
    summary="Whether an agent is online to chat (else the widget offers an email follow-up)",
)
def webchat_status(
    account_id: int, session: ReadSessionDep, origin: OriginHeader = None
) -> StatusOut:
    account = _site(session, account_id)
    _check_origin(account_info(account), origin, required=False)
    return StatusOut(online=agents_online(session, account.workspace_id))


@router.post(
    "/webchat/{account_id}/messages",
    status_code=status.HTTP_202_ACCEPTED,
    response_model=MessageAccepted,
    summary="A visitor's message (stored before it is acknowledged)",
)
def webchat_message(
    account_id: int,
    request: Request,
    body: RawBodyDep,
    session: ReadSessionDep,
    origin: OriginHeader = None,
    authorization: AuthHeader = None,
) -> MessageAccepted:
    account = _site(session, account_id)
    info = account_info(account)
    checked_origin = _check_origin(info, origin, required=True)
    visitor_id = _visitor_of(request, account_id, _bearer(authorization))
    if len(body) > MAX_MESSAGE_BODY:
        raise ContentTooLarge(f"a chat message may be at most {MAX_MESSAGE_BODY:,} bytes")
    _limit(request, f"visitor:{account_id}:{visitor_id}", _rate(info), "messages")
    data: VisitorMessageIn = _parse(VisitorMessageIn, body, MAX_MESSAGE_BODY)
    text = data.text.strip()
    if not text:
        raise InvalidInput("text: the message is empty")
    online = agents_online(session, account.workspace_id)
    # Stored by the webhooks' group commit: answered once the transaction has committed.
    return run_write_from_thread(
        request,
        lambda write: _store_message(
            write, info, visitor_id, data, text, online=online, checked_origin=checked_origin
        ),
    )


def _store_message(
    session: Session,
    account: AccountInfo,
    visitor_id: str,
    data: VisitorMessageIn,
    text: str,
    *,
    online: bool,
    checked_origin: str | None,
) -> MessageAccepted:
    now = utcnow()
    visitor = session.scalar(
        select(WebchatVisitor).where(
            WebchatVisitor.channel_account_id == account.id,
            WebchatVisitor.visitor_id == visitor_id,
        )
    )
    if visitor is None:
        visitor = WebchatVisitor(
            workspace_id=account.workspace_id,
            channel_account_id=account.id,
            visitor_id=visitor_id,
            created_at=now,
            email_followup=False,
        )
        session.add(visitor)
    if data.name and data.name.strip():
        visitor.name = data.name.strip()
    if data.email:
        visitor.email = data.email.strip().lower()
    visitor.last_seen_at = now
    # Offline with an address: replies go by email too, until the visitor chats live again.
    visitor.email_followup = not online and visitor.email is not None
    session.flush()
    existing = session.scalar(
        select(WebchatMessage).where(
            WebchatMessage.visitor_pk == visitor.id,
            WebchatMessage.direction == Direction.IN.value,
            WebchatMessage.key == data.id,
        )
    )
    stored_text = existing.text if existing is not None else text
    payload = {
        "type": "message",
        "visitor": {"id": visitor_id, "name": visitor.name, "email": visitor.email},
        "id": data.id,
        "text": stored_text,
        "time": (existing.created_at if existing is not None else now).isoformat(),
        "offline": not online,
        "origin": checked_origin,
        "page": data.page,
    }
    raw_id, created = store_raw_event(
        session,
        workspace_id=account.workspace_id,
        channel_account_id=account.id,
        source=PLATFORM,
        payload=json.dumps(payload, ensure_ascii=False).encode(),
        external_id=f"{account.id}:{visitor_id}:{data.id}",
    )
    if existing is None:
        existing = WebchatMessage(
            channel_account_id=account.id,
            visitor_pk=visitor.id,
            direction=Direction.IN.value,
            key=data.id,
            text=text,
            created_at=now,
        )
        session.add(existing)
        session.flush()
    return MessageAccepted(
        raw_event_id=raw_id,
        duplicate=not created,
        offline=not online,
        email_followup=visitor.email_followup,
        message=_item(existing),
    )


def _transcript(session: Session, account_id: int, visitor_id: str, after: int) -> list[Any]:
    visitor_pk = session.scalar(
        select(WebchatVisitor.id).where(
            WebchatVisitor.channel_account_id == account_id,
            WebchatVisitor.visitor_id == visitor_id,
        )
    )
    if visitor_pk is None:
        return []
    rows = session.scalars(
        select(WebchatMessage)
        .where(WebchatMessage.visitor_pk == visitor_pk, WebchatMessage.id > after)
        .order_by(WebchatMessage.id)
        .limit(PAGE)
    )
    return [_item(row) for row in rows]


@router.get(
    "/webchat/{account_id}/messages",
    response_model=Transcript,
    summary="The visitor's transcript after a message id (the widget's polling fallback)",
)
def webchat_messages(
    account_id: int,
    request: Request,
    session: ReadSessionDep,
    after: Annotated[int, Query(ge=0)] = 0,
    origin: OriginHeader = None,
    authorization: AuthHeader = None,
) -> Transcript:
    account = _site(session, account_id)
    _check_origin(account_info(account), origin, required=False)
    visitor_id = _visitor_of(request, account_id, _bearer(authorization))
    return Transcript(
        items=_transcript(session, account_id, visitor_id, after),
        online=agents_online(session, account.workspace_id),
    )


@router.post(
    "/webchat/{account_id}/receipts",
    response_model=ReceiptsOut,
    summary="The widget confirms replies it received (delivered) and showed (read)",
)
def webchat_receipts(
    account_id: int,
    request: Request,
    body: RawBodyDep,
    session: ReadSessionDep,
    origin: OriginHeader = None,
    authorization: AuthHeader = None,
) -> ReceiptsOut:
    account = _site(session, account_id)
    info = account_info(account)
    _check_origin(info, origin, required=True)
    visitor_id = _visitor_of(request, account_id, _bearer(authorization))
    _limit(request, f"receipts:{account_id}:{visitor_id}", RECEIPTS_PER_MINUTE, "receipts")
    data: ReceiptsIn = _parse(ReceiptsIn, body, MAX_SMALL_BODY)
    # Stored by the webhooks' group commit: answered once the transaction has committed.
    return run_write_from_thread(
        request, lambda write: _store_receipts(write, info, visitor_id, data)
    )


def _store_receipts(
    session: Session, account: AccountInfo, visitor_id: str, data: ReceiptsIn
) -> ReceiptsOut:
    visitor = session.scalar(
        select(WebchatVisitor).where(
            WebchatVisitor.channel_account_id == account.id,
            WebchatVisitor.visitor_id == visitor_id,
        )
    )
    if visitor is None:
        return ReceiptsOut(delivered=0, read=0, raw_event_id=None)
    now = utcnow()
    visitor.last_seen_at = now
    receipts: list[dict[str, Any]] = []
    for state, up_to, column in (
        ("delivered", data.delivered_up_to, WebchatMessage.delivered_at),
        ("read", data.read_up_to, WebchatMessage.read_at),
    ):
        if up_to is None:
            continue
        ids = list(
            session.scalars(
                select(WebchatMessage.id).where(
                    WebchatMessage.visitor_pk == visitor.id,
                    WebchatMessage.direction == Direction.OUT.value,
                    WebchatMessage.id <= up_to,
                    column.is_(None),
                )
            )
        )
        if not ids:
            continue
        session.execute(
            update(WebchatMessage).where(WebchatMessage.id.in_(ids)).values({column.key: now})
        )
        receipts.extend(
            {"id": outbound_platform_id(i), "state": state, "at": now.isoformat()} for i in ids
        )
    if not receipts:
        return ReceiptsOut(delivered=0, read=0, raw_event_id=None)
    payload = json.dumps(
        {"type": "receipts", "visitor": {"id": visitor_id}, "receipts": receipts}
    ).encode()
    raw_id, _created = store_raw_event(
        session,
        workspace_id=account.workspace_id,
        channel_account_id=account.id,
        source=PLATFORM,
        payload=payload,
        external_id=f"{account.id}:{visitor_id}:receipts:{hashlib.sha256(payload).hexdigest()}",
    )
    return ReceiptsOut(
        delivered=sum(r["state"] == "delivered" for r in receipts),
        read=sum(r["state"] == "read" for r in receipts),
        raw_event_id=raw_id,
    )


@router.get(
    "/webchat/{account_id}/events",
    summary="Server-sent events: the visitor's transcript as it grows (agents' replies live)",
    response_class=StreamingResponse,
)
def webchat_events(
    account_id: int,
    request: Request,
    session: ReadSessionDep,
    token: Annotated[str, Query(min_length=1, max_length=1000)],
    after: Annotated[int, Query(ge=0)] = 0,
    origin: OriginHeader = None,
    last_event_id: Annotated[str | None, Header(alias="last-event-id")] = None,
) -> StreamingResponse:
    account = _site(session, account_id)
    _check_origin(account_info(account), origin, required=False)
    visitor_id = _visitor_of(request, account_id, token)
    if last_event_id and last_event_id.isdigit():
        after = max(after, int(last_event_id))
    app = get_app(request)
    hub = _channel(request).hub
    return StreamingResponse(
        _stream(app, hub, request, account_id, visitor_id, after),
        media_type="text/event-stream",
        headers={"Cache-Control": "no-store", "X-Accel-Buffering": "no"},
    )


async def _stream(
    app: App,
    hub: VisitorHub,
    request: Request,
    account_id: int,
    visitor_id: str,
    cursor: int,
) -> AsyncIterator[str]:
    def load(after: int) -> list[Any]:
        with app.db.read_session() as session:
            return _transcript(session, account_id, visitor_id, after)

    key, wake = hub.subscribe(account_id, visitor_id)
    try:
        yield "retry: 3000\nevent: hello\ndata: {}\n\n"
        while True:
            wake.clear()
            items = await run_in_threadpool(load, cursor)
            for item in items:
                cursor = item.id
                yield f"id: {item.id}\nevent: message\ndata: {item.model_dump_json()}\n\n"
            if len(items) == PAGE:
                continue
            try:
                await asyncio.wait_for(wake.wait(), timeout=KEEPALIVE_SECONDS)
            except TimeoutError:
                yield ": keep-alive\n\n"
                if await request.is_disconnected():
                    return
    finally:
        hub.unsubscribe(key)
