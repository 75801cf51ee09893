"""Agents: availability (online / away / offline), skills, capacity and shifts.

Agents change their own availability; supervisors and admins change anyone's, and they alone
change skills, capacity and shifts.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter
from pydantic import BaseModel, Field, StringConstraints
from sqlalchemy import select
from sqlalchemy.orm import Session

from socialdesk.domain.assignment import CHANNEL_TYPES, DEFAULT_CAPACITY, Availability
from socialdesk.domain.errors import Forbidden, InvalidInput, NotFound
from socialdesk.domain.types import Role
from socialdesk.services import assignment as svc
from socialdesk.store.models import User
from socialdesk.store.types import utcnow
from socialdesk.web.api.common import IdPath, RequestModel, TxSessionDep
from socialdesk.web.deps import Caller, CallerDep, ReadSessionDep

router = APIRouter(prefix="/agents", tags=["agents"])

Skill = Annotated[str, StringConstraints(min_length=1, max_length=50)]


class ShiftIn(RequestModel):
    day: str = Field(max_length=10, description="mon … sun")
    start: str = Field(max_length=5, description="Local start time, 09:00")
    end: str = Field(max_length=5, description="Local end time, 17:00 (24:00: midnight)")
    channel_types: list[str] = Field(
        default_factory=list,
        max_length=4,
        description="Only these channel types during the shift (social, messaging, email, "
        "chat); empty: every type",
    )


class AgentPatch(RequestModel):
    """Only the fields present change."""

    availability: Availability | None = Field(
        default=None,
        description="online, away or offline; going offline returns the agent's open "
        "conversations to the queue",
    )
    languages: list[Skill] | None = Field(
        default=None, max_length=100, description="Languages spoken, ISO 639-1 (en, es)"
    )
    topics: list[Skill] | None = Field(
        default=None, max_length=100, description="Topics handled, matched to tags"
    )
    capacity: dict[str, int] | None = Field(
        default=None,
        description="Most open conversations per channel type (social, messaging, email, "
        "chat); types left out keep the default",
    )
    shifts: list[ShiftIn] | None = Field(
        default=None, max_length=100, description="Weekly shifts; empty: no shifts"
    )
    shift_timezone: str | None = Field(
        default=None, min_length=1, max_length=64, description="Time zone of the shifts"
    )


class AgentOut(BaseModel):
    id: int
    name: str
    email: str
    role: str
    is_active: bool
    availability: str = Field(description="online, away or offline")
    availability_changed_at: datetime | None
    languages: list[str]
    topics: list[str]
    capacity: dict[str, int] = Field(description="Effective maximum per channel type")
    shift_timezone: str
    shifts: list[dict[str, Any]]
    on_duty: list[str] | None = Field(
        description="Channel types the shifts allow now; null when the agent has no shifts"
    )
    team_ids: list[int]
    open_conversations: dict[str, int] = Field(description="Current load per channel type")


class AgentList(BaseModel):
    items: list[AgentOut]


def _out(session: Session, user: User, load: dict[str, int]) -> AgentOut:
    on_duty = svc.schedule_of(user).on_duty(utcnow())
    return AgentOut(
        id=user.id,
        name=user.name,
        email=user.email,
        role=user.role,
        is_active=user.is_active,
        availability=user.availability,
        availability_changed_at=user.availability_changed_at,
        languages=list(user.languages or []),
        topics=list(user.topics or []),
        capacity={k: int((user.capacity or {}).get(k, DEFAULT_CAPACITY[k])) for k in CHANNEL_TYPES},
        shift_timezone=user.shift_timezone,
        shifts=list(user.shifts or []),
        on_duty=sorted(on_duty) if on_duty is not None else None,
        team_ids=sorted(t.id for t in user.teams),
        open_conversations={k: int(load.get(k, 0)) for k in CHANNEL_TYPES},
    )


def _agent(session: Session, caller: Caller, agent_id: int) -> User:
    user = session.get(User, agent_id)
    if user is None or user.workspace_id != caller.workspace_id:
        raise NotFound(f"agent {agent_id} does not exist in this workspace")
    return user


@router.get("", summary="List agents with availability, skills, capacity and load")
def list_agents(caller: CallerDep, session: ReadSessionDep) -> AgentList:
    users = list(
        session.scalars(
            select(User).where(User.workspace_id == caller.workspace_id).order_by(User.name)
        )
    )
    loads = svc.agent_loads(session, [u.id for u in users])
    return AgentList(items=[_out(session, u, loads[u.id]) for u in users])


@router.get("/{agent_id}", summary="One agent")
def get_agent(agent_id: IdPath, caller: CallerDep, session: ReadSessionDep) -> AgentOut:
    user = _agent(session, caller, agent_id)
    return _out(session, user, svc.agent_loads(session, [user.id])[user.id])


@router.patch(
    "/{agent_id}",
    summary="Change availability, skills, capacity or shifts",
    description="Agents may change their own availability only; supervisors and admins "
    "anything. More capacity, a shift or coming online offers the waiting queue.",
)
def update_agent(
    agent_id: IdPath, body: AgentPatch, caller: CallerDep, session: TxSessionDep
) -> AgentOut:
    given = body.model_fields_set
    if not given:
        raise InvalidInput(
            "give at least one of availability, languages, topics, capacity, shifts, shift_timezone"
        )
    _agent(session, caller, agent_id)
    settings = given - {"availability"}
    if settings and caller.role not in (Role.ADMIN, Role.SUPERVISOR):
        raise Forbidden("only supervisors and admins can change skills, capacity and shifts")
    for name in given:
        if getattr(body, name) is None:
            raise InvalidInput(f"{name} cannot be null; leave it out to keep it unchanged")
    if settings:
        svc.update_agent(
            session,
            caller.workspace_id,
            agent_id,
            languages=body.languages,
            topics=body.topics,
            capacity=body.capacity,
            shifts=[s.model_dump() for s in body.shifts] if body.shifts is not None else None,
            shift_timezone=body.shift_timezone,
        )
    if body.availability is not None:
        svc.check_may_manage(caller.role, caller.user_id, agent_id)
        svc.set_availability(
            session, caller.workspace_id, agent_id, body.availability.value, caller.actor
        )
    user = _agent(session, caller, agent_id)
    return _out(session, user, svc.agent_loads(session, [user.id])[user.id])
