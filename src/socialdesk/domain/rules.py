"""Routing rules: validated conditions and actions, compiled once and evaluated on message facts.

A rule is stored as JSON (see ``store.models.Rule``)::

    {"match": "all",                               # or "any"
     "conditions": [{"field": "language", "op": "in", "value": ["es"]},
                    {"field": "text", "op": "matches", "value": "refund AND NOT \\"job offer\\""}],
     "actions": [{"type": "set_team", "value": 3}, {"type": "set_priority", "value": "high"},
                 {"type": "stop"}]}

:func:`validate_rule` checks that structure and returns a :class:`RuleSpec` or raises
:class:`RuleValidationError` naming the offending element (``conditions[1].value``) and, for a
malformed text query, the 1-based character position inside it. :func:`compile_rules` turns
specs into predicates (text queries parsed once), and :func:`evaluate` runs them in order on the
:class:`MessageFacts` of one message:

* every matching rule's actions apply in rule order: a later rule overrides team, priority,
  SLA policy, assignment and auto-reply set by an earlier one; tags add up; spam stays;
* ``stop`` ends the evaluation after the rule that carries it;
* a rule without conditions matches every message (``all`` of nothing is true).

Pure: no I/O. Calendars for business-hours conditions come in a :class:`RuleEnvironment`.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Final

from socialdesk.domain.business_hours import BusinessCalendar
from socialdesk.domain.errors import InvalidInput
from socialdesk.domain.influence import INFLUENCE_LEVELS, influence, level_rank
from socialdesk.domain.textquery import (  # the parsed tree's nodes, for the rule index
    QuerySyntaxError,
    _And,
    _Or,
    _Phrase,
    _Term,
    compile_query,
    tokenize_text,
)
from socialdesk.domain.types import Priority

__all__ = [
    "ACTION_TYPES",
    "CONDITION_FIELDS",
    "CompiledRule",
    "Decision",
    "MessageFacts",
    "RuleEnvironment",
    "RuleSet",
    "RuleSpec",
    "RuleValidationError",
    "compile_rule",
    "compile_rules",
    "evaluate",
    "validate_actions",
    "validate_conditions",
    "validate_rule",
]

MATCH_MODES: Final = ("all", "any")
SENTIMENTS: Final = ("negative", "neutral", "positive")
PII_KINDS: Final = ("email", "phone", "card", "reference")
VISIBILITIES: Final = ("public", "private")
MAX_CONDITIONS: Final = 50
MAX_ACTIONS: Final = 20
MAX_LIST: Final = 200  # values in one condition's list
_PLATFORM: Final = re.compile(r"^[a-z][a-z0-9_]{0,29}$")
_LANGUAGE: Final = re.compile(r"^(?:[a-z]{2,3}|und)$")
_ASSIGNEE: Final = re.compile(r"^(?:auto|user:[1-9]\d*)$")

# field -> the operators it accepts (the first is the usual one, shown first in the UI)
CONDITION_FIELDS: Final[dict[str, tuple[str, ...]]] = {
    "channel": ("in", "not_in"),
    "account": ("in", "not_in"),
    "visibility": ("is",),
    "language": ("in", "not_in"),
    "sentiment": ("in", "not_in"),
    "sentiment_score": ("lte", "lt", "gte", "gt"),
    "influence": ("at_least", "at_most", "is"),
    "followers": ("gte", "gt", "lte", "lt"),
    "verified": ("is",),
    "contact_tags": ("any", "all", "none"),
    "crm_tier": ("in", "not_in"),
    "earlier_conversations": ("gte", "gt", "lte", "lt", "eq"),
    "conversation": ("is",),
    "business_hours": ("is",),
    "pii": ("any", "none"),
    "text": ("matches", "not_matches"),
}

# action type -> what its "value" is ("" for actions without one)
ACTION_TYPES: Final[dict[str, str]] = {
    "set_team": "team id",
    "set_priority": "low, normal, high or urgent",
    "add_tags": "list of tag names",
    "set_sla_policy": "SLA policy id",
    "assign": '"auto" or "user:<id>"',
    "auto_reply": "canned response id, or the reply's text",
    "mark_spam": "",
    "stop": "",
}


class RuleValidationError(InvalidInput):
    """A rule that cannot be saved: ``field`` names the element, ``position`` (1-based) the
    character of a malformed text query."""

    def __init__(self, field: str, message: str, *, position: int | None = None) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message
        self.position = position


# -- specs --------------------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class Condition:
    field: str
    op: str
    value: Any
    calendar_id: int | None = None  # business_hours only

    def as_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {"field": self.field, "op": self.op, "value": self.value}
        if self.field == "business_hours":
            data["calendar_id"] = self.calendar_id
        return data


@dataclass(frozen=True, slots=True)
class Action:
    type: str
    value: Any = None

    def as_dict(self) -> dict[str, Any]:
        if ACTION_TYPES[self.type] == "":
            return {"type": self.type}
        return {"type": self.type, "value": self.value}


@dataclass(frozen=True)
class RuleSpec:
    """A validated rule; ``id`` is 0 for one not stored yet (a dry run)."""

    match: str
    conditions: tuple[Condition, ...]
    actions: tuple[Action, ...]
    id: int = 0
    name: str = ""

    def conditions_json(self) -> list[dict[str, Any]]:
        return [c.as_dict() for c in self.conditions]

    def actions_json(self) -> list[dict[str, Any]]:
        return [a.as_dict() for a in self.actions]


# -- validation ---------------------------------------------------------------------------------
def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _string_list(where: str, value: Any, check: Callable[[str], bool], what: str) -> list[str]:
    if not isinstance(value, list) or not value:
        raise RuleValidationError(where, f"expected a non-empty list of {what}")
    if len(value) > MAX_LIST:
        raise RuleValidationError(where, f"at most {MAX_LIST} values")
    out: list[str] = []
    for i, item in enumerate(value):
        if not isinstance(item, str) or not check(item.strip().lower()):
            raise RuleValidationError(f"{where}[{i}]", f"{item!r} is not {what}")
        normalized = item.strip().lower()
        if normalized not in out:
            out.append(normalized)
    return out


def _id_list(where: str, value: Any) -> list[int]:
    if not isinstance(value, list) or not value:
        raise RuleValidationError(where, "expected a non-empty list of ids")
    if len(value) > MAX_LIST:
        raise RuleValidationError(where, f"at most {MAX_LIST} values")
    for i, item in enumerate(value):
        if not _is_int(item) or item < 1:
            raise RuleValidationError(f"{where}[{i}]", f"{item!r} is not an id")
    return sorted(set(value))


def _tag(name: str) -> bool:
    return 0 < len(name) <= 100


def _condition_value(where: str, fld: str, op: str, value: Any) -> Any:
    if fld == "channel":
        return _string_list(where, value, lambda v: bool(_PLATFORM.match(v)), "a channel name")
    if fld == "account":
        return _id_list(where, value)
    if fld == "visibility":
        if value not in VISIBILITIES:
            raise RuleValidationError(where, "expected public or private")
        return value
    if fld == "language":
        return _string_list(
            where, value, lambda v: bool(_LANGUAGE.match(v)), "a language code such as es"
        )
    if fld == "sentiment":
        return _string_list(where, value, lambda v: v in SENTIMENTS, "negative, neutral, positive")
    if fld == "sentiment_score":
        if not _is_number(value) or not -1.0 <= value <= 1.0:
            raise RuleValidationError(where, "expected a number from -1 to 1")
        return float(value)
    if fld == "influence":
        if value not in INFLUENCE_LEVELS:
            raise RuleValidationError(where, f"expected one of {', '.join(INFLUENCE_LEVELS)}")
        return value
    if fld in ("followers", "earlier_conversations"):
        if not _is_int(value) or value < 0:
            raise RuleValidationError(where, "expected a whole number, 0 or more")
        return value
    if fld == "verified":
        if not isinstance(value, bool):
            raise RuleValidationError(where, "expected true or false")
        return value
    if fld in ("contact_tags", "crm_tier"):
        return _string_list(where, value, _tag, "a name of 1 to 100 characters")
    if fld == "conversation":
        if value not in ("new", "existing"):
            raise RuleValidationError(where, "expected new or existing")
        return value
    if fld == "business_hours":
        if value not in ("open", "closed"):
            raise RuleValidationError(where, "expected open or closed")
        return value
    if fld == "pii":
        if value in (None, []):
            return []
        return _string_list(where, value, lambda v: v in PII_KINDS, "email, phone, card, reference")
    # text
    if not isinstance(value, str) or not value.strip():
        raise RuleValidationError(where, "expected a query such as refund AND (late OR missing)")
    if len(value) > 2000:
        raise RuleValidationError(where, "a query has at most 2,000 characters")
    try:
        compile_query(value)
    except QuerySyntaxError as exc:
        raise RuleValidationError(
            where, f"{exc.message} at position {exc.position}", position=exc.position
        ) from None
    return value


def validate_conditions(raw: Any) -> tuple[Condition, ...]:
    if raw is None:
        return ()
    if not isinstance(raw, list):
        raise RuleValidationError("conditions", "expected a list")
    if len(raw) > MAX_CONDITIONS:
        raise RuleValidationError("conditions", f"at most {MAX_CONDITIONS} conditions")
    out = []
    for i, item in enumerate(raw):
        where = f"conditions[{i}]"
        if not isinstance(item, dict):
            raise RuleValidationError(where, 'expected an object {"field", "op", "value"}')
        unknown = set(item) - {"field", "op", "value", "calendar_id"}
        if unknown:
            raise RuleValidationError(where, f"unknown key(s) {', '.join(sorted(unknown))}")
        fld = item.get("field")
        if fld not in CONDITION_FIELDS:
            raise RuleValidationError(
                f"{where}.field", f"{fld!r} is not one of {', '.join(CONDITION_FIELDS)}"
            )
        ops = CONDITION_FIELDS[fld]
        op = item.get("op", ops[0])
        if op not in ops:
            raise RuleValidationError(
                f"{where}.op", f"{op!r} is not an operator of {fld} ({', '.join(ops)})"
            )
        if "value" not in item and fld != "pii":
            raise RuleValidationError(f"{where}.value", "missing")
        value = _condition_value(f"{where}.value", fld, op, item.get("value"))
        calendar_id = item.get("calendar_id")
        if fld == "business_hours":
            if calendar_id is not None and (not _is_int(calendar_id) or calendar_id < 1):
                raise RuleValidationError(f"{where}.calendar_id", "expected a calendar id")
        elif calendar_id is not None:
            raise RuleValidationError(
                f"{where}.calendar_id", "only business_hours conditions name a calendar"
            )
        out.append(Condition(fld, op, value, calendar_id))
    return tuple(out)


def validate_actions(raw: Any) -> tuple[Action, ...]:
    if not isinstance(raw, list) or not raw:
        raise RuleValidationError("actions", "expected a non-empty list of actions")
    if len(raw) > MAX_ACTIONS:
        raise RuleValidationError("actions", f"at most {MAX_ACTIONS} actions")
    out: list[Action] = []
    seen: set[str] = set()
    for i, item in enumerate(raw):
        where = f"actions[{i}]"
        if not isinstance(item, dict):
            raise RuleValidationError(where, 'expected an object {"type", "value"}')
        unknown = set(item) - {"type", "value"}
        if unknown:
            raise RuleValidationError(where, f"unknown key(s) {', '.join(sorted(unknown))}")
        kind = item.get("type")
        if kind not in ACTION_TYPES:
            raise RuleValidationError(
                f"{where}.type", f"{kind!r} is not one of {', '.join(ACTION_TYPES)}"
            )
        if kind in seen:
            raise RuleValidationError(f"{where}.type", f"{kind} appears twice in one rule")
        seen.add(kind)
        out.append(Action(kind, _action_value(f"{where}.value", kind, item.get("value"))))
    return tuple(out)


def _action_value(where: str, kind: str, value: Any) -> Any:
    if kind in ("set_team", "set_sla_policy"):
        if not _is_int(value) or value < 1:
            raise RuleValidationError(where, "expected an id")
        return value
    if kind == "set_priority":
        if value not in set(Priority):
            raise RuleValidationError(where, f"expected one of {', '.join(Priority)}")
        return str(value)
    if kind == "add_tags":
        return _string_list(where, value, _tag, "a tag name of 1 to 100 characters")
    if kind == "assign":
        if not isinstance(value, str) or not _ASSIGNEE.match(value):
            raise RuleValidationError(where, 'expected "auto" or "user:<id>"')
        return value
    if kind == "auto_reply":
        if _is_int(value) and value >= 1:
            return value
        if isinstance(value, str) and value.strip() and len(value) <= 5000:
            return value.strip()
        raise RuleValidationError(where, "expected a canned response id or a non-empty text")
    if value is not None:
        raise RuleValidationError(where, f"{kind} takes no value")
    return None


def validate_rule(
    *, match: Any = "all", conditions: Any = None, actions: Any, id: int = 0, name: str = ""
) -> RuleSpec:
    """A :class:`RuleSpec` from the stored or submitted JSON, or :class:`RuleValidationError`."""
    if match not in MATCH_MODES:
        raise RuleValidationError("match", "expected all or any")
    return RuleSpec(
        match=match,
        conditions=validate_conditions(conditions),
        actions=validate_actions(actions),
        id=id,
        name=name,
    )


# -- facts and environment ----------------------------------------------------------------------
class MessageFacts:
    """What the rules may look at for one inbound message (built by the pipeline or a dry run).

    The text is tokenized on first use and kept, so a message's words are computed once for
    every text condition of every rule.
    """

    __slots__ = (
        "_open",
        "_words",
        "account_id",
        "at",
        "contact_tags",
        "crm_tier",
        "earlier_conversations",
        "followers",
        "influence_rank",
        "language",
        "new_conversation",
        "pii_kinds",
        "platform",
        "sentiment",
        "sentiment_score",
        "text",
        "verified",
        "visibility",
    )

    def __init__(
        self,
        *,
        platform: str,
        visibility: str,
        text: str,
        at: datetime,
        account_id: int | None = None,
        language: str | None = None,
        sentiment: str | None = None,
        sentiment_score: float | None = None,
        pii_kinds: Iterable[str] = (),
        followers: int | None = None,
        verified: bool = False,
        contact_tags: Iterable[str] = (),
        crm_tier: str | None = None,
        earlier_conversations: int = 0,
        new_conversation: bool = True,
    ) -> None:
        self.platform = platform
        self.visibility = visibility
        self.text = text
        self.at = at
        self.account_id = account_id
        self.language = language
        self.sentiment = sentiment
        self.sentiment_score = sentiment_score
        self.pii_kinds = frozenset(pii_kinds)
        self.followers = followers
        self.verified = verified
        self.influence_rank = level_rank(influence(followers, verified).level)
        self.contact_tags = frozenset(t.lower() for t in contact_tags)
        self.crm_tier = crm_tier.lower() if crm_tier else None
        self.earlier_conversations = earlier_conversations
        self.new_conversation = new_conversation
        self._words: tuple[tuple[str, ...], frozenset[str]] | None = None
        self._open: dict[int | None, bool] = {}

    @property
    def words(self) -> tuple[tuple[str, ...], frozenset[str]]:
        """The text's words in order and as a set (what a compiled query evaluates)."""
        if self._words is None:
            words = tokenize_text(self.text)
            self._words = (words, frozenset(words))
        return self._words

    def is_open(self, calendar_id: int | None, env: RuleEnvironment) -> bool:
        try:
            return self._open[calendar_id]
        except KeyError:
            calendar = env.calendar(calendar_id)
            is_open = True if calendar is None else calendar.is_open(self.at)
            self._open[calendar_id] = is_open
            return is_open


