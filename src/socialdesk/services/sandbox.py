"""The training sandbox seen from the agent's side: customers' posts and DMs go in through
the same intake as real webhooks; what we sent comes back out of the sandbox."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from socialdesk.channels.sandbox import PLATFORM, SandboxCustomer, inbound_payload
from socialdesk.domain.errors import InvalidInput
from socialdesk.pipeline.intake import store_raw_event
from socialdesk.services.workspaces import get_account
from socialdesk.store.models import ChannelAccount, SandboxDelivery
from socialdesk.store.types import utcnow

__all__ = ["SandboxInjection", "create_sandbox_account", "inject", "sandbox_deliveries"]


@dataclass(frozen=True)
class SandboxInjection:
    raw_event_id: int
    message_id: str
    duplicate: bool


def create_sandbox_account(
    session: Session, workspace_id: int, *, name: str, handle: str
) -> ChannelAccount:
    handle = handle.strip().lstrip("@")
    if not handle or not name.strip():
        raise InvalidInput("a sandbox account needs a name and a handle")
    existing = session.scalar(
        select(ChannelAccount).where(
            ChannelAccount.workspace_id == workspace_id,
            ChannelAccount.platform == PLATFORM,
            ChannelAccount.handle == handle,
        )
    )
    if existing is not None:
        return existing
    account = ChannelAccount(
        workspace_id=workspace_id,
        platform=PLATFORM,
        name=name.strip(),
        handle=handle,
        external_id=f"sandbox-{handle}",
        settings={},
    )
    session.add(account)
    session.flush()
    return account


def inject(
    session: Session,
    workspace_id: int,
    account_id: int,
    *,
    kind: str,
    customer: SandboxCustomer,
    text: str,
    reply_to: str | None = None,
    message_id: str | None = None,
    time: datetime | None = None,
) -> SandboxInjection:
    """A customer posts publicly (``post``) or sends a private message (``dm``)."""
    account = get_account(session, workspace_id, account_id)
    if account.platform != PLATFORM:
        raise InvalidInput(f"channel account {account_id} is not a sandbox account")
    if kind not in ("post", "dm"):
        raise InvalidInput("kind must be 'post' (public) or 'dm' (private)")
    if not text.strip():
        raise InvalidInput("the customer's message needs some text")
    message_id = message_id or f"sbx-{uuid.uuid4().hex}"
    customer_data: dict[str, Any] = customer.model_dump(exclude_none=True)
    payload = inbound_payload(
        kind=kind,
        customer=customer_data,
        text=text,
        message_id=message_id,
        time=time or utcnow(),
        reply_to=reply_to,
    )
    raw_id, created = store_raw_event(
        session,
        workspace_id=workspace_id,
        channel_account_id=account.id,
        source=PLATFORM,
        payload=payload,
        external_id=f"{account.id}:{message_id}",
    )
    return SandboxInjection(raw_event_id=raw_id, message_id=message_id, duplicate=not created)


def sandbox_deliveries(
    session: Session, workspace_id: int, account_id: int, *, limit: int = 100
) -> list[SandboxDelivery]:
    """What the sandbox 'platform' received from us, newest first."""
    account = get_account(session, workspace_id, account_id)
    return list(
        session.scalars(
            select(SandboxDelivery)
            .where(SandboxDelivery.channel_account_id == account.id)
            .order_by(SandboxDelivery.id.desc())
            .limit(limit)
        )
    )
