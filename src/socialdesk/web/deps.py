"""Request dependencies: the composition root, database sessions and the API caller."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from datetime import timedelta
from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool

from socialdesk.bootstrap import App
from socialdesk.domain.errors import SocialdeskError
from socialdesk.services.accounts import authenticate_token, touch_token
from socialdesk.services.events import Actor
from socialdesk.store.types import utcnow

__all__ = [
    "Caller",
    "CallerDep",
    "RawBodyDep",
    "ReadSessionDep",
    "WriteSessionDep",
    "get_app",
    "write_gate",
]


class Unauthorized(SocialdeskError):
    status = 401
    title = "Unauthorized"


def get_app(request: Request) -> App:
    app: App = request.app.state.socialdesk
    return app


def write_gate(request: Request) -> contextlib.AbstractAsyncContextManager[object]:
    """On SQLite, one request at a time holds a write transaction; the others wait here, in
    the event loop, not in a worker thread.

    SQLite has one writer at a time. Without this gate, a burst of requests larger than the
    thread pool fills every thread with requests waiting for the write lock, while the
    request holding it cannot get a thread to commit: nobody progresses until the busy
    timeout fails them all. The webhooks' group commit (web/hooks/_intake.py) takes the same
    gate for each of its batches. PostgreSQL needs no gate.
    """
    app = get_app(request)
    if not app.db.is_sqlite:
        return contextlib.nullcontext()
    state = request.app.state
    loop = asyncio.get_running_loop()
    gate: tuple[asyncio.AbstractEventLoop, asyncio.Lock] | None = getattr(
        state, "sqlite_write_gate", None
    )
    if gate is None or gate[0] is not loop:  # an asyncio.Lock belongs to one event loop
        gate = state.sqlite_write_gate = (loop, asyncio.Lock())
    return gate[1]


async def write_session(request: Request) -> AsyncIterator[Session]:
    """One transaction per request: committed when the handler returns, else rolled back."""
    async with write_gate(request):
        manager = get_app(request).db.session()
        session = await run_in_threadpool(manager.__enter__)
        try:
            yield session
        except BaseException as exc:
            await run_in_threadpool(manager.__exit__, type(exc), exc, exc.__traceback__)
            raise
        await run_in_threadpool(manager.__exit__, None, None, None)


def read_session(request: Request) -> Iterator[Session]:
    with get_app(request).db.read_session() as session:
        yield session


async def raw_body(request: Request) -> bytes:
    """The exact bytes received (signatures are computed over them)."""
    return await request.body()


RawBodyDep = Annotated[bytes, Depends(raw_body)]
# "function" scope: the commit happens when the handler (and its response model) is done but
# before anything is sent, so a commit that fails becomes an error response, never a 2xx for
# a write that did not happen (FastAPI's default scope would commit after sending).
WriteSessionDep = Annotated[Session, Depends(write_session, scope="function")]
ReadSessionDep = Annotated[Session, Depends(read_session)]

_TOUCH_EVERY = timedelta(minutes=1)
_bearer = HTTPBearer(auto_error=False, description="An API token from `socialdesk token create`")


@dataclass(frozen=True)
class Caller:
    workspace_id: int
    user_id: int | None
    role: str
    token_id: int

    @property
    def actor(self) -> Actor:
        return Actor.agent(self.user_id) if self.user_id is not None else Actor("api")


def current_caller(
    request: Request,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> Caller:
    if credentials is None or credentials.scheme.lower() != "bearer":
        raise Unauthorized(
            "send an API token as 'Authorization: Bearer <token>'; "
            "create one with `socialdesk token create`"
        )
    db = get_app(request).db
    with db.read_session() as session:
        owner = authenticate_token(session, credentials.credentials)
    if owner is None:
        raise Unauthorized("the API token is unknown or revoked")
    if owner.last_used_at is None or utcnow() - owner.last_used_at > _TOUCH_EVERY:
        with db.session() as session:  # a write per minute per token, not per request
            touch_token(session, owner.token_id)
    return Caller(
        workspace_id=owner.workspace_id,
        user_id=owner.user_id,
        role=owner.role,
        token_id=owner.token_id,
    )


CallerDep = Annotated[Caller, Depends(current_caller)]
