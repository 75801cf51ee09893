"""The training sandbox: play the customer (post, DM) and see what agents sent back."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query
from pydantic import Field

from socialdesk.channels.sandbox import SandboxCustomer
from socialdesk.services.sandbox import inject, sandbox_deliveries
from socialdesk.web.api.common import IdPath, RequestModel, TxSessionDep
from socialdesk.web.api.schemas import DeliveryList, DeliveryOut, SandboxInjectionOut
from socialdesk.web.deps import CallerDep, ReadSessionDep

router = APIRouter(prefix="/sandbox", tags=["sandbox"])

# Identity followers are a 32-bit INTEGER column on PostgreSQL.
MAX_FOLLOWERS = 2**31 - 1


class SandboxSender(RequestModel):
    id: str | None = Field(
        default=None,
        min_length=1,
        max_length=150,
        description="The customer's user id; defaults to the handle, so the same handle is "
        "the same customer",
    )
    handle: str = Field(
        min_length=1,
        max_length=101,
        pattern=r"^@?[\w.\-]{1,100}$",
        description="The customer's handle, with or without @",
    )
    name: str | None = Field(
        default=None, min_length=1, max_length=300, description="The customer's display name"
    )
    followers: int | None = Field(
        default=None, ge=0, le=MAX_FOLLOWERS, description="Audience size (influence)"
    )
    verified: bool = Field(default=False, description="A verified (blue tick) account")

    def customer(self) -> SandboxCustomer:
        handle = self.handle.removeprefix("@")
        return SandboxCustomer(
            id=self.id or handle.lower(),
            handle=handle,
            name=self.name,
            followers=self.followers,
            verified=self.verified,
        )


class SandboxMessageCreate(RequestModel):
    sender: SandboxSender = Field(alias="from", description="The customer writing")
    text: str = Field(min_length=1, max_length=10_000, description="What the customer writes")
    reply_to: str | None = Field(
        default=None,
        min_length=1,
        max_length=200,
        description="Platform id of the message this answers (e.g. an agent's sbx-out-…)",
    )
    # The raw event's external id is "<account id>:<id>" in a 200-character column.
    id: str | None = Field(
        default=None,
        min_length=1,
        max_length=150,
        description="Platform message id; sending the same id again changes nothing",
    )


def _inject(
    kind: str, account_id: int, body: SandboxMessageCreate, caller: CallerDep, session: TxSessionDep
) -> SandboxInjectionOut:
    result = inject(
        session,
        caller.workspace_id,
        account_id,
        kind=kind,
        customer=body.sender.customer(),
        text=body.text,
        reply_to=body.reply_to,
        message_id=body.id,
    )
    return SandboxInjectionOut(
        raw_event_id=result.raw_event_id, message_id=result.message_id, duplicate=result.duplicate
    )


_QUEUED = (
    "Stored and queued exactly like a platform webhook; it appears in the inbox once the "
    "workers have processed it."
)


@router.post(
    "/{account_id}/posts",
    status_code=202,
    summary="A customer posts publicly to the sandbox account",
    description=_QUEUED,
)
def post(
    account_id: IdPath, body: SandboxMessageCreate, caller: CallerDep, session: TxSessionDep
) -> SandboxInjectionOut:
    return _inject("post", account_id, body, caller, session)


@router.post(
    "/{account_id}/dms",
    status_code=202,
    summary="A customer sends a private message to the sandbox account",
    description=_QUEUED,
)
def direct_message(
    account_id: IdPath, body: SandboxMessageCreate, caller: CallerDep, session: TxSessionDep
) -> SandboxInjectionOut:
    return _inject("dm", account_id, body, caller, session)


@router.get("/{account_id}/deliveries", summary="What agents sent through the sandbox account")
def deliveries(
    account_id: IdPath,
    caller: CallerDep,
    session: ReadSessionDep,
    limit: Annotated[int, Query(ge=1, le=500, description="At most this many")] = 100,
) -> DeliveryList:
    rows = sandbox_deliveries(session, caller.workspace_id, account_id, limit=limit)
    return DeliveryList(items=[DeliveryOut.model_validate(d) for d in rows])