@dataclass(frozen=True)
class RuleEnvironment:
    """Calendars for business-hours conditions: by id, and the one a condition without an id
    uses (``default_calendar_id``). A condition whose calendar is unknown treats the time as
    open (no calendar means no closing hours)."""

    calendars: Mapping[int, BusinessCalendar] = field(default_factory=dict)
    default_calendar_id: int | None = None

    def calendar(self, calendar_id: int | None) -> BusinessCalendar | None:
        key = calendar_id if calendar_id is not None else self.default_calendar_id
        return self.calendars.get(key) if key is not None else None


# -- compilation --------------------------------------------------------------------------------
Predicate = Callable[[MessageFacts, RuleEnvironment], bool]

_COMPARE: Final[dict[str, Callable[[float, float], bool]]] = {
    "lt": lambda a, b: a < b,
    "lte": lambda a, b: a <= b,
    "gt": lambda a, b: a > b,
    "gte": lambda a, b: a >= b,
    "eq": lambda a, b: a == b,
}


def _member(attribute: str, values: Sequence[Any], negate: bool) -> Predicate:
    wanted = frozenset(values)
    if negate:
        return lambda f, _e: getattr(f, attribute) not in wanted
    return lambda f, _e: getattr(f, attribute) in wanted


def _compile_condition(c: Condition) -> Predicate:
    fld, op, value = c.field, c.op, c.value
    if fld == "channel":
        return _member("platform", value, op == "not_in")
    if fld == "account":
        return _member("account_id", value, op == "not_in")
    if fld == "visibility":
        return lambda f, _e: f.visibility == value
    if fld == "language":
        return _member("language", value, op == "not_in")
    if fld == "sentiment":
        return _member("sentiment", value, op == "not_in")
    if fld == "crm_tier":
        return _member("crm_tier", value, op == "not_in")
    if fld == "sentiment_score":
        compare = _COMPARE[op]
        return lambda f, _e: f.sentiment_score is not None and compare(f.sentiment_score, value)
    if fld == "influence":
        rank = level_rank(value)
        if op == "at_least":
            return lambda f, _e: f.influence_rank >= rank
        if op == "at_most":
            return lambda f, _e: f.influence_rank <= rank
        return lambda f, _e: f.influence_rank == rank
    if fld == "followers":
        compare = _COMPARE[op]
        return lambda f, _e: compare(f.followers or 0, value)
    if fld == "verified":
        return lambda f, _e: f.verified is value
    if fld == "contact_tags":
        tags = frozenset(value)
        if op == "any":
            return lambda f, _e: not tags.isdisjoint(f.contact_tags)
        if op == "all":
            return lambda f, _e: tags <= f.contact_tags
        return lambda f, _e: tags.isdisjoint(f.contact_tags)
    if fld == "earlier_conversations":
        compare = _COMPARE[op]
        return lambda f, _e: compare(f.earlier_conversations, value)
    if fld == "conversation":
        new = value == "new"
        return lambda f, _e: f.new_conversation is new
    if fld == "business_hours":
        calendar_id, want_open = c.calendar_id, value == "open"
        return lambda f, e: f.is_open(calendar_id, e) is want_open
    if fld == "pii":
        kinds = frozenset(value)
        if kinds:
            found: Predicate = lambda f, _e: not kinds.isdisjoint(f.pii_kinds)  # noqa: E731
        else:
            found = lambda f, _e: bool(f.pii_kinds)  # noqa: E731
        if op == "none":
            return lambda f, e: not found(f, e)
        return found
    # text: the parsed query's tree evaluated on the message's words (tokenized once)
    root = compile_query(value)._root
    if op == "not_matches":
        return lambda f, _e: not root.matches(*f.words)
    return lambda f, _e: root.matches(*f.words)


