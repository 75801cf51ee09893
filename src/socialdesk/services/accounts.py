"""People and credentials: users (agents) with argon2 password hashes, teams, API tokens."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import select
from sqlalchemy.orm import Session

from socialdesk.domain.errors import Conflict, InvalidInput
from socialdesk.domain.types import Role
from socialdesk.store.models import ApiToken, Team, User
from socialdesk.store.types import utcnow

__all__ = [
    "IssuedToken",
    "TokenOwner",
    "authenticate_token",
    "create_team",
    "create_token",
    "create_user",
    "set_password",
    "verify_password",
]

_hasher = PasswordHasher()
TOKEN_PREFIX = "sd_"


def create_user(
    session: Session,
    workspace_id: int,
    *,
    email: str,
    name: str,
    role: str = Role.AGENT,
    password: str | None = None,
) -> User:
    email = email.strip().lower()
    if "@" not in email or len(email) > 320:
        raise InvalidInput(f"{email!r} is not an email address")
    if role not in set(Role):
        raise InvalidInput(f"role must be one of {', '.join(Role)}")
    if password is not None:
        _check_password(password)
    if session.scalar(
        select(User.id).where(User.workspace_id == workspace_id, User.email == email)
    ):
        raise Conflict(f"a user with email {email} already exists")
    user = User(
        workspace_id=workspace_id,
        email=email,
        name=name.strip() or email,
        role=role,
        password_hash=_hasher.hash(password) if password else None,
    )
    session.add(user)
    session.flush()
    return user


def _check_password(password: str) -> None:
    if len(password) < 8:
        raise InvalidInput("a password needs at least 8 characters")
    if len(password) > 1000:
        raise InvalidInput("a password may hold at most 1,000 characters")


def set_password(user: User, password: str) -> None:
    _check_password(password)
    user.password_hash = _hasher.hash(password)


def verify_password(user: User, password: str) -> bool:
    if not user.password_hash or not user.is_active:
        return False
    try:
        return _hasher.verify(user.password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def create_team(session: Session, workspace_id: int, name: str) -> Team:
    name = name.strip()
    if not name:
        raise InvalidInput("a team needs a name")
    if session.scalar(select(Team.id).where(Team.workspace_id == workspace_id, Team.name == name)):
        raise Conflict(f"a team named {name!r} already exists")
    team = Team(workspace_id=workspace_id, name=name)
    session.add(team)
    session.flush()
    return team


@dataclass(frozen=True)
class IssuedToken:
    id: int
    secret: str  # shown once; only its hash is stored


@dataclass(frozen=True)
class TokenOwner:
    token_id: int
    workspace_id: int
    user_id: int | None
    role: str
    last_used_at: datetime | None = None


def _digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def create_token(
    session: Session, workspace_id: int, *, name: str, user_id: int | None = None
) -> IssuedToken:
    secret = TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken(
        workspace_id=workspace_id,
        user_id=user_id,
        name=name.strip() or "token",
        prefix=secret[:10],
        token_hash=_digest(secret),
    )
    session.add(token)
    session.flush()
    return IssuedToken(id=token.id, secret=secret)


def authenticate_token(session: Session, secret: str) -> TokenOwner | None:
    """The owner of a bearer token, or None for an unknown or revoked one."""
    if not secret.startswith(TOKEN_PREFIX) or len(secret) > 200:
        return None
    token = session.scalar(select(ApiToken).where(ApiToken.token_hash == _digest(secret)))
    if token is None or token.revoked_at is not None:
        return None
    role = Role.ADMIN.value
    if token.user_id is not None:
        user = session.get(User, token.user_id)
        if user is None or not user.is_active:
            return None
        role = user.role
    return TokenOwner(
        token_id=token.id, workspace_id=token.workspace_id, user_id=token.user_id, role=role
    )


def touch_token(session: Session, token_id: int) -> None:
    token = session.get(ApiToken, token_id)
    if token is not None:
        token.last_used_at = utcnow()
