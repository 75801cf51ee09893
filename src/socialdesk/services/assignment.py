"""Assignment use-cases: the routing step, availability, and offering the waiting queue.

The choice itself is domain/assignment.py; this module loads candidates with their current
loads and writes decisions, so that **no agent ever gets more than their capacity, also with
several workers assigning at once**:

* the conversation row is locked first (``FOR UPDATE``; a conversation assigned meanwhile by
  someone else is left alone), then the team row (it holds the round-robin cursor), then the
  chosen agent's row (``FOR NO KEY UPDATE``, which does not wait for the foreign-key checks of
  other assignments); the agent's load is counted again *after* that lock, so two workers
  picking the same agent are serialized and the second one sees the first one's assignment;
* on SQLite every write transaction starts with ``BEGIN IMMEDIATE`` (store/db.py), which
  serializes writers altogether.

Capacity applies to automatic assignment (rules, team strategies, the queue). People who
assign by hand (an agent taking a conversation, a supervisor reassigning) decide themselves.

Offering the waiting queue to agents who come online or get capacity back runs as a job
(:data:`OFFER_JOB`) in its own transaction, so the change that freed capacity never waits for
other agents' locks.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from sqlalchemy import case, func, select
from sqlalchemy.orm import Session

from socialdesk.domain.assignment import (
    Availability,
    Candidate,
    Choice,
    Schedule,
    Strategy,
    Work,
    channel_type,
    choose,
    eligible,
    normalize_capacity,
    normalize_skills,
    parse_shifts,
)
from socialdesk.domain.errors import Forbidden, InvalidInput, NotFound
from socialdesk.domain.types import ConversationStatus, Direction, EventType, Priority, Role
from socialdesk.jobs.queue import enqueue
from socialdesk.services.events import Actor, record_event
from socialdesk.store.models import (
    ChannelAccount,
    Conversation,
    Message,
    Team,
    User,
    team_members,
)
from socialdesk.store.types import utcnow

if TYPE_CHECKING:  # services.conversations imports this module; routing may import services
    from socialdesk.pipeline.routing import RoutingContext

__all__ = [
    "LOAD_STATUSES",
    "OFFER_JOB",
    "SWEEP_JOB",
    "AvailabilityChange",
    "agent_loads",
    "assign_user",
    "assignment_step",
    "auto_assign",
    "capacity_freed",
    "offer_job",
    "offer_waiting",
    "schedule_sweep",
    "set_availability",
    "sweep_job",
    "update_agent",
    "update_team",
]

OFFER_JOB = "assignment.offer"
# Statuses that occupy an agent's capacity (snoozed and resolved ones do not).
LOAD_STATUSES = (ConversationStatus.OPEN.value, ConversationStatus.PENDING.value)
# How many waiting conversations one offer looks at (oldest / most urgent first).
OFFER_BATCH = 200
_PRIORITY_RANK = {Priority.URGENT: 0, Priority.HIGH: 1, Priority.NORMAL: 2, Priority.LOW: 3}


# --- loading ---------------------------------------------------------------------------------


def _lockable(session: Session) -> bool:
    return session.get_bind().dialect.name == "postgresql"


def agent_loads(session: Session, user_ids: Iterable[int]) -> dict[int, dict[str, int]]:
    """Open conversations per agent and channel type."""
    ids = list(user_ids)
    loads: dict[int, dict[str, int]] = {uid: defaultdict(int) for uid in ids}
    if not ids:
        return loads
    rows = session.execute(
        select(
            Conversation.assignee_id,
            ChannelAccount.platform,
            Conversation.has_public,
            Conversation.has_private,
            func.count(),
        )
        .join(ChannelAccount, ChannelAccount.id == Conversation.channel_account_id)
        .where(Conversation.assignee_id.in_(ids), Conversation.status.in_(LOAD_STATUSES))
        .group_by(
            Conversation.assignee_id,
            ChannelAccount.platform,
            Conversation.has_public,
            Conversation.has_private,
        )
    )
    for user_id, platform, has_public, has_private, count in rows:
        kind = channel_type(platform, has_public=bool(has_public), has_private=bool(has_private))
        if user_id is not None:
            loads[int(user_id)][kind] += int(count)
    return loads


def schedule_of(user: User) -> Schedule:
    return Schedule(
        timezone=user.shift_timezone or "UTC", windows=tuple(parse_shifts(user.shifts or []))
    )


def _candidate(user: User, load: dict[str, int], now: datetime) -> Candidate:
    return Candidate(
        user_id=user.id,
        availability=user.availability if user.is_active else Availability.OFFLINE,
        languages=frozenset(user.languages or []),
        topics=frozenset(user.topics or []),
        capacity=dict(user.capacity or {}),
        load=dict(load),
        on_duty=schedule_of(user).on_duty(now),
    )


def _members(session: Session, workspace_id: int, team_id: int | None) -> list[User]:
    query = select(User).where(
        User.workspace_id == workspace_id,
        User.is_active.is_(True),
        User.availability == Availability.ONLINE.value,
    )
    if team_id is not None:
        query = query.where(
            User.id.in_(select(team_members.c.user_id).where(team_members.c.team_id == team_id))
        )
    return list(session.scalars(query.order_by(User.id)))


def candidates(
    session: Session, workspace_id: int, team_id: int | None, now: datetime
) -> list[Candidate]:
    """Online members of the team (of the workspace without a team), with their loads."""
    users = _members(session, workspace_id, team_id)
    loads = agent_loads(session, [u.id for u in users])
    return [_candidate(u, loads[u.id], now) for u in users]


def _conversation_language(
    session: Session, conv: Conversation, message_ids: Sequence[int] = ()
) -> str | None:
    """The language of the customer's latest message, when enrichment stored one."""
    column = getattr(Message, "language", None)
    if column is None:
        return None
    query = select(column).where(
        Message.conversation_id == conv.id,
        Message.direction == Direction.IN.value,
        column.is_not(None),
    )
    if message_ids:
        query = query.where(Message.id.in_(list(message_ids)))
    value = session.scalar(query.order_by(Message.platform_time.desc(), Message.id.desc()).limit(1))
    return str(value) if value else None