@dataclass(frozen=True, slots=True)
class CompiledRule:
    id: int
    match_all: bool
    predicates: tuple[Predicate, ...]
    actions: tuple[Action, ...]
    # Calendars its business-hours conditions read (None: the environment's default one).
    calendar_ids: frozenset[int | None] = frozenset()
    # Index keys of which a matching message has at least one (see RuleSet); None: no such
    # necessary condition is known, the rule is tried on every message.
    keys: frozenset[tuple[str, ...]] | None = None

    def matches(self, facts: MessageFacts, env: RuleEnvironment) -> bool:
        # Plain loops: a generator in all()/any() costs more than most predicates.
        if self.match_all:
            for predicate in self.predicates:  # noqa: SIM110
                if not predicate(facts, env):
                    return False
            return True
        if not self.predicates:
            return True
        for predicate in self.predicates:  # noqa: SIM110
            if predicate(facts, env):
                return True
        return False


def compile_rule(spec: RuleSpec) -> CompiledRule:
    """Predicates for ``spec`` (cheap conditions first, text queries last, same result)."""
    ordered = sorted(spec.conditions, key=lambda c: c.field in ("text", "business_hours"))
    return CompiledRule(
        id=spec.id,
        match_all=spec.match == "all",
        predicates=tuple(_compile_condition(c) for c in ordered),
        actions=spec.actions,
        calendar_ids=frozenset(
            c.calendar_id for c in spec.conditions if c.field == "business_hours"
        ),
        keys=_rule_keys(spec),
    )


