"""Builds what the conversation view shows: one timeline interleaving messages, notes and
events, the quoted messages replies answer, and the contact beside it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from socialdesk.domain.platforms import platform as platform_rules
from socialdesk.services.continuation import (
    CHANNEL_CHANGED,
    CONSENT_WITHDRAWN,
    consents_of,
    where_label,
)
from socialdesk.services.sessions import SignedIn
from socialdesk.store.models import (
    ChannelAccount,
    Contact,
    ContactIdentity,
    Conversation,
    Event,
    Message,
    Note,
    Team,
    User,
)

__all__ = ["TimelineItem", "conversation_context"]

# Message and note events are shown as the items themselves, not as lines.
_SILENT_EVENTS = {"message.in", "message.out", "message.delivery", "conversation.note_added"}


@dataclass(frozen=True)
class TimelineItem:
    kind: str  # message, note, event
    at: datetime
    message: Message | None = None
    quoted: Message | None = None
    note: Note | None = None
    event: Event | None = None
    text: str = ""


def _describe(event: Event, users: dict[int, str], teams: dict[int, str]) -> str:
    data: dict[str, Any] = event.data or {}
    actor = users.get(event.actor_user_id or -1, "") if event.actor_user_id else ""
    who = actor or {"system": "socialdesk", "contact": "the customer"}.get(event.actor_kind, "")
    if event.type == "conversation.opened":
        return "Conversation opened"
    if event.type == "conversation.status_changed":
        to = data.get("to", "")
        reason = f" ({data['reason']})" if data.get("reason") else ""
        return _sentence(f"{who} set status to {to}{reason}")
    if event.type == "conversation.assigned":
        target = users.get(data.get("to") or -1)
        return f"{who} assigned to {target}" if target else f"{who} unassigned"
    if event.type == "conversation.team_changed":
        team = teams.get(data.get("to") or -1)
        return f"{who} moved to team {team}" if team else f"{who} removed the team"
    if event.type == "conversation.priority_changed":
        return f"{who} set priority to {data.get('to')}"
    if event.type == "conversation.tags_changed":
        added = ", ".join(data.get("added", []))
        removed = ", ".join(data.get("removed", []))
        parts = [f"tagged {added}" if added else "", f"untagged {removed}" if removed else ""]
        return f"{who} " + " and ".join(p for p in parts if p)
    if event.type == CONSENT_WITHDRAWN:
        channel = {"sms": "SMS", "email": "email"}.get(data.get("channel", ""), "")
        if data.get("keyword"):
            return f"The customer texted {data['keyword']}: consent to {channel} withdrawn"
        subject = who or "An integration"
        return f"{subject[:1].upper()}{subject[1:]} withdrew the customer's consent to {channel}"
    if event.type == "contact.updated":
        identity = data.get("identity_added")
        if isinstance(identity, dict):
            platform = str(identity.get("platform", ""))
            where = _PLATFORM_NAMES.get(platform, platform)
            address = identity.get("external_id", "")
            return _sentence(f"{who} added {where} {address} to the customer")
        return _sentence(f"{who} updated the customer's details")
    if event.type == "contact.merged":
        return _sentence(f"{who} merged another contact into this customer")
    if event.type == "webchat.email_followup":
        if data.get("queued"):
            return f"The visitor had left: the answer goes by email to {data.get('email')}"
        return (
            f"The visitor had left, and the answer could not go by email to "
            f"{data.get('email')}: {data.get('reason', 'unknown reason')}"
        )
    # A kind of event this page does not know yet: its name, readable.
    return _sentence(event.type.split(".", 1)[-1].replace("_", " "))


def _returned(session: Session, event: Event, users: dict[int, str]) -> str:
    """A continued conversation moved back: "Ana moved this conversation back to X
    (@acmecare)" (the platform alone when the account is gone)."""
    data: dict[str, Any] = event.data or {}
    who = users.get(event.actor_user_id, "socialdesk") if event.actor_user_id else "socialdesk"
    to = data.get("to")
    account = session.get(ChannelAccount, to) if isinstance(to, int) else None
    if account is not None and account.workspace_id == event.workspace_id:
        where = where_label(account)
    else:
        where = platform_rules(str(data.get("platform") or "")).label
    return f"{who} moved this conversation back to {where}"


