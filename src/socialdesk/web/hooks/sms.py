"""Twilio's SMS webhooks: incoming messages and status callbacks, each signed with
``X-Twilio-Signature``, stored before the answer and processed by the ingest job (messages
into conversations, statuses into the delivery state of our replies).

Incoming messages are answered with empty TwiML (``<Response/>``): Twilio sends nothing back
to the customer, the agents answer from socialdesk.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Header, Request, Response

from socialdesk.channels.base import AccountInfo, ParseError
from socialdesk.channels.sms import (
    EMPTY_TWIML,
    PLATFORM,
    SIGNATURE_HEADER,
    form_params,
    is_status_callback,
    signature_is_valid,
)
from socialdesk.domain.errors import Forbidden, SocialdeskError
from socialdesk.pipeline.intake import RawDraft
from socialdesk.web.deps import RawBodyDep, get_app
from socialdesk.web.hooks._intake import hook_account, store_drafts

router = APIRouter(tags=["webhooks"])

_TWIML: dict[int | str, dict[str, Any]] = {
    200: {"content": {"text/xml": {}}, "description": "Stored; empty TwiML"}
}


class SignatureMissing(SocialdeskError):
    status = 401
    title = "Unauthorized"


class Unparsable(SocialdeskError):
    status = 400
    title = "Bad request"


class AccountNotReady(SocialdeskError):
    status = 503
    title = "Service unavailable"


def signed_url(request: Request, public_url: str | None) -> str:
    """The URL Twilio signed: the account's public address + the path and query received."""
    if not public_url:
        return str(request.url)
    query = request.url.query
    return public_url.rstrip("/") + request.url.path + (f"?{query}" if query else "")


def _verified_params(
    request: Request, info: AccountInfo, body: bytes, signature: str | None
) -> list[tuple[str, str]]:
    if not signature:
        raise SignatureMissing(f"the {SIGNATURE_HEADER} header is missing")
    token = info.credentials.get("auth_token")
    if not token:
        raise AccountNotReady(f"SMS channel account {info.id} has no auth token; connect it again")
    content_type = request.headers.get("content-type", "")
    if not content_type.startswith("application/x-www-form-urlencoded"):
        raise Unparsable("Twilio webhooks are application/x-www-form-urlencoded")
    try:
        params = form_params(body)
    except ParseError as exc:
        raise Unparsable(str(exc)) from exc
    url = signed_url(request, str(info.settings.get("public_url") or "") or None)
    if not signature_is_valid(token, url, params, signature):
        raise Forbidden(
            f"the {SIGNATURE_HEADER} does not match this request at {url}: check the "
            "account's auth token and public_url"
        )
    return params


def _twiml() -> Response:
    return Response(EMPTY_TWIML, media_type="text/xml")


async def _verified(
    request: Request, account_id: int, body: bytes, signature: str | None
) -> tuple[AccountInfo, dict[str, str]]:
    account, params = await hook_account(
        request,
        account_id,
        PLATFORM,
        "SMS",
        lambda info: _verified_params(request, info, body, signature),
    )
    assert params is not None
    return account, dict(params)


async def _store(request: Request, account: AccountInfo, body: bytes, external_id: str) -> None:
    await store_drafts(
        request,
        [
            RawDraft(
                workspace_id=account.workspace_id,
                channel_account_id=account.id,
                source=PLATFORM,
                payload=body,
                external_id=external_id,
            )
        ],
    )


@router.post(
    "/sms/{account_id}",
    summary="Receive an SMS from Twilio (signature checked, stored before it is acknowledged)",
    response_class=Response,
    responses=_TWIML,
)
async def sms_webhook(
    account_id: int,
    request: Request,
    body: RawBodyDep,
    signature: Annotated[
        str | None, Header(alias=SIGNATURE_HEADER, include_in_schema=False)
    ] = None,
) -> Response:
    account, fields = await _verified(request, account_id, body, signature)
    channel = get_app(request).channels[PLATFORM]
    if is_status_callback(fields):
        raise Unparsable(f"status callbacks go to /hooks/{PLATFORM}/{account_id}/status")
    try:
        channel.parse(account, body)
    except ParseError as exc:
        raise Unparsable(str(exc)) from exc
    await _store(request, account, body, f"{account.id}:{fields['MessageSid'].strip()}")
    return _twiml()


@router.post(
    "/sms/{account_id}/status",
    summary="Receive Twilio's status callback for an SMS we sent (applied by the ingest job)",
    response_class=Response,
    responses=_TWIML,
)
async def sms_status(
    account_id: int,
    request: Request,
    body: RawBodyDep,
    signature: Annotated[
        str | None, Header(alias=SIGNATURE_HEADER, include_in_schema=False)
    ] = None,
) -> Response:
    account, fields = await _verified(request, account_id, body, signature)
    sid = fields.get("MessageSid", "").strip()
    status = fields.get("MessageStatus", "").strip()
    if not sid or not is_status_callback(fields):
        raise Unparsable("a status callback needs MessageSid and MessageStatus")
    # Each status of a message once; Twilio's retries of the same one change nothing.
    await _store(request, account, body, f"{account.id}:{sid}:{status}")
    return _twiml()
