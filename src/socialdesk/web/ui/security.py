"""Who is signed in, what their role allows, and CSRF checks for every state change."""

from __future__ import annotations

import hmac
from datetime import timedelta
from typing import Annotated
from urllib.parse import quote

from fastapi import Depends, Request

from socialdesk.domain.types import Role
from socialdesk.services.sessions import SignedIn, resolve_session, touch_session
from socialdesk.store.types import utcnow
from socialdesk.web.deps import get_app

__all__ = [
    "COOKIE",
    "AgentDep",
    "CsrfRejected",
    "NeedsSignIn",
    "RoleForbidden",
    "require_role",
]

COOKIE = "sd_session"
CSRF_HEADER = "X-CSRF-Token"
CSRF_FIELD = "csrf_token"
_TOUCH_EVERY = timedelta(minutes=1)
_SAFE_METHODS = {"GET", "HEAD", "OPTIONS"}

# Which roles may do what; every page and action names its role here or in its route.
ROLE_ORDER = {Role.AGENT.value: 0, Role.SUPERVISOR.value: 1, Role.ADMIN.value: 2}


class NeedsSignIn(Exception):
    def __init__(self, next_url: str) -> None:
        self.next_url = next_url


class RoleForbidden(Exception):
    def __init__(self, needed: str) -> None:
        self.needed = needed


class CsrfRejected(Exception):
    pass


async def _form_token(request: Request) -> str | None:
    content_type = request.headers.get("content-type", "")
    if "form" not in content_type:
        return None
    form = await request.form()
    value = form.get(CSRF_FIELD)
    return value if isinstance(value, str) else None


async def current_agent(request: Request) -> SignedIn:
    """The signed-in user; pages redirect to sign-in, unsafe methods must carry the CSRF token."""
    secret = request.cookies.get(COOKIE, "")
    db = get_app(request).db
    with db.read_session() as session:
        agent = resolve_session(session, secret) if secret else None
    if agent is None:
        target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        raise NeedsSignIn(quote(target, safe="/?=&"))
    if request.method not in _SAFE_METHODS:
        token = request.headers.get(CSRF_HEADER) or await _form_token(request)
        if not token or not hmac.compare_digest(token, agent.csrf_token):
            raise CsrfRejected
    if agent.last_seen_at is None or utcnow() - agent.last_seen_at > _TOUCH_EVERY:
        with db.session() as session:
            touch_session(session, agent.session_id)
    request.state.agent = agent
    return agent


AgentDep = Annotated[SignedIn, Depends(current_agent)]


def require_role(role: Role) -> object:
    """A dependency that lets through ``role`` and the roles above it."""

    async def check(agent: AgentDep) -> SignedIn:
        if ROLE_ORDER.get(agent.role, -1) < ROLE_ORDER[role.value]:
            raise RoleForbidden(role.value)
        return agent

    return Depends(check)
