"""Tags shared by conversations and contacts within a workspace."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from socialdesk.domain.errors import InvalidInput
from socialdesk.store.models import Tag

__all__ = ["TagChange", "change_tag_list", "get_or_create_tags", "normalize_tag"]

_TAG = re.compile(r"^[\w][\w\-. :/]{0,99}$", re.UNICODE)


def normalize_tag(name: str) -> str:
    cleaned = " ".join(name.split()).lower()
    if not _TAG.match(cleaned):
        raise InvalidInput(
            f"tag {name!r} is not valid: 1-100 characters, starting with a letter or digit"
        )
    return cleaned


def get_or_create_tags(session: Session, workspace_id: int, names: Iterable[str]) -> list[Tag]:
    wanted = sorted({normalize_tag(n) for n in names})
    if not wanted:
        return []
    existing = {
        t.name: t
        for t in session.scalars(
            select(Tag).where(Tag.workspace_id == workspace_id, Tag.name.in_(wanted))
        )
    }
    for name in wanted:
        if name not in existing:
            tag = Tag(workspace_id=workspace_id, name=name)
            session.add(tag)
            existing[name] = tag
    session.flush()
    return [existing[n] for n in wanted]


@dataclass(frozen=True)
class TagChange:
    tags: list[Tag]
    added: list[str]
    removed: list[str]

    @property
    def changed(self) -> bool:
        return bool(self.added or self.removed)


def change_tag_list(
    session: Session,
    workspace_id: int,
    current: list[Tag],
    *,
    add: Iterable[str] = (),
    remove: Iterable[str] = (),
) -> TagChange:
    """The tag list after adding and removing names (conversations and contacts alike)."""
    removing = {normalize_tag(n) for n in remove}
    adding = get_or_create_tags(session, workspace_id, add)
    kept = [t for t in current if t.name not in removing]
    names = {t.name for t in kept}
    tags = kept + [t for t in adding if t.name not in names]
    before, after = {t.name for t in current}, {t.name for t in tags}
    return TagChange(tags, sorted(after - before), sorted(before - after))
