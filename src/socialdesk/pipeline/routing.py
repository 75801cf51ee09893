"""Routing of new inbound messages: the workspace's rules, then the registered steps.

This module is the meeting point of rules, assignment, SLAs and auto-replies (see the
routing contract): :func:`route` evaluates the workspace's enabled rules in order on every new
inbound contact message of a live batch (:mod:`socialdesk.domain.rules`), writes team,
priority, tags and spam to the conversations (one event per actual change, actor ``system``,
with the ids of the rules that decided), records the decisions in ``ctx.outcomes`` and then
calls each step (assignment, SLA, auto-replies) in order.

Rules are compiled once per version (their text queries parsed once) and kept in a small
process-wide cache keyed by (rule id, updated_at); a batch reads the enabled rules' ids and
versions, compiles only what changed, and evaluates each message's facts against all of them.
"""

from __future__ import annotations

import threading
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import Table, insert, select, update
from sqlalchemy.orm import Session

from socialdesk.domain.rules import (
    CompiledRule,
    Decision,
    MessageFacts,
    RuleEnvironment,
    RuleSet,
    RuleSpec,
    compile_rule,
    validate_rule,
)
from socialdesk.domain.types import AuthorKind, ConversationStatus, Direction, EventType
from socialdesk.pipeline.notify import IngestResult
from socialdesk.store.models import (
    CannedResponse,
    ChannelAccount,
    ContactIdentity,
    Conversation,
    Event,
    Message,
    Rule,
    SlaPolicy,
    Tag,
    Team,
    contact_tags,
    conversation_tags,
)
from socialdesk.store.models import Contact as ContactRow
from socialdesk.store.types import utcnow

__all__ = [
    "RoutingContext",
    "RoutingStep",
    "RuleOutcome",
    "compiled_rules",
    "load_facts",
    "route",
    "route_result",
    "rule_environment",
    "rule_set",
]

_CHUNK = 500
SPAM_TAG = "spam"


@dataclass
class RuleOutcome:
    """What the rules decided for one conversation (all optional)."""

    team_id: int | None = None
    priority: str | None = None
    tags: list[str] = field(default_factory=list)
    sla_policy_id: int | None = None
    assign: str | None = None  # "auto" (use the team's strategy) or "user:<id>"
    auto_reply: str | None = None  # canned response / template text to send as auto-reply
    spam: bool = False  # marked spam/ignored: no assignment, SLA or auto-reply
    matched_rule_ids: list[int] = field(default_factory=list)
    # Not decided by rules: the language of the batch's latest inbound message that has one
    # (enrichment), for skills-based assignment and auto-replies.
    language: str | None = None


@dataclass
class RoutingContext:
    session: Session
    workspace_id: int
    now: datetime
    message_ids: list[int]  # new inbound contact messages of this batch
    conversation_ids: list[int]  # their conversations, in order, without repeats
    new_conversation_ids: set[int]  # conversations this batch created
    outcomes: dict[int, RuleOutcome] = field(default_factory=dict)
    # Replies the brand posted on the platform itself (its own app, another tool) that this
    # batch brought in, as echoes: conversation id -> time of its latest such reply. These
    # conversations need not be in ``conversation_ids``.
    native_replies: dict[int, datetime] = field(default_factory=dict)
    # The batch's conversations, their accounts and teams, loaded in a few queries before the
    # steps run and held here: the session keeps loaded rows only while someone references
    # them, and so each step's ``session.get`` finds them without a query of its own.
    loaded: list[Any] = field(default_factory=list)


RoutingStep = Callable[[RoutingContext], None]


# -- compiled rules -----------------------------------------------------------------------------
_cache_lock = threading.Lock()
_compiled: dict[tuple[int, datetime], CompiledRule] = {}
_MAX_CACHED = 20_000


def _spec(row: Any) -> RuleSpec:
    return validate_rule(
        match=row.match, conditions=row.conditions, actions=row.actions, id=row.id, name=row.name
    )


