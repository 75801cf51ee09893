"""Agents' availability switch (every signed-in user) and the admin page for skills,
capacity, shifts and team strategies. Both go through services/assignment.py, like the API."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse

from socialdesk.domain.assignment import CHANNEL_TYPES, DEFAULT_CAPACITY, Availability, Strategy
from socialdesk.domain.errors import InvalidInput, SocialdeskError
from socialdesk.domain.types import Role
from socialdesk.services.assignment import (
    agent_loads,
    set_availability,
    update_agent,
    update_team,
)
from socialdesk.services.events import Actor
from socialdesk.services.sessions import SignedIn
from socialdesk.store.models import User
from socialdesk.web.deps import get_app
from socialdesk.web.ui.pages.admin import _page
from socialdesk.web.ui.render import render
from socialdesk.web.ui.security import AgentDep, require_role

router = APIRouter()
AdminDep = Annotated[SignedIn, require_role(Role.ADMIN)]
TEMPLATE = "admin_agents.html"


def _switch(
    request: Request, agent: SignedIn, *, status_code: int = 200, **extra: Any
) -> HTMLResponse:
    with get_app(request).db.read_session() as session:
        user = session.get(User, agent.user_id)
        current = user.availability if user is not None else Availability.OFFLINE.value
    context = {"agent": agent, "current": current, "choices": [a.value for a in Availability]}
    return render(request, "_availability.html", {**context, **extra}, status_code=status_code)


@router.get("/me/availability", name="ui_availability", response_class=HTMLResponse)
def availability(request: Request, agent: AgentDep) -> HTMLResponse:
    return _switch(request, agent)


@router.post("/me/availability", name="ui_availability_set", response_class=HTMLResponse)
def availability_set(
    request: Request, agent: AgentDep, availability: Annotated[str, Form(max_length=10)]
) -> HTMLResponse:
    try:
        with get_app(request).db.session() as session:
            change = set_availability(
                session,
                agent.workspace_id,
                agent.user_id,
                availability,
                Actor.agent(agent.user_id),
            )
    except SocialdeskError as exc:
        return _switch(request, agent, status_code=exc.status, error=exc.detail)
    return _switch(request, agent, returned=len(change.returned_to_queue))


def parse_shift_lines(text: str) -> list[dict[str, Any]]:
    """One shift per line: ``mon 09:00-13:00`` or ``mon 09:00-13:00 social,messaging``."""
    shifts = []
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if not line:
            continue
        parts = line.split()
        if len(parts) not in (2, 3) or "-" not in parts[1]:
            raise InvalidInput(f"shift line {number} should look like 'mon 09:00-17:00 social'")
        start, end = parts[1].split("-", 1)
        types = [t.strip() for t in parts[2].split(",") if t.strip()] if len(parts) == 3 else []
        shifts.append({"day": parts[0], "start": start, "end": end, "channel_types": types})
    return shifts


def shift_lines(shifts: list[dict[str, Any]]) -> str:
    return "\n".join(
        f"{s['day']} {s['start']}-{s['end']}"
        + (f" {','.join(s['channel_types'])}" if s.get("channel_types") else "")
        for s in shifts
    )


def _words(text: str) -> list[str]:
    return [w.strip() for w in text.replace(";", ",").split(",") if w.strip()]


def _extras(request: Request) -> dict[str, Any]:
    with get_app(request).db.read_session() as session:
        ids = list(session.scalars(User.__table__.select().with_only_columns(User.id)))
        loads = agent_loads(session, ids)
    return {
        "loads": {uid: dict(load) for uid, load in loads.items()},
        "channel_types": CHANNEL_TYPES,
        "default_capacity": DEFAULT_CAPACITY,
        "strategies": [s.value for s in Strategy],
        "shift_lines": shift_lines,
    }


@router.get("/admin/agents", name="ui_admin_agents", response_class=HTMLResponse)
def agents_page(request: Request, agent: AdminDep) -> HTMLResponse:
    return _page(request, agent, TEMPLATE, **_extras(request))


@router.post("/admin/agents/{user_id}", name="ui_admin_agent_update", response_model=None)
def agent_update(
    request: Request,
    user_id: int,
    agent: AdminDep,
    languages: Annotated[str, Form(max_length=1000)] = "",
    topics: Annotated[str, Form(max_length=1000)] = "",
    shift_timezone: Annotated[str, Form(max_length=64)] = "UTC",
    shifts: Annotated[str, Form(max_length=5000)] = "",
    cap_social: Annotated[str, Form(max_length=5)] = "",
    cap_messaging: Annotated[str, Form(max_length=5)] = "",
    cap_email: Annotated[str, Form(max_length=5)] = "",
    cap_chat: Annotated[str, Form(max_length=5)] = "",
) -> HTMLResponse | RedirectResponse:
    given = {"social": cap_social, "messaging": cap_messaging, "email": cap_email, "chat": cap_chat}

    def change(session: Any) -> None:
        capacity = {}
        for kind, value in given.items():
            if value.strip():
                if not value.strip().isdigit():
                    raise InvalidInput(f"capacity for {kind} must be a whole number")
                capacity[kind] = int(value)
        update_agent(
            session,
            agent.workspace_id,
            user_id,
            languages=_words(languages),
            topics=_words(topics),
            capacity=capacity,
            shifts=parse_shift_lines(shifts),
            shift_timezone=shift_timezone.strip() or "UTC",
        )

    return _act_with_extras(request, agent, change)


@router.post("/admin/teams/strategies", name="ui_admin_team_strategies", response_model=None)
async def team_strategies(request: Request, agent: AdminDep) -> HTMLResponse | RedirectResponse:
    """One form for every team: a ``strategy_<team id>`` field each."""
    form = await request.form()
    wanted: dict[int, str] = {}
    for name, value in form.items():
        if name.startswith("strategy_") and isinstance(value, str):
            team = name.removeprefix("strategy_")
            if not team.isdigit():
                return _failed(request, agent, InvalidInput(f"unknown team {team!r}"))
            wanted[int(team)] = value

    def change(session: Any) -> None:
        for team_id, strategy in wanted.items():
            update_team(session, agent.workspace_id, team_id, strategy=strategy)

    return _act_with_extras(request, agent, change)


def _failed(request: Request, agent: SignedIn, exc: SocialdeskError) -> HTMLResponse:
    return _page(
        request, agent, TEMPLATE, status_code=exc.status, error=exc.detail, **_extras(request)
    )


def _act_with_extras(
    request: Request, agent: SignedIn, change: Any
) -> HTMLResponse | RedirectResponse:
    try:
        with get_app(request).db.session() as session:
            change(session)
    except SocialdeskError as exc:
        return _failed(request, agent, exc)
    return RedirectResponse("/admin/agents", status_code=303)
