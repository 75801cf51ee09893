"""Meta's webhooks for Facebook Pages (with Messenger) and Instagram accounts.

``GET`` answers Meta's subscription check (``hub.mode=subscribe``, ``hub.verify_token``,
``hub.challenge``); ``POST`` deliveries are checked against ``X-Hub-Signature-256``, stored
before the 200 answer and processed by the ingest job. One Meta app posts the updates of all
its subscribed Pages (or Instagram accounts) to the same callback: a delivery is filed under
every account of the workspace whose id it names, each copy parsed for that account only.
"""

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
from socialdesk.channels.meta import (
    FACEBOOK,
    INSTAGRAM,
    MetaFlavour,
    entry_ids,
    handshake_challenge,
    signature_is_valid,
)
from socialdesk.domain.errors import Forbidden, NotFound, SocialdeskError
from socialdesk.pipeline.intake import RawDraft, account_info
from socialdesk.store.models import ChannelAccount
from socialdesk.web.deps import RawBodyDep, ReadSessionDep, get_app
from socialdesk.web.hooks._intake import hook_account, store_drafts

router = APIRouter(tags=["webhooks"])

_NAMES = {FACEBOOK.platform: "Facebook", INSTAGRAM.platform: "Instagram"}


class SignatureMissing(SocialdeskError):
    status = 401
    title = "Unauthorized"


class BadDelivery(SocialdeskError):
    status = 400
    title = "Bad request"


class AccountNotReady(SocialdeskError):
    status = 503
    title = "Service unavailable"


class Stored(BaseModel):
    channel_account_id: int
    raw_event_id: int
    duplicate: bool


class Received(BaseModel):
    stored: list[Stored]


def _account(session: Session, flavour: MetaFlavour, account_id: int) -> ChannelAccount:
    account = session.get(ChannelAccount, account_id)
    if account is None or account.platform != flavour.platform:
        raise NotFound(f"no {_NAMES[flavour.platform]} channel account {account_id}")
    return account


def _credential(request: Request, account: ChannelAccount, name: str) -> str:
    value = account_info(account, get_app(request).cipher).credentials.get(name)
    if not value:
        raise AccountNotReady(
            f"{_NAMES[account.platform]} channel account {account.id} has no {name}; "
            "connect it again"
        )
    return value


def _verify(
    flavour: MetaFlavour,
    account_id: int,
    request: Request,
    session: Session,
    mode: str | None,
    token: str | None,
    challenge: str | None,
) -> PlainTextResponse:
    account = _account(session, flavour, account_id)
    if mode is None or token is None or challenge is None:
        raise BadDelivery("Meta's check sends hub.mode, hub.verify_token and hub.challenge")
    answer = handshake_challenge(
        _credential(request, account, "verify_token"), mode=mode, token=token, challenge=challenge
    )
    if answer is None:
        raise Forbidden("hub.verify_token does not match this account's verify token")
    return PlainTextResponse(answer)


async def _receive(
    flavour: MetaFlavour,
    account_id: int,
    request: Request,
    body: bytes,
    signature: str | None,
) -> Received:
    name = _NAMES[flavour.platform]

    def check(info: AccountInfo) -> None:
        if not signature:
            raise SignatureMissing("the X-Hub-Signature-256 header is missing")
        secret = info.credentials.get("app_secret")
        if not secret:
            raise AccountNotReady(
                f"{name} channel account {info.id} has no app_secret; connect it again"
            )
        if not signature_is_valid(secret, body, signature):
            raise Forbidden("the X-Hub-Signature-256 does not match the body")

    account, _ = await hook_account(request, account_id, flavour.platform, name, check)
    try:
        named = entry_ids(flavour, body)
    except ParseError as exc:
        raise BadDelivery(str(exc)) from exc
    siblings = await run_in_threadpool(_siblings, request, flavour, account, named)
    targets: list[int] = []
    for external_id in named:
        target = siblings.get(external_id, account.id)
        if target not in targets:
            targets.append(target)
    if not targets:
        targets.append(account.id)  # an empty delivery is kept too: nothing is lost unseen
    digest = hashlib.sha256(body).hexdigest()
    stored = await store_drafts(
        request,
        [
            RawDraft(
                workspace_id=account.workspace_id,
                channel_account_id=target,
                source=flavour.platform,
                payload=body,
                # Meta redelivers the same bytes; messages inside are deduplicated on their ids.
                external_id=f"{target}:{digest}",
            )
            for target in targets
        ],
    )
    return Received(
        stored=[
            Stored(channel_account_id=target, raw_event_id=raw_id, duplicate=not created)
            for target, (raw_id, created) in zip(targets, stored, strict=True)
        ]
    )


def _siblings(
    request: Request, flavour: MetaFlavour, account: AccountInfo, named: list[str]
) -> dict[str, int]:
    """The workspace's accounts of this flavour among the ids a delivery names."""
    others = [n for n in named if n != account.external_id]
    if not others:
        return {}
    with get_app(request).db.read_session() as session:
        return {
            external_id: id_
            for id_, external_id in session.execute(
                select(ChannelAccount.id, ChannelAccount.external_id).where(
                    ChannelAccount.workspace_id == account.workspace_id,
                    ChannelAccount.platform == flavour.platform,
                    ChannelAccount.external_id.in_(others),
                )
            )
            if external_id is not None
        }


HubMode = Annotated[str | None, Query(alias="hub.mode", max_length=50)]
HubToken = Annotated[str | None, Query(alias="hub.verify_token", max_length=500)]
HubChallenge = Annotated[str | None, Query(alias="hub.challenge", max_length=500)]
SignatureHeader = Annotated[
    str | None, Header(alias="x-hub-signature-256", include_in_schema=False)
]


def _add_routes(flavour: MetaFlavour, *, verify_summary: str, receive_summary: str) -> None:
    """The subscription check (GET) and the delivery (POST) of one flavour's callback."""
    platform = flavour.platform

    @router.get(
        f"/{platform}/{{account_id}}",
        response_class=PlainTextResponse,
        summary=verify_summary,
        name=f"{platform}_verify",
    )
    def verify(
        account_id: int,
        request: Request,
        session: ReadSessionDep,
        mode: HubMode = None,
        token: HubToken = None,
        challenge: HubChallenge = None,
    ) -> PlainTextResponse:
        return _verify(flavour, account_id, request, session, mode, token, challenge)

    @router.post(
        f"/{platform}/{{account_id}}",
        response_model=Received,
        summary=receive_summary,
        name=f"{platform}_webhook",
    )
    async def webhook(
        account_id: int,
        request: Request,
        body: RawBodyDep,
        signature: SignatureHeader = None,
    ) -> Received:
        return await _receive(flavour, account_id, request, body, signature)


_add_routes(
    FACEBOOK,
    verify_summary="Answer Meta's webhook subscription check for a Facebook Page",
    receive_summary="Receive Page feed and Messenger updates (signature checked, stored first)",
)
_add_routes(
    INSTAGRAM,
    verify_summary="Answer Meta's webhook subscription check for an Instagram account",
    receive_summary=(
        "Receive Instagram comments and direct messages (signature checked, stored first)"
    ),
)
