"""Business-hours calendars: time zones, holidays, daylight saving, odd schedules."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from socialdesk.domain.business_hours import BusinessCalendar
from socialdesk.domain.errors import InvalidInput

WEEKDAYS = ["mon", "tue", "wed", "thu", "fri"]


def office(tz: str = "Europe/Madrid", **kwargs: object) -> BusinessCalendar:
    return BusinessCalendar.weekly(tz, {d: [("09:00", "17:00")] for d in WEEKDAYS}, **kwargs)  # type: ignore[arg-type]


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


def test_open_inside_local_hours_and_closed_outside() -> None:
    cal = office()
    assert cal.is_open(utc(2026, 11, 27, 15, 0))  # Friday 16:00 in Madrid
    assert not cal.is_open(utc(2026, 11, 27, 16, 30))  # Friday 17:30 in Madrid
    assert not cal.is_open(utc(2026, 11, 28, 11, 0))  # Saturday


def test_time_added_late_on_friday_carries_to_monday() -> None:
    due = office().add_business_seconds(utc(2026, 11, 27, 15, 0), 2 * 3600)
    assert due == utc(2026, 11, 30, 9, 0)  # Monday 10:00 in Madrid


def test_public_holiday_is_closed() -> None:
    cal = office(holiday_country="ES", years=[2026])
    # 8 December (Immaculate Conception) is a national holiday in Spain.
    assert cal.next_open(utc(2026, 12, 7, 20, 0)) == utc(2026, 12, 9, 8, 0)


def test_extra_holidays_close_a_day() -> None:
    cal = office(extra_holidays=[date(2026, 11, 30)])
    assert cal.next_open(utc(2026, 11, 28, 12, 0)) == utc(2026, 12, 1, 8, 0)


def test_daylight_saving_change_keeps_local_opening_time() -> None:
    cal = office("America/New_York")
    # Clocks went back on 1 Nov 2026: 09:00 local is 13:00 UTC before, 14:00 UTC after.
    assert cal.next_open(utc(2026, 10, 30, 2, 0)) == utc(2026, 10, 30, 13, 0)
    assert cal.next_open(utc(2026, 11, 2, 2, 0)) == utc(2026, 11, 2, 14, 0)


def test_business_seconds_over_a_weekend_count_only_open_hours() -> None:
    cal = office()
    friday_noon, monday_noon = utc(2026, 11, 27, 11, 0), utc(2026, 11, 30, 11, 0)
    assert cal.business_seconds(friday_noon, monday_noon) == 8 * 3600


def test_shift_ending_at_midnight_is_allowed() -> None:
    cal = BusinessCalendar.weekly("UTC", {"mon": [("18:00", "24:00")]})
    assert cal.business_seconds(utc(2026, 11, 30, 0, 0), utc(2026, 12, 1, 0, 0)) == 6 * 3600


@pytest.mark.parametrize(
    ("schedule", "tz", "fragment"),
    [
        ({"mon": [("17:00", "09:00")]}, "UTC", "end before they start"),
        ({"funday": [("09:00", "17:00")]}, "UTC", "not a weekday"),
        ({"mon": [("9am", "17:00")]}, "UTC", "not a time"),
        ({"mon": [("09:00", "17:00")]}, "Mars/Olympus", "unknown time zone"),
        ({}, "UTC", "at least one opening"),
    ],
)
def test_invalid_calendars_are_rejected_with_a_reason(
    schedule: dict[str, list[tuple[str, str]]], tz: str, fragment: str
) -> None:
    with pytest.raises(InvalidInput, match=fragment):
        BusinessCalendar.weekly(tz, schedule)


def test_unknown_holiday_country_is_rejected() -> None:
    with pytest.raises(InvalidInput, match="no public holidays"):
        office(holiday_country="XX")


@given(
    start=st.datetimes(min_value=datetime(2026, 1, 1), max_value=datetime(2027, 12, 31)),
    minutes=st.integers(min_value=0, max_value=60 * 24 * 10),
)
def test_adding_then_measuring_gives_back_the_same_duration(start: datetime, minutes: int) -> None:
    cal = office(holiday_country="ES", years=[2026, 2027, 2028])
    begin = start.replace(tzinfo=UTC)
    due = cal.add_business_seconds(begin, minutes * 60)
    assert due >= begin
    assert cal.business_seconds(begin, due) == pytest.approx(minutes * 60)


@given(
    a=st.datetimes(min_value=datetime(2026, 1, 1), max_value=datetime(2026, 12, 31)),
    gap=st.timedeltas(min_value=timedelta(0), max_value=timedelta(days=20)),
)
def test_business_time_never_exceeds_calendar_time(a: datetime, gap: timedelta) -> None:
    begin = a.replace(tzinfo=UTC)
    assert 0 <= office().business_seconds(begin, begin + gap) <= gap.total_seconds()