_PLATFORM_NAMES = {"email": "the email address", "sms": "the phone number"}


def _sentence(text: str) -> str:
    """Capital first letter, the rest as written (names keep their capitals)."""
    text = text.strip()
    return text[:1].upper() + text[1:]


def conversation_context(
    session: Session, agent: SignedIn, conversation_id: int
) -> dict[str, Any] | None:
    conv = session.get(Conversation, conversation_id)
    if conv is None or conv.workspace_id != agent.workspace_id:
        return None
    contact = session.get(Contact, conv.contact_id)
    account = session.get(ChannelAccount, conv.channel_account_id)
    messages = list(
        session.scalars(
            select(Message)
            .where(Message.conversation_id == conv.id)
            .order_by(Message.platform_time, Message.id)
        )
    )
    notes = list(
        session.scalars(select(Note).where(Note.conversation_id == conv.id).order_by(Note.id))
    )
    events = list(
        session.scalars(select(Event).where(Event.conversation_id == conv.id).order_by(Event.id))
    )
    identities = list(
        session.scalars(
            select(ContactIdentity)
            .where(ContactIdentity.contact_id == conv.contact_id)
            .order_by(ContactIdentity.id)
        )
    )
    users = {
        u.id: u.name
        for u in session.scalars(select(User).where(User.workspace_id == agent.workspace_id))
    }
    agents = list(
        session.scalars(
            select(User)
            .where(User.workspace_id == agent.workspace_id, User.is_active.is_(True))
            .order_by(User.name)
        )
    )
    teams = list(
        session.scalars(
            select(Team).where(Team.workspace_id == agent.workspace_id).order_by(Team.name)
        )
    )
    team_names = {t.id: t.name for t in teams}
    earlier = list(
        session.scalars(
            select(Conversation)
            .where(Conversation.contact_id == conv.contact_id, Conversation.id != conv.id)
            .order_by(Conversation.last_message_at.desc())
            .limit(10)
        )
    )
    by_platform_id = {m.platform_message_id: m for m in messages if m.platform_message_id}
    missing = {
        m.reply_to_platform_id
        for m in messages
        if m.reply_to_platform_id and m.reply_to_platform_id not in by_platform_id
    }
    if missing and account is not None:
        for quoted in session.scalars(
            select(Message).where(
                Message.workspace_id == agent.workspace_id,
                Message.platform == account.platform,
                Message.platform_message_id.in_(sorted(missing)),
            )
        ):
            by_platform_id.setdefault(quoted.platform_message_id or "", quoted)
    items: list[TimelineItem] = []
    for m in messages:
        items.append(
            TimelineItem(
                "message",
                m.platform_time,
                message=m,
                quoted=by_platform_id.get(m.reply_to_platform_id or ""),
            )
        )
    for n in notes:
        items.append(
            TimelineItem(
                "note", n.created_at, note=n, text=users.get(n.author_user_id or -1, "someone")
            )
        )
    for e in events:
        if e.type == CHANNEL_CHANGED and (e.data or {}).get("returned"):
            text = _returned(session, e, users)
            items.append(TimelineItem("event", e.occurred_at, event=e, text=text))
        elif e.type not in _SILENT_EVENTS:
            items.append(
                TimelineItem("event", e.occurred_at, event=e, text=_describe(e, users, team_names))
            )
    order = {"event": 0, "message": 1, "note": 2}
    items.sort(key=lambda i: (i.at, order[i.kind]))
    platform_identity = next(
        (i for i in reversed(identities) if account and i.platform == account.platform), None
    )
    last_out = max((m.id for m in messages if m.direction == "out"), default=0)
    return {
        "conversation": conv,
        "contact": contact,
        "account": account,
        "items": items,
        "identities": identities,
        "identity": platform_identity,
        "agents": agents,
        "teams": teams,
        "earlier": earlier,
        "users": users,
        "team_names": team_names,
        "contact_tags": [t.name for t in contact.tags] if contact else [],
        "contact_notes": list(
            session.scalars(
                select(Note)
                .where(Note.contact_id == conv.contact_id)
                .order_by(Note.id.desc())
                .limit(20)
            )
        ),
        "last_outbound_id": last_out,
        "consents": consents_of(session, conv.contact_id),
    }
