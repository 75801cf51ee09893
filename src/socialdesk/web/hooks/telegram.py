"""Telegram's webhook: updates carrying the bot's secret token, stored before the 200 answer
and processed by the ingest job; redeliveries are recognised by their ``update_id``.

A button press is acknowledged in the answer itself (Telegram runs a Bot API method given as
the webhook's response), so the customer's button stops spinning without another request.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Header, Request

from socialdesk.channels.base import AccountInfo, ParseError
from socialdesk.channels.telegram import (
    PLATFORM,
    SECRET_HEADER,
    callback_query_id,
    load_update,
    secret_token_is_valid,
)
from socialdesk.domain.errors import Forbidden, SocialdeskError
from socialdesk.pipeline.intake import RawDraft
from socialdesk.web.deps import RawBodyDep, get_app
from socialdesk.web.hooks._intake import hook_account, store_drafts

router = APIRouter(tags=["webhooks"])


class SecretMissing(SocialdeskError):
    status = 401
    title = "Unauthorized"


class Unparsable(SocialdeskError):
    status = 400
    title = "Bad request"


class AccountNotReady(SocialdeskError):
    status = 503
    title = "Service unavailable"


@router.post(
    "/telegram/{account_id}",
    summary="Receive a Telegram update (secret token checked, stored before it is acknowledged)",
    responses={
        200: {
            "description": "Stored: {raw_event_id, duplicate}, or an answerCallbackQuery call "
            "for a button press"
        }
    },
)
async def telegram_webhook(
    account_id: int,
    request: Request,
    body: RawBodyDep,
    secret: Annotated[str | None, Header(alias=SECRET_HEADER, include_in_schema=False)] = None,
) -> dict[str, Any]:
    def check(info: AccountInfo) -> None:
        if not secret:
            raise SecretMissing(f"the {SECRET_HEADER} header is missing")
        expected = info.credentials.get("webhook_secret")
        if not expected:
            raise AccountNotReady(
                f"Telegram channel account {info.id} has no webhook secret; connect it again"
            )
        if not secret_token_is_valid(expected, secret):
            raise Forbidden(f"the {SECRET_HEADER} does not match this bot's webhook secret")

    account, _ = await hook_account(request, account_id, PLATFORM, "Telegram", check)
    channel = get_app(request).channels[PLATFORM]
    try:
        update_id = load_update(body)["update_id"]
        channel.parse(account, body)
        query_id = callback_query_id(body)
    except ParseError as exc:
        raise Unparsable(str(exc)) from exc
    [(raw_id, created)] = await store_drafts(
        request,
        [
            RawDraft(
                workspace_id=account.workspace_id,
                channel_account_id=account.id,
                source=PLATFORM,
                payload=body,
                external_id=f"{account.id}:{update_id}",
            )
        ],
    )
    if query_id is not None:
        return {"method": "answerCallbackQuery", "callback_query_id": query_id}
    return {"raw_event_id": raw_id, "duplicate": not created}
