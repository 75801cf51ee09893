"""SLA clocks across business hours, holidays, time zones, daylight saving and pending
periods, and the choice of a policy's target (property-based where it fits)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from socialdesk.domain.business_hours import BusinessCalendar
from socialdesk.domain.errors import InvalidInput
from socialdesk.domain.sla import (
    ClockKind,
    SlaClock,
    SlaState,
    SlaTarget,
    check_targets,
    pick_target,
)

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri")
HOUR = timedelta(hours=1)


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


def office(tz: str = "Europe/Madrid", **kwargs: object) -> BusinessCalendar:
    return BusinessCalendar.weekly(  # type: ignore[arg-type]
        tz, {d: [("09:00", "17:00")] for d in WEEKDAYS}, **kwargs
    )


MADRID = office(holiday_country="ES", holiday_subdivision="MD", years=[2026, 2027])
NEW_YORK = office("America/New_York", years=[2026, 2027])


def test_clock_counts_only_open_hours_in_the_calendars_time_zone() -> None:
    # Friday 16:00 in New York is 21:00 UTC; one open hour on Friday, the rest on Monday.
    start = utc(2026, 11, 20, 21, 0)
    clock = SlaClock(target=3 * HOUR, started_at=start, calendar=NEW_YORK)
    assert clock.due_at(start) == utc(2026, 11, 23, 16, 0)  # Monday 11:00 in New York


def test_clock_across_the_daylight_saving_change_keeps_local_opening_hours() -> None:
    # New York falls back on Sunday 1 Nov 2026: Friday opens 13:00 UTC, Monday 14:00 UTC.
    friday_4pm = utc(2026, 10, 30, 20, 0)  # 16:00 EDT
    clock = SlaClock(target=2 * HOUR, started_at=friday_4pm, calendar=NEW_YORK)
    assert clock.due_at(friday_4pm) == utc(2026, 11, 2, 15, 0)  # Monday 10:00 EST
    assert clock.elapsed(utc(2026, 11, 2, 14, 30)) == timedelta(minutes=90)


def test_spring_forward_day_is_a_full_business_day() -> None:
    # Europe moves to summer time on Sunday 29 March 2026; Monday is an ordinary 8 h day.
    monday = utc(2026, 3, 30, 7, 0)  # 09:00 CEST
    clock = SlaClock(target=8 * HOUR, started_at=monday, calendar=office())
    assert clock.due_at(monday) == utc(2026, 3, 30, 15, 0)  # 17:00 CEST


def test_public_holiday_of_the_region_does_not_count() -> None:
    # 8 December (Immaculate Conception) is a public holiday in the Community of Madrid.
    evening = utc(2026, 12, 7, 16, 30)  # Monday 17:30 in Madrid: closed
    clock = SlaClock(target=HOUR, started_at=evening, calendar=MADRID)
    assert clock.due_at(evening) == utc(2026, 12, 9, 9, 0)  # Wednesday 10:00, after the 8th


def test_custom_closed_date_does_not_count() -> None:
    calendar = office(extra_holidays=[date(2026, 12, 24)])
    start = utc(2026, 12, 23, 15, 0)  # Wednesday 16:00 in Madrid
    clock = SlaClock(target=2 * HOUR, started_at=start, calendar=calendar)
    assert clock.due_at(start) == utc(2026, 12, 25, 9, 0)  # the 24th is closed, the 25th not


def test_pending_period_over_a_night_subtracts_only_its_open_hours() -> None:
    start = utc(2026, 11, 24, 14, 0)  # Tuesday 15:00 in Madrid
    pause = (utc(2026, 11, 24, 15, 0), utc(2026, 11, 25, 10, 0))  # 16:00 → 11:00 next day
    clock = SlaClock(target=4 * HOUR, started_at=start, calendar=office(), paused=(pause,))
    # Open and counted: 15:00-16:00 Tuesday, then 11:00-12:00 Wednesday.
    assert clock.elapsed(utc(2026, 11, 25, 11, 0)) == 2 * HOUR
    assert clock.due_at(utc(2026, 11, 25, 11, 0)) == utc(2026, 11, 25, 13, 0)


def test_state_moves_from_ok_to_warning_to_breached_in_business_time() -> None:
    start = utc(2026, 11, 27, 15, 0)  # Friday 16:00 in Madrid, one open hour left
    clock = SlaClock(target=2 * HOUR, started_at=start, calendar=office())
    assert clock.state(utc(2026, 11, 29, 12, 0)) is SlaState.OK  # Sunday: 1 h used
    assert clock.state(utc(2026, 11, 30, 8, 36)) is SlaState.WARNING  # Monday 09:36: 96 min
    assert clock.state(utc(2026, 11, 30, 9, 0)) is SlaState.BREACHED


def _target(**kwargs: object) -> SlaTarget:
    return SlaTarget(first_response=HOUR, **kwargs)  # type: ignore[arg-type]


def test_most_specific_target_wins() -> None:
    targets = [
        _target(),
        _target(platform="twitter"),
        _target(priority="urgent"),
        _target(priority="urgent", platform="twitter"),
    ]
    assert pick_target(targets, "urgent", "twitter") is targets[3]
    assert pick_target(targets, "urgent", "sandbox") is targets[2]
    assert pick_target(targets, "normal", "twitter") is targets[1]
    assert pick_target(targets, "low", "sandbox") is targets[0]
    assert pick_target(targets[1:2], "low", "sandbox") is None


@pytest.mark.parametrize(
    ("targets", "fragment"),
    [
        ([_target(), _target()], "already covers"),
        ([SlaTarget(priority="urgent")], "at least one"),
        ([_target(priority="critical")], "priority must be one of"),
        ([SlaTarget(resolution=timedelta(0))], "must be positive"),
        ([SlaTarget(resolution=timedelta(days=400))], "longer than a year"),
    ],
)
def test_impossible_targets_are_rejected(targets: list[SlaTarget], fragment: str) -> None:
    with pytest.raises(InvalidInput, match=fragment):
        check_targets(targets)


def test_target_of_each_clock() -> None:
    target = SlaTarget(first_response=HOUR, resolution=8 * HOUR)
    assert target.of(ClockKind.FIRST_RESPONSE) == HOUR
    assert target.of(ClockKind.NEXT_RESPONSE) is None
    assert target.of(ClockKind.RESOLUTION) == 8 * HOUR


# --------------------------------------------------------------------------- properties

instants = st.datetimes(min_value=datetime(2026, 1, 1), max_value=datetime(2026, 12, 20)).map(
    lambda d: d.replace(tzinfo=UTC)
)
minutes = st.integers(min_value=1, max_value=60 * 24 * 5)
calendars = st.sampled_from([MADRID, NEW_YORK, office("Asia/Kolkata", years=[2026, 2027])])


@st.composite
def pauses(draw: st.DrawFn, start: datetime) -> tuple[tuple[datetime, datetime], ...]:
    found = []
    for _ in range(draw(st.integers(min_value=0, max_value=3))):
        begin = start + timedelta(minutes=draw(st.integers(min_value=0, max_value=60 * 24 * 7)))
        length = timedelta(minutes=draw(st.integers(min_value=1, max_value=60 * 24 * 3)))
        found.append((begin, begin + length))
    return tuple(found)


@settings(max_examples=60, deadline=None)
@given(start=instants, target=minutes, calendar=calendars)
def test_at_the_due_time_exactly_the_target_has_elapsed(
    start: datetime, target: int, calendar: BusinessCalendar
) -> None:
    clock = SlaClock(target=timedelta(minutes=target), started_at=start, calendar=calendar)
    due = clock.due_at(start)
    warn = clock.warning_at(start)
    assert due is not None and warn is not None
    assert start <= warn <= due
    assert clock.elapsed(due).total_seconds() == pytest.approx(target * 60)
    assert clock.elapsed(warn).total_seconds() == pytest.approx(target * 60 * 0.8)


@settings(max_examples=60, deadline=None)
@given(data=st.data(), start=instants, calendar=calendars, later=minutes)
def test_pending_periods_never_add_time_and_time_never_runs_backwards(
    data: st.DataObject, start: datetime, calendar: BusinessCalendar, later: int
) -> None:
    paused = data.draw(pauses(start))
    plain = SlaClock(target=HOUR, started_at=start, calendar=calendar)
    held = SlaClock(target=HOUR, started_at=start, calendar=calendar, paused=paused)
    now = start + timedelta(minutes=later)
    assert held.elapsed(now) <= plain.elapsed(now)
    assert held.elapsed(now) <= held.elapsed(now + timedelta(hours=7))
    # Open time minus the open time of the (merged) pauses, never below zero.
    assert held.elapsed(now) >= timedelta(0)


@settings(max_examples=60, deadline=None)
@given(data=st.data(), start=instants, calendar=calendars, target=minutes)
def test_due_time_after_a_finished_pause_still_lands_on_the_target(
    data: st.DataObject, start: datetime, calendar: BusinessCalendar, target: int
) -> None:
    paused = data.draw(pauses(start))
    resumed = max((end for _s, end in paused), default=start)
    clock = SlaClock(
        target=timedelta(minutes=target), started_at=start, calendar=calendar, paused=paused
    )
    due = clock.due_at(resumed)
    assert due is not None
    if clock.elapsed(resumed) < clock.target:
        assert clock.elapsed(due).total_seconds() == pytest.approx(target * 60)


@given(
    priority=st.sampled_from(["low", "normal", "high", "urgent"]),
    platform=st.sampled_from(["twitter", "sandbox", "whatsapp"]),
    rows=st.lists(
        st.tuples(
            st.sampled_from([None, "low", "normal", "high", "urgent"]),
            st.sampled_from([None, "twitter", "sandbox"]),
        ),
        unique=True,
        max_size=12,
    ),
)
def test_the_chosen_target_matches_and_no_matching_one_is_more_specific(
    priority: str, platform: str, rows: list[tuple[str | None, str | None]]
) -> None:
    targets = [_target(priority=p, platform=c) for p, c in rows]
    chosen = pick_target(targets, priority, platform)
    matching = [t for t in targets if t.matches(priority, platform)]
    if not matching:
        assert chosen is None
        return
    assert chosen is not None and chosen.matches(priority, platform)
    assert chosen.specificity == max(t.specificity for t in matching)
