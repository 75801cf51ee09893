"""What agents do in a conversation: assign, change status, tag, note, reply, continue on
email or SMS and go back to the original channel.

Every action goes through the same service functions as the REST API, answers with the
re-rendered conversation pane, and tells other screens through the live hub.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import cache
from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse
from pydantic import ValidationError
from sqlalchemy import func, select

from socialdesk.channels.whatsapp import Template, approved_templates
from socialdesk.domain.errors import (
    Forbidden,
    InvalidInput,
    NotFound,
    SendNotAllowed,
    SocialdeskError,
)
from socialdesk.domain.phone import sms_segments
from socialdesk.domain.pii import find_pii
from socialdesk.domain.platforms import Platform, audience_line, dm_link, platform, render_canned
from socialdesk.domain.types import Role
from socialdesk.services.contacts import (
    MAX_CRM_FIELD,
    add_contact_note,
    change_contact_tags,
    merge_contacts,
    set_crm_link,
)
from socialdesk.services.continuation import CHANNELS as CONTINUATION_CHANNELS
from socialdesk.services.continuation import (
    MAX_REQUEST_CHARS,
    continue_on,
    return_target,
    return_to_origin,
    where_label,
    withdraw_contact_consent,
)
from socialdesk.services.conversations import (
    UNSET,
    add_note,
    change_tags,
    get_conversation,
    update_conversation,
)
from socialdesk.services.events import Actor
from socialdesk.services.replies import MAX_REPLY_CHARS, reply
from socialdesk.services.sessions import SignedIn
from socialdesk.store.models import (
    CannedResponse,
    ChannelAccount,
    ContactIdentity,
    Conversation,
    Message,
    User,
)
from socialdesk.web.api.conversations import ReplyTemplate
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


@dataclass(frozen=True)
class TemplateChoice:
    """An approved WhatsApp template as the composer offers it."""

    name: str
    language: str
    parameters: int
    text: str | None


@cache
def gsm_alphabet() -> tuple[str, str]:
    """The GSM 03.38 characters taking one septet and those taking two, read from
    ``domain.phone.sms_segments`` itself so the composer's live counter cannot disagree."""
    basic: list[str] = []
    extended: list[str] = []
    for code in range(0x2100):  # the GSM alphabet lies below U+2100 (the euro sign included)
        char = chr(code)
        if 0xD800 <= code <= 0xDFFF:
            continue
        counted = sms_segments(char)
        if counted.encoding == "GSM-7":
            (basic if counted.units == 1 else extended).append(char)
    return "".join(basic), "".join(extended)


def counter_text(rules: Platform, mode: str, text: str) -> str:
    """The composer's counter, as app.js writes it while typing (the same format)."""
    length = len(text)
    limit = rules.limit(mode) if mode in ("public", "private") else None
    shown = f"{length} / {limit}" if limit else (f"{length} characters" if length else "")
    if rules.counter == "sms" and mode == "private" and length:
        counted = sms_segments(text)
        plural = "" if counted.segments == 1 else "s"
        shown += f" · {counted.segments} SMS segment{plural} ({counted.encoding})"
    return shown


def whatsapp_templates(account: Any) -> tuple[list[TemplateChoice], str | None]:
    """The approved templates of a WhatsApp account, or why its setting cannot be read."""
    if account.platform != "whatsapp":
        return [], None
    try:
        templates = approved_templates(dict(account.settings or {}))
    except ValueError as exc:
        return [], f"The templates setting of this WhatsApp account is unreadable: {exc}"
    return [_choice(t) for t in templates], None


def _choice(template: Template) -> TemplateChoice:
    count = template.parameters
    if count is None:  # not declared: count the {{n}} placeholders of its text
        numbers = [int(n) for n in re.findall(r"\{\{\s*(\d+)\s*\}\}", template.text or "")]
        count = max(numbers, default=0)
    return TemplateChoice(template.name, template.language, count, template.text)


def composer_context(session: Any, agent: SignedIn, detail: dict[str, Any]) -> dict[str, Any]:
    """What the composer needs besides the conversation: the platform's audiences and limits,
    who each reaches, WhatsApp templates, canned answers, where to continue, and where a
    continued conversation goes back to."""
    conv, account, contact = detail["conversation"], detail["account"], detail["contact"]
    messages = [i.message for i in detail["items"] if i.kind == "message"]
    inbound = [m for m in messages if m.direction == "in"]
    rules = platform(account.platform)
    identity = detail.get("identity")
    handle = identity.handle if identity and identity.handle else None
    followers = identity.followers if identity else None
    templates, templates_error = whatsapp_templates(account)
    gsm_basic, gsm_extended = gsm_alphabet() if rules.counter == "sms" else ("", "")
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
        "platform_rules": rules,
        "limits": rules.limits,
        "visibilities": rules.visibilities,
        "can_public": rules.has_public and any(m.visibility == "public" for m in inbound),
        "audiences": {
            mode: audience_line(account.platform, mode, handle=handle, followers=followers)
            for mode in (*rules.visibilities, "note")
        },
        "gsm_basic": gsm_basic,
        "gsm_extended": gsm_extended,
        "max_reply_chars": MAX_REPLY_CHARS,
        "wa_templates": templates,
        "wa_templates_error": templates_error,
        "continue_channels": _continue_channels(session, agent.workspace_id, account.platform),
        "return_to": _return_to(session, conv),
        "last_inbound_visibility": inbound[-1].visibility if inbound else None,
        "dm_link": dm_link(
            account.platform, brand_handle=account.handle, brand_external_id=account.external_id
        ),
        "canned": canned,
        "conversation_id": conv.id,
    }


