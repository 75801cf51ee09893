"""SLA policies and the clocks they run on conversations.

A conversation under a policy has up to three clocks (first response, next response,
resolution). They start when the customer writes, stop on the first human reply (auto-replies
do not count) or on resolve, and pause while the conversation is pending on the customer.
Each running clock keeps its due time on the conversation so the inbox sorts and filters by
index; timer jobs fire a warning at 80 % and a breach at 100 % of the target, each once: an
event in the conversation's log (so a live update) and a delivery to outgoing webhooks.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session, selectinload

from socialdesk.domain.business_hours import ALWAYS_OPEN, BusinessCalendar
from socialdesk.domain.errors import Conflict, InvalidInput, NotFound
from socialdesk.domain.sla import (
    WARNING_SHARE,
    ClockKind,
    SlaClock,
    SlaState,
    SlaTarget,
    check_targets,
    pick_target,
)
from socialdesk.domain.types import AuthorKind, ConversationStatus
from socialdesk.jobs.queue import enqueue
from socialdesk.pipeline.routing import RoutingContext, RuleOutcome
from socialdesk.services.calendars import calendar_for
from socialdesk.services.webhooks_out import dispatch_event
from socialdesk.store.models import (
    BusinessHoursCalendar,
    ChannelAccount,
    Conversation,
    Event,
    Message,
    SlaPolicy,
    SlaPolicyTarget,
)
from socialdesk.store.types import utcnow

__all__ = [
    "SLA_BREACHED",
    "SLA_JOB",
    "SLA_WARNING",
    "ClockView",
    "PolicySpec",
    "check_sla",
    "conversation_clocks",
    "create_policy",
    "delete_policy",
    "get_policy",
    "list_policies",
    "on_agent_reply",
    "on_priority_change",
    "on_status_change",
    "refresh_calendar_conversations",
    "refresh_clocks",
    "refresh_policy_conversations",
    "sla_step",
    "update_policy",
]

SLA_JOB = "sla.check"
SLA_WARNING = "sla.warning"
SLA_BREACHED = "sla.breached"
# A job may run a moment before the recomputed threshold (float rounding of business time).
_SLACK = timedelta(seconds=1)


# --------------------------------------------------------------------------- policies


@dataclass
class PolicySpec:
    name: str
    targets: list[SlaTarget] = field(default_factory=list)
    calendar_id: int | None = None  # None: around the clock
    is_default: bool = False


def policy_targets(policy: SlaPolicy) -> list[SlaTarget]:
    def span(seconds: int | None) -> timedelta | None:
        return timedelta(seconds=seconds) if seconds is not None else None

    return [
        SlaTarget(
            priority=t.priority,
            platform=t.platform,
            first_response=span(t.first_response_seconds),
            next_response=span(t.next_response_seconds),
            resolution=span(t.resolution_seconds),
        )
        for t in policy.targets
    ]


def _seconds(span: timedelta | None) -> int | None:
    return int(span.total_seconds()) if span is not None else None


def _apply_spec(session: Session, workspace_id: int, policy: SlaPolicy, spec: PolicySpec) -> None:
    name = spec.name.strip()
    if not name:
        raise InvalidInput("an SLA policy needs a name")
    if not spec.targets:
        raise InvalidInput("an SLA policy needs at least one target")
    targets = [
        SlaTarget(
            priority=t.priority,
            platform=t.platform.strip().lower() if t.platform else None,
            first_response=t.first_response,
            next_response=t.next_response,
            resolution=t.resolution,
        )
        for t in spec.targets
    ]
    check_targets(targets)
    if spec.calendar_id is not None:
        calendar = session.get(BusinessHoursCalendar, spec.calendar_id)
        if calendar is None or calendar.workspace_id != workspace_id:
            raise InvalidInput(f"calendar {spec.calendar_id} does not exist in this workspace")
    taken = session.scalar(
        select(SlaPolicy.id).where(
            SlaPolicy.workspace_id == workspace_id,
            SlaPolicy.name == name,
            SlaPolicy.id != (policy.id or 0),
        )
    )
    if taken is not None:
        raise Conflict(f"an SLA policy named {name!r} already exists")
    if spec.is_default:
        session.execute(
            update(SlaPolicy)
            .where(SlaPolicy.workspace_id == workspace_id, SlaPolicy.id != (policy.id or 0))
            .values(is_default=False)
        )
    policy.name = name
    policy.calendar_id = spec.calendar_id
    policy.is_default = spec.is_default
    policy.updated_at = utcnow()
    policy.targets = [
        SlaPolicyTarget(
            priority=t.priority,
            platform=t.platform,
            first_response_seconds=_seconds(t.first_response),
            next_response_seconds=_seconds(t.next_response),
            resolution_seconds=_seconds(t.resolution),
        )
        for t in targets
    ]


def list_policies(session: Session, workspace_id: int) -> list[SlaPolicy]:
    return list(
        session.scalars(
            select(SlaPolicy)
            .where(SlaPolicy.workspace_id == workspace_id)
            .options(selectinload(SlaPolicy.targets))
            .order_by(SlaPolicy.name)
        )
    )


def get_policy(session: Session, workspace_id: int, policy_id: int) -> SlaPolicy:
    policy = session.get(SlaPolicy, policy_id)
    if policy is None or policy.workspace_id != workspace_id:
        raise NotFound(f"SLA policy {policy_id} does not exist in this workspace")
    return policy


def create_policy(session: Session, workspace_id: int, spec: PolicySpec) -> SlaPolicy:
    now = utcnow()
    policy = SlaPolicy(workspace_id=workspace_id, created_at=now, updated_at=now)
    _apply_spec(session, workspace_id, policy, spec)
    session.add(policy)
    session.flush()
    return policy


def update_policy(
    session: Session, workspace_id: int, policy_id: int, spec: PolicySpec
) -> SlaPolicy:
    """Replace a policy; the due times of its running clocks follow at once."""
    policy = get_policy(session, workspace_id, policy_id)
    _apply_spec(session, workspace_id, policy, spec)
    session.flush()
    refresh_policy_conversations(session, [policy.id])
    return policy


def delete_policy(session: Session, workspace_id: int, policy_id: int) -> None:
    """Delete a policy; its conversations keep no SLA (their clocks stop)."""
    policy = get_policy(session, workspace_id, policy_id)
    for conv in session.scalars(
        select(Conversation).where(Conversation.sla_policy_id == policy.id)
    ):
        conv.sla_policy_id = None
        for kind in ClockKind:
            _set_clock(conv, kind, None, None)
        conv.sla_warn_at = conv.sla_due_at = None
    session.flush()
    session.delete(policy)
    session.flush()


def _default_policy_id(session: Session, workspace_id: int) -> int | None:
    return session.scalar(
        select(SlaPolicy.id)
        .where(SlaPolicy.workspace_id == workspace_id, SlaPolicy.is_default.is_(True))
        .order_by(SlaPolicy.id)
        .limit(1)
    )


# --------------------------------------------------------------------------- clock state


def _started(conv: Conversation, kind: ClockKind) -> datetime | None:
    value: datetime | None = getattr(conv, f"{kind.value}_started_at")
    return value


def _set_clock(
    conv: Conversation, kind: ClockKind, started: datetime | None, due: datetime | None
) -> None:
    setattr(conv, f"{kind.value}_started_at", started)
    setattr(conv, f"{kind.value}_due_at", due)


def _start(conv: Conversation, kind: ClockKind, at: datetime) -> None:
    if _started(conv, kind) is not None:
        return
    _set_clock(conv, kind, at, None)
    # A new run of a clock may warn and breach again.
    conv.sla_notified = [n for n in conv.sla_notified or [] if not n.startswith(f"{kind}:")]


def _stop(conv: Conversation, kind: ClockKind) -> None:
    _set_clock(conv, kind, None, None)


def _pauses(conv: Conversation) -> tuple[tuple[datetime, datetime | None], ...]:
    closed = [
        (datetime.fromisoformat(start), datetime.fromisoformat(end))
        for start, end in conv.sla_pauses or []
    ]
    current = [(conv.sla_paused_at, None)] if conv.sla_paused_at is not None else []
    return (*closed, *current)


def _pause(conv: Conversation, at: datetime) -> None:
    if conv.sla_paused_at is None:
        conv.sla_paused_at = at


def _resume(conv: Conversation, at: datetime) -> None:
    if conv.sla_paused_at is None:
        return
    if at > conv.sla_paused_at:
        conv.sla_pauses = [
            *(conv.sla_pauses or []),
            [conv.sla_paused_at.isoformat(), at.isoformat()],
        ]
    conv.sla_paused_at = None


@dataclass(frozen=True)
class _Setup:
    policy: SlaPolicy
    target: SlaTarget | None
    calendar: BusinessCalendar


def _setup(session: Session, conv: Conversation) -> _Setup | None:
    if conv.sla_policy_id is None:
        return None
    policy = session.get(SlaPolicy, conv.sla_policy_id)
    if policy is None:
        return None
    platform = session.scalar(
        select(ChannelAccount.platform).where(ChannelAccount.id == conv.channel_account_id)
    )
    target = pick_target(policy_targets(policy), conv.priority, platform or "")
    calendar = (
        calendar_for(session, policy.calendar_id) if policy.calendar_id is not None else ALWAYS_OPEN
    )
    return _Setup(policy=policy, target=target, calendar=calendar)


def _running(setup: _Setup, conv: Conversation) -> dict[ClockKind, SlaClock]:
    if setup.target is None:
        return {}
    pauses = _pauses(conv)
    clocks = {}
    for kind in ClockKind:
        started, target = _started(conv, kind), setup.target.of(kind)
        if started is not None and target is not None:
            clocks[kind] = SlaClock(
                target=target, started_at=started, calendar=setup.calendar, paused=pauses
            )
    return clocks


def refresh_clocks(session: Session, conv: Conversation, now: datetime | None = None) -> None:
    """Recompute due times after any change and schedule the warning and breach jobs."""
    now = now or utcnow()
    setup = _setup(session, conv)
    clocks = _running(setup, conv) if setup is not None else {}
    notified = set(conv.sla_notified or [])
    dues: list[datetime] = []
    warns: list[datetime] = []
    earliest_start = min((c.started_at for c in clocks.values()), default=None)
    for kind in ClockKind:
        clock = clocks.get(kind)
        if clock is None:
            setattr(conv, f"{kind.value}_due_at", None)
            continue
        due = clock.due_at(now)
        stored: datetime | None = getattr(conv, f"{kind.value}_due_at")
        if due is not None and due <= now and stored is not None and stored <= now:
            due = stored  # already breached: keep the moment it happened
        setattr(conv, f"{kind.value}_due_at", due)
        if due is None:
            continue  # paused
        warn = clock.warning_at(now) or due
        dues.append(due)
        warns.append(warn)
        for level, at in (("warning", warn), ("breach", due)):
            if f"{kind}:{level}" in notified:
                continue
            enqueue(
                session,
                SLA_JOB,
                {
                    "conversation_id": conv.id,
                    "clock": kind.value,
                    "level": level,
                    "at": at.isoformat(),
                },
                run_at=at,
                idempotency_key=f"sla:{conv.id}:{kind}:{level}:{at.isoformat()}",
            )
    conv.sla_due_at = min(dues, default=None)
    conv.sla_warn_at = min(warns, default=None)
    if earliest_start is None and conv.sla_paused_at is None:
        conv.sla_pauses = []
    elif earliest_start is not None and conv.sla_pauses:
        # Pauses that ended before every running clock began no longer matter.
        conv.sla_pauses = [
            p for p in conv.sla_pauses if datetime.fromisoformat(p[1]) > earliest_start
        ]


def refresh_policy_conversations(session: Session, policy_ids: Iterable[int]) -> int:
    """Recompute the running clocks of every conversation under these policies."""
    ids = list(policy_ids)
    if not ids:
        return 0
    convs = list(
        session.scalars(
            select(Conversation).where(
                Conversation.sla_policy_id.in_(ids),
                Conversation.status != ConversationStatus.RESOLVED.value,
            )
        )
    )
    now = utcnow()
    for conv in convs:
        refresh_clocks(session, conv, now)
    session.flush()
    return len(convs)


def refresh_calendar_conversations(session: Session, calendar_id: int) -> int:
    """After a calendar changed: recompute the clocks of the policies that count in it."""
    policy_ids = session.scalars(select(SlaPolicy.id).where(SlaPolicy.calendar_id == calendar_id))
    return refresh_policy_conversations(session, list(policy_ids))


# --------------------------------------------------------------------------- hooks


def _apply_policy(
    session: Session, conv: Conversation, outcome: RuleOutcome, default_id: int | None
) -> bool:
    """Put the rules' (or the workspace's default) policy on the conversation."""
    chosen = outcome.sla_policy_id
    if chosen is not None:
        policy = session.get(SlaPolicy, chosen)
        if policy is not None and policy.workspace_id == conv.workspace_id:
            if conv.sla_policy_id != chosen:
                conv.sla_policy_id = chosen
            return True
    if conv.sla_policy_id is None:
        conv.sla_policy_id = default_id
    return conv.sla_policy_id is not None


def customer_wrote(
    session: Session, conv: Conversation, at: datetime, now: datetime | None = None
) -> None:
    """A customer message at ``at``: resume, and start the clock that waits on the team."""
    _resume(conv, at)
    if conv.first_response_at is None:
        _start(conv, ClockKind.FIRST_RESPONSE, conv.first_inbound_at or at)
    else:
        _start(conv, ClockKind.NEXT_RESPONSE, at)
    if _started(conv, ClockKind.RESOLUTION) is None:
        # A reopened conversation is new work: its resolution clock starts again.
        reopened = conv.resolved_at is not None
        _start(conv, ClockKind.RESOLUTION, at if reopened else (conv.first_inbound_at or at))
    refresh_clocks(session, conv, now)


def sla_step(ctx: RoutingContext) -> None:
    """Routing step: apply the SLA policy and start or update the clocks of this batch."""
    session = ctx.session
    default_id = _default_policy_id(session, ctx.workspace_id)
    first_at: dict[int, datetime] = {}
    for conv_id, at in session.execute(
        select(Message.conversation_id, Message.platform_time).where(
            Message.id.in_(ctx.message_ids)
        )
    ):
        if conv_id is not None and (conv_id not in first_at or at < first_at[conv_id]):
            first_at[conv_id] = at
    for conv_id in ctx.conversation_ids:
        outcome = ctx.outcomes.get(conv_id) or RuleOutcome()
        if outcome.spam or conv_id not in first_at:
            continue
        conv = session.get(Conversation, conv_id)
        if conv is None or conv.status == ConversationStatus.RESOLVED:
            continue
        if not _apply_policy(session, conv, outcome, default_id):
            continue
        customer_wrote(session, conv, first_at[conv_id], ctx.now)
    for conv_id, at in ctx.native_replies.items():
        conv = session.get(Conversation, conv_id)
        if conv is not None:
            on_native_reply(session, conv, at, ctx.now)
    session.flush()


def on_native_reply(
    session: Session, conv: Conversation, at: datetime, now: datetime | None = None
) -> None:
    """The brand answered on the platform itself (its own app, another tool), which we see as
    an echo: the customer has an answer, so the response clocks that were waiting for one
    stop. A clock started after ``at`` (the customer wrote again since) keeps running.

    It is the conversation's first response when none came before: a later message from the
    customer then waits for a next response, not again for a first one."""
    if (
        conv.first_response_at is None
        and conv.first_inbound_at is not None
        and at >= conv.first_inbound_at
    ):
        conv.first_response_at = at
    if conv.sla_policy_id is None:
        return
    stopped = False
    for kind in (ClockKind.FIRST_RESPONSE, ClockKind.NEXT_RESPONSE):
        started = _started(conv, kind)
        if started is not None and started <= at:
            _stop(conv, kind)
            stopped = True
    if stopped:
        refresh_clocks(session, conv, now)


def on_agent_reply(session: Session, conv: Conversation, message: Message) -> None:
    """A person answered: the response clocks stop (auto-replies and bots do not count)."""
    if message.is_auto or message.author_kind != AuthorKind.AGENT:
        return
    if conv.sla_policy_id is None:
        return
    _stop(conv, ClockKind.FIRST_RESPONSE)
    _stop(conv, ClockKind.NEXT_RESPONSE)
    refresh_clocks(session, conv)


def on_status_change(
    session: Session, conv: Conversation, old: str, new: str, at: datetime
) -> None:
    """Pending and snoozed pause every clock (the conversation waits on the customer or on
    a time the agent chose); back to open resumes; resolve stops them all."""
    if conv.sla_policy_id is None or old == new:
        return
    if new == ConversationStatus.RESOLVED:
        _resume(conv, at)
        for kind in ClockKind:
            _stop(conv, kind)
    elif new in (ConversationStatus.PENDING, ConversationStatus.SNOOZED):
        _pause(conv, at)
    else:
        _resume(conv, at)
        if old == ConversationStatus.RESOLVED:
            _start(conv, ClockKind.RESOLUTION, at)
    refresh_clocks(session, conv)


def on_priority_change(session: Session, conv: Conversation) -> None:
    """Another priority may have other targets."""
    if conv.sla_policy_id is not None:
        refresh_clocks(session, conv)


# --------------------------------------------------------------------------- timer jobs


def _locked(session: Session, conversation_id: int) -> Conversation | None:
    query = select(Conversation).where(Conversation.id == conversation_id)
    if session.get_bind().dialect.name == "postgresql":
        query = query.with_for_update()
    return session.scalar(query)


def check_sla(session: Session, payload: dict[str, Any], *, now: datetime | None = None) -> None:
    """Timer job: emit the warning or breach of one clock if it is really due, exactly once."""
    now = now or utcnow()
    conv = _locked(session, int(payload["conversation_id"]))
    if conv is None:
        return
    kind, level = ClockKind(payload["clock"]), str(payload["level"])
    key = f"{kind}:{level}"
    if key in (conv.sla_notified or []):
        return
    setup = _setup(session, conv)
    if setup is None:
        return
    clock = _running(setup, conv).get(kind)
    if clock is None:
        return  # stopped since: nothing to say
    share = WARNING_SHARE if level == "warning" else 1.0
    if clock.elapsed(now) + _SLACK < clock.target * share:
        refresh_clocks(session, conv, now)  # paused or retargeted since: a new job waits
        return
    # Dated when it happened, not when a worker noticed (it may have been down for a while).
    happened = clock.reached_at(clock.target * share, now) or now
    notified = [*(conv.sla_notified or []), key]
    if level == "breach" and f"{kind}:warning" not in notified:
        notified.append(f"{kind}:warning")  # a breach says more than a late warning
    conv.sla_notified = notified
    refresh_clocks(session, conv, now)
    event_type = SLA_BREACHED if level == "breach" else SLA_WARNING
    due: datetime | None = getattr(conv, f"{kind.value}_due_at")
    data = {
        "clock": kind.value,
        "label": _event_label(kind, level, clock.target),
        "target_seconds": int(clock.target.total_seconds()),
        "elapsed_seconds": int(clock.elapsed(now).total_seconds()),
        "due_at": due.isoformat() if due else None,
        "policy_id": setup.policy.id,
        "policy": setup.policy.name,
    }
    session.add(
        Event(
            workspace_id=conv.workspace_id,
            type=event_type,
            conversation_id=conv.id,
            contact_id=conv.contact_id,
            actor_kind="system",
            data=data,
            occurred_at=happened,
            recorded_at=now,
        )
    )
    dispatch_event(
        session,
        conv.workspace_id,
        event_type,
        {
            "conversation_id": conv.id,
            "status": conv.status,
            "priority": conv.priority,
            "assignee_id": conv.assignee_id,
            "team_id": conv.team_id,
            **data,
        },
        occurred_at=happened,
    )
    conv.updated_at = now
    session.flush()


def _event_label(kind: ClockKind, level: str, target: timedelta) -> str:
    what = "breached" if level == "breach" else "at 80 % of"
    return f"SLA {what} the {kind.label} target ({format_span(target)})"


def format_span(span: timedelta) -> str:
    """ "45 min", "2 h 30 min", "3 d 4 h": short enough for an inbox row."""
    seconds = int(abs(span.total_seconds()))
    days, rest = divmod(seconds, 86400)
    hours, rest = divmod(rest, 3600)
    minutes = rest // 60
    if days:
        return f"{days} d {hours} h" if hours else f"{days} d"
    if hours:
        return f"{hours} h {minutes} min" if minutes else f"{hours} h"
    return f"{minutes} min" if seconds >= 60 else "<1 min"


# --------------------------------------------------------------------------- views


@dataclass(frozen=True)
class ClockView:
    """One clock as the conversation view shows it."""

    kind: ClockKind
    state: SlaState
    target: timedelta
    due_at: datetime | None  # None while paused
    paused: bool
    left: timedelta  # negative when breached

    @property
    def label(self) -> str:
        return self.kind.label.capitalize()

    @property
    def text(self) -> str:
        if self.state is SlaState.BREACHED:
            return f"breached {format_span(self.left)} ago"
        left = f"{format_span(self.left)} left"
        return f"paused, {left}" if self.paused else left


def conversation_clocks(
    session: Session, conv: Conversation, now: datetime | None = None
) -> list[ClockView]:
    """The running clocks of a conversation, most urgent first."""
    now = now or utcnow()
    setup = _setup(session, conv)
    if setup is None:
        return []
    views = []
    for kind, clock in _running(setup, conv).items():
        due: datetime | None = getattr(conv, f"{kind.value}_due_at")
        views.append(
            ClockView(
                kind=kind,
                state=clock.state(now),
                target=clock.target,
                due_at=due,
                paused=conv.sla_paused_at is not None,
                left=clock.remaining(now),
            )
        )
    views.sort(key=lambda v: v.left)
    return views


def policy_names(session: Session, policy_ids: Sequence[int]) -> dict[int, str]:
    if not policy_ids:
        return {}
    rows = session.execute(
        select(SlaPolicy.id, SlaPolicy.name).where(SlaPolicy.id.in_(sorted(set(policy_ids))))
    )
    return {policy_id: name for policy_id, name in rows}
