"""What agents do in a conversation: assign, change status, tag, note and reply.

Every action goes through the same service functions as the REST API, answers with the
re-rendered conversation pane, and tells other screens through the live hub.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse
from sqlalchemy import func, select

from socialdesk.domain.errors import Forbidden, InvalidInput, NotFound, SocialdeskError
from socialdesk.domain.pii import find_pii
from socialdesk.domain.platforms import dm_link, render_canned, reply_limits
from socialdesk.domain.types import Role
from socialdesk.services.contacts import add_contact_note, change_contact_tags, merge_contacts
from socialdesk.services.conversations import (
    UNSET,
    add_note,
    change_tags,
    get_conversation,
    update_conversation,
)
from socialdesk.services.events import Actor
from socialdesk.services.replies import reply
from socialdesk.services.sessions import SignedIn
from socialdesk.store.models import CannedResponse, ContactIdentity, Conversation, Message, User
from socialdesk.web.deps import get_app
from socialdesk.web.ui.render import render
from socialdesk.web.ui.security import AgentDep
from socialdesk.web.ui.timeline import conversation_context

router = APIRouter()

_KIND_LABELS = {
    "email": "an email address",
    "phone": "a phone number",
    "card": "a card number",
    "reference": "an order or account number",
}


@dataclass(frozen=True)
class GuardFinding:
    kind_label: str
    masked: str


def composer_context(session: Any, agent: SignedIn, detail: dict[str, Any]) -> dict[str, Any]:
    """What the composer needs besides the conversation: limits, audience, canned answers."""
    conv, account, contact = detail["conversation"], detail["account"], detail["contact"]
    messages = [i.message for i in detail["items"] if i.kind == "message"]
    inbound = [m for m in messages if m.direction == "in"]
    limits = reply_limits(account.platform)
    identity = detail.get("identity")
    variables = {
        "contact.name": (contact.name or "").lstrip("@"),
        "contact.handle": (identity.handle if identity and identity.handle else ""),
        "agent.name": agent.name,
        "brand.name": account.name,
    }
    canned = [
        {"title": title, "body": render_canned(body, variables)}
        for title, body in session.execute(
            select(CannedResponse.title, CannedResponse.body)
            .where(CannedResponse.workspace_id == agent.workspace_id)
            .order_by(CannedResponse.title)
        )
    ]
    return {
        "limits": limits,
        "can_public": any(m.visibility == "public" for m in inbound),
        "last_inbound_visibility": inbound[-1].visibility if inbound else None,
        "dm_link": dm_link(
            account.platform, brand_handle=account.handle, brand_external_id=account.external_id
        ),
        "canned": canned,
        "conversation_id": conv.id,
    }


def render_pane(
    request: Request,
    agent: SignedIn,
    conversation_id: int,
    *,
    status_code: int = 200,
    **extra: Any,
) -> HTMLResponse:
    app = get_app(request)
    with app.db.read_session() as session:
        detail = conversation_context(session, agent, conversation_id)
        if detail is None:
            raise NotFound(f"conversation {conversation_id} does not exist in this workspace")
        context = {"agent": agent, **detail, **composer_context(session, agent, detail), **extra}
        return render(request, "_pane.html", context, status_code=status_code)


def _run(request: Request, agent: SignedIn, conversation_id: int, change: Any) -> HTMLResponse:
    """Apply ``change(session)`` in one transaction and answer with the refreshed pane."""
    app = get_app(request)
    try:
        with app.db.session() as session:
            change(session)  # screens hear of it through store.changes after the commit
    except SocialdeskError as exc:
        if exc.status == 404:
            raise
        return render_pane(
            request, agent, conversation_id, status_code=exc.status, composer_error=exc.detail
        )
    return render_pane(request, agent, conversation_id)


def _optional_id(value: str, what: str) -> int | None:
    value = value.strip()
    if not value:
        return None
    if not value.isdigit():
        raise InvalidInput(f"{what} must be an id")
    return int(value)


@router.post(
    "/conversations/{conversation_id}/assign", name="ui_conv_assign", response_class=HTMLResponse
)
def assign(
    request: Request,
    conversation_id: int,
    agent: AgentDep,
    assignee: Annotated[str | None, Form(max_length=20)] = None,
    team: Annotated[str | None, Form(max_length=20)] = None,
    priority: Annotated[str | None, Form(max_length=20)] = None,
) -> HTMLResponse:
    def change(session: Any) -> None:
        new_assignee = UNSET if assignee is None else _optional_id(assignee, "assignee")
        if new_assignee is not UNSET and agent.role == Role.AGENT:
            current = get_conversation(session, agent.workspace_id, conversation_id).assignee_id
            taking_over = current not in (None, agent.user_id) and new_assignee != current
            if taking_over:
                raise Forbidden(
                    "this conversation belongs to another agent; a supervisor can reassign it"
                )
        update_conversation(
            session,
            agent.workspace_id,
            conversation_id,
            Actor.agent(agent.user_id),
            assignee_id=new_assignee,
            team_id=UNSET if team is None else _optional_id(team, "team"),
            priority=priority or None,
        )

    return _run(request, agent, conversation_id, change)


@router.post(
    "/conversations/{conversation_id}/status", name="ui_conv_status", response_class=HTMLResponse
)
def set_status(
    request: Request,
    conversation_id: int,
    agent: AgentDep,
    status: Annotated[str, Form(max_length=20)],
    snoozed_until: Annotated[str | None, Form(max_length=40)] = None,
) -> HTMLResponse:
    def change(session: Any) -> None:
        until = None
        if snoozed_until:
            try:
                until = datetime.fromisoformat(snoozed_until)
            except ValueError:
                raise InvalidInput("snooze until must be a date and time") from None
            if until.tzinfo is None:
                until = until.replace(tzinfo=UTC)
        update_conversation(
            session,
            agent.workspace_id,
            conversation_id,
            Actor.agent(agent.user_id),
            status=status,
            snoozed_until=until,
        )

    return _run(request, agent, conversation_id, change)


@router.post(
    "/conversations/{conversation_id}/tags", name="ui_conv_tags", response_class=HTMLResponse
)
def tags(
    request: Request,
    conversation_id: int,
    agent: AgentDep,
    add: Annotated[str, Form(max_length=100)] = "",
    remove: Annotated[str, Form(max_length=100)] = "",
) -> HTMLResponse:
    def change(session: Any) -> None:
        change_tags(
            session,
            agent.workspace_id,
            conversation_id,
            Actor.agent(agent.user_id),
            add=[add] if add.strip() else [],
            remove=[remove] if remove.strip() else [],
        )

    return _run(request, agent, conversation_id, change)


@router.post(
    "/conversations/{conversation_id}/send", name="ui_conv_send", response_class=HTMLResponse
)
def send(
    request: Request,
    conversation_id: int,
    agent: AgentDep,
    mode: Annotated[str, Form(max_length=10)] = "",
    text: Annotated[str, Form(max_length=20_000)] = "",
    seen_outbound_id: Annotated[int, Form(ge=0)] = 0,
) -> HTMLResponse:
    """Reply publicly, privately, or add a note, guarding against the classic mistakes."""
    keep = {"draft": text, "composer_mode": mode}
    if mode not in ("public", "private", "note"):
        return render_pane(
            request,
            agent,
            conversation_id,
            status_code=422,
            composer_error="Choose public reply, private message or note first.",
            **keep,
        )
    if not text.strip():
        return render_pane(
            request,
            agent,
            conversation_id,
            status_code=422,
            composer_error="Write something first.",
            **keep,
        )
    if mode == "note":
        return _run(
            request,
            agent,
            conversation_id,
            lambda session: add_note(
                session, agent.workspace_id, conversation_id, Actor.agent(agent.user_id), text
            ),
        )
    findings = find_pii(text) if mode == "public" else []
    if findings:
        guard = [GuardFinding(_KIND_LABELS[f.kind], f.masked) for f in findings]
        return render_pane(request, agent, conversation_id, status_code=422, guard=guard, **keep)
    app = get_app(request)
    with app.db.read_session() as session:
        newer = session.execute(
            select(Message, User.name)
            .outerjoin(User, User.id == Message.author_user_id)
            .where(
                Message.conversation_id == conversation_id,
                Message.direction == "out",
                Message.id > seen_outbound_id,
                Message.is_auto.is_(False),
                Message.author_kind == "agent",
            )
            .order_by(Message.id.desc())
            .limit(1)
        ).first()
    if newer is not None:
        message, name = newer
        who = "You" if message.author_user_id == agent.user_id else (name or "Another agent")
        conflict = (
            f"{who} replied since you opened this conversation: “{message.text[:120]}”. "
            "Read it, then send again if your reply is still needed."
        )
        return render_pane(
            request, agent, conversation_id, status_code=409, conflict=conflict, **keep
        )
    return _run(
        request,
        agent,
        conversation_id,
        lambda session: reply(
            session,
            agent.workspace_id,
            conversation_id,
            Actor.agent(agent.user_id),
            text=text,
            visibility=mode,
            channels=get_app(request).channels,
        ),
    )


def _ensure_in_workspace(request: Request, agent: SignedIn, conversation_id: int) -> None:
    """Presence is kept by conversation id alone: never show or mark another workspace's."""
    with get_app(request).db.read_session() as session:
        workspace_id = session.scalar(
            select(Conversation.workspace_id).where(Conversation.id == conversation_id)
        )
    if workspace_id != agent.workspace_id:
        raise NotFound(f"conversation {conversation_id} does not exist in this workspace")


