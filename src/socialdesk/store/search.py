"""Full-text search over messages and contacts: FTS5 on SQLite, tsvector on PostgreSQL.

Both back ends get the same query language: words are matched whole and all must occur;
a trailing ``*`` matches a prefix (``refund*``).
"""

from __future__ import annotations

import re
from typing import Any

from sqlalchemy import ColumnElement, Select, func, literal_column, select, text

from socialdesk.store.models import Contact, Message

__all__ = ["contact_matches", "message_matches", "parse_terms"]

_WORD = re.compile(r"(\w+)(\*?)", re.UNICODE)


def parse_terms(query: str) -> list[tuple[str, bool]]:
    """Split a user's query into (word, is_prefix) terms; punctuation is ignored."""
    return [(m.group(1).lower(), bool(m.group(2))) for m in _WORD.finditer(query)]


def _fts5_query(terms: list[tuple[str, bool]]) -> str:
    return " ".join(f'"{word}"' + ("*" if prefix else "") for word, prefix in terms)


def _tsquery(terms: list[tuple[str, bool]]) -> str:
    return " & ".join(f"'{word}'" + (":*" if prefix else "") for word, prefix in terms)


def _matches(
    dialect: str, query: str, *, table: str, id_col: Any, text_col: Any
) -> ColumnElement[bool]:
    terms = parse_terms(query)
    if not terms:
        return literal_column("1") == literal_column("1")
    if dialect == "sqlite":
        param = f"fts_{table}"
        condition = text(f"{table}_fts MATCH :{param}").bindparams(**{param: _fts5_query(terms)})
        matching: Select[Any] = select(literal_column("rowid")).select_from(text(f"{table}_fts"))
        return id_col.in_(matching.where(condition))
    vector = func.to_tsvector("simple", func.coalesce(text_col, ""))
    return vector.op("@@")(func.to_tsquery("simple", _tsquery(terms)))


def message_matches(dialect: str, query: str) -> ColumnElement[bool]:
    """A WHERE clause for messages whose text matches ``query``."""
    return _matches(dialect, query, table="messages", id_col=Message.id, text_col=Message.text)


def contact_matches(dialect: str, query: str) -> ColumnElement[bool]:
    """A WHERE clause for contacts whose name, handles or addresses match ``query``."""
    return _matches(
        dialect, query, table="contacts", id_col=Contact.id, text_col=Contact.search_text
    )
