"""Twilio's SMS webhooks: incoming messages and status callbacks, each signed with
``X-Twilio-Signature``, stored before the answer and processed by the ingest job (messages
into conversations, statuses into the delivery state of our replies).

Incoming messages are answered with empty TwiML (``<Response/>``): Twilio sends nothing back
to the customer, the agents answer from socialdesk.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Header, Request, Response
from sqlalchemy.orm import Session

from socialdesk.channels.base import ParseError
from socialdesk.channels.sms import (
    EMPTY_TWIML,
    PLATFORM,
    SIGNATURE_HEADER,
    form_params,
    is_status_callback,
    signature_is_valid,
)
from socialdesk.domain.errors import Forbidden, NotFound, SocialdeskError
from socialdesk.pipeline.intake import account_info, store_raw_event
from socialdesk.store.models import ChannelAccount
from socialdesk.web.deps import RawBodyDep, WriteSessionDep, get_app

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


def _account(session: Session, account_id: int) -> ChannelAccount:
    account = session.get(ChannelAccount, account_id)
    if account is None or account.platform != PLATFORM:
        raise NotFound(f"no SMS channel account {account_id}")
    return account


def signed_url(request: Request, public_url: str | None) -> str:
    """The URL Twilio signed: the account's public address + the path and query received."""
    if not public_url:
        return str(request.url)
    query = request.url.query
    return public_url.rstrip("/") + request.url.path + (f"?{query}" if query else "")


def _verified_params(
    request: Request, account: ChannelAccount, body: bytes, signature: str | None
) -> list[tuple[str, str]]:
    if not signature:
        raise SignatureMissing(f"the {SIGNATURE_HEADER} header is missing")
    info = account_info(account, get_app(request).cipher)
    token = info.credentials.get("auth_token")
    if not token:
        raise AccountNotReady(
            f"SMS channel account {account.id} has no auth token; connect it again"
        )
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


@router.post(
    "/sms/{account_id}",
    summary="Receive an SMS from Twilio (signature checked, stored before it is acknowledged)",
    response_class=Response,
    responses=_TWIML,
)
def sms_webhook(
    account_id: int,
    request: Request,
    body: RawBodyDep,
    session: WriteSessionDep,
    signature: Annotated[
        str | None, Header(alias=SIGNATURE_HEADER, include_in_schema=False)
    ] = None,
) -> Response:
    account = _account(session, account_id)
    fields = dict(_verified_params(request, account, body, signature))
    channel = get_app(request).channels[PLATFORM]
    if is_status_callback(fields):
        raise Unparsable(f"status callbacks go to /hooks/{PLATFORM}/{account_id}/status")
    try:
        channel.parse(account_info(account), body)
    except ParseError as exc:
        raise Unparsable(str(exc)) from exc
    store_raw_event(
        session,
        workspace_id=account.workspace_id,
        channel_account_id=account.id,
        source=PLATFORM,
        payload=body,
        external_id=f"{account.id}:{fields['MessageSid'].strip()}",
    )
    return _twiml()


@router.post(
    "/sms/{account_id}/status",
    summary="Receive Twilio's status callback for an SMS we sent (applied by the ingest job)",
    response_class=Response,
    responses=_TWIML,
)
def sms_status(
    account_id: int,
    request: Request,
    body: RawBodyDep,
    session: WriteSessionDep,
    signature: Annotated[
        str | None, Header(alias=SIGNATURE_HEADER, include_in_schema=False)
    ] = None,
) -> Response:
    account = _account(session, account_id)
    fields = dict(_verified_params(request, account, body, signature))
    sid = fields.get("MessageSid", "").strip()
    status = fields.get("MessageStatus", "").strip()
    if not sid or not is_status_callback(fields):
        raise Unparsable("a status callback needs MessageSid and MessageStatus")
    store_raw_event(
        session,
        workspace_id=account.workspace_id,
        channel_account_id=account.id,
        source=PLATFORM,
        payload=body,
        # Each status of a message once; Twilio's retries of the same one change nothing.
        external_id=f"{account.id}:{sid}:{status}",
    )
    return _twiml()