def work_of(session: Session, conv: Conversation, *, language: str | None = None) -> Work:
    account = session.get(ChannelAccount, conv.channel_account_id)
    platform = account.platform if account is not None else ""
    return Work(
        channel_type=channel_type(
            platform, has_public=conv.has_public, has_private=conv.has_private
        ),
        language=(language or _conversation_language(session, conv) or None),
        topics=frozenset(t.name for t in conv.tags),
    )


# --- assigning -------------------------------------------------------------------------------


def _lock_conversation(session: Session, conversation_id: int) -> Conversation | None:
    query = select(Conversation).where(Conversation.id == conversation_id)
    if _lockable(session):
        query = query.with_for_update()
    return session.scalars(query.execution_options(populate_existing=True)).first()


def _lock_agent(session: Session, user_id: int) -> None:
    if _lockable(session):
        session.execute(select(User.id).where(User.id == user_id).with_for_update(key_share=True))


def _record_assignment(
    session: Session,
    conv: Conversation,
    user_id: int | None,
    *,
    now: datetime,
    reason: str,
    actor: Actor | None = None,
    extra: dict[str, Any] | None = None,
) -> None:
    record_event(
        session,
        workspace_id=conv.workspace_id,
        type=EventType.ASSIGNED,
        actor=actor or Actor.system(),
        conversation_id=conv.id,
        contact_id=conv.contact_id,
        data={"from": conv.assignee_id, "to": user_id, "reason": reason, **(extra or {})},
        occurred_at=now,
    )
    conv.assignee_id = user_id
    conv.updated_at = now


def _place(
    session: Session,
    conv: Conversation,
    pool: list[Candidate],
    work: Work,
    pick: Any,
    *,
    now: datetime,
    strategy: str,
) -> Choice | None:
    """Lock the agent ``pick(pool)`` chooses, recount their load, and assign; repeat with the
    others when someone else filled the agent up meanwhile."""
    while True:
        choice: Choice | None = pick(pool)
        if choice is None:
            return None
        _lock_agent(session, choice.user_id)
        fresh = agent_loads(session, [choice.user_id])[choice.user_id]
        index = next(i for i, c in enumerate(pool) if c.user_id == choice.user_id)
        current = replace(pool[index], load=dict(fresh))
        if eligible(current, work):
            _record_assignment(
                session,
                conv,
                choice.user_id,
                now=now,
                reason=choice.reason,
                extra={"strategy": strategy},
            )
            session.flush()
            return choice
        pool[index] = current  # full now: the next round picks someone else