@router.get(
    "/conversations/{conversation_id}/presence",
    name="ui_conv_presence_get",
    response_class=HTMLResponse,
)
def presence(request: Request, conversation_id: int, agent: AgentDep) -> HTMLResponse:
    """Heartbeat of a viewer; answers with who else is here."""
    _ensure_in_workspace(request, agent, conversation_id)
    board = request.app.state.presence
    if board.mark(conversation_id, agent.user_id, agent.name, typing=False):
        request.app.state.live.publish(agent.workspace_id, f"presence-{conversation_id}")
    others = board.present(conversation_id, excluding=agent.user_id)
    return render(request, "_presence.html", {"others": others, "conversation_id": conversation_id})


@router.post(
    "/conversations/{conversation_id}/presence",
    name="ui_conv_presence",
    response_class=HTMLResponse,
)
def typing(
    request: Request,
    conversation_id: int,
    agent: AgentDep,
    state: Annotated[str, Form(max_length=10)] = "typing",
) -> HTMLResponse:
    _ensure_in_workspace(request, agent, conversation_id)
    board = request.app.state.presence
    if board.mark(conversation_id, agent.user_id, agent.name, typing=state == "typing"):
        request.app.state.live.publish(agent.workspace_id, f"presence-{conversation_id}")
    return HTMLResponse("", status_code=204)


