"""Routing rules of a workspace: create, change, order, switch on and off, and try them.

Rules are validated twice: their structure by :func:`socialdesk.domain.rules.validate_rule`
(malformed text queries rejected with the position of the error), and the records they name
(teams, SLA policies, canned responses, agents, channel accounts, calendars) here, against the
workspace. New rules are created switched off unless asked otherwise, so they can be tried
first: :func:`try_rule` counts the stored inbound messages of the last N days they would have
matched.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from socialdesk.domain.errors import Conflict, InvalidInput, NotFound
from socialdesk.domain.rules import RuleSpec, RuleValidationError, compile_rule, validate_rule
from socialdesk.domain.types import AuthorKind, Direction
from socialdesk.pipeline.routing import load_facts, rule_environment
from socialdesk.services.tags import normalize_tag
from socialdesk.store.models import (
    BusinessHoursCalendar,
    CannedResponse,
    ChannelAccount,
    Message,
    Rule,
    SlaPolicy,
    Team,
    User,
)
from socialdesk.store.types import utcnow

__all__ = [
    "MAX_TRY_DAYS",
    "RuleInput",
    "TryResult",
    "create_rule",
    "delete_rule",
    "get_rule",
    "list_rules",
    "reorder_rules",
    "rule_spec",
    "set_enabled",
    "try_rule",
    "update_rule",
]

MAX_TRY_DAYS = 90
MAX_TRY_MESSAGES = 50_000  # the most recent ones are tried; the result says when it was cut
_FACTS_CHUNK = 2_000


@dataclass
class RuleInput:
    """A rule as submitted; for an update, ``None`` keeps the stored value."""

    name: str | None = None
    description: str | None = None
    match: str | None = None
    conditions: list[Any] | None = None
    actions: list[Any] | None = None
    enabled: bool | None = None
    position: int | None = None  # 1-based; None appends (create) or keeps (update)


def list_rules(session: Session, workspace_id: int) -> list[Rule]:
    return list(
        session.scalars(
            select(Rule).where(Rule.workspace_id == workspace_id).order_by(Rule.position, Rule.id)
        )
    )


def get_rule(session: Session, workspace_id: int, rule_id: int) -> Rule:
    rule = session.get(Rule, rule_id)
    if rule is None or rule.workspace_id != workspace_id:
        raise NotFound(f"rule {rule_id} does not exist")
    return rule


def rule_spec(rule: Rule) -> RuleSpec:
    return validate_rule(
        match=rule.match,
        conditions=rule.conditions,
        actions=rule.actions,
        id=rule.id,
        name=rule.name,
    )


def _clean_name(name: str | None) -> str:
    cleaned = " ".join((name or "").split())
    if not cleaned or len(cleaned) > 200:
        raise InvalidInput("name: a rule needs a name of 1 to 200 characters")
    return cleaned


def _exists(session: Session, model: Any, workspace_id: int, ids: set[int]) -> set[int]:
    if not ids:
        return set()
    return set(
        session.scalars(
            select(model.id).where(model.workspace_id == workspace_id, model.id.in_(ids))
        )
    )


def check_references(session: Session, workspace_id: int, spec: RuleSpec) -> RuleSpec:
    """Raise :class:`RuleValidationError` for a record the rule names that the workspace lacks;
    returns the spec with tag names normalized as conversations store them."""
    for i, condition in enumerate(spec.conditions):
        where = f"conditions[{i}]"
        if condition.field == "account":
            known = _exists(session, ChannelAccount, workspace_id, set(condition.value))
            for account_id in condition.value:
                if account_id not in known:
                    raise RuleValidationError(
                        f"{where}.value", f"channel account {account_id} does not exist"
                    )
        calendar_id = condition.calendar_id
        if calendar_id is not None and not _exists(
            session, BusinessHoursCalendar, workspace_id, {calendar_id}
        ):
            raise RuleValidationError(
                f"{where}.calendar_id", f"calendar {condition.calendar_id} does not exist"
            )
    actions = list(spec.actions)
    for i, action in enumerate(spec.actions):
        where = f"actions[{i}].value"
        value = action.value
        if action.type == "set_team" and not _exists(session, Team, workspace_id, {value}):
            raise RuleValidationError(where, f"team {value} does not exist")
        if action.type == "set_sla_policy" and not _exists(
            session, SlaPolicy, workspace_id, {value}
        ):
            raise RuleValidationError(where, f"SLA policy {value} does not exist")
        if (
            action.type == "auto_reply"
            and isinstance(value, int)
            and not _exists(session, CannedResponse, workspace_id, {value})
        ):
            raise RuleValidationError(where, f"canned response {value} does not exist")
        if action.type == "assign" and value.startswith("user:"):
            user_id = int(value.removeprefix("user:"))
            if not _exists(session, User, workspace_id, {user_id}):
                raise RuleValidationError(where, f"user {user_id} does not exist")
        if action.type == "add_tags":
            try:
                names = [normalize_tag(n) for n in value]
            except InvalidInput as exc:
                raise RuleValidationError(where, exc.detail) from None
            actions[i] = type(action)(action.type, list(dict.fromkeys(names)))
    return RuleSpec(spec.match, spec.conditions, tuple(actions), spec.id, spec.name)


def _validated(session: Session, workspace_id: int, data: RuleInput, base: Rule | None) -> RuleSpec:
    spec = validate_rule(
        match=data.match if data.match is not None else (base.match if base else "all"),
        conditions=data.conditions
        if data.conditions is not None
        else (base.conditions if base else []),
        actions=data.actions if data.actions is not None else (base.actions if base else None),
    )
    return check_references(session, workspace_id, spec)


def _name_taken(session: Session, workspace_id: int, name: str, rule_id: int | None) -> None:
    other = session.scalar(
        select(Rule.id).where(Rule.workspace_id == workspace_id, Rule.name == name)
    )
    if other is not None and other != rule_id:
        raise Conflict(f"a rule named {name!r} already exists")


def _place(session: Session, workspace_id: int, rule: Rule, position: int | None) -> None:
    """Put ``rule`` at ``position`` (1-based, clamped) and number every rule 1..n."""
    others = [r for r in list_rules(session, workspace_id) if r.id != rule.id]
    index = len(others) if position is None else max(0, min(position - 1, len(others)))
    others.insert(index, rule)
    for number, item in enumerate(others, start=1):
        if item.position != number:
            item.position = number


def create_rule(session: Session, workspace_id: int, data: RuleInput) -> Rule:
    name = _clean_name(data.name)
    spec = _validated(session, workspace_id, data, None)
    _name_taken(session, workspace_id, name, None)
    now = utcnow()
    rule = Rule(
        workspace_id=workspace_id,
        name=name,
        description=(data.description or "").strip(),
        position=0,
        enabled=bool(data.enabled),
        match=spec.match,
        conditions=spec.conditions_json(),
        actions=spec.actions_json(),
        created_at=now,
        updated_at=now,
    )
    session.add(rule)
    session.flush()
    _place(session, workspace_id, rule, data.position)
    session.flush()
    return rule


def update_rule(session: Session, workspace_id: int, rule_id: int, data: RuleInput) -> Rule:
    rule = get_rule(session, workspace_id, rule_id)
    spec = _validated(session, workspace_id, data, rule)
    if data.name is not None:
        name = _clean_name(data.name)
        _name_taken(session, workspace_id, name, rule.id)
        rule.name = name
    if data.description is not None:
        rule.description = data.description.strip()
    if data.enabled is not None:
        rule.enabled = data.enabled
    rule.match = spec.match
    rule.conditions = spec.conditions_json()
    rule.actions = spec.actions_json()
    rule.updated_at = utcnow()
    if data.position is not None:
        _place(session, workspace_id, rule, data.position)
    session.flush()
    return rule


def set_enabled(session: Session, workspace_id: int, rule_id: int, enabled: bool) -> Rule:
    rule = get_rule(session, workspace_id, rule_id)
    if rule.enabled != enabled:
        rule.enabled = enabled
        rule.updated_at = utcnow()
        session.flush()
    return rule


def delete_rule(session: Session, workspace_id: int, rule_id: int) -> None:
    rule = get_rule(session, workspace_id, rule_id)
    session.delete(rule)
    session.flush()
    for number, item in enumerate(list_rules(session, workspace_id), start=1):
        item.position = number
    session.flush()


def reorder_rules(session: Session, workspace_id: int, rule_ids: list[int]) -> list[Rule]:
    """Number the rules in the order of ``rule_ids``, which must name every rule once."""
    rules = list_rules(session, workspace_id)
    by_id = {r.id: r for r in rules}
    if len(rule_ids) != len(set(rule_ids)):
        raise InvalidInput("rule_ids: a rule appears twice")
    unknown = [i for i in rule_ids if i not in by_id]
    if unknown:
        raise InvalidInput(f"rule_ids: rule {unknown[0]} does not exist")
    missing = [r.id for r in rules if r.id not in set(rule_ids)]
    if missing:
        raise InvalidInput(f"rule_ids: every rule must be listed; {missing[0]} is missing")
    for number, rule_id in enumerate(rule_ids, start=1):
        by_id[rule_id].position = number
    session.flush()
    return list_rules(session, workspace_id)


# -- dry run --------------------------------------------------------------------------------
@dataclass
class TryResult:
    days: int
    since: datetime
    evaluated: int
    matched: int
    truncated: bool  # more messages than MAX_TRY_MESSAGES in the period: the newest were tried
    samples: list[dict[str, Any]] = field(default_factory=list)


def try_rule(
    session: Session,
    workspace_id: int,
    spec: RuleSpec,
    *,
    days: int,
    now: datetime | None = None,
    samples: int = 5,
) -> TryResult:
    """How many stored inbound customer messages of the last ``days`` days ``spec`` matches
    (on its own, whatever other rules would have done), with the newest few as samples."""
    if not 1 <= days <= MAX_TRY_DAYS:
        raise InvalidInput(f"days: expected 1 to {MAX_TRY_DAYS}")
    now = now or utcnow()
    since = now - timedelta(days=days)
    spec = check_references(session, workspace_id, spec)
    compiled = compile_rule(spec)
    env = rule_environment(session, workspace_id, [compiled])
    ids = list(
        session.scalars(
            select(Message.id)
            .where(
                Message.workspace_id == workspace_id,
                Message.direction == Direction.IN.value,
                Message.author_kind == AuthorKind.CONTACT.value,
                Message.platform_time >= since,
                Message.platform_time <= now,
            )
            .order_by(Message.id.desc())
            .limit(MAX_TRY_MESSAGES + 1)
        )
    )
    truncated = len(ids) > MAX_TRY_MESSAGES
    ids = ids[:MAX_TRY_MESSAGES]
    result = TryResult(days=days, since=since, evaluated=len(ids), matched=0, truncated=truncated)
    for start in range(0, len(ids), _FACTS_CHUNK):
        chunk = ids[start : start + _FACTS_CHUNK]
        stored = sorted(load_facts(session, chunk), key=lambda m: m.id, reverse=True)
        for message in stored:
            if compiled.matches(message.facts, env):
                result.matched += 1
                if len(result.samples) < samples:
                    result.samples.append(
                        {
                            "message_id": message.id,
                            "conversation_id": message.conversation_id,
                            "platform": message.facts.platform,
                            "text": message.facts.text[:280],
                            "language": message.facts.language,
                            "sentiment": message.facts.sentiment,
                            "platform_time": message.facts.at,
                        }
                    )
    return result


def count_rules(session: Session, workspace_id: int) -> int:
    return session.scalar(select(func.count()).where(Rule.workspace_id == workspace_id)) or 0
