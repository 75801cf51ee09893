"""X's Account Activity webhook: the CRC challenge, then signed deliveries stored before the
200 answer and processed by the ingest job."""

from __future__ import annotations

import hashlib
from typing import Annotated

from fastapi import APIRouter, Header, Query, Request
from pydantic import BaseModel
from sqlalchemy import select
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool

from socialdesk.channels.base import AccountInfo, ParseError
from socialdesk.channels.twitter import (
    PLATFORM,
    crc_response_token,
    payload_for_user,
    signature_is_valid,
)
from socialdesk.domain.errors import Forbidden, InvalidInput, NotFound, SocialdeskError
from socialdesk.pipeline.intake import RawDraft, account_info
from socialdesk.store.models import ChannelAccount
from socialdesk.web.deps import RawBodyDep, ReadSessionDep, get_app
from socialdesk.web.hooks._intake import hook_account, store_drafts

router = APIRouter(tags=["webhooks"])


class SignatureMissing(SocialdeskError):
    status = 401
    title = "Unauthorized"


class AccountNotReady(SocialdeskError):
    status = 503
    title = "Service unavailable"


class CrcResponse(BaseModel):
    response_token: str


class Received(BaseModel):
    raw_event_id: int
    duplicate: bool


def _account(session: Session, account_id: int) -> ChannelAccount:
    account = session.get(ChannelAccount, account_id)
    if account is None or account.platform != PLATFORM:
        raise NotFound(f"no X channel account {account_id}")
    return account


def _consumer_secret(request: Request, account: ChannelAccount) -> str:
    secret = account_info(account, get_app(request).cipher).credentials.get("consumer_secret")
    if not secret:
        raise AccountNotReady(
            f"X channel account {account.id} has no consumer secret; connect it again"
        )
    return secret


@router.get(
    "/twitter/{account_id}",
    response_model=CrcResponse,
    summary="Answer X's challenge-response check (CRC)",
)
def twitter_crc(
    account_id: int,
    request: Request,
    session: ReadSessionDep,
    crc_token: Annotated[str, Query(min_length=1, max_length=1000)],
) -> CrcResponse:
    account = _account(session, account_id)
    return CrcResponse(
        response_token=crc_response_token(_consumer_secret(request, account), crc_token)
    )


@router.post(
    "/twitter/{account_id}",
    response_model=Received,
    summary="Receive X account activity (signature checked, stored before it is acknowledged)",
)
async def twitter_webhook(
    account_id: int,
    request: Request,
    body: RawBodyDep,
    signature: Annotated[
        str | None, Header(alias="x-twitter-webhooks-signature", include_in_schema=False)
    ] = None,
) -> Received:
    def check(info: AccountInfo) -> None:
        if not signature:
            raise SignatureMissing("the x-twitter-webhooks-signature header is missing")
        secret = info.credentials.get("consumer_secret")
        if not secret:
            raise AccountNotReady(
                f"X channel account {info.id} has no consumer secret; connect it again"
            )
        if not signature_is_valid(secret, body, signature):
            raise Forbidden("the x-twitter-webhooks-signature does not match the body")

    account, _ = await hook_account(request, account_id, PLATFORM, "X", check)
    channel = get_app(request).channels[PLATFORM]
    try:
        channel.parse(account, body)
        for_user = payload_for_user(body)
    except ParseError as exc:
        raise InvalidInput(str(exc)) from exc
    # One X app delivers the activity of every account subscribed to it to the same URL:
    # file the payload under the workspace's account it is for, when that is another one.
    target_id = account.id
    if for_user is not None and for_user != account.external_id:
        target_id = await run_in_threadpool(_sibling, request, account, for_user)
    [(raw_id, created)] = await store_drafts(
        request,
        [
            RawDraft(
                workspace_id=account.workspace_id,
                channel_account_id=target_id,
                source=PLATFORM,
                payload=body,
                # X redelivers the same bytes; the messages inside are deduplicated on their ids.
                external_id=f"{target_id}:{hashlib.sha256(body).hexdigest()}",
            )
        ],
    )
    return Received(raw_event_id=raw_id, duplicate=not created)


def _sibling(request: Request, account: AccountInfo, for_user: str) -> int:
    with get_app(request).db.read_session() as session:
        sibling = session.scalar(
            select(ChannelAccount.id).where(
                ChannelAccount.workspace_id == account.workspace_id,
                ChannelAccount.platform == PLATFORM,
                ChannelAccount.external_id == for_user,
            )
        )
    return sibling if sibling is not None else account.id
