"""Signing agents in and out of the web workspace, with throttling of password guessing."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import delete, func, select
from sqlalchemy.orm import InstrumentedAttribute, Session

from socialdesk.domain.errors import InvalidInput, SocialdeskError
from socialdesk.services.accounts import set_password, verify_password
from socialdesk.store.models import LoginAttempt, User, UserSession, Workspace
from socialdesk.store.types import utcnow

__all__ = [
    "SESSION_LIFETIME",
    "SignedIn",
    "TooManyAttempts",
    "WrongCredentials",
    "change_password",
    "resolve_session",
    "sign_in",
    "sign_out",
]

SESSION_LIFETIME = timedelta(days=7)
IDLE_LIFETIME = timedelta(hours=12)
THROTTLE_WINDOW = timedelta(minutes=15)
MAX_FAILURES_PER_EMAIL = 5
MAX_FAILURES_PER_IP = 20


class WrongCredentials(SocialdeskError):
    status = 401
    title = "Wrong email or password"


class TooManyAttempts(SocialdeskError):
    status = 429
    title = "Too many attempts"


@dataclass(frozen=True)
class SignedIn:
    """What a request knows about its signed-in user."""

    session_id: int
    user_id: int
    workspace_id: int
    role: str
    name: str
    email: str
    csrf_token: str
    secret: str | None = None  # the cookie value; only right after sign-in
    last_seen_at: datetime | None = None


def _digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def _recent_failures(session: Session, column: InstrumentedAttribute[Any], value: str) -> int:
    since = utcnow() - THROTTLE_WINDOW
    last_success = session.scalar(
        select(func.max(LoginAttempt.at)).where(
            column == value,
            LoginAttempt.succeeded.is_(True),
        )
    )
    if last_success is not None and last_success > since:
        since = last_success
    return (
        session.scalar(
            select(func.count()).where(
                column == value,
                LoginAttempt.succeeded.is_(False),
                LoginAttempt.at > since,
            )
        )
        or 0
    )


def sign_in(
    session: Session,
    *,
    email: str,
    password: str,
    workspace_slug: str | None = None,
    ip: str | None = None,
    user_agent: str | None = None,
) -> SignedIn | None:
    """Check a password and open a session.

    Returns None for a wrong email or password (the same answer for both, and the failure is
    recorded in the caller's transaction, so commit it); raises :class:`TooManyAttempts`
    after too many failures from one email or one address.
    """
    email = email.strip().lower()
    if not email or not password:
        raise InvalidInput("enter your email and password")
    if _recent_failures(session, LoginAttempt.email, email) >= MAX_FAILURES_PER_EMAIL or (
        ip and _recent_failures(session, LoginAttempt.ip, ip) >= MAX_FAILURES_PER_IP
    ):
        raise TooManyAttempts(
            f"too many failed sign-ins; wait {int(THROTTLE_WINDOW.total_seconds() // 60)} "
            "minutes or ask an admin to reset your password"
        )
    query = select(User).where(User.email == email, User.is_active.is_(True))
    if workspace_slug:
        query = query.join(Workspace, Workspace.id == User.workspace_id).where(
            Workspace.slug == workspace_slug
        )
    users = list(session.scalars(query.limit(2)))
    user = users[0] if len(users) == 1 else None
    if len(users) > 1:
        raise InvalidInput("this email belongs to several workspaces; enter the workspace too")
    if user is None or not verify_password(user, password):
        session.add(LoginAttempt(email=email, ip=ip, succeeded=False))
        return None
    session.add(LoginAttempt(email=email, ip=ip, succeeded=True))
    secret = secrets.token_urlsafe(32)
    now = utcnow()
    record = UserSession(
        workspace_id=user.workspace_id,
        user_id=user.id,
        token_hash=_digest(secret),
        csrf_token=secrets.token_urlsafe(24),
        created_at=now,
        last_seen_at=now,
        expires_at=now + SESSION_LIFETIME,
        user_agent=(user_agent or "")[:300] or None,
        ip=ip,
    )
    session.add(record)
    session.flush()
    return SignedIn(
        session_id=record.id,
        user_id=user.id,
        workspace_id=user.workspace_id,
        role=user.role,
        name=user.name,
        email=user.email,
        csrf_token=record.csrf_token,
        secret=secret,
    )


def resolve_session(session: Session, secret: str) -> SignedIn | None:
    """The signed-in user behind a cookie, or None when unknown, expired or idle too long."""
    if not secret or len(secret) > 100:
        return None
    row = session.execute(
        select(UserSession, User)
        .join(User, User.id == UserSession.user_id)
        .where(UserSession.token_hash == _digest(secret))
    ).first()
    if row is None:
        return None
    record, user = row
    now = utcnow()
    if not user.is_active or record.expires_at <= now or now - record.last_seen_at > IDLE_LIFETIME:
        return None
    return SignedIn(
        session_id=record.id,
        user_id=user.id,
        workspace_id=user.workspace_id,
        role=user.role,
        name=user.name,
        email=user.email,
        csrf_token=record.csrf_token,
        last_seen_at=record.last_seen_at,
    )


def touch_session(session: Session, session_id: int) -> None:
    record = session.get(UserSession, session_id)
    if record is not None:
        record.last_seen_at = utcnow()


def sign_out(session: Session, session_id: int) -> None:
    session.execute(delete(UserSession).where(UserSession.id == session_id))


def change_password(
    session: Session, user_id: int, *, current: str, new: str, keep_session_id: int
) -> None:
    """Change a password; every other session of the user is signed out."""
    user = session.get(User, user_id)
    if user is None or not verify_password(user, current):
        raise WrongCredentials("the current password is wrong")
    if new == current:
        raise InvalidInput("the new password must differ from the current one")
    set_password(user, new)
    session.execute(
        delete(UserSession).where(UserSession.user_id == user_id, UserSession.id != keep_session_id)
    )