@router.post(
    "/conversations/{conversation_id}/contact/tags",
    name="ui_contact_tags",
    response_class=HTMLResponse,
)
def contact_tags(
    request: Request,
    conversation_id: int,
    agent: AgentDep,
    add: Annotated[str, Form(max_length=100)] = "",
    remove: Annotated[str, Form(max_length=100)] = "",
) -> HTMLResponse:
    def change(session: Any) -> None:
        conv = get_conversation(session, agent.workspace_id, conversation_id)
        change_contact_tags(
            session,
            agent.workspace_id,
            conv.contact_id,
            Actor.agent(agent.user_id),
            add=[add] if add.strip() else [],
            remove=[remove] if remove.strip() else [],
        )

    return _run(request, agent, conversation_id, change)  # answers with the whole pane


@router.post(
    "/conversations/{conversation_id}/contact/notes",
    name="ui_contact_notes",
    response_class=HTMLResponse,
)
def contact_note(
    request: Request,
    conversation_id: int,
    agent: AgentDep,
    body: Annotated[str, Form(max_length=20_000)] = "",
) -> HTMLResponse:
    def change(session: Any) -> None:
        conv = get_conversation(session, agent.workspace_id, conversation_id)
        add_contact_note(
            session, agent.workspace_id, conv.contact_id, Actor.agent(agent.user_id), body
        )

    return _run(request, agent, conversation_id, change)  # answers with the whole pane


@router.post(
    "/conversations/{conversation_id}/contact/merge",
    name="ui_contact_merge",
    response_class=HTMLResponse,
)
def contact_merge(
    request: Request,
    conversation_id: int,
    agent: AgentDep,
    other: Annotated[str, Form(max_length=200)] = "",
) -> HTMLResponse:
    """Merge another contact (by id or @handle) into this conversation's contact."""

    def change(session: Any) -> None:
        conv = get_conversation(session, agent.workspace_id, conversation_id)
        target = other.strip().lstrip("@#")
        if not target:
            raise InvalidInput("name the contact to merge: its @handle or #id")
        other_id: int | None = int(target) if target.isdigit() else None
        if other_id is None:
            found = session.scalars(
                select(ContactIdentity.contact_id)
                .where(
                    ContactIdentity.workspace_id == agent.workspace_id,
                    func.lower(ContactIdentity.handle) == target.lower(),
                )
                .distinct()
                .limit(2)
            ).all()
            if not found:
                raise InvalidInput(f"no contact with the handle @{target}")
            if len(found) > 1:
                raise InvalidInput(f"several contacts use @{target}; give the #id instead")
            other_id = found[0]
        merge_contacts(
            session, agent.workspace_id, conv.contact_id, other_id, Actor.agent(agent.user_id)
        )

    return _run(request, agent, conversation_id, change)  # answers with the whole pane
