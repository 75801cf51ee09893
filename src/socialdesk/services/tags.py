"""Tags shared by conversations and contacts within a workspace."""

from __future__ import annotations

import re
from collections.abc import Iterable

from sqlalchemy import select
from sqlalchemy.orm import Session

from socialdesk.domain.errors import InvalidInput
from socialdesk.store.models import Tag

__all__ = ["get_or_create_tags", "normalize_tag"]

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
