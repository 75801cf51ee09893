"""Contacts: look up, search, tag, annotate, and merge two people into one."""

from __future__ import annotations

from sqlalchemy import select, update
from sqlalchemy.orm import Session, selectinload

from socialdesk.domain.errors import InvalidInput, NotFound
from socialdesk.domain.types import EventType
from socialdesk.services.events import Actor, record_event
from socialdesk.services.tags import change_tag_list, normalize_tag
from socialdesk.store.models import (
    Contact,
    ContactConsent,
    ContactIdentity,
    Conversation,
    Message,
    Note,
    Tag,
    contact_tags,
)
from socialdesk.store.search import contact_matches
from socialdesk.store.types import utcnow

__all__ = [
    "add_contact_note",
    "change_contact_tags",
    "contact_notes",
    "get_contact",
    "merge_contacts",
    "search_contacts",
]


def get_contact(session: Session, workspace_id: int, contact_id: int) -> Contact:
    """A contact; asking for a merged one returns the contact it was merged into."""
    seen: set[int] = set()
    while True:
        contact = session.get(
            Contact,
            contact_id,
            options=[selectinload(Contact.identities), selectinload(Contact.tags)],
        )
        if contact is None or contact.workspace_id != workspace_id:
            raise NotFound(f"contact {contact_id} does not exist in this workspace")
        if contact.merged_into_id is None or contact.merged_into_id in seen:
            return contact
        seen.add(contact.id)
        contact_id = contact.merged_into_id


def search_contacts(
    session: Session, workspace_id: int, query: str, *, tag: str | None = None, limit: int = 50
) -> list[Contact]:
    if not 1 <= limit <= 200:
        raise InvalidInput("limit must be between 1 and 200")
    stmt = select(Contact).where(
        Contact.workspace_id == workspace_id, Contact.merged_into_id.is_(None)
    )
    if query.strip():
        stmt = stmt.where(contact_matches(session.get_bind().dialect.name, query))
    if tag:
        stmt = stmt.where(
            Contact.id.in_(
                select(contact_tags.c.contact_id)
                .join(Tag, Tag.id == contact_tags.c.tag_id)
                .where(Tag.workspace_id == workspace_id, Tag.name == normalize_tag(tag))
            )
        )
    stmt = stmt.options(selectinload(Contact.identities), selectinload(Contact.tags))
    return list(session.scalars(stmt.order_by(Contact.id.desc()).limit(limit)))


def change_contact_tags(
    session: Session,
    workspace_id: int,
    contact_id: int,
    actor: Actor,
    *,
    add: list[str] | None = None,
    remove: list[str] | None = None,
) -> Contact:
    contact = get_contact(session, workspace_id, contact_id)
    change = change_tag_list(
        session, workspace_id, contact.tags, add=add or [], remove=remove or []
    )
    contact.tags = change.tags
    if change.changed:
        record_event(
            session,
            workspace_id=workspace_id,
            type=EventType.CONTACT_UPDATED,
            actor=actor,
            contact_id=contact.id,
            data={"tags_added": change.added, "tags_removed": change.removed},
        )
        contact.updated_at = utcnow()
    session.flush()
    return contact


def add_contact_note(
    session: Session, workspace_id: int, contact_id: int, actor: Actor, body: str
) -> Note:
    body = body.strip()
    if not body:
        raise InvalidInput("a note needs some text")
    if len(body) > 20_000:
        raise InvalidInput("a note may hold at most 20,000 characters")
    contact = get_contact(session, workspace_id, contact_id)
    note = Note(
        workspace_id=workspace_id, contact_id=contact.id, author_user_id=actor.user_id, body=body
    )
    session.add(note)
    session.flush()
    record_event(
        session,
        workspace_id=workspace_id,
        type=EventType.NOTE_ADDED,
        actor=actor,
        contact_id=contact.id,
        data={"note_id": note.id},
    )
    return note


MAX_CRM_FIELD = 200


def set_crm_link(
    session: Session,
    workspace_id: int,
    contact_id: int,
    actor: Actor,
    *,
    crm_id: str,
    crm_tier: str = "",
) -> Contact:
    """Record (or clear, with empty values) the contact's id and tier in the brand's CRM."""
    crm_id, crm_tier = crm_id.strip(), crm_tier.strip()
    if len(crm_id) > MAX_CRM_FIELD or len(crm_tier) > MAX_CRM_FIELD:
        raise InvalidInput(f"a CRM id or tier may hold at most {MAX_CRM_FIELD} characters")
    contact = get_contact(session, workspace_id, contact_id)
    before = {"crm_id": contact.crm_id, "crm_tier": contact.crm_tier}
    contact.crm_id = crm_id or None
    contact.crm_tier = crm_tier or None
    after = {"crm_id": contact.crm_id, "crm_tier": contact.crm_tier}
    if after != before:
        contact.updated_at = utcnow()
        record_event(
            session,
            workspace_id=workspace_id,
            type=EventType.CONTACT_UPDATED,
            actor=actor,
            contact_id=contact.id,
            data={"before": before, "after": after},
        )
    session.flush()
    return contact


def contact_notes(session: Session, contact_id: int) -> list[Note]:
    return list(
        session.scalars(select(Note).where(Note.contact_id == contact_id).order_by(Note.id))
    )


def merge_contacts(
    session: Session, workspace_id: int, survivor_id: int, merged_id: int, actor: Actor
) -> Contact:
    """Fold ``merged_id`` into ``survivor_id``: identities, conversations, messages, notes,
    consents and tags move over; the merged contact stays as a pointer so old links keep
    working."""
    if survivor_id == merged_id:
        raise InvalidInput("a contact cannot be merged with itself")
    survivor = get_contact(session, workspace_id, survivor_id)
    merged = get_contact(session, workspace_id, merged_id)
    if survivor.id == merged.id:
        raise InvalidInput("these contacts were already merged")
    for model in (ContactIdentity, Conversation, Message, Note, ContactConsent):
        session.execute(
            update(model)
            .where(model.contact_id == merged.id)
            .values(contact_id=survivor.id)
            .execution_options(synchronize_session=False)
        )
    names = {t.name for t in survivor.tags}
    survivor.tags = survivor.tags + [t for t in merged.tags if t.name not in names]
    merged.tags = []
    survivor.name = survivor.name or merged.name
    survivor.crm_id = survivor.crm_id or merged.crm_id
    survivor.search_text = " ".join(
        dict.fromkeys((survivor.search_text + " " + merged.search_text).split())
    )
    merged.merged_into_id = survivor.id
    merged.search_text = ""
    now = utcnow()
    survivor.updated_at = merged.updated_at = now
    session.flush()
    record_event(
        session,
        workspace_id=workspace_id,
        type=EventType.CONTACT_MERGED,
        actor=actor,
        contact_id=survivor.id,
        data={"merged_contact_id": merged.id},
    )
    session.expire_all()
    return get_contact(session, workspace_id, survivor.id)
