"""Conversations (cases): the inbox list, one case with its timeline, and agent actions."""

from __future__ import annotations

import re
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from pydantic import AwareDatetime, Field, StringConstraints
from sqlalchemy.exc import IntegrityError

from socialdesk.domain.errors import Conflict, InvalidInput
from socialdesk.domain.types import ConversationStatus, Priority, Visibility
from socialdesk.services import conversations as svc
from socialdesk.services.replies import MAX_REPLY_CHARS, reply
from socialdesk.web.api.common import MAX_ID, IdPath, RequestModel, TxSessionDep
from socialdesk.web.api.schemas import (
    ConversationDetailOut,
    ConversationOut,
    ConversationPage,
    MessageOut,
    NoteOut,
)
from socialdesk.web.deps import CallerDep, ReadSessionDep, get_app

router = APIRouter(prefix="/conversations", tags=["conversations"])

MAX_NOTE_CHARS = 20_000
_USER_ID = re.compile(r"[0-9]{1,19}")

TagName = Annotated[str, StringConstraints(min_length=1, max_length=100)]
IdField = Annotated[int, Field(ge=1, le=MAX_ID)]


class ConversationPatch(RequestModel):
    """Only the fields present change; `assignee_id` and `team_id` may be null to clear."""

    status: ConversationStatus | None = Field(
        default=None, description="open, pending, snoozed (needs snoozed_until) or resolved"
    )
    snoozed_until: AwareDatetime | None = Field(
        default=None,
        description="With status 'snoozed': when it reopens; a future time with a time zone",
    )
    priority: Priority | None = Field(default=None, description="low, normal, high or urgent")
    assignee_id: IdField | None = Field(
        default=None, description="The agent to assign; null unassigns"
    )
    team_id: IdField | None = Field(default=None, description="The team; null clears it")

    def check_meaningful(self) -> None:
        # Checked in the handler, not a model validator, so the detail names no "body" field.
        if not self.model_fields_set:
            raise InvalidInput(
                "give at least one of status, priority, assignee_id, team_id to change"
            )
        for name in ("status", "priority"):
            if name in self.model_fields_set and getattr(self, name) is None:
                raise InvalidInput(f"{name} cannot be null; leave it out to keep it unchanged")


class TagChange(RequestModel):
    add: list[TagName] = Field(
        default_factory=list, max_length=50, description="Tags to add (created when new)"
    )
    remove: list[TagName] = Field(default_factory=list, max_length=50, description="Tags to drop")

    def check_not_empty(self) -> None:
        # Checked in the handler, not a model validator, so the detail names no "body" field.
        if not self.add and not self.remove:
            raise InvalidInput("give tags to add or to remove")


class NoteCreate(RequestModel):
    body: str = Field(
        min_length=1,
        max_length=MAX_NOTE_CHARS,
        description="Internal note for colleagues; never sent to the customer",
    )


class ReplyTemplate(RequestModel):
    """A pre-approved message template (WhatsApp): the only kind of message a business may
    send outside the platform's messaging window."""

    name: str = Field(pattern=r"^[a-z0-9_]{1,512}$", description="The template's name")
    language: str = Field(
        pattern=r"^[a-z]{2,3}(_[A-Za-z]{2,4})?$", description="Its language code, e.g. en_US"
    )
    parameters: list[Annotated[str, StringConstraints(min_length=1, max_length=1024)]] = Field(
        default_factory=list, max_length=20, description="Body parameters {{1}}, {{2}}... in order"
    )


class ReplyCreate(RequestModel):
    text: str = Field(min_length=1, max_length=MAX_REPLY_CHARS, description="The reply")
    visibility: Visibility = Field(
        description="Required, no default: 'public' answers the customer's latest post for "
        "everyone to see, 'private' sends a direct message"
    )
    idempotency_key: str | None = Field(
        default=None,
        min_length=1,
        max_length=150,
        description="Retrying with the same key returns the first reply instead of sending "
        "a second one",
    )
    template: ReplyTemplate | None = Field(
        default=None,
        description="Send this approved template instead of free text (allowed outside a "
        "messaging window); `text` is what the timeline shows",
    )
    buttons: list[Annotated[str, StringConstraints(min_length=1, max_length=100)]] | None = Field(
        default=None,
        min_length=1,
        max_length=10,
        description="Quick-reply buttons under the text, where the platform has them "
        "(a numbered list where it has too few or too short ones)",
    )

    def extras(self) -> list[dict[str, Any]]:
        extras: list[dict[str, Any]] = []
        if self.template is not None:
            extras.append({"type": "template", **self.template.model_dump()})
        if self.buttons:
            extras.append({"type": "quick_replies", "options": list(self.buttons)})
        return extras


def _assignee_filter(value: str | None) -> tuple[int | None, bool]:
    """(assignee id, unassigned only) from the `assignee` query parameter."""
    if value is None:
        return None, False
    if value.strip().lower() == "none":
        return None, True
    if _USER_ID.fullmatch(value) and 1 <= int(value) <= MAX_ID:
        return int(value), False
    raise InvalidInput(f"assignee must be a user id or 'none' (unassigned), not {value!r}")


