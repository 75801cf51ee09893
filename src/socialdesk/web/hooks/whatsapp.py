"""WhatsApp Cloud API webhook: Meta's subscription check, then signed deliveries stored before
the 200 answer and processed by the ingest job (messages and status updates alike)."""

from __future__ import annotations

import hashlib
from typing import Annotated

from fastapi import APIRouter, Header, Query, Request
from fastapi.responses import PlainTextResponse
from pydantic import BaseModel
from sqlalchemy import select
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool

from socialdesk.channels.base import AccountInfo, ParseError
from socialdesk.channels.whatsapp import (
    PLATFORM,
    phone_number_ids,
    signature_is_valid,
    subscription_is_valid,
)
from socialdesk.domain.errors import Forbidden, NotFound, SocialdeskError
from socialdesk.pipeline.intake import RawDraft, account_info
from socialdesk.store.models import ChannelAccount
from socialdesk.web.deps import RawBodyDep, ReadSessionDep, get_app
from socialdesk.web.hooks._intake import hook_account, store_drafts

router = APIRouter(tags=["webhooks"])


class SignatureMissing(SocialdeskError):
    status = 401
    title = "Unauthorized"


class Unparsable(SocialdeskError):
    status = 400
    title = "Bad request"


class AccountNotReady(SocialdeskError):
    status = 503
    title = "Service unavailable"


class Received(BaseModel):
    raw_event_ids: list[int]
    duplicate: bool


def _account(session: Session, account_id: int) -> ChannelAccount:
    account = session.get(ChannelAccount, account_id)
    if account is None or account.platform != PLATFORM:
        raise NotFound(f"no WhatsApp channel account {account_id}")
    return account


def _secret(request: Request, account: ChannelAccount, name: str) -> str:
    value = account_info(account, get_app(request).cipher).credentials.get(name)
    if not value:
        raise AccountNotReady(
            f"WhatsApp channel account {account.id} has no {name}; connect it again"
        )
    return value


@router.get(
    "/whatsapp/{account_id}",
    response_class=PlainTextResponse,
    summary="Answer Meta's webhook subscription check (hub.challenge)",
)
def whatsapp_verify(
    account_id: int,
    request: Request,
    session: ReadSessionDep,
    mode: Annotated[str, Query(alias="hub.mode", max_length=100)],
    verify_token: Annotated[str, Query(alias="hub.verify_token", max_length=1000)],
    challenge: Annotated[str, Query(alias="hub.challenge", min_length=1, max_length=1000)],
) -> PlainTextResponse:
    account = _account(session, account_id)
    if not subscription_is_valid(mode, verify_token, _secret(request, account, "verify_token")):
        raise Forbidden("hub.mode must be 'subscribe' and hub.verify_token the account's token")
    return PlainTextResponse(challenge)


@router.post(
    "/whatsapp/{account_id}",
    response_model=Received,
    summary="Receive WhatsApp messages and statuses (signature checked, stored before the answer)",
)
async def whatsapp_webhook(
    account_id: int,
    request: Request,
    body: RawBodyDep,
    signature: Annotated[
        str | None, Header(alias="x-hub-signature-256", include_in_schema=False)
    ] = None,
) -> Received:
    def check(info: AccountInfo) -> None:
        if not signature:
            raise SignatureMissing("the X-Hub-Signature-256 header is missing")
        secret = info.credentials.get("app_secret")
        if not secret:
            raise AccountNotReady(
                f"WhatsApp channel account {info.id} has no app_secret; connect it again"
            )
        if not signature_is_valid(secret, body, signature):
            raise Forbidden("the X-Hub-Signature-256 does not match the body")

    account, _ = await hook_account(request, account_id, PLATFORM, "WhatsApp", check)
    channel = get_app(request).channels[PLATFORM]
    try:
        channel.parse(account, body)
        numbers = phone_number_ids(body)
    except ParseError as exc:
        raise Unparsable(f"not a WhatsApp Cloud API webhook: {exc}") from exc
    # One Meta app delivers the changes of every phone number of the business account to the
    # same URL: file the payload under each workspace account it has changes for.
    targets = [account.id]
    others = [n for n in numbers if n != account.external_id]
    if others:
        siblings = await run_in_threadpool(_siblings, request, account, others)
        if account.external_id not in numbers and siblings:
            targets = []
        targets.extend(siblings)
    digest = hashlib.sha256(body).hexdigest()
    stored = await store_drafts(
        request,
        [
            RawDraft(
                workspace_id=account.workspace_id,
                channel_account_id=target,
                source=PLATFORM,
                payload=body,
                # Meta redelivers the same bytes; messages inside are deduplicated on wamids.
                external_id=f"{target}:{digest}",
            )
            for target in targets
        ],
    )
    return Received(
        raw_event_ids=[raw_id for raw_id, _ in stored],
        duplicate=not any(created for _, created in stored),
    )


def _siblings(request: Request, account: AccountInfo, numbers: list[str]) -> list[int]:
    with get_app(request).db.read_session() as session:
        return list(
            session.scalars(
                select(ChannelAccount.id)
                .where(
                    ChannelAccount.workspace_id == account.workspace_id,
                    ChannelAccount.platform == PLATFORM,
                    ChannelAccount.external_id.in_(numbers),
                )
                .order_by(ChannelAccount.id)
            )
        )