def _continue_channels(session: Any, workspace_id: int, current: str) -> list[str]:
    """The channels (email, sms) this workspace has an account for, except the current one."""
    platforms = set(
        session.scalars(
            select(ChannelAccount.platform)
            .where(
                ChannelAccount.workspace_id == workspace_id,
                ChannelAccount.platform.in_(sorted(set(CONTINUATION_CHANNELS.values()))),
            )
            .distinct()
        )
    )
    return [c for c, p in CONTINUATION_CHANNELS.items() if p in platforms and p != current]


def _return_to(session: Any, conv: Conversation) -> dict[str, Any] | None:
    """The "Back to …" button of a continued conversation: where it goes, or None."""
    target = return_target(session, conv)
    if target is None:
        return None
    return {"platform": target.platform, "label": where_label(target), "paused": target.is_paused}


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
        rules = context["platform_rules"]
        context["counter_initial"] = counter_text(
            rules, str(context.get("composer_mode") or ""), str(context.get("draft") or "")
        )
        return render(request, "_pane.html", context, status_code=status_code)


def _run(
    request: Request,
    agent: SignedIn,
    conversation_id: int,
    change: Any,
    *,
    keep: dict[str, Any] | None = None,
    error_key: str = "composer_error",
) -> HTMLResponse:
    """Apply ``change(session)`` in one transaction and answer with the refreshed pane; a
    refusal is shown where ``error_key`` says, with what the agent typed (``keep``) kept."""
    app = get_app(request)
    try:
        with app.db.session() as session:
            change(session)  # screens hear of it through store.changes after the commit
    except SocialdeskError as exc:
        if exc.status == 404:
            raise
        key = "send_refused" if isinstance(exc, SendNotAllowed) else error_key
        return render_pane(
            request,
            agent,
            conversation_id,
            status_code=exc.status,
            **{key: exc.detail},
            **(keep or {}),
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


def _platform_of(request: Request, agent: SignedIn, conversation_id: int) -> str:
    with get_app(request).db.read_session() as session:
        found = session.execute(
            select(ChannelAccount.platform)
            .join(Conversation, Conversation.channel_account_id == ChannelAccount.id)
            .where(
                Conversation.id == conversation_id,
                Conversation.workspace_id == agent.workspace_id,
            )
        ).scalar_one_or_none()
    if found is None:
        raise NotFound(f"conversation {conversation_id} does not exist in this workspace")
    return str(found)


def _template_reply(
    request: Request, conversation_id: int, name: str, language: str, parameters: list[str]
) -> tuple[str, dict[str, Any]]:
    """The timeline text and the ``template`` extra of an approved WhatsApp template
    (the shape of the REST API's ``ReplyCreate.extras()``); InvalidInput says what is wrong."""
    with get_app(request).db.read_session() as session:
        account = session.scalar(
            select(ChannelAccount)
            .join(Conversation, Conversation.channel_account_id == ChannelAccount.id)
            .where(Conversation.id == conversation_id)
        )
        choices, error = whatsapp_templates(account) if account is not None else ([], None)
    if account is None or account.platform != "whatsapp":
        raise InvalidInput("templates are sent only in WhatsApp conversations")
    if error:
        raise InvalidInput(error)
    chosen = next((t for t in choices if (t.name, t.language) == (name, language)), None)
    if chosen is None:
        raise InvalidInput(f"{name} ({language}) is not one of this account's approved templates")
    values = [p.strip() for p in parameters]
    if len(values) != chosen.parameters or not all(values):
        raise InvalidInput(
            f"template {name} needs {chosen.parameters} parameter(s), each filled in"
        )
    try:
        template = ReplyTemplate(name=name, language=language, parameters=values)
    except ValidationError as exc:
        problems = "; ".join(str(e["msg"]) for e in exc.errors())
        raise InvalidInput(f"template {name}: {problems}") from None
    text = chosen.text or f"[WhatsApp template {name}]"
    by_number = dict(enumerate(values, start=1))

    def fill(match: re.Match[str]) -> str:
        return by_number.get(int(match.group(1)), match.group(0))

    text = re.sub(r"\{\{\s*(\d+)\s*\}\}", fill, text)
    return text, {"type": "template", **template.model_dump()}


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
    template_name: Annotated[str, Form(max_length=512)] = "",
    template_language: Annotated[str, Form(max_length=20)] = "",
    template_param: Annotated[list[str] | None, Form(max_length=20)] = None,
) -> HTMLResponse:
    """Reply publicly, privately, or add a note, guarding against the classic mistakes:
    an audience the platform does not have, a text longer than it takes, personal data in
    public, a colleague's reply in the meantime, a send the platform's window refuses."""
    keep = {"draft": text, "composer_mode": mode}

    def refuse(status_code: int = 422, **more: Any) -> HTMLResponse:
        return render_pane(
            request, agent, conversation_id, status_code=status_code, **{**keep, **more}
        )

    extras: list[dict[str, Any]] = []
    if template_name:
        if mode != "private":
            return refuse(composer_error="A WhatsApp template is always a private message.")
        try:
            text, extra = _template_reply(
                request, conversation_id, template_name, template_language, template_param or []
            )
        except InvalidInput as exc:
            return refuse(composer_error=exc.detail, template_open=True)
        extras.append(extra)
        keep = {"draft": "", "composer_mode": mode}
    if mode not in ("public", "private", "note"):
        return refuse(composer_error="Choose public reply, private message or note first.")
    if not text.strip():
        return refuse(composer_error="Write something first.")
    if mode == "note":
        return _run(
            request,
            agent,
            conversation_id,
            lambda session: add_note(
                session, agent.workspace_id, conversation_id, Actor.agent(agent.user_id), text
            ),
            keep=keep,
        )
    rules = platform(_platform_of(request, agent, conversation_id))
    if mode not in rules.visibilities:
        only = " and ".join(f"{v} replies" for v in rules.visibilities)
        return refuse(
            composer_error=f"{rules.label} has no {mode} replies here: it takes {only} only.",
        )
    limit = rules.limit(mode)
    if limit is not None and not extras and len(text.strip()) > limit:
        return refuse(
            composer_error=(
                f"Too long for a {rules.kind(mode)}: {len(text.strip()):,} characters, "
                f"{rules.label} takes {limit:,} at most."
            ),
        )
    findings = find_pii(text) if mode == "public" else []
    if findings:
        guard = [GuardFinding(_KIND_LABELS[f.kind], f.masked) for f in findings]
        return refuse(guard=guard)
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
        return refuse(409, conflict=conflict)
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
            extras=extras,
            channels=get_app(request).channels,
        ),
        keep={**keep, "template_open": bool(extras)},
    )


