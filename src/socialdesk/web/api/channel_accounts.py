"""Channel accounts: the brand's presences. Only sandbox accounts can be connected so far."""

from __future__ import annotations

from fastapi import APIRouter
from pydantic import Field, field_validator
from pydantic_core import PydanticCustomError

from socialdesk.channels.sandbox import PLATFORM as SANDBOX
from socialdesk.domain.errors import Conflict, InvalidInput
from socialdesk.services.sandbox import create_sandbox_account
from socialdesk.services.workspaces import get_account, list_accounts
from socialdesk.web.api.common import IdPath, RequestModel, TxSessionDep
from socialdesk.web.api.schemas import ChannelAccountList, ChannelAccountOut
from socialdesk.web.deps import CallerDep, ReadSessionDep

router = APIRouter(prefix="/channel-accounts", tags=["channel accounts"])


class ChannelAccountCreate(RequestModel):
    platform: str = Field(
        min_length=1,
        max_length=30,
        description="Only 'sandbox' (the training channel) for now; connectors for real "
        "platforms arrive later",
    )
    name: str = Field(min_length=1, max_length=200, description="Shown to agents")
    handle: str = Field(
        min_length=1,
        max_length=101,
        pattern=r"^@?[\w.\-]{1,100}$",
        description="The account's handle, with or without @ (letters, digits, _ . -)",
    )

    @field_validator("name")
    @classmethod
    def _name_has_text(cls, value: str) -> str:
        if not value.strip():
            raise PydanticCustomError("blank", "a name needs some text")
        return value.strip()

    @field_validator("handle")
    @classmethod
    def _without_at(cls, value: str) -> str:
        return value.removeprefix("@")


@router.get("", summary="List channel accounts")
def list_channel_accounts(caller: CallerDep, session: ReadSessionDep) -> ChannelAccountList:
    accounts = list_accounts(session, caller.workspace_id)
    return ChannelAccountList(items=[ChannelAccountOut.model_validate(a) for a in accounts])


@router.get("/{account_id}", summary="One channel account")
def get_channel_account(
    account_id: IdPath, caller: CallerDep, session: ReadSessionDep
) -> ChannelAccountOut:
    return ChannelAccountOut.model_validate(get_account(session, caller.workspace_id, account_id))


@router.post("", status_code=201, summary="Connect a channel account (sandbox only for now)")
def create_channel_account(
    body: ChannelAccountCreate, caller: CallerDep, session: TxSessionDep
) -> ChannelAccountOut:
    if body.platform != SANDBOX:
        raise InvalidInput(
            f"platform {body.platform!r} cannot be connected yet: connectors for real "
            f"platforms arrive in a later release; use 'sandbox' to train and try things out"
        )
    for existing in list_accounts(session, caller.workspace_id, platform=SANDBOX):
        if existing.handle == body.handle:
            raise Conflict(
                f"sandbox account @{body.handle} already exists (channel account {existing.id})"
            )
    account = create_sandbox_account(
        session, caller.workspace_id, name=body.name, handle=body.handle
    )
    return ChannelAccountOut.model_validate(account)