def auto_assign(
    session: Session,
    workspace_id: int,
    conversation_id: int,
    *,
    now: datetime | None = None,
    strategy: str | None = None,
    language: str | None = None,
) -> int | None:
    """Assign an unassigned open conversation by its team's strategy; the agent's id or None
    (nobody eligible: it stays in the queue)."""
    now = now or utcnow()
    conv = _lock_conversation(session, conversation_id)
    if conv is None or conv.workspace_id != workspace_id:
        return None
    if conv.assignee_id is not None or conv.status not in LOAD_STATUSES:
        return None
    team = None
    if conv.team_id is not None:
        query = select(Team).where(Team.id == conv.team_id)
        if _lockable(session):
            query = query.with_for_update()
        team = session.scalars(query.execution_options(populate_existing=True)).first()
    chosen = strategy or (team.assignment_strategy if team else Strategy.LEAST_LOADED)
    if chosen == Strategy.MANUAL:
        chosen = Strategy.LEAST_LOADED
    work = work_of(session, conv, language=language)
    pool = candidates(session, workspace_id, conv.team_id, now)
    cursor = team.last_assigned_user_id if team else None
    choice = _place(
        session,
        conv,
        pool,
        work,
        lambda p: choose(chosen, p, work, cursor=cursor),
        now=now,
        strategy=chosen,
    )
    if choice is None:
        return None
    if team is not None and chosen == Strategy.ROUND_ROBIN:
        team.last_assigned_user_id = choice.user_id
    return choice.user_id


def assign_user(
    session: Session,
    workspace_id: int,
    conversation_id: int,
    user_id: int,
    *,
    now: datetime | None = None,
    reason: str = "rule",
) -> bool:
    """Assign to one named agent (a rule's ``assign: user:<id>``) when they are available and
    have capacity; False leaves the conversation as it was."""
    now = now or utcnow()
    conv = _lock_conversation(session, conversation_id)
    if conv is None or conv.workspace_id != workspace_id or conv.assignee_id is not None:
        return False
    user = session.get(User, user_id)
    if user is None or user.workspace_id != workspace_id:
        return False
    work = work_of(session, conv)
    pool = [_candidate(user, agent_loads(session, [user.id])[user.id], now)]

    def only(p: list[Candidate]) -> Choice | None:
        return Choice(user_id, reason) if eligible(p[0], work) else None

    return _place(session, conv, pool, work, only, now=now, strategy="direct") is not None


def assignment_step(ctx: RoutingContext) -> None:
    """Routing step: assign what the rules asked for, and new conversations of auto teams.

    * ``outcome.assign == "user:<id>"``: that agent if available with capacity, else the
      team's strategy when the team auto-assigns, else the queue;
    * ``outcome.assign == "auto"``: the team's strategy (least-loaded for manual teams);
    * no ``assign``: new, unassigned conversations of a team with a strategy other than
      manual are assigned by it;
    * spam is never assigned, and a conversation that has an agent keeps them.
    """
    session = ctx.session
    for conversation_id in ctx.conversation_ids:
        outcome = ctx.outcomes.get(conversation_id)
        if outcome is not None and outcome.spam:
            continue
        conv = session.get(Conversation, conversation_id)
        if conv is None or conv.assignee_id is not None:
            continue
        if conv.status not in LOAD_STATUSES:
            continue
        team = session.get(Team, conv.team_id) if conv.team_id is not None else None
        team_auto = team is not None and team.assignment_strategy != Strategy.MANUAL
        language = getattr(outcome, "language", None) or _conversation_language(
            session, conv, ctx.message_ids
        )
        wanted = ((outcome.assign if outcome is not None else None) or "").strip()
        if wanted.startswith("user:"):
            target = wanted.removeprefix("user:")
            placed = target.isdigit() and assign_user(
                session, ctx.workspace_id, conv.id, int(target), now=ctx.now
            )
            if not placed and team_auto:
                auto_assign(session, ctx.workspace_id, conv.id, now=ctx.now, language=language)
        elif wanted == "auto" or (team_auto and conversation_id in ctx.new_conversation_ids):
            auto_assign(session, ctx.workspace_id, conv.id, now=ctx.now, language=language)