@router.post(
    "/conversations/{conversation_id}/continue",
    name="ui_conv_continue",
    response_class=HTMLResponse,
)
def continue_elsewhere(
    request: Request,
    conversation_id: int,
    agent: AgentDep,
    channel: Annotated[str, Form(max_length=10)] = "",
    address: Annotated[str, Form(max_length=320)] = "",
    request_text: Annotated[str, Form(max_length=MAX_REQUEST_CHARS + 100)] = "",
) -> HTMLResponse:
    """Continue the conversation by email or SMS, with the customer's consent on record."""
    keep = {
        "continue_channel": channel,
        "continue_address": address,
        "continue_request": request_text,
        "continue_open": True,
    }

    def change(session: Any) -> None:
        continue_on(
            session,
            agent.workspace_id,
            conversation_id,
            Actor.agent(agent.user_id),
            channel=channel,
            address=address,
            request_text=request_text,
        )

    return _run(request, agent, conversation_id, change, keep=keep, error_key="continue_error")


@router.post(
    "/conversations/{conversation_id}/continuation/return",
    name="ui_conv_return",
    response_class=HTMLResponse,
)
def back_to_origin(request: Request, conversation_id: int, agent: AgentDep) -> HTMLResponse:
    """Move a continued conversation back to the channel it was continued from (any agent
    may, as any may continue it)."""

    def change(session: Any) -> None:
        return_to_origin(session, agent.workspace_id, conversation_id, Actor.agent(agent.user_id))

    return _run(request, agent, conversation_id, change, error_key="return_error")


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
    "/conversations/{conversation_id}/contact/crm",
    name="ui_contact_crm",
    response_class=HTMLResponse,
)
def contact_crm(
    request: Request,
    conversation_id: int,
    agent: AgentDep,
    crm_id: Annotated[str, Form(max_length=MAX_CRM_FIELD)] = "",
    crm_tier: Annotated[str, Form(max_length=MAX_CRM_FIELD)] = "",
) -> HTMLResponse:
    def change(session: Any) -> None:
        conv = get_conversation(session, agent.workspace_id, conversation_id)
        set_crm_link(
            session,
            agent.workspace_id,
            conv.contact_id,
            Actor.agent(agent.user_id),
            crm_id=crm_id,
            crm_tier=crm_tier,
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
    "/conversations/{conversation_id}/contact/consents/{consent_id}/withdraw",
    name="ui_contact_consent_withdraw",
    response_class=HTMLResponse,
)
def contact_consent_withdraw(
    request: Request, conversation_id: int, consent_id: int, agent: AgentDep
) -> HTMLResponse:
    """Withdraw one of the customer's email or SMS consents (agents may: the customer asked)."""

    def change(session: Any) -> None:
        conv = get_conversation(session, agent.workspace_id, conversation_id)
        withdraw_contact_consent(
            session, agent.workspace_id, conv.contact_id, consent_id, Actor.agent(agent.user_id)
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