def compiled_rules(session: Session, workspace_id: int) -> list[CompiledRule]:
    """The workspace's enabled rules in order, compiled (from the cache when unchanged).

    A stored rule that no longer validates (edited in the database by hand) is skipped rather
    than stopping the pipeline."""
    versions = session.execute(
        select(Rule.id, Rule.updated_at)
        .where(Rule.workspace_id == workspace_id, Rule.enabled.is_(True))
        .order_by(Rule.position, Rule.id)
    ).all()
    if not versions:
        return []
    with _cache_lock:
        missing = [rule_id for rule_id, at in versions if (rule_id, at) not in _compiled]
    if missing:
        built: dict[tuple[int, datetime], CompiledRule] = {}
        for chunk in _chunks(missing):
            for row in session.execute(
                select(
                    Rule.id, Rule.name, Rule.match, Rule.conditions, Rule.actions, Rule.updated_at
                ).where(Rule.id.in_(chunk))
            ):
                try:
                    built[(row.id, row.updated_at)] = compile_rule(_spec(row))
                except ValueError:
                    continue
        with _cache_lock:
            if len(_compiled) + len(built) > _MAX_CACHED:
                _compiled.clear()
            _compiled.update(built)
    with _cache_lock:
        return [_compiled[key] for key in map(tuple, versions) if key in _compiled]


# workspace id -> its latest RuleSet: rebuilt only when its compiled rules change, so its index
# and the rules it found for each word serve batch after batch
_rule_sets: dict[int, RuleSet] = {}
_MAX_RULE_SETS = 1_000


def rule_set(session: Session, workspace_id: int) -> RuleSet:
    """The workspace's enabled rules in order (:func:`compiled_rules`) as an indexed RuleSet."""
    rules = compiled_rules(session, workspace_id)
    with _cache_lock:
        cached = _rule_sets.get(workspace_id)
    if (
        cached is not None
        and len(cached.rules) == len(rules)
        and all(a is b for a, b in zip(cached.rules, rules, strict=True))
    ):
        return cached
    built = RuleSet(rules)
    with _cache_lock:
        if len(_rule_sets) >= _MAX_RULE_SETS:
            _rule_sets.clear()
        _rule_sets[workspace_id] = built
    return built