# -- the rule index ---------------------------------------------------------------------------
# A key is a fact a message must have for a rule to match it: ("w", word) a word of its text,
# ("p", stem) a word starting with stem, ("a", attribute, value) a discrete attribute's value.
Key = tuple[str, ...]
_ATTRIBUTES: Final = {
    "channel": "platform",
    "account": "account_id",
    "language": "language",
    "sentiment": "sentiment",
}


def _query_keys(node: Any) -> frozenset[Key] | None:
    """Keys of which any text matching ``node`` has one, or None when none are known."""
    if isinstance(node, _Term):
        return frozenset({("p" if node.prefix else "w", node.word)})
    if isinstance(node, _Phrase):
        return frozenset({("w", max(node.words, key=len))})
    if isinstance(node, _And):
        known = [k for k in map(_query_keys, node.operands) if k is not None]
        return min(known, key=len) if known else None
    if isinstance(node, _Or):
        parts = [_query_keys(o) for o in node.operands]
        if any(p is None for p in parts):
            return None
        return frozenset().union(*parts)  # type: ignore[arg-type]
    return None  # _Not: matches texts without something, nothing is required


def _condition_keys(c: Condition) -> frozenset[Key] | None:
    if c.field == "text" and c.op == "matches":
        return _query_keys(compile_query(c.value)._root)
    if c.field in _ATTRIBUTES and c.op == "in":
        return frozenset(("a", c.field, str(v)) for v in c.value)
    if c.field == "visibility":
        return frozenset({("a", "visibility", c.value)})
    if c.field == "conversation":
        return frozenset({("a", "conversation", c.value)})
    return None