def offer_waiting(
    session: Session,
    workspace_id: int,
    team_ids: Iterable[int],
    *,
    now: datetime | None = None,
    limit: int = OFFER_BATCH,
) -> list[int]:
    """Offer unassigned open conversations of these (auto-assigning) teams to their online
    agents, most urgent and longest waiting first; returns the conversations assigned."""
    now = now or utcnow()
    auto_teams = list(
        session.scalars(
            select(Team.id).where(
                Team.workspace_id == workspace_id,
                Team.id.in_(list(team_ids)),
                Team.assignment_strategy != Strategy.MANUAL.value,
            )
        )
    )
    if not auto_teams:
        return []
    rank = case(
        {p.value: r for p, r in _PRIORITY_RANK.items()}, value=Conversation.priority, else_=2
    )
    query = (
        select(Conversation.id)
        .where(
            Conversation.workspace_id == workspace_id,
            Conversation.team_id.in_(auto_teams),
            Conversation.assignee_id.is_(None),
            Conversation.status == ConversationStatus.OPEN.value,
        )
        .order_by(
            rank,
            func.coalesce(Conversation.last_inbound_at, Conversation.last_message_at),
            Conversation.id,
        )
        .limit(limit)
    )
    if _lockable(session):
        # Conversations being changed elsewhere right now are for the next offer.
        query = query.with_for_update(skip_locked=True)
    assigned = []
    for conversation_id in list(session.scalars(query)):
        if auto_assign(session, workspace_id, conversation_id, now=now) is not None:
            assigned.append(conversation_id)
    return assigned


def _auto_team_ids(session: Session, user_id: int) -> list[int]:
    return list(
        session.scalars(
            select(Team.id)
            .join(team_members, team_members.c.team_id == Team.id)
            .where(
                team_members.c.user_id == user_id,
                Team.assignment_strategy != Strategy.MANUAL.value,
            )
            .order_by(Team.id)
        )
    )


def _queue_offer(session: Session, workspace_id: int, team_ids: Iterable[int]) -> None:
    ids = sorted(set(team_ids))
    if ids:
        enqueue(session, OFFER_JOB, {"workspace_id": workspace_id, "team_ids": ids})


def offer_job(session: Session, payload: dict[str, Any]) -> None:
    """Job handler for :data:`OFFER_JOB`."""
    offer_waiting(session, int(payload["workspace_id"]), [int(t) for t in payload["team_ids"]])


# A conversation waits in its team's queue until an agent can take it. Most openings are
# events (an agent comes online, resolves something, gets more capacity) and offer the queue
# at once; a shift that begins by the clock is not, so a sweep offers every auto-assigning
# team's queue once a minute as well.
SWEEP_JOB = "assignment.sweep"
SWEEP_SECONDS = 60


def schedule_sweep(session: Session, now: datetime | None = None) -> None:
    """Queue the next sweep at the next minute; several workers asking queue only one."""
    at = ((now or utcnow()) + timedelta(seconds=SWEEP_SECONDS)).replace(second=0, microsecond=0)
    enqueue(session, SWEEP_JOB, {}, run_at=at, idempotency_key=f"{SWEEP_JOB}:{at.isoformat()}")


def sweep_job(session: Session, payload: dict[str, Any], *, now: datetime | None = None) -> None:
    """Timer job: offer the waiting conversations of every auto-assigning team (whose agents'
    shifts may have begun), then queue the next sweep."""
    now = now or utcnow()
    teams: dict[int, list[int]] = defaultdict(list)
    for workspace_id, team_id in session.execute(
        select(Team.workspace_id, Team.id).where(Team.assignment_strategy != Strategy.MANUAL.value)
    ):
        teams[workspace_id].append(team_id)
    for workspace_id, team_ids in teams.items():
        offer_waiting(session, workspace_id, team_ids, now=now)
    schedule_sweep(session, now)


def capacity_freed(session: Session, workspace_id: int, user_id: int | None) -> None:
    """An agent's load went down (resolved, snoozed, reassigned): offer them the queue."""
    if user_id is None:
        return
    user = session.get(User, user_id)
    if user is None or user.availability != Availability.ONLINE or not user.is_active:
        return
    _queue_offer(session, workspace_id, _auto_team_ids(session, user_id))


# --- availability and agent settings ---------------------------------------------------------


@dataclass
class AvailabilityChange:
    user_id: int
    availability: str
    returned_to_queue: list[int] = field(default_factory=list)


