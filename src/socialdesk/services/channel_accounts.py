"""Connecting, pausing and resuming channel accounts; their secrets are encrypted at rest."""

from __future__ import annotations

from collections.abc import Mapping

from sqlalchemy import select
from sqlalchemy.orm import Session

from socialdesk.channels.base import ACCOUNT_FIELDS, ConnectionSpec
from socialdesk.channels.sandbox import PLATFORM as SANDBOX
from socialdesk.domain.errors import Conflict, InvalidInput
from socialdesk.domain.types import DeliveryState, Direction
from socialdesk.jobs.queue import rearm
from socialdesk.pipeline.intake import INGEST_JOB
from socialdesk.pipeline.polling import schedule_poll
from socialdesk.services.replies import DELIVER_JOB
from socialdesk.services.sandbox import create_sandbox_account
from socialdesk.services.workspaces import get_account
from socialdesk.store.crypto import CredentialCipher
from socialdesk.store.models import ChannelAccount, Message, RawEvent

__all__ = ["connect_account", "pause_account", "resume_account"]


def connect_account(
    session: Session,
    workspace_id: int,
    spec: ConnectionSpec,
    *,
    name: str,
    values: Mapping[str, str],
    cipher: CredentialCipher,
) -> ChannelAccount:
    """A new channel account of ``spec.platform`` from the values its connector asks for."""
    unknown = spec.unknown(values)
    if unknown:
        raise InvalidInput(
            f"{spec.platform} does not use {', '.join(unknown)}; "
            f"its keys are {', '.join(spec.names)}"
        )
    missing = spec.missing(values)
    if missing:
        raise InvalidInput(f"{spec.platform} needs {', '.join(missing)}: missing")
    name = name.strip()
    if not name:
        raise InvalidInput("a channel account needs a name")
    handle = values.get("handle", "").strip().removeprefix("@")
    existing = session.scalar(
        select(ChannelAccount.id).where(
            ChannelAccount.workspace_id == workspace_id,
            ChannelAccount.platform == spec.platform,
            ChannelAccount.handle == handle,
        )
    )
    if existing is not None:
        raise Conflict(
            f"{spec.platform} account @{handle} already exists (channel account {existing})"
        )
    if spec.platform == SANDBOX:
        return create_sandbox_account(session, workspace_id, name=name, handle=handle)
    secrets: dict[str, str] = {}
    settings: dict[str, str] = {}
    for key in spec.keys:
        value = values.get(key.name, "").strip() or key.default
        if value is None or key.name in ACCOUNT_FIELDS:
            continue
        (secrets if key.secret else settings)[key.name] = value
    account = ChannelAccount(
        workspace_id=workspace_id,
        platform=spec.platform,
        name=name,
        handle=handle,
        external_id=values.get("external_id", "").strip() or None,
        settings=settings,
        credentials=cipher.encrypt(secrets) if secrets else None,
    )
    session.add(account)
    session.flush()
    if spec.polled:
        schedule_poll(session, account.id)
    return account


def pause_account(session: Session, workspace_id: int, account_id: int) -> ChannelAccount:
    """Stop processing and sending for an account; its webhooks are still stored."""
    account = get_account(session, workspace_id, account_id)
    account.is_paused = True
    return account


def resume_account(session: Session, workspace_id: int, account_id: int) -> ChannelAccount:
    """Process what arrived while the account was paused and send what waited."""
    account = get_account(session, workspace_id, account_id)
    account.is_paused = False
    raw_ids = session.scalars(
        select(RawEvent.id)
        .where(RawEvent.channel_account_id == account.id, RawEvent.status == "received")
        .order_by(RawEvent.id)
    )
    # The same keys as when they were first queued, so nothing is ever queued twice.
    rearm(session, [(INGEST_JOB, {"raw_event_id": i}, f"raw:{i}") for i in raw_ids])
    message_ids = session.scalars(
        select(Message.id)
        .where(
            Message.channel_account_id == account.id,
            Message.direction == Direction.OUT.value,
            Message.delivery_state == DeliveryState.QUEUED.value,
        )
        .order_by(Message.id)
    )
    rearm(session, [(DELIVER_JOB, {"message_id": i}, f"deliver:{i}") for i in message_ids])
    schedule_poll(session, account.id)  # polled connectors catch up now; others ignore it
    return account
