"""SLA policies and business-hours calendars. Everyone may read them; admins and supervisors
(and tokens without a user) may change them."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Annotated

from fastapi import APIRouter, Response
from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from socialdesk.domain.errors import Forbidden
from socialdesk.domain.sla import SlaTarget
from socialdesk.domain.types import Priority, Role
from socialdesk.services import calendars as cal_svc
from socialdesk.services import sla as sla_svc
from socialdesk.store.models import BusinessHoursCalendar, SlaPolicy
from socialdesk.web.api.common import MAX_ID, IdPath, RequestModel, TxSessionDep
from socialdesk.web.deps import Caller, CallerDep, ReadSessionDep

router = APIRouter(tags=["SLA"])

_MANAGERS = {Role.ADMIN.value, Role.SUPERVISOR.value}
_MAX_MINUTES = 366 * 24 * 60
Clock = Annotated[str, StringConstraints(pattern=r"^\d{1,2}:\d{2}$")]
Minutes = Annotated[int, Field(ge=1, le=_MAX_MINUTES)]


def require_manager(caller: Caller) -> None:
    if caller.role not in _MANAGERS:
        raise Forbidden("only admins and supervisors may change SLA policies and calendars")


# --------------------------------------------------------------------------- calendars


class CalendarIn(RequestModel):
    name: str = Field(min_length=1, max_length=200, description="Shown to admins, unique")
    timezone: str = Field(
        min_length=1, max_length=64, description="IANA time zone, e.g. Europe/Madrid"
    )
    hours: dict[str, list[tuple[Clock, Clock]]] = Field(
        max_length=7,
        description='Opening hours per weekday (mon … sun) in local time: {"mon": '
        '[["09:00", "17:00"]]}; a missing day is closed; "24:00" ends at midnight',
    )
    holiday_country: str | None = Field(
        default=None,
        min_length=2,
        max_length=3,
        description="ISO country code whose public holidays close the calendar (e.g. ES)",
    )
    holiday_subdivision: str | None = Field(
        default=None,
        min_length=1,
        max_length=10,
        description="Region of the country for regional holidays (e.g. MD for Madrid)",
    )
    closed_dates: list[date] = Field(
        default_factory=list, max_length=1000, description="Extra closed days (YYYY-MM-DD)"
    )

    def spec(self) -> cal_svc.CalendarSpec:
        return cal_svc.CalendarSpec(
            name=self.name,
            timezone=self.timezone,
            hours={day: [list(i) for i in spans] for day, spans in self.hours.items()},
            holiday_country=self.holiday_country,
            holiday_subdivision=self.holiday_subdivision,
            closed_dates=list(self.closed_dates),
        )


class CalendarOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: int
    name: str
    timezone: str
    hours: dict[str, list[list[str]]]
    holiday_country: str | None
    holiday_subdivision: str | None
    closed_dates: list[str]
    is_open_now: bool = Field(description="Whether the calendar is open at this moment")
    next_open: datetime = Field(description="Now when open, else the next opening (UTC)")
    updated_at: datetime

    @classmethod
    def of(cls, row: BusinessHoursCalendar) -> CalendarOut:
        calendar = cal_svc.build_calendar(row)
        now = datetime.now().astimezone()
        return cls(
            id=row.id,
            name=row.name,
            timezone=row.timezone,
            hours=row.hours,
            holiday_country=row.holiday_country,
            holiday_subdivision=row.holiday_subdivision,
            closed_dates=list(row.closed_dates or []),
            is_open_now=calendar.is_open(now),
            next_open=calendar.next_open(now),
            updated_at=row.updated_at,
        )


class CalendarList(BaseModel):
    items: list[CalendarOut]


@router.get("/calendars", summary="List business-hours calendars")
def list_calendars(caller: CallerDep, session: ReadSessionDep) -> CalendarList:
    rows = cal_svc.list_calendars(session, caller.workspace_id)
    return CalendarList(items=[CalendarOut.of(r) for r in rows])


@router.post("/calendars", status_code=201, summary="Create a business-hours calendar")
def create_calendar(body: CalendarIn, caller: CallerDep, session: TxSessionDep) -> CalendarOut:
    require_manager(caller)
    return CalendarOut.of(cal_svc.create_calendar(session, caller.workspace_id, body.spec()))


@router.get("/calendars/{calendar_id}", summary="One business-hours calendar")
def get_calendar(calendar_id: IdPath, caller: CallerDep, session: ReadSessionDep) -> CalendarOut:
    return CalendarOut.of(cal_svc.get_calendar(session, caller.workspace_id, calendar_id))


@router.put("/calendars/{calendar_id}", summary="Replace a calendar (running clocks follow)")
def replace_calendar(
    calendar_id: IdPath, body: CalendarIn, caller: CallerDep, session: TxSessionDep
) -> CalendarOut:
    require_manager(caller)
    row = cal_svc.update_calendar(session, caller.workspace_id, calendar_id, body.spec())
    sla_svc.refresh_calendar_conversations(session, row.id)
    return CalendarOut.of(row)


@router.delete(
    "/calendars/{calendar_id}", status_code=204, summary="Delete a calendar no policy uses"
)
def delete_calendar(calendar_id: IdPath, caller: CallerDep, session: TxSessionDep) -> Response:
    require_manager(caller)
    cal_svc.delete_calendar(session, caller.workspace_id, calendar_id)
    return Response(status_code=204)


# --------------------------------------------------------------------------- policies


class TargetIn(RequestModel):
    priority: Priority | None = Field(
        default=None, description="low, normal, high or urgent; null for any priority"
    )
    platform: str | None = Field(
        default=None,
        min_length=1,
        max_length=30,
        description="Channel (platform) such as twitter or sandbox; null for any channel",
    )
    first_response_minutes: Minutes | None = Field(
        default=None, description="From the first customer message to the first human reply"
    )
    next_response_minutes: Minutes | None = Field(
        default=None, description="From a customer message after a reply to the next reply"
    )
    resolution_minutes: Minutes | None = Field(
        default=None, description="From the first customer message to resolved"
    )

    def target(self) -> SlaTarget:
        def span(minutes: int | None) -> timedelta | None:
            return timedelta(minutes=minutes) if minutes is not None else None

        return SlaTarget(
            priority=self.priority.value if self.priority else None,
            platform=self.platform,
            first_response=span(self.first_response_minutes),
            next_response=span(self.next_response_minutes),
            resolution=span(self.resolution_minutes),
        )


class PolicyIn(RequestModel):
    name: str = Field(min_length=1, max_length=200, description="Shown to admins, unique")
    calendar_id: Annotated[int, Field(ge=1, le=MAX_ID)] | None = Field(
        default=None, description="Business-hours calendar the clocks count in; null: 24/7"
    )
    is_default: bool = Field(
        default=False, description="Applies to conversations no rule gave a policy"
    )
    targets: list[TargetIn] = Field(
        min_length=1,
        max_length=100,
        description="The most specific target (priority, then channel) applies",
    )

    def spec(self) -> sla_svc.PolicySpec:
        return sla_svc.PolicySpec(
            name=self.name,
            calendar_id=self.calendar_id,
            is_default=self.is_default,
            targets=[t.target() for t in self.targets],
        )


class TargetOut(BaseModel):
    priority: str | None
    platform: str | None
    first_response_minutes: int | None
    next_response_minutes: int | None
    resolution_minutes: int | None


class PolicyOut(BaseModel):
    id: int
    name: str
    calendar_id: int | None = Field(description="null: the clocks run around the clock")
    is_default: bool
    targets: list[TargetOut]
    updated_at: datetime

    @classmethod
    def of(cls, policy: SlaPolicy) -> PolicyOut:
        def minutes(seconds: int | None) -> int | None:
            return seconds // 60 if seconds is not None else None

        return cls(
            id=policy.id,
            name=policy.name,
            calendar_id=policy.calendar_id,
            is_default=policy.is_default,
            targets=[
                TargetOut(
                    priority=t.priority,
                    platform=t.platform,
                    first_response_minutes=minutes(t.first_response_seconds),
                    next_response_minutes=minutes(t.next_response_seconds),
                    resolution_minutes=minutes(t.resolution_seconds),
                )
                for t in policy.targets
            ],
            updated_at=policy.updated_at,
        )


class PolicyList(BaseModel):
    items: list[PolicyOut]


@router.get("/sla-policies", summary="List SLA policies")
def list_policies(caller: CallerDep, session: ReadSessionDep) -> PolicyList:
    return PolicyList(
        items=[PolicyOut.of(p) for p in sla_svc.list_policies(session, caller.workspace_id)]
    )


@router.post("/sla-policies", status_code=201, summary="Create an SLA policy")
def create_policy(body: PolicyIn, caller: CallerDep, session: TxSessionDep) -> PolicyOut:
    require_manager(caller)
    return PolicyOut.of(sla_svc.create_policy(session, caller.workspace_id, body.spec()))


@router.get("/sla-policies/{policy_id}", summary="One SLA policy")
def get_policy(policy_id: IdPath, caller: CallerDep, session: ReadSessionDep) -> PolicyOut:
    return PolicyOut.of(sla_svc.get_policy(session, caller.workspace_id, policy_id))


@router.put("/sla-policies/{policy_id}", summary="Replace an SLA policy (running clocks follow)")
def replace_policy(
    policy_id: IdPath, body: PolicyIn, caller: CallerDep, session: TxSessionDep
) -> PolicyOut:
    require_manager(caller)
    return PolicyOut.of(sla_svc.update_policy(session, caller.workspace_id, policy_id, body.spec()))


@router.delete(
    "/sla-policies/{policy_id}", status_code=204, summary="Delete a policy (its clocks stop)"
)
def delete_policy(policy_id: IdPath, caller: CallerDep, session: TxSessionDep) -> Response:
    require_manager(caller)
    sla_svc.delete_policy(session, caller.workspace_id, policy_id)
    return Response(status_code=204)
