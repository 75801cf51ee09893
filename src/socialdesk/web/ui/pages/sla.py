"""Admin page for SLA policies and business-hours calendars (supervisors and admins).

The role check is a route dependency, so an agent gets 403 whatever the link shows; the full
editing of policies (several targets per policy) is in the REST API, this page covers the
everyday set-up: a calendar, a policy with one target row, the workspace default.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse
from sqlalchemy.orm import Session

from socialdesk.domain.business_hours import DAYS
from socialdesk.domain.errors import InvalidInput, SocialdeskError
from socialdesk.domain.sla import SlaTarget
from socialdesk.domain.types import Priority, Role
from socialdesk.services import calendars as cal_svc
from socialdesk.services import sla as sla_svc
from socialdesk.services.inbox import VIEWS, InboxQuery, view_counts
from socialdesk.services.sessions import SignedIn
from socialdesk.web.deps import get_app
from socialdesk.web.ui.render import render
from socialdesk.web.ui.security import require_role

router = APIRouter(prefix="/admin/sla")
ManagerDep = Annotated[SignedIn, require_role(Role.SUPERVISOR)]
PAGE = "/admin/sla"


def _page(request: Request, agent: SignedIn, status_code: int = 200, **extra: Any) -> HTMLResponse:
    with get_app(request).db.read_session() as session:
        ws = agent.workspace_id
        calendars = cal_svc.list_calendars(session, ws)
        context: dict[str, Any] = {
            "agent": agent,
            "calendars": calendars,
            "calendar_names": {c.id: c.name for c in calendars},
            "policies": sla_svc.list_policies(session, ws),
            "days": DAYS,
            "priorities": [p.value for p in Priority],
            "views": VIEWS,
            "counts": view_counts(session, ws, agent.user_id),
            "query": InboxQuery(view=""),
        }
        context.update(extra)
        return render(request, "admin_sla.html", context, status_code=status_code)


def _act(request: Request, agent: SignedIn, change: Any) -> HTMLResponse | RedirectResponse:
    try:
        with get_app(request).db.session() as session:
            change(session)
    except SocialdeskError as exc:
        return _page(request, agent, status_code=exc.status, error=exc.detail)
    return RedirectResponse(PAGE, status_code=303)


def _minutes(value: str, what: str) -> timedelta | None:
    value = value.strip()
    if not value:
        return None
    if not value.isdigit() or not 1 <= int(value) <= 366 * 24 * 60:
        raise InvalidInput(f"the {what} target must be a whole number of minutes")
    return timedelta(minutes=int(value))


def _dates(text: str) -> list[date]:
    found = []
    for part in text.replace("\n", ",").split(","):
        if part.strip():
            try:
                found.append(date.fromisoformat(part.strip()))
            except ValueError:
                raise InvalidInput(f"{part.strip()!r} is not a date such as 2026-12-24") from None
    return found


@router.get("", name="ui_admin_sla", response_class=HTMLResponse)
def sla_page(request: Request, agent: ManagerDep) -> HTMLResponse:
    return _page(request, agent)


@router.post("/calendars", name="ui_admin_sla_calendar_create", response_model=None)
def calendar_create(
    request: Request,
    agent: ManagerDep,
    name: Annotated[str, Form(max_length=200)],
    timezone: Annotated[str, Form(max_length=64)],
    opens: Annotated[str, Form(max_length=5)] = "09:00",
    closes: Annotated[str, Form(max_length=5)] = "17:00",
    days: Annotated[list[str] | None, Form()] = None,
    holiday_country: Annotated[str, Form(max_length=3)] = "",
    holiday_subdivision: Annotated[str, Form(max_length=10)] = "",
    closed_dates: Annotated[str, Form(max_length=5000)] = "",
) -> HTMLResponse | RedirectResponse:
    def change(session: Session) -> None:
        chosen = [d for d in (days or []) if d in DAYS]
        if not chosen:
            raise InvalidInput("choose at least one open weekday")
        spec = cal_svc.CalendarSpec(
            name=name,
            timezone=timezone,
            hours={d: [[opens, closes]] for d in chosen},
            holiday_country=holiday_country or None,
            holiday_subdivision=holiday_subdivision or None,
            closed_dates=_dates(closed_dates),
        )
        cal_svc.create_calendar(session, agent.workspace_id, spec)

    return _act(request, agent, change)


@router.post(
    "/calendars/{calendar_id}/delete", name="ui_admin_sla_calendar_delete", response_model=None
)
def calendar_delete(
    request: Request, calendar_id: int, agent: ManagerDep
) -> HTMLResponse | RedirectResponse:
    return _act(
        request, agent, lambda s: cal_svc.delete_calendar(s, agent.workspace_id, calendar_id)
    )


@router.post("/policies", name="ui_admin_sla_policy_create", response_model=None)
def policy_create(
    request: Request,
    agent: ManagerDep,
    name: Annotated[str, Form(max_length=200)],
    calendar: Annotated[str, Form(max_length=20)] = "",
    priority: Annotated[str, Form(max_length=20)] = "",
    platform: Annotated[str, Form(max_length=30)] = "",
    first_response: Annotated[str, Form(max_length=10)] = "",
    next_response: Annotated[str, Form(max_length=10)] = "",
    resolution: Annotated[str, Form(max_length=10)] = "",
    default: Annotated[str, Form(max_length=5)] = "",
) -> HTMLResponse | RedirectResponse:
    def change(session: Session) -> None:
        if calendar and not calendar.isdigit():
            raise InvalidInput("choose a calendar from the list")
        target = SlaTarget(
            priority=priority or None,
            platform=platform.strip().lower() or None,
            first_response=_minutes(first_response, "first response"),
            next_response=_minutes(next_response, "next response"),
            resolution=_minutes(resolution, "resolution"),
        )
        spec = sla_svc.PolicySpec(
            name=name,
            targets=[target],
            calendar_id=int(calendar) if calendar else None,
            is_default=bool(default),
        )
        sla_svc.create_policy(session, agent.workspace_id, spec)

    return _act(request, agent, change)


@router.post("/policies/{policy_id}/delete", name="ui_admin_sla_policy_delete", response_model=None)
def policy_delete(
    request: Request, policy_id: int, agent: ManagerDep
) -> HTMLResponse | RedirectResponse:
    return _act(request, agent, lambda s: sla_svc.delete_policy(s, agent.workspace_id, policy_id))