def _agent(session: Session, workspace_id: int, user_id: int) -> User:
    user = session.get(User, user_id)
    if user is None or user.workspace_id != workspace_id:
        raise NotFound(f"agent {user_id} does not exist in this workspace")
    return user


def check_may_manage(actor_role: str, actor_user_id: int | None, user_id: int) -> None:
    """Agents change only their own availability; supervisors and admins anyone's."""
    if actor_role in (Role.ADMIN, Role.SUPERVISOR):
        return
    if actor_user_id != user_id:
        raise Forbidden("only supervisors and admins can change another agent's availability")


def set_availability(
    session: Session,
    workspace_id: int,
    user_id: int,
    availability: str,
    actor: Actor,
    *,
    now: datetime | None = None,
) -> AvailabilityChange:
    """Online, away or offline. Going offline returns the agent's open conversations to the
    queue (unassigned, one event each); coming online offers them the waiting queue."""
    if availability not in set(Availability):
        raise InvalidInput(f"availability must be one of {', '.join(Availability)}")
    now = now or utcnow()
    user = _agent(session, workspace_id, user_id)
    change = AvailabilityChange(user_id=user.id, availability=availability)
    if user.availability == availability:
        return change
    user.availability = availability
    user.availability_changed_at = now
    if availability == Availability.OFFLINE:
        returned = list(
            session.scalars(
                select(Conversation)
                .where(
                    Conversation.workspace_id == workspace_id,
                    Conversation.assignee_id == user.id,
                    Conversation.status.in_(LOAD_STATUSES),
                )
                .order_by(Conversation.id)
            )
        )
        for conv in returned:
            _record_assignment(
                session, conv, None, now=now, reason="agent went offline", actor=actor
            )
        change.returned_to_queue = [c.id for c in returned]
        _queue_offer(session, workspace_id, {c.team_id for c in returned if c.team_id})
    elif availability == Availability.ONLINE:
        _queue_offer(session, workspace_id, _auto_team_ids(session, user.id))
    session.flush()
    return change


def update_agent(
    session: Session,
    workspace_id: int,
    user_id: int,
    *,
    languages: Iterable[Any] | None = None,
    topics: Iterable[Any] | None = None,
    capacity: dict[str, Any] | None = None,
    shifts: Iterable[Any] | None = None,
    shift_timezone: str | None = None,
) -> User:
    """Change skills, capacity and shifts; everything is validated before anything is
    written. More capacity or a new shift offers the queue again."""
    user = _agent(session, workspace_id, user_id)
    values: dict[str, Any] = {}
    if languages is not None:
        values["languages"] = normalize_skills(languages, "languages")
    if topics is not None:
        values["topics"] = normalize_skills(topics, "topics")
    if capacity is not None:
        values["capacity"] = normalize_capacity(capacity)
    zone = shift_timezone if shift_timezone is not None else user.shift_timezone
    windows = parse_shifts(shifts) if shifts is not None else parse_shifts(user.shifts or [])
    schedule = Schedule(timezone=(zone or "UTC").strip(), windows=tuple(windows))
    if shift_timezone is not None:
        values["shift_timezone"] = schedule.timezone
    if shifts is not None:
        values["shifts"] = [w.as_dict() for w in windows]
    for name, value in values.items():
        setattr(user, name, value)
    session.flush()
    if {"capacity", "shifts", "shift_timezone", "languages"} & set(values):
        capacity_freed(session, workspace_id, user.id)
    return user


def update_team(
    session: Session,
    workspace_id: int,
    team_id: int,
    *,
    strategy: str | None = None,
    kind: str | None = None,
    platforms: Iterable[Any] | None = None,
) -> Team:
    team = session.get(Team, team_id)
    if team is None or team.workspace_id != workspace_id:
        raise NotFound(f"team {team_id} does not exist in this workspace")
    if strategy is not None:
        if strategy not in set(Strategy):
            raise InvalidInput(f"strategy must be one of {', '.join(Strategy)}")
        if strategy != team.assignment_strategy:
            team.assignment_strategy = strategy
            team.last_assigned_user_id = None
    if kind is not None:
        if kind not in ("function", "platform"):
            raise InvalidInput("kind must be 'function' or 'platform'")
        team.kind = kind
    if platforms is not None:
        team.platforms = normalize_skills(platforms, "platforms")
    session.flush()
    if team.assignment_strategy != Strategy.MANUAL:
        _queue_offer(session, workspace_id, [team.id])
    return team
