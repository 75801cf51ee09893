"""Teams: by function or by platform, and how each assigns its conversations."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter
from pydantic import BaseModel, Field, StringConstraints
from sqlalchemy import select
from sqlalchemy.orm import Session

from socialdesk.domain.assignment import Strategy
from socialdesk.domain.errors import Forbidden, InvalidInput, NotFound
from socialdesk.domain.types import Role
from socialdesk.services import assignment as svc
from socialdesk.store.models import Team
from socialdesk.web.api.common import IdPath, RequestModel, TxSessionDep
from socialdesk.web.deps import Caller, CallerDep, ReadSessionDep

router = APIRouter(prefix="/teams", tags=["teams"])

Platform = Annotated[str, StringConstraints(min_length=1, max_length=30)]


class TeamPatch(RequestModel):
    assignment_strategy: Strategy | None = Field(
        default=None,
        description="manual (nobody is auto-assigned), round_robin, least_loaded or skills "
        "(language of the message, then topics from the conversation's tags)",
    )
    kind: str | None = Field(
        default=None, max_length=20, description="'function' (billing) or 'platform' (X team)"
    )
    platforms: list[Platform] | None = Field(
        default=None, max_length=20, description="Platforms a platform team covers"
    )


class TeamOut(BaseModel):
    id: int
    name: str
    kind: str
    platforms: list[str]
    assignment_strategy: str
    member_ids: list[int]


class TeamList(BaseModel):
    items: list[TeamOut]


def _out(team: Team) -> TeamOut:
    return TeamOut(
        id=team.id,
        name=team.name,
        kind=team.kind,
        platforms=list(team.platforms or []),
        assignment_strategy=team.assignment_strategy,
        member_ids=sorted(m.id for m in team.members),
    )


def _team(session: Session, caller: Caller, team_id: int) -> Team:
    team = session.get(Team, team_id)
    if team is None or team.workspace_id != caller.workspace_id:
        raise NotFound(f"team {team_id} does not exist in this workspace")
    return team


@router.get("", summary="List teams with their assignment strategy")
def list_teams(caller: CallerDep, session: ReadSessionDep) -> TeamList:
    teams = session.scalars(
        select(Team).where(Team.workspace_id == caller.workspace_id).order_by(Team.name)
    )
    return TeamList(items=[_out(t) for t in teams])


@router.get("/{team_id}", summary="One team")
def get_team(team_id: IdPath, caller: CallerDep, session: ReadSessionDep) -> TeamOut:
    return _out(_team(session, caller, team_id))


@router.patch(
    "/{team_id}",
    summary="Change the assignment strategy, kind or platforms",
    description="Supervisors and admins only. Switching to an automatic strategy offers the "
    "team's waiting conversations at once.",
)
def update_team(
    team_id: IdPath, body: TeamPatch, caller: CallerDep, session: TxSessionDep
) -> TeamOut:
    if caller.role not in (Role.ADMIN, Role.SUPERVISOR):
        raise Forbidden("only supervisors and admins can change a team")
    if not body.model_fields_set:
        raise InvalidInput("give at least one of assignment_strategy, kind, platforms")
    for name in body.model_fields_set:
        if getattr(body, name) is None:
            raise InvalidInput(f"{name} cannot be null; leave it out to keep it unchanged")
    _team(session, caller, team_id)
    team = svc.update_team(
        session,
        caller.workspace_id,
        team_id,
        strategy=body.assignment_strategy.value if body.assignment_strategy else None,
        kind=body.kind,
        platforms=body.platforms,
    )
    return _out(team)