def _rule_keys(spec: RuleSpec) -> frozenset[Key] | None:
    known = [_condition_keys(c) for c in spec.conditions]
    if spec.match == "all":
        # Words are far more selective than a visibility or a channel: a text condition's
        # keys are preferred whenever there is one.
        texts = [k for c, k in zip(spec.conditions, known, strict=True) if k and c.field == "text"]
        usable = texts or [k for k in known if k is not None]
        return min(usable, key=len) if usable else None
    if not known or any(k is None for k in known):
        return None
    return frozenset().union(*known)  # type: ignore[arg-type]


_MAX_WORDS_KEPT: Final = 100_000  # words a RuleSet remembers the rules of (see candidates)


class RuleSet:
    """Compiled rules with an index, for evaluating many rules on many messages.

    Each rule is filed under the keys a message must have one of to match it (the words a
    text query cannot match without, the languages of a language condition…); a message is
    tried only against the rules filed under its own keys, plus those with no known key, in
    rule order. The decision is the same as :func:`evaluate` over every rule.
    """

    def __init__(self, rules: Sequence[CompiledRule]) -> None:
        self.rules = list(rules)
        # word -> numbers of the rules filed under it or under one of its prefixes: most words
        # recur from message to message, so each is looked up in the index once per rule set.
        self._by_word: dict[str, tuple[int, ...]] = {}
        self._always: list[int] = []
        self._index: dict[Key, list[int]] = {}
        self._stems: set[str] = set()
        for number, rule in enumerate(self.rules):
            if rule.keys is None:
                self._always.append(number)
                continue
            for key in rule.keys:
                self._index.setdefault(key, []).append(number)
                if key[0] == "p":
                    self._stems.add(key[1])
        self._max_stem = max(map(len, self._stems), default=0)

    def __len__(self) -> int:
        return len(self.rules)

    def _word_rules(self, word: str) -> tuple[int, ...]:
        index = self._index
        numbers = list(index.get(("w", word), ()))
        if self._stems:
            for end in range(1, min(len(word), self._max_stem) + 1):
                if word[:end] in self._stems:
                    numbers.extend(index[("p", word[:end])])
        return tuple(numbers)

    def candidates(self, facts: MessageFacts) -> list[CompiledRule]:
        index = self._index
        found: set[int] = set(self._always)
        _words, vocabulary = facts.words
        by_word = self._by_word
        for word in vocabulary:
            hit = by_word.get(word)
            if hit is None:
                hit = self._word_rules(word)
                if len(by_word) < _MAX_WORDS_KEPT:
                    by_word[word] = hit
            if hit:
                found.update(hit)
        for key in (
            ("a", "channel", facts.platform),
            ("a", "account", str(facts.account_id)),
            ("a", "language", str(facts.language)),
            ("a", "sentiment", str(facts.sentiment)),
            ("a", "visibility", facts.visibility),
            ("a", "conversation", "new" if facts.new_conversation else "existing"),
        ):
            filed = index.get(key)
            if filed:
                found.update(filed)
        rules = self.rules
        return [rules[number] for number in sorted(found)]

    def evaluate(
        self,
        facts: MessageFacts,
        env: RuleEnvironment | None = None,
        decision: Decision | None = None,
    ) -> Decision:
        return evaluate(self.candidates(facts), facts, env, decision)


