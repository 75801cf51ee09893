"""Business-hours calendars of a workspace: stored specs, validated by building the domain
:class:`~socialdesk.domain.business_hours.BusinessCalendar` they describe."""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass
from datetime import date, datetime
from threading import Lock
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from socialdesk.domain.business_hours import DAYS, BusinessCalendar
from socialdesk.domain.errors import Conflict, InvalidInput, NotFound
from socialdesk.store.models import BusinessHoursCalendar, SlaPolicy
from socialdesk.store.types import utcnow

__all__ = [
    "CalendarSpec",
    "build_calendar",
    "calendar_for",
    "create_calendar",
    "delete_calendar",
    "get_calendar",
    "list_calendars",
    "update_calendar",
]

_MAX_CLOSED_DATES = 1000


@dataclass
class CalendarSpec:
    """What a person gives: ``hours`` as ``{"mon": [["09:00", "17:00"]], …}``."""

    name: str
    timezone: str
    hours: dict[str, list[list[str]]]
    holiday_country: str | None = None
    holiday_subdivision: str | None = None
    closed_dates: list[date] | None = None


def _years_around(today: date) -> list[int]:
    return list(range(today.year - 1, today.year + 3))


def build_calendar(
    row: BusinessHoursCalendar | CalendarSpec, *, today: date | None = None
) -> BusinessCalendar:
    """The domain calendar of a stored row or a spec; raises InvalidInput when it is wrong."""
    closed = [d if isinstance(d, date) else date.fromisoformat(d) for d in row.closed_dates or []]
    hours = {day: [tuple(i) for i in intervals] for day, intervals in (row.hours or {}).items()}
    return BusinessCalendar.weekly(
        row.timezone,
        hours,
        holiday_country=row.holiday_country,
        holiday_subdivision=row.holiday_subdivision,
        extra_holidays=closed,
        years=_years_around(today or utcnow().date()),
    )


_cache: OrderedDict[tuple[int, datetime, date], BusinessCalendar] = OrderedDict()
_cache_lock = Lock()
_CACHE_SIZE = 256


def calendar_for(session: Session, calendar_id: int) -> BusinessCalendar:
    """The domain calendar of a stored one, cached per version (holiday tables are slow)."""
    row = session.get(BusinessHoursCalendar, calendar_id)
    if row is None:
        raise NotFound(f"calendar {calendar_id} does not exist")
    key = (row.id, row.updated_at, utcnow().date())
    with _cache_lock:
        found = _cache.get(key)
        if found is not None:
            _cache.move_to_end(key)
            return found
    built = build_calendar(row)
    with _cache_lock:
        _cache[key] = built
        while len(_cache) > _CACHE_SIZE:
            _cache.popitem(last=False)
    return built


def _clean(spec: CalendarSpec) -> dict[str, Any]:
    name = spec.name.strip()
    if not name:
        raise InvalidInput("a calendar needs a name")
    hours: dict[str, list[list[str]]] = {}
    for day, intervals in spec.hours.items():
        key = day.strip().lower()[:3]
        if key not in DAYS:
            raise InvalidInput(f"{day!r} is not a weekday (mon … sun)")
        if key in hours:
            raise InvalidInput(f"{day!r} appears twice in the opening hours")
        hours[key] = [list(i) for i in intervals]
    closed = sorted(set(spec.closed_dates or []))
    if len(closed) > _MAX_CLOSED_DATES:
        raise InvalidInput(f"at most {_MAX_CLOSED_DATES} closed dates")
    country = (spec.holiday_country or "").strip().upper() or None
    region = (spec.holiday_subdivision or "").strip().upper() or None
    if region and not country:
        raise InvalidInput("a holiday subdivision needs its holiday country")
    values: dict[str, Any] = {
        "name": name,
        "timezone": spec.timezone.strip(),
        "hours": hours,
        "holiday_country": country,
        "holiday_subdivision": region,
        "closed_dates": [d.isoformat() for d in closed],
    }
    build_calendar(CalendarSpec(**{**values, "closed_dates": closed}))  # validates it all
    return values


def _name_free(session: Session, workspace_id: int, name: str, exclude: int | None) -> None:
    query = select(BusinessHoursCalendar.id).where(
        BusinessHoursCalendar.workspace_id == workspace_id, BusinessHoursCalendar.name == name
    )
    if exclude is not None:
        query = query.where(BusinessHoursCalendar.id != exclude)
    if session.scalar(query) is not None:
        raise Conflict(f"a calendar named {name!r} already exists")


def list_calendars(session: Session, workspace_id: int) -> list[BusinessHoursCalendar]:
    return list(
        session.scalars(
            select(BusinessHoursCalendar)
            .where(BusinessHoursCalendar.workspace_id == workspace_id)
            .order_by(BusinessHoursCalendar.name)
        )
    )


def get_calendar(session: Session, workspace_id: int, calendar_id: int) -> BusinessHoursCalendar:
    row = session.get(BusinessHoursCalendar, calendar_id)
    if row is None or row.workspace_id != workspace_id:
        raise NotFound(f"calendar {calendar_id} does not exist in this workspace")
    return row


def create_calendar(
    session: Session, workspace_id: int, spec: CalendarSpec
) -> BusinessHoursCalendar:
    values = _clean(spec)
    _name_free(session, workspace_id, values["name"], None)
    now = utcnow()
    row = BusinessHoursCalendar(workspace_id=workspace_id, created_at=now, updated_at=now, **values)
    session.add(row)
    session.flush()
    return row


def update_calendar(
    session: Session, workspace_id: int, calendar_id: int, spec: CalendarSpec
) -> BusinessHoursCalendar:
    """Replace a calendar; running clocks use it from their next change on."""
    row = get_calendar(session, workspace_id, calendar_id)
    values = _clean(spec)
    _name_free(session, workspace_id, values["name"], row.id)
    for field, value in values.items():
        setattr(row, field, value)
    row.updated_at = utcnow()
    session.flush()
    return row


def delete_calendar(session: Session, workspace_id: int, calendar_id: int) -> None:
    row = get_calendar(session, workspace_id, calendar_id)
    users = list(
        session.scalars(select(SlaPolicy.name).where(SlaPolicy.calendar_id == row.id).limit(5))
    )
    if users:
        raise Conflict(
            f"calendar {row.name!r} is used by SLA policy {', '.join(users)}; "
            "give those policies another calendar first"
        )
    session.delete(row)
    session.flush()