@router.get("", summary="List conversations (the inbox)")
def list_conversations(
    caller: CallerDep,
    session: ReadSessionDep,
    status: Annotated[
        list[ConversationStatus] | None,
        Query(description="Only these statuses; repeat the parameter for several"),
    ] = None,
    assignee: Annotated[
        str | None,
        Query(max_length=20, description="A user id, or 'none' for unassigned conversations"),
    ] = None,
    team: Annotated[int | None, Query(ge=1, le=MAX_ID, description="A team id")] = None,
    account: Annotated[
        int | None, Query(ge=1, le=MAX_ID, description="A channel account id")
    ] = None,
    contact: Annotated[int | None, Query(ge=1, le=MAX_ID, description="A contact id")] = None,
    tag: Annotated[str | None, Query(max_length=100, description="Carries this tag")] = None,
    visibility: Annotated[
        Visibility | None,
        Query(description="public: holds a public post; private: holds a private message"),
    ] = None,
    q: Annotated[
        str | None,
        Query(
            max_length=200,
            description="Full-text search over messages and the contact: all words must "
            "occur; a trailing * matches a prefix (refund*)",
        ),
    ] = None,
    limit: Annotated[int, Query(ge=1, le=200, description="Page size")] = 50,
    cursor: Annotated[
        str | None, Query(max_length=200, description="next_cursor of the previous page")
    ] = None,
) -> ConversationPage:
    assignee_id, unassigned = _assignee_filter(assignee)
    filters = svc.ConversationFilter(
        status=[s.value for s in status or []],
        assignee_id=assignee_id,
        unassigned=unassigned,
        team_id=team,
        account_id=account,
        contact_id=contact,
        tag=tag,
        visibility=visibility.value if visibility else None,
        q=q,
    )
    rows, next_cursor = svc.list_conversations(
        session, caller.workspace_id, filters, limit=limit, cursor=cursor
    )
    return ConversationPage(
        items=[ConversationOut.model_validate(c) for c in rows], next_cursor=next_cursor
    )


@router.get("/{conversation_id}", summary="One conversation with messages, notes and events")
def get_conversation(
    conversation_id: IdPath, caller: CallerDep, session: ReadSessionDep
) -> ConversationDetailOut:
    conv = svc.get_conversation(session, caller.workspace_id, conversation_id)
    messages, events, notes = svc.conversation_timeline(session, conv)
    return ConversationDetailOut.build(conv, messages, events, notes)


@router.patch("/{conversation_id}", summary="Change status, priority, assignee or team")
def update_conversation(
    conversation_id: IdPath, body: ConversationPatch, caller: CallerDep, session: TxSessionDep
) -> ConversationOut:
    body.check_meaningful()
    given = body.model_fields_set
    changes: dict[str, Any] = {
        "status": body.status.value if body.status else None,
        "snoozed_until": body.snoozed_until,
        "priority": body.priority.value if body.priority else None,
        "assignee_id": body.assignee_id if "assignee_id" in given else svc.UNSET,
        "team_id": body.team_id if "team_id" in given else svc.UNSET,
    }
    conv = svc.update_conversation(
        session, caller.workspace_id, conversation_id, caller.actor, **changes
    )
    return ConversationOut.model_validate(conv)


@router.post("/{conversation_id}/tags", summary="Add and remove tags")
def change_tags(
    conversation_id: IdPath, body: TagChange, caller: CallerDep, session: TxSessionDep
) -> ConversationOut:
    body.check_not_empty()
    conv = svc.change_tags(
        session,
        caller.workspace_id,
        conversation_id,
        caller.actor,
        add=body.add,
        remove=body.remove,
    )
    return ConversationOut.model_validate(conv)


@router.post(
    "/{conversation_id}/notes",
    status_code=201,
    summary="Add an internal note",
)
def add_note(
    conversation_id: IdPath, body: NoteCreate, caller: CallerDep, session: TxSessionDep
) -> NoteOut:
    note = svc.add_note(session, caller.workspace_id, conversation_id, caller.actor, body.body)
    return NoteOut.model_validate(note)


@router.post(
    "/{conversation_id}/replies",
    status_code=202,
    summary="Queue a public or private reply",
    description="The reply is stored with delivery_state 'queued' together with its delivery "
    "job; a worker sends it and records the platform's answer on the message.",
)
def create_reply(
    conversation_id: IdPath,
    body: ReplyCreate,
    caller: CallerDep,
    session: TxSessionDep,
    request: Request,
) -> MessageOut:
    def send() -> MessageOut:
        message = reply(
            session,
            caller.workspace_id,
            conversation_id,
            caller.actor,
            text=body.text,
            visibility=body.visibility.value,
            idempotency_key=body.idempotency_key,
            extras=body.extras(),
            channels=get_app(request).channels,
        )
        return MessageOut.model_validate(message)

    if body.idempotency_key is None:
        return send()
    try:
        with session.begin_nested():
            return send()
    except IntegrityError:
        # A concurrent request with the same key committed first (PostgreSQL lets both
        # look before either writes): what it wrote is the answer to this one too.
        pass
    try:
        return send()
    except IntegrityError as exc:
        raise Conflict("a reply with this idempotency_key is being sent; retry") from exc
