"""The sandbox platform's webhook: same path as every real platform's, no network needed."""

from __future__ import annotations

import json

from fastapi import APIRouter, Request, status
from pydantic import BaseModel

from socialdesk.channels.base import ParseError
from socialdesk.channels.sandbox import PLATFORM
from socialdesk.domain.errors import InvalidInput
from socialdesk.pipeline.intake import RawDraft
from socialdesk.web.deps import RawBodyDep, get_app
from socialdesk.web.hooks._intake import hook_account, store_drafts

router = APIRouter(tags=["webhooks"])


class Accepted(BaseModel):
    raw_event_id: int
    duplicate: bool


@router.post(
    "/sandbox/{account_id}",
    status_code=status.HTTP_202_ACCEPTED,
    response_model=Accepted,
    summary="Receive a sandbox post or DM (stored before it is acknowledged)",
)
async def sandbox_webhook(account_id: int, request: Request, body: RawBodyDep) -> Accepted:
    account, _ = await hook_account(request, account_id, PLATFORM, "sandbox")
    channel = get_app(request).channels[PLATFORM]
    try:
        events = channel.parse(account, body)
    except ParseError as exc:
        raise InvalidInput(str(exc)) from exc
    message_id = events[0].platform_message_id if events else json.loads(body).get("id")
    [(raw_id, created)] = await store_drafts(
        request,
        [
            RawDraft(
                workspace_id=account.workspace_id,
                channel_account_id=account.id,
                source=PLATFORM,
                payload=body,
                external_id=f"{account.id}:{message_id}",
            )
        ],
    )
    return Accepted(raw_event_id=raw_id, duplicate=not created)
