"""Contacts (customers): search, one customer's full picture, tags, notes and merging."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query
from pydantic import Field
from sqlalchemy.orm import Session

from socialdesk.services import contacts as svc
from socialdesk.services.conversations import ConversationFilter, list_conversations
from socialdesk.store.models import Contact
from socialdesk.web.api.common import MAX_ID, IdPath, RequestModel, TxSessionDep
from socialdesk.web.api.conversations import NoteCreate, TagChange
from socialdesk.web.api.schemas import (
    ContactConversationOut,
    ContactDetailOut,
    ContactList,
    ContactOut,
    NoteOut,
)
from socialdesk.web.deps import CallerDep, ReadSessionDep

router = APIRouter(prefix="/contacts", tags=["contacts"])

CONVERSATIONS_SHOWN = 200


class MergeRequest(RequestModel):
    other_contact_id: int = Field(
        ge=1,
        le=MAX_ID,
        description="The contact folded into this one: its identities, conversations, "
        "notes and tags move over and its id keeps resolving to the survivor",
    )


def _detail(session: Session, workspace_id: int, contact: Contact) -> ContactDetailOut:
    conversations, _ = list_conversations(
        session,
        workspace_id,
        ConversationFilter(contact_id=contact.id),
        limit=CONVERSATIONS_SHOWN,
    )
    summary = ContactOut.model_validate(contact).model_dump()
    return ContactDetailOut(
        **summary,
        notes=[NoteOut.model_validate(n) for n in svc.contact_notes(session, contact.id)],
        conversations=[ContactConversationOut.model_validate(c) for c in conversations],
    )


@router.get("", summary="Search contacts")
def search_contacts(
    caller: CallerDep,
    session: ReadSessionDep,
    q: Annotated[
        str,
        Query(
            max_length=200,
            description="Words in the name, handles or addresses; a trailing * matches a "
            "prefix; empty lists the newest contacts",
        ),
    ] = "",
    tag: Annotated[str | None, Query(max_length=100, description="Carries this tag")] = None,
    limit: Annotated[int, Query(ge=1, le=200, description="At most this many")] = 50,
) -> ContactList:
    found = svc.search_contacts(session, caller.workspace_id, q, tag=tag, limit=limit)
    return ContactList(items=[ContactOut.model_validate(c) for c in found])


@router.get(
    "/{contact_id}",
    summary="One contact with identities, notes and conversations",
    description="A merged contact's id answers with the contact it was merged into.",
)
def get_contact(contact_id: IdPath, caller: CallerDep, session: ReadSessionDep) -> ContactDetailOut:
    contact = svc.get_contact(session, caller.workspace_id, contact_id)
    return _detail(session, caller.workspace_id, contact)


@router.post("/{contact_id}/tags", summary="Add and remove tags")
def change_tags(
    contact_id: IdPath, body: TagChange, caller: CallerDep, session: TxSessionDep
) -> ContactOut:
    body.check_not_empty()
    contact = svc.change_contact_tags(
        session, caller.workspace_id, contact_id, caller.actor, add=body.add, remove=body.remove
    )
    return ContactOut.model_validate(contact)


@router.post("/{contact_id}/notes", status_code=201, summary="Add an internal note")
def add_note(
    contact_id: IdPath, body: NoteCreate, caller: CallerDep, session: TxSessionDep
) -> NoteOut:
    note = svc.add_contact_note(session, caller.workspace_id, contact_id, caller.actor, body.body)
    return NoteOut.model_validate(note)


@router.post(
    "/{contact_id}/merge",
    summary="Merge another contact into this one",
    description="The same person reached us under two identities. Returns the survivor.",
)
def merge(
    contact_id: IdPath, body: MergeRequest, caller: CallerDep, session: TxSessionDep
) -> ContactDetailOut:
    survivor = svc.merge_contacts(
        session, caller.workspace_id, contact_id, body.other_contact_id, caller.actor
    )
    return _detail(session, caller.workspace_id, survivor)
