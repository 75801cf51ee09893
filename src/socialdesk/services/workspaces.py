"""Workspaces and channel accounts: the tenants and the brand presences inside them."""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from socialdesk.domain.errors import InvalidInput, NotFound
from socialdesk.store.models import ChannelAccount, Workspace

__all__ = [
    "DEFAULT_WORKSPACE",
    "ensure_accounts",
    "get_account",
    "get_or_create_workspace",
    "get_workspace",
    "list_accounts",
]

DEFAULT_WORKSPACE = "default"
_SLUG = re.compile(r"^[a-z0-9][a-z0-9-]{0,99}$")


def get_workspace(session: Session, slug: str) -> Workspace:
    workspace = session.scalar(select(Workspace).where(Workspace.slug == slug))
    if workspace is None:
        raise NotFound(f"workspace {slug!r} does not exist; create it with `socialdesk init`")
    return workspace


def get_or_create_workspace(
    session: Session, slug: str = DEFAULT_WORKSPACE, name: str | None = None
) -> Workspace:
    if not _SLUG.match(slug):
        raise InvalidInput(f"workspace slug {slug!r} must be lowercase letters, digits and dashes")
    workspace = session.scalar(select(Workspace).where(Workspace.slug == slug))
    if workspace is None:
        workspace = Workspace(slug=slug, name=name or slug.replace("-", " ").title())
        session.add(workspace)
        session.flush()
    return workspace


def get_account(session: Session, workspace_id: int, account_id: int) -> ChannelAccount:
    account = session.get(ChannelAccount, account_id)
    if account is None or account.workspace_id != workspace_id:
        raise NotFound(f"channel account {account_id} does not exist in this workspace")
    return account


def list_accounts(
    session: Session, workspace_id: int, *, platform: str | None = None
) -> list[ChannelAccount]:
    """Every channel account of a workspace, oldest first (a workspace has a handful)."""
    query = select(ChannelAccount).where(ChannelAccount.workspace_id == workspace_id)
    if platform is not None:
        query = query.where(ChannelAccount.platform == platform)
    return list(session.scalars(query.order_by(ChannelAccount.id)))


def ensure_accounts(
    session: Session,
    workspace_id: int,
    platform: str,
    handles: Iterable[str],
    *,
    settings: dict[str, Any] | None = None,
) -> dict[str, int]:
    """Channel account id for each handle on ``platform``, creating the missing ones."""
    wanted = set(handles)
    found = {
        handle: account_id
        for handle, account_id in session.execute(
            select(ChannelAccount.handle, ChannelAccount.id).where(
                ChannelAccount.workspace_id == workspace_id,
                ChannelAccount.platform == platform,
            )
        )
        if handle in wanted
    }
    for handle in sorted(wanted - found.keys()):
        account = ChannelAccount(
            workspace_id=workspace_id,
            platform=platform,
            name=handle,
            handle=handle,
            settings=dict(settings or {}),
        )
        session.add(account)
        session.flush()
        found[handle] = account.id
    return found