def compile_rules(specs: Iterable[RuleSpec]) -> list[CompiledRule]:
    return [compile_rule(spec) for spec in specs]


# -- evaluation ---------------------------------------------------------------------------------
@dataclass
class Decision:
    """What the matching rules decided for one message (or several, merged in order)."""

    team_id: int | None = None
    priority: str | None = None
    tags: list[str] = field(default_factory=list)
    sla_policy_id: int | None = None
    assign: str | None = None
    auto_reply: int | str | None = None  # canned response id, or literal text
    spam: bool = False
    matched_rule_ids: list[int] = field(default_factory=list)
    stopped: bool = False

    def apply(self, rule_id: int, actions: Iterable[Action]) -> None:
        if rule_id not in self.matched_rule_ids:
            self.matched_rule_ids.append(rule_id)
        for action in actions:
            kind, value = action.type, action.value
            if kind == "set_team":
                self.team_id = value
            elif kind == "set_priority":
                self.priority = value
            elif kind == "add_tags":
                self.tags.extend(t for t in value if t not in self.tags)
            elif kind == "set_sla_policy":
                self.sla_policy_id = value
            elif kind == "assign":
                self.assign = value
            elif kind == "auto_reply":
                self.auto_reply = value
            elif kind == "mark_spam":
                self.spam = True
            elif kind == "stop":
                self.stopped = True


def evaluate(
    rules: Sequence[CompiledRule],
    facts: MessageFacts,
    env: RuleEnvironment | None = None,
    decision: Decision | None = None,
) -> Decision:
    """Run ``rules`` in order on ``facts``; merge into ``decision`` when given (a conversation
    with several new messages gets one decision)."""
    env = env or _NO_CALENDARS
    decision = decision if decision is not None else Decision()
    decision.stopped = False
    for rule in rules:
        if rule.matches(facts, env):
            decision.apply(rule.id, rule.actions)
            if decision.stopped:
                break
    return decision


_NO_CALENDARS: Final = RuleEnvironment()
