"""A small boolean query language for matching message text in routing rules.

    refund AND (late OR missing) NOT "job offer"

* words match whole words, case-insensitively (accents count: ``café`` ≠ ``cafe``);
* ``deliver*`` matches any word starting with ``deliver``;
* ``"job offer"`` matches the words in that order, next to each other;
* ``AND``, ``OR``, ``NOT`` (upper case) and parentheses combine them; two terms side by side
  mean AND, and ``a NOT b`` means ``a AND NOT b``. AND binds tighter than OR.

Malformed queries raise :class:`QuerySyntaxError` with the 1-based character position.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

__all__ = ["Query", "QuerySyntaxError", "compile_query", "tokenize_text"]

_WORD = re.compile(r"\w+(?:['\u2019]\w+)*", re.UNICODE)


def tokenize_text(text: str) -> tuple[str, ...]:
    """The words of ``text`` as the query language sees them (lower case)."""
    return tuple(m.group(0).lower().replace("\u2019", "'") for m in _WORD.finditer(text))


class QuerySyntaxError(ValueError):
    """A query that cannot be parsed; ``position`` is 1-based, for people."""

    def __init__(self, message: str, position: int) -> None:
        super().__init__(f"{message} at position {position}")
        self.message = message
        self.position = position


# -- abstract syntax --------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class _Term:
    word: str
    prefix: bool

    def matches(self, words: tuple[str, ...], vocabulary: frozenset[str]) -> bool:
        if not self.prefix:
            return self.word in vocabulary
        return any(w.startswith(self.word) for w in vocabulary)


@dataclass(frozen=True, slots=True)
class _Phrase:
    words: tuple[str, ...]

    def matches(self, words: tuple[str, ...], vocabulary: frozenset[str]) -> bool:
        if not all(w in vocabulary for w in self.words):
            return False
        n = len(self.words)
        first = self.words[0]
        return any(
            words[i] == first and words[i : i + n] == self.words for i in range(len(words) - n + 1)
        )


@dataclass(frozen=True, slots=True)
class _Not:
    operand: _Node

    def matches(self, words: tuple[str, ...], vocabulary: frozenset[str]) -> bool:
        return not self.operand.matches(words, vocabulary)


@dataclass(frozen=True, slots=True)
class _And:
    operands: tuple[_Node, ...]

    def matches(self, words: tuple[str, ...], vocabulary: frozenset[str]) -> bool:
        return all(o.matches(words, vocabulary) for o in self.operands)


@dataclass(frozen=True, slots=True)
class _Or:
    operands: tuple[_Node, ...]

    def matches(self, words: tuple[str, ...], vocabulary: frozenset[str]) -> bool:
        return any(o.matches(words, vocabulary) for o in self.operands)


_Node = _Term | _Phrase | _Not | _And | _Or


# -- lexer ------------------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class _Token:
    kind: str  # WORD, PHRASE, AND, OR, NOT, LPAREN, RPAREN, END
    value: str
    position: int  # 1-based


_OPERATORS = {"AND", "OR", "NOT"}


def _lex(query: str) -> list[_Token]:
    tokens: list[_Token] = []
    i, n = 0, len(query)
    while i < n:
        ch = query[i]
        if ch.isspace():
            i += 1
        elif ch == "(":
            tokens.append(_Token("LPAREN", ch, i + 1))
            i += 1
        elif ch == ")":
            tokens.append(_Token("RPAREN", ch, i + 1))
            i += 1
        elif ch in '"“”':
            end = next((j for j in range(i + 1, n) if query[j] in '"“”'), -1)
            if end < 0:
                raise QuerySyntaxError("unterminated phrase (missing closing quote)", i + 1)
            tokens.append(_Token("PHRASE", query[i + 1 : end], i + 1))
            i = end + 1
        else:
            j = i
            while j < n and not query[j].isspace() and query[j] not in '()"“”':
                j += 1
            raw = query[i:j]
            kind = raw if raw in _OPERATORS else "WORD"
            tokens.append(_Token(kind, raw, i + 1))
            i = j
    tokens.append(_Token("END", "", n + 1))
    return tokens


# -- parser -----------------------------------------------------------------------------------
class _Parser:
    def __init__(self, query: str) -> None:
        self.tokens = _lex(query)
        self.index = 0

    @property
    def current(self) -> _Token:
        return self.tokens[self.index]

    def advance(self) -> _Token:
        token = self.tokens[self.index]
        self.index += 1
        return token

    def parse(self) -> _Node:
        if self.current.kind == "END":
            raise QuerySyntaxError("the query is empty", 1)
        node = self.parse_or()
        if self.current.kind == "RPAREN":
            raise QuerySyntaxError("unexpected ')' with no matching '('", self.current.position)
        if self.current.kind != "END":  # pragma: no cover - parse_or consumes everything else
            raise QuerySyntaxError(f"unexpected {self.current.value!r}", self.current.position)
        return node

    def parse_or(self) -> _Node:
        operands = [self.parse_and()]
        while self.current.kind == "OR":
            self.advance()
            operands.append(self.parse_and())
        return operands[0] if len(operands) == 1 else _Or(tuple(operands))

    def parse_and(self) -> _Node:
        operands = [self.parse_unary()]
        while self.current.kind in ("AND", "NOT", "WORD", "PHRASE", "LPAREN"):
            if self.current.kind == "AND":
                self.advance()
            operands.append(self.parse_unary())
        return operands[0] if len(operands) == 1 else _And(tuple(operands))

    def parse_unary(self) -> _Node:
        token = self.current
        if token.kind == "NOT":
            self.advance()
            return _Not(self.parse_unary())
        if token.kind == "LPAREN":
            self.advance()
            if self.current.kind == "RPAREN":
                raise QuerySyntaxError("empty parentheses", token.position)
            node = self.parse_or()
            if self.current.kind != "RPAREN":
                raise QuerySyntaxError("'(' is never closed", token.position)
            self.advance()
            return node
        if token.kind == "PHRASE":
            self.advance()
            words = tokenize_text(token.value)
            if not words:
                raise QuerySyntaxError("empty phrase", token.position)
            return _Phrase(words) if len(words) > 1 else _Term(words[0], prefix=False)
        if token.kind == "WORD":
            self.advance()
            return self._term(token)
        if token.kind == "END":
            raise QuerySyntaxError(
                "expected a word, phrase or '(' but the query ended", token.position
            )
        what = {"AND": "AND", "OR": "OR", "RPAREN": "')'"}.get(token.kind, token.value)
        raise QuerySyntaxError(f"expected a word, phrase or '(' before {what}", token.position)

    @staticmethod
    def _term(token: _Token) -> _Node:
        raw = token.value
        prefix = raw.endswith("*")
        stem = raw.rstrip("*") if prefix else raw
        if "*" in stem:
            raise QuerySyntaxError("'*' is only allowed at the end of a word", token.position)
        words = tokenize_text(stem)
        if not words:
            raise QuerySyntaxError(f"{raw!r} contains no letters or digits", token.position)
        if len(words) > 1:  # e.g. e-mail → the phrase "e mail" (a trailing * is ignored)
            return _Phrase(words)
        return _Term(words[0], prefix=prefix)


@dataclass(frozen=True)
class Query:
    """A compiled query; evaluate it on many texts."""

    source: str
    _root: _Node

    def matches(self, text: str) -> bool:
        return self.matches_words(tokenize_text(text))

    def matches_words(self, words: tuple[str, ...]) -> bool:
        """Evaluate on pre-tokenized text (tokenize a message once for many rules)."""
        return self._root.matches(words, frozenset(words))


def compile_query(query: str) -> Query:
    """Parse ``query`` or raise :class:`QuerySyntaxError` saying where it went wrong."""
    return Query(query, _Parser(query).parse())
