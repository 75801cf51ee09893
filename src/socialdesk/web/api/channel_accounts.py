"""Channel accounts: the brand's presences (the sandbox and X so far). Credentials go in and
are encrypted at rest; no answer ever contains them."""

from __future__ import annotations

from fastapi import APIRouter, Request
from pydantic import Field, field_validator
from pydantic_core import PydanticCustomError

from socialdesk.channels.sandbox import PLATFORM as SANDBOX
from socialdesk.domain.errors import Conflict, InvalidInput
from socialdesk.services.channel_accounts import connect_account
from socialdesk.services.sandbox import create_sandbox_account
from socialdesk.services.workspaces import get_account, list_accounts
from socialdesk.web.api.common import IdPath, RequestModel, TxSessionDep
from socialdesk.web.api.schemas import ChannelAccountList, ChannelAccountOut
from socialdesk.web.deps import CallerDep, ReadSessionDep, get_app

router = APIRouter(prefix="/channel-accounts", tags=["channel accounts"])


class ChannelAccountCreate(RequestModel):
    platform: str = Field(
        min_length=1,
        max_length=30,
        description="'sandbox' (the training channel) or 'twitter' (X)",
    )
    name: str = Field(min_length=1, max_length=200, description="Shown to agents")
    handle: str = Field(
        min_length=1,
        max_length=101,
        pattern=r"^@?[\w.\-]{1,100}$",
        description="The account's handle, with or without @ (letters, digits, _ . -)",
    )
    external_id: str | None = Field(
        default=None,
        min_length=1,
        max_length=200,
        description="The account's id on the platform (X: the brand's numeric user id)",
    )
    credentials: dict[str, str] | None = Field(
        default=None,
        max_length=20,
        description="The platform's connection keys (X: consumer_secret, access_token and "
        "optionally api_base_url). Secrets are stored encrypted and never returned.",
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


@router.post("", status_code=201, summary="Connect a channel account (sandbox or X)")
def create_channel_account(
    body: ChannelAccountCreate, caller: CallerDep, session: TxSessionDep, request: Request
) -> ChannelAccountOut:
    app = get_app(request)
    if body.platform == SANDBOX:
        if body.credentials:
            raise InvalidInput("sandbox accounts take no credentials")
        for existing in list_accounts(session, caller.workspace_id, platform=SANDBOX):
            if existing.handle == body.handle:
                raise Conflict(
                    f"sandbox account @{body.handle} already exists (channel account {existing.id})"
                )
        account = create_sandbox_account(
            session, caller.workspace_id, name=body.name, handle=body.handle
        )
        return ChannelAccountOut.model_validate(account)
    channel = app.channels.get(body.platform)
    if channel is None:
        raise InvalidInput(
            f"platform {body.platform!r} cannot be connected: connectors exist for "
            f"{', '.join(sorted(app.channels))}"
        )
    values = {**(body.credentials or {}), "handle": body.handle}
    if body.external_id is not None:
        values["external_id"] = body.external_id
    account = connect_account(
        session,
        caller.workspace_id,
        channel.connection,
        name=body.name,
        values=values,
        cipher=app.cipher,
    )
    return ChannelAccountOut.model_validate(account)
