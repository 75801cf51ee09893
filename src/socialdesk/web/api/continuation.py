"""Continue a conversation on email or SMS, with the customer's consent on record, and go
back to the original channel; a contact's consents, and withdrawing one."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from fastapi import APIRouter, Path
from pydantic import BaseModel, Field
from sqlalchemy import select

from socialdesk.services.continuation import (
    CHANNEL_CHANGED,
    MAX_REQUEST_CHARS,
    continue_on,
    list_consents,
    return_to_origin,
    withdraw_contact_consent,
)
from socialdesk.store.models import Event
from socialdesk.web.api.common import MAX_ID, IdPath, RequestModel, TxSessionDep
from socialdesk.web.api.schemas import AccountRef, ConversationOut
from socialdesk.web.deps import CallerDep, ReadSessionDep

# Routes under /conversations and /contacts: the paths are written out in full.
router = APIRouter()


class ContinueRequest(RequestModel):
    channel: Literal["email", "sms"] = Field(description="Where the conversation continues")
    address: str = Field(
        min_length=1,
        max_length=320,
        description="The customer's email address, or phone number in E.164 form (+14155550100)",
    )
    request_text: str = Field(
        min_length=1,
        max_length=MAX_REQUEST_CHARS,
        description="What the customer was asked, e.g. 'May we continue by email? Please "
        "send us your address.' (kept with the consent)",
    )
    consent_message_id: int | None = Field(
        default=None,
        ge=1,
        le=MAX_ID,
        description="The customer's message in this conversation that gave the address and "
        "consent; leave out when the agent records a consent given otherwise",
    )
    channel_account_id: int | None = Field(
        default=None,
        ge=1,
        le=MAX_ID,
        description="The email or SMS account to continue on (default: the workspace's first "
        "active one)",
    )


class ConsentOut(BaseModel):
    id: int
    contact_id: int
    conversation_id: int | None = Field(description="The conversation that was continued")
    channel: str = Field(description="email or sms")
    address: str = Field(description="Lower-cased email address or E.164 phone number")
    source: str = Field(description="message (the customer's message) or agent")
    source_message_id: int | None
    request_text: str
    given_at: datetime
    withdrawn_at: datetime | None = Field(
        description="When the consent was withdrawn (by an agent, or by the customer texting "
        "STOP); null while it stands. After it, nothing is sent on that channel until the "
        "customer writes to us there again"
    )
    created_at: datetime = Field(description="When the consent was recorded")

    model_config = {"from_attributes": True}


class ConsentList(BaseModel):
    items: list[ConsentOut] = Field(description="Newest first")


class ContinuationOut(BaseModel):
    conversation: ConversationOut
    consent: ConsentOut
    previous_channel_account_id: int = Field(description="Where the conversation was before")
    channel_account: AccountRef = Field(description="Where the next reply goes")


@router.post(
    "/conversations/{conversation_id}/continue",
    tags=["conversations"],
    summary="Continue on email or SMS",
    description="Records the customer's consent, links the address to the contact and moves "
    "the conversation to the email or SMS account: the next reply goes there, the history "
    "stays, and the customer's answers thread back into this conversation. 422 for an "
    "address that is not one, 409 when the workspace has no account of that channel or the "
    "address belongs to another contact.",
)
def continue_conversation(
    conversation_id: IdPath, body: ContinueRequest, caller: CallerDep, session: TxSessionDep
) -> ContinuationOut:
    result = continue_on(
        session,
        caller.workspace_id,
        conversation_id,
        caller.actor,
        channel=body.channel,
        address=body.address,
        request_text=body.request_text,
        consent_message_id=body.consent_message_id,
        channel_account_id=body.channel_account_id,
    )
    session.refresh(result.conversation)
    return ContinuationOut(
        conversation=ConversationOut.model_validate(result.conversation),
        consent=ConsentOut.model_validate(result.consent),
        previous_channel_account_id=result.previous_account_id,
        channel_account=AccountRef.model_validate(result.account),
    )


class ReturnOut(BaseModel):
    conversation: ConversationOut
    previous_channel_account_id: int = Field(
        description="The email or SMS account the conversation was continued on"
    )
    channel_account: AccountRef = Field(
        description="The account it was continued from, where the next reply goes"
    )


@router.post(
    "/conversations/{conversation_id}/continuation/return",
    tags=["conversations"],
    summary="Back to the original channel",
    description="Moves a conversation continued on email or SMS back to the account it was "
    "continued from (X, Facebook…), e.g. after the customer withdrew their consent to email "
    "or SMS: the next reply goes there again; the consent and the history stay. A "
    "conversation continued twice goes back one step. A paused account is fine (replies wait "
    "for the resume). 404 for an unknown conversation or one of another workspace, 409 when "
    "the conversation has not been continued (or is back already) or the account it came "
    "from no longer exists.",
)
def return_conversation(
    conversation_id: IdPath, caller: CallerDep, session: TxSessionDep
) -> ReturnOut:
    conv = return_to_origin(session, caller.workspace_id, conversation_id, caller.actor)
    returned = session.scalars(
        select(Event.data)
        .where(Event.conversation_id == conv.id, Event.type == CHANNEL_CHANGED)
        .order_by(Event.id.desc())
        .limit(1)
    ).one()
    session.refresh(conv)
    return ReturnOut(
        conversation=ConversationOut.model_validate(conv),
        previous_channel_account_id=int(returned["from"]),
        channel_account=AccountRef.model_validate(conv.channel_account),
    )


@router.get(
    "/contacts/{contact_id}/consents",
    tags=["contacts"],
    summary="A contact's consents to email and SMS",
    description="Every consent recorded for the contact (continue on email or SMS), newest "
    "first, withdrawn ones included. 404 for a contact of another workspace.",
)
def get_consents(contact_id: IdPath, caller: CallerDep, session: ReadSessionDep) -> ConsentList:
    consents = list_consents(session, caller.workspace_id, contact_id)
    return ConsentList(items=[ConsentOut.model_validate(c) for c in consents])


@router.post(
    "/contacts/{contact_id}/consents/{consent_id}/withdraw",
    tags=["contacts"],
    summary="Withdraw a consent",
    description="Marks the consent withdrawn (kept for the record): replies and queued "
    "messages to the customer on that channel are refused until they write to us there "
    "again. Withdrawing again changes nothing. 404 for an unknown consent or contact, or "
    "one of another workspace.",
)
def withdraw(
    contact_id: IdPath,
    consent_id: Annotated[int, Path(ge=1, le=MAX_ID, description="The consent's id")],
    caller: CallerDep,
    session: TxSessionDep,
) -> ConsentOut:
    consent = withdraw_contact_consent(
        session, caller.workspace_id, contact_id, consent_id, caller.actor
    )
    return ConsentOut.model_validate(consent)