def _chunks(items: Sequence[Any], size: int = _CHUNK) -> Iterable[Sequence[Any]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def rule_environment(
    session: Session, workspace_id: int, rules: Iterable[CompiledRule]
) -> RuleEnvironment:
    """Calendars the business-hours conditions of ``rules`` read: the ones they name, and the
    default SLA policy's calendar for conditions that name none."""
    wanted = set().union(*(rule.calendar_ids for rule in rules))
    if not wanted:
        return RuleEnvironment()
    ids = {i for i in wanted if i is not None}
    default_id = None
    if None in wanted:
        default_id = session.scalar(
            select(SlaPolicy.calendar_id).where(
                SlaPolicy.workspace_id == workspace_id, SlaPolicy.is_default.is_(True)
            )
        )
        if default_id is not None:
            ids.add(default_id)
    from socialdesk.services.calendars import calendar_for  # the stored calendars' builder

    calendars = {}
    for calendar_id in sorted(ids):
        try:
            calendars[calendar_id] = calendar_for(session, calendar_id)
        except ValueError:  # a deleted or broken calendar: its conditions see the time as open
            continue
    return RuleEnvironment(calendars=calendars, default_calendar_id=default_id)


# -- facts --------------------------------------------------------------------------------------
@dataclass
class StoredMessage:
    """One inbound message with the facts the rules read (what :func:`load_facts` returns)."""

    id: int
    conversation_id: int | None
    contact_id: int | None
    facts: MessageFacts


def load_facts(
    session: Session,
    message_ids: Sequence[int],
    *,
    new_conversation_ids: set[int] | None = None,
) -> list[StoredMessage]:
    """Facts for stored inbound messages, in id order, with a handful of set-based queries.

    ``new_conversation_ids``: conversations created by the batch; without it (dry runs) a
    message counts as opening its conversation when no earlier message of it came from the
    contact."""
    m = Message
    rows: list[Any] = []
    for chunk in _chunks(sorted(message_ids)):
        rows.extend(
            session.execute(
                select(
                    m.id,
                    m.conversation_id,
                    m.contact_id,
                    m.platform,
                    m.channel_account_id,
                    m.visibility,
                    m.text,
                    m.platform_time,
                    m.author_external_id,
                    m.language,
                    m.sentiment,
                    m.sentiment_score,
                    m.pii_kinds,
                ).where(m.id.in_(chunk))
            ).all()
        )
    contact_ids = sorted({r.contact_id for r in rows if r.contact_id is not None})
    tiers: dict[int, str | None] = {}
    tags: dict[int, set[str]] = defaultdict(set)
    identities: dict[tuple[int, str, str], tuple[int | None, bool]] = {}
    conversations: dict[int, list[int]] = defaultdict(list)
    for chunk in _chunks(contact_ids):
        for contact_id, tier in session.execute(
            select(ContactRow.id, ContactRow.crm_tier).where(ContactRow.id.in_(chunk))
        ):
            tiers[contact_id] = tier
        for contact_id, name in session.execute(
            select(contact_tags.c.contact_id, Tag.name)
            .join(Tag, Tag.id == contact_tags.c.tag_id)
            .where(contact_tags.c.contact_id.in_(chunk))
        ):
            tags[contact_id].add(name)
        for contact_id, platform, external_id, followers, verified in session.execute(
            select(
                ContactIdentity.contact_id,
                ContactIdentity.platform,
                ContactIdentity.external_id,
                ContactIdentity.followers,
                ContactIdentity.verified,
            ).where(ContactIdentity.contact_id.in_(chunk))
        ):
            identities[(contact_id, platform, external_id)] = (followers, verified)
        for contact_id, conv_id in session.execute(
            select(Conversation.contact_id, Conversation.id).where(
                Conversation.contact_id.in_(chunk)
            )
        ):
            conversations[contact_id].append(conv_id)
    for ids in conversations.values():
        ids.sort()
    opened: set[int] = set()
    if new_conversation_ids is None:
        opened = _opening_messages(session, rows)
    out = []
    for r in rows:
        followers, verified = identities.get(
            (r.contact_id, r.platform, r.author_external_id), (None, False)
        )
        convs = conversations.get(r.contact_id, []) if r.contact_id is not None else []
        earlier = sum(1 for c in convs if r.conversation_id is not None and c < r.conversation_id)
        if new_conversation_ids is not None:
            is_new = r.conversation_id in new_conversation_ids
        else:
            is_new = r.id in opened
        facts = MessageFacts(
            platform=r.platform,
            visibility=r.visibility,
            text=r.text or "",
            at=r.platform_time,
            account_id=r.channel_account_id,
            language=r.language,
            sentiment=r.sentiment,
            sentiment_score=r.sentiment_score,
            pii_kinds=r.pii_kinds or (),
            followers=followers,
            verified=bool(verified),
            contact_tags=tags.get(r.contact_id, ()) if r.contact_id is not None else (),
            crm_tier=tiers.get(r.contact_id) if r.contact_id is not None else None,
            earlier_conversations=earlier,
            new_conversation=is_new,
        )
        out.append(StoredMessage(r.id, r.conversation_id, r.contact_id, facts))
    return out


def _opening_messages(session: Session, rows: Sequence[Any]) -> set[int]:
    """Ids among ``rows`` that are the first inbound contact message of their conversation
    (lowest platform time, then lowest id)."""
    conv_ids = sorted({r.conversation_id for r in rows if r.conversation_id is not None})
    best: dict[int, tuple[datetime, int]] = {}
    for chunk in _chunks(conv_ids):
        for conv_id, message_id, at in session.execute(
            select(Message.conversation_id, Message.id, Message.platform_time).where(
                Message.conversation_id.in_(chunk),
                Message.direction == Direction.IN.value,
                Message.author_kind == AuthorKind.CONTACT.value,
            )
        ):
            key = (at, message_id)
            if conv_id is None:
                continue
            if conv_id not in best or key < best[conv_id]:
                best[conv_id] = key
    return {message_id for _at, message_id in best.values()}


# -- routing ------------------------------------------------------------------------------------
def route(ctx: RoutingContext, steps: Sequence[RoutingStep]) -> None:
    """Apply the rules (team, priority, tags, spam — written to the conversation), record
    outcomes, then call each step in order."""
    session = ctx.session
    rules = rule_set(session, ctx.workspace_id)
    decisions: dict[int, Decision] = {}
    languages: dict[int, str] = {}
    if rules:
        env = rule_environment(session, ctx.workspace_id, rules.rules)
        messages = load_facts(
            session, ctx.message_ids, new_conversation_ids=ctx.new_conversation_ids
        )
        for message in messages:
            if message.conversation_id is None:
                continue
            decision = decisions.setdefault(message.conversation_id, Decision())
            rules.evaluate(message.facts, env, decision)
            if message.facts.language and message.facts.language != "und":
                languages[message.conversation_id] = message.facts.language
    else:
        for chunk in _chunks(sorted(ctx.message_ids)):
            for conv_id, language in session.execute(
                select(Message.conversation_id, Message.language)
                .where(Message.id.in_(chunk))
                .order_by(Message.id)
            ):
                if conv_id is not None and language and language != "und":
                    languages[conv_id] = language
    outcomes = _outcomes(session, ctx.workspace_id, decisions)
    for conv_id in ctx.conversation_ids:
        outcome = outcomes.get(conv_id) or RuleOutcome()
        outcome.language = languages.get(conv_id)
        ctx.outcomes[conv_id] = outcome
    _apply(session, ctx, outcomes)
    if steps:
        ctx.loaded = _preload(session, ctx.conversation_ids)
    for step in steps:
        step(ctx)


def _preload(session: Session, conversation_ids: Sequence[int]) -> list[Any]:
    """The conversations (fresh: the rules wrote to them with plain UPDATEs), their channel
    accounts and teams, into the session in a few queries."""
    loaded: list[Any] = []
    for chunk in _chunks(sorted(conversation_ids)):
        loaded.extend(
            session.scalars(
                select(Conversation)
                .where(Conversation.id.in_(chunk))
                .execution_options(populate_existing=True)
            )
        )
    account_ids = sorted({c.channel_account_id for c in loaded if c.channel_account_id})
    team_ids = sorted({c.team_id for c in loaded if c.team_id is not None})
    for model, ids in ((ChannelAccount, account_ids), (Team, team_ids)):
        for chunk in _chunks(ids):
            loaded.extend(session.scalars(select(model).where(model.id.in_(chunk))))
    return loaded


def _outcomes(
    session: Session, workspace_id: int, decisions: dict[int, Decision]
) -> dict[int, RuleOutcome]:
    """Decisions as the contract's outcomes: unknown teams dropped, templates resolved."""
    matched = {k: d for k, d in decisions.items() if d.matched_rule_ids}
    if not matched:
        return {}
    team_ids = {d.team_id for d in matched.values() if d.team_id is not None}
    teams = set()
    if team_ids:
        teams = set(
            session.scalars(
                select(Team.id).where(Team.workspace_id == workspace_id, Team.id.in_(team_ids))
            )
        )
    template_ids = {d.auto_reply for d in matched.values() if isinstance(d.auto_reply, int)}
    templates: dict[int, str] = {}
    if template_ids:
        templates = dict(
            session.execute(
                select(CannedResponse.id, CannedResponse.body).where(
                    CannedResponse.workspace_id == workspace_id,
                    CannedResponse.id.in_(template_ids),
                )
            ).all()
        )
    out = {}
    for conv_id, d in matched.items():
        reply = d.auto_reply
        out[conv_id] = RuleOutcome(
            team_id=d.team_id if d.team_id in teams else None,
            priority=d.priority,
            tags=list(d.tags),
            sla_policy_id=d.sla_policy_id,
            assign=d.assign,
            auto_reply=templates.get(reply) if isinstance(reply, int) else reply,
            spam=d.spam,
            matched_rule_ids=list(d.matched_rule_ids),
        )
    return out


def _apply(session: Session, ctx: RoutingContext, outcomes: dict[int, RuleOutcome]) -> None:
    """Write team, priority, tags and spam to the conversations, one event per change."""
    acting = {
        k: o
        for k, o in outcomes.items()
        if o.team_id is not None or o.priority is not None or o.tags or o.spam
    }
    if not acting:
        return
    now = ctx.now
    current: dict[int, Any] = {}
    for chunk in _chunks(sorted(acting)):
        for row in session.execute(
            select(
                Conversation.id,
                Conversation.contact_id,
                Conversation.team_id,
                Conversation.priority,
                Conversation.status,
            ).where(Conversation.id.in_(chunk))
        ):
            current[row.id] = row
    events: list[dict[str, Any]] = []
    by_team: dict[int, list[int]] = defaultdict(list)
    by_priority: dict[str, list[int]] = defaultdict(list)
    resolve: list[int] = []
    wanted_tags: dict[int, list[str]] = {}

    def event(row: Any, type_: EventType, data: dict[str, Any], rules: list[int]) -> None:
        events.append(
            {
                "workspace_id": ctx.workspace_id,
                "type": type_.value,
                "conversation_id": row.id,
                "contact_id": row.contact_id,
                "message_id": None,
                "actor_kind": AuthorKind.SYSTEM.value,
                "actor_user_id": None,
                "data": {**data, "by": "rules", "rule_ids": rules},
                "occurred_at": now,
                "recorded_at": now,
            }
        )

    for conv_id, outcome in acting.items():
        found = current.get(conv_id)
        if found is None:
            continue
        row = found
        rules = outcome.matched_rule_ids
        if outcome.team_id is not None and outcome.team_id != row.team_id:
            by_team[outcome.team_id].append(conv_id)
            event(row, EventType.TEAM_CHANGED, {"from": row.team_id, "to": outcome.team_id}, rules)
        if outcome.priority is not None and outcome.priority != row.priority:
            by_priority[outcome.priority].append(conv_id)
            event(
                row,
                EventType.PRIORITY_CHANGED,
                {"from": row.priority, "to": outcome.priority},
                rules,
            )
        names = list(outcome.tags) + ([SPAM_TAG] if outcome.spam else [])
        if names:
            wanted_tags[conv_id] = names
        if outcome.spam and row.status != ConversationStatus.RESOLVED:
            resolve.append(conv_id)
            event(
                row,
                EventType.STATUS_CHANGED,
                {"from": row.status, "to": ConversationStatus.RESOLVED.value, "reason": "spam"},
                rules,
            )
    for team_id, ids in by_team.items():
        for chunk in _chunks(ids):
            session.execute(
                update(Conversation)
                .where(Conversation.id.in_(chunk))
                .values(team_id=team_id, updated_at=now)
            )
    for priority, ids in by_priority.items():
        for chunk in _chunks(ids):
            session.execute(
                update(Conversation)
                .where(Conversation.id.in_(chunk))
                .values(priority=priority, updated_at=now)
            )
    for chunk in _chunks(resolve):
        session.execute(
            update(Conversation)
            .where(Conversation.id.in_(chunk))
            .values(status=ConversationStatus.RESOLVED.value, resolved_at=now, updated_at=now)
        )
    for conv_id, added in _add_tags(session, ctx.workspace_id, wanted_tags).items():
        event(current[conv_id], EventType.TAGS_CHANGED, {"added": added, "removed": []}, [])
        events[-1]["data"]["rule_ids"] = acting[conv_id].matched_rule_ids
    if events:
        from socialdesk.pipeline.ingest import bulk_insert  # the pipeline's event writer

        events_table: Table = Event.__table__  # type: ignore[assignment]
        bulk_insert(session, events_table, events)


def _add_tags(
    session: Session, workspace_id: int, wanted: dict[int, list[str]]
) -> dict[int, list[str]]:
    """Tag conversations (creating tags that are new); returns the names actually added."""
    if not wanted:
        return {}
    names = sorted({n for names in wanted.values() for n in names})
    tag_ids: dict[str, int] = {}
    for chunk in _chunks(names):
        tag_ids.update(
            session.execute(
                select(Tag.name, Tag.id).where(
                    Tag.workspace_id == workspace_id, Tag.name.in_(chunk)
                )
            ).all()
        )
    missing = [n for n in names if n not in tag_ids]
    if missing:
        session.execute(insert(Tag), [{"workspace_id": workspace_id, "name": n} for n in missing])
        tag_ids.update(
            session.execute(
                select(Tag.name, Tag.id).where(
                    Tag.workspace_id == workspace_id, Tag.name.in_(missing)
                )
            ).all()
        )
    have: set[tuple[int, int]] = set()
    conv_ids = sorted(wanted)
    for chunk in _chunks(conv_ids):
        have.update(
            (conv_id, tag_id)
            for conv_id, tag_id in session.execute(
                select(conversation_tags.c.conversation_id, conversation_tags.c.tag_id).where(
                    conversation_tags.c.conversation_id.in_(chunk)
                )
            )
        )
    rows: list[dict[str, int]] = []
    added: dict[int, list[str]] = {}
    for conv_id in conv_ids:
        new = [n for n in wanted[conv_id] if (conv_id, tag_ids[n]) not in have]
        if new:
            added[conv_id] = new
            rows.extend({"conversation_id": conv_id, "tag_id": tag_ids[n]} for n in new)
    if rows:
        session.execute(insert(conversation_tags), rows)
    return added


def route_result(
    session: Session,
    result: IngestResult,
    steps: Sequence[RoutingStep],
    *,
    now: datetime | None = None,
) -> RoutingContext | None:
    """Route what one live ingest batch stored; None when it stored neither an inbound contact
    message nor a reply the brand posted natively."""
    if not result.message_ids:
        return None
    rows: list[Any] = []
    native: dict[int, datetime] = {}
    for chunk in _chunks(result.message_ids):
        for message_id, conv_id, direction, author_kind, at in session.execute(
            select(
                Message.id,
                Message.conversation_id,
                Message.direction,
                Message.author_kind,
                Message.platform_time,
            ).where(
                Message.id.in_(chunk),
                Message.author_kind.in_([AuthorKind.CONTACT.value, AuthorKind.BRAND.value]),
                Message.is_auto.is_(False),
            )
        ):
            if direction == Direction.IN and author_kind == AuthorKind.CONTACT:
                rows.append((message_id, conv_id))
            elif direction == Direction.OUT and author_kind == AuthorKind.BRAND and conv_id:
                native[conv_id] = max(native.get(conv_id, at), at)
    if not rows and not native:
        return None
    rows.sort()
    ctx = RoutingContext(
        session=session,
        workspace_id=result.workspace_id,
        now=now or utcnow(),
        message_ids=[m for m, _ in rows],
        conversation_ids=list(dict.fromkeys(c for _, c in rows if c is not None)),
        new_conversation_ids=set(result.new_conversation_ids),
        outcomes={},
        native_replies=native,
    )
    route(ctx, steps)
    return ctx
