"""Business-hours calendars: weekly opening hours in a time zone, minus public holidays.

All arithmetic walks the calendar one opening interval at a time, so it is exact across
daylight-saving changes, midnight-spanning shifts are expressed as two intervals, and a
calendar that is never open is rejected up front instead of looping forever.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import holidays as holiday_calendars

from socialdesk.domain.errors import InvalidInput

__all__ = ["ALWAYS_OPEN", "DAYS", "BusinessCalendar", "OpeningHours", "public_holidays"]

_MAX_SCAN_DAYS = 3 * 366  # longest stretch we search for an opening (e.g. long holidays)
DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


@dataclass(frozen=True, slots=True)
class OpeningHours:
    """Open from ``start`` to ``end`` (local time) on ``weekday`` (0 = Monday)."""

    weekday: int
    start: time
    end: time  # time(0, 0) as an end means midnight at the end of the day

    def bounds(self, day: date, zone: ZoneInfo) -> tuple[datetime, datetime]:
        start = datetime.combine(day, self.start, zone)
        end_day = day + timedelta(days=1) if self.end == time(0) else day
        end = datetime.combine(end_day, self.end, zone)
        return start.astimezone(UTC), end.astimezone(UTC)


def _parse_clock(text: str) -> time:
    try:
        hours, minutes = text.strip().split(":")
        h, m = int(hours), int(minutes)
    except ValueError:
        raise InvalidInput(f"{text!r} is not a time such as 09:00") from None
    if h == 24 and m == 0:
        return time(0)
    if not (0 <= h < 24 and 0 <= m < 60):
        raise InvalidInput(f"{text!r} is not a time such as 09:00")
    return time(h, m)


def _end_minutes(opening: OpeningHours) -> int:
    return 24 * 60 if opening.end == time(0) else opening.end.hour * 60 + opening.end.minute


def _reject_overlaps(hours: list[OpeningHours]) -> None:
    """Overlapping intervals of one day would count their common time twice."""
    for before, after in itertools.pairwise(hours):
        if before.weekday != after.weekday:
            continue
        if after.start.hour * 60 + after.start.minute < _end_minutes(before):
            raise InvalidInput(
                f"opening hours on {DAYS[before.weekday]} overlap "
                f"({before.start:%H:%M} and {after.start:%H:%M}); merge them into one interval"
            )


def public_holidays(country: str, subdivision: str | None, years: Iterable[int]) -> set[date]:
    """The public holidays of a country (and region) from the ``holidays`` package's own data."""
    code = country.strip().upper()
    region = subdivision.strip().upper() if subdivision else None
    try:
        calendar = holiday_calendars.country_holidays(code, subdiv=region, years=list(years))
    except NotImplementedError:
        if region and code in holiday_calendars.list_supported_countries():
            raise InvalidInput(
                f"no public holidays known for region {subdivision!r} of {code}"
            ) from None
        raise InvalidInput(f"no public holidays known for {country!r}") from None
    return set(calendar.keys())


@dataclass(frozen=True)
class BusinessCalendar:
    """When a team works. ``always_open`` calendars measure calendar time."""

    timezone: str = "UTC"
    hours: tuple[OpeningHours, ...] = ()
    holidays: frozenset[date] = field(default_factory=frozenset)
    always_open: bool = False

    def __post_init__(self) -> None:
        try:
            ZoneInfo(self.timezone)
        except (ZoneInfoNotFoundError, ValueError):
            raise InvalidInput(f"unknown time zone {self.timezone!r}") from None
        if not self.always_open and not self.hours:
            raise InvalidInput("a business-hours calendar needs at least one opening interval")
        for opening in self.hours:
            if opening.end != time(0) and opening.end <= opening.start:
                raise InvalidInput(
                    f"opening hours on {DAYS[opening.weekday]} end before they start; "
                    "split a shift that crosses midnight into two days"
                )

    @classmethod
    def weekly(
        cls,
        timezone: str,
        schedule: dict[str, list[tuple[str, str]]],
        *,
        holiday_country: str | None = None,
        holiday_subdivision: str | None = None,
        extra_holidays: Iterable[date] = (),
        years: Iterable[int] = (),
    ) -> BusinessCalendar:
        """Build from ``{"mon": [("09:00", "17:00")], …}`` and a country's public holidays."""
        hours = []
        for day, intervals in schedule.items():
            key = day.strip().lower()[:3]
            if key not in DAYS:
                raise InvalidInput(f"{day!r} is not a weekday (mon … sun)")
            for interval in intervals:
                if len(interval) != 2:
                    raise InvalidInput(
                        f"opening hours on {key} must be [start, end] pairs such as "
                        '["09:00", "17:00"]'
                    )
                start, end = interval
                hours.append(OpeningHours(DAYS.index(key), _parse_clock(start), _parse_clock(end)))
        hours.sort(key=lambda h: (h.weekday, h.start))
        _reject_overlaps(hours)
        closed = set(extra_holidays)
        if holiday_country:
            year_list = list(years) or list(range(date.today().year - 1, date.today().year + 3))
            closed.update(public_holidays(holiday_country, holiday_subdivision, year_list))
        return cls(timezone=timezone, hours=tuple(hours), holidays=frozenset(closed))

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    def _intervals_from(self, at: datetime) -> Iterator[tuple[datetime, datetime]]:
        """Opening intervals (UTC) that end after ``at``, in order."""
        zone = self.zone
        local_day = at.astimezone(zone).date() - timedelta(days=1)
        for offset in range(_MAX_SCAN_DAYS):
            day = local_day + timedelta(days=offset)
            if day in self.holidays:
                continue
            for opening in self.hours:
                if opening.weekday != day.weekday():
                    continue
                start, end = opening.bounds(day, zone)
                if end > at:
                    yield max(start, at), end
        raise InvalidInput("the calendar has no opening within three years")

    def is_open(self, at: datetime) -> bool:
        if self.always_open:
            return True
        for start, end in self._intervals_from(at):
            return start <= at < end
        return False  # pragma: no cover - _intervals_from raises instead

    def next_open(self, at: datetime) -> datetime:
        """``at`` itself when open, else the next opening time."""
        if self.always_open:
            return at
        for start, _end in self._intervals_from(at):
            return start
        raise AssertionError("unreachable")  # pragma: no cover

    def business_seconds(self, start: datetime, end: datetime) -> float:
        """Open time between two instants, in seconds (0 when ``end`` <= ``start``)."""
        if end <= start:
            return 0.0
        if self.always_open:
            return (end - start).total_seconds()
        total = 0.0
        for open_start, open_end in self._intervals_from(start):
            if open_start >= end:
                break
            total += (min(open_end, end) - open_start).total_seconds()
        return total

    def add_business_seconds(self, start: datetime, seconds: float) -> datetime:
        """The instant when ``seconds`` of open time have passed after ``start``."""
        if seconds < 0:
            raise InvalidInput("cannot add a negative duration")
        if self.always_open:
            return start + timedelta(seconds=seconds)
        remaining = seconds
        for open_start, open_end in self._intervals_from(start):
            available = (open_end - open_start).total_seconds()
            if remaining <= available:
                return open_start + timedelta(seconds=remaining)
            remaining -= available
        raise AssertionError("unreachable")  # pragma: no cover


ALWAYS_OPEN = BusinessCalendar(always_open=True)
