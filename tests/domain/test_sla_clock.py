"""SLA clocks: pauses while pending, business hours, warning and breach."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from socialdesk.domain.business_hours import BusinessCalendar
from socialdesk.domain.sla import SlaClock, SlaState, merge_intervals

START = datetime(2026, 11, 30, 9, 0, tzinfo=UTC)  # a Monday


def office() -> BusinessCalendar:
    days = ["mon", "tue", "wed", "thu", "fri"]
    return BusinessCalendar.weekly("UTC", {d: [("09:00", "17:00")] for d in days})


def test_clock_warns_at_eighty_percent_and_breaches_at_the_target() -> None:
    clock = SlaClock(target=timedelta(hours=1), started_at=START)
    assert clock.state(START + timedelta(minutes=47)) is SlaState.OK
    assert clock.state(START + timedelta(minutes=48)) is SlaState.WARNING
    assert clock.state(START + timedelta(minutes=60)) is SlaState.BREACHED


def test_pending_time_does_not_count() -> None:
    pause = (START + timedelta(minutes=10), START + timedelta(hours=5))
    clock = SlaClock(target=timedelta(hours=1), started_at=START, paused=(pause,))
    assert clock.elapsed(START + timedelta(hours=5, minutes=20)) == timedelta(minutes=30)


def test_open_ended_pause_freezes_the_clock_and_hides_the_due_time() -> None:
    clock = SlaClock(
        target=timedelta(hours=1), started_at=START, paused=((START + timedelta(minutes=30), None),)
    )
    assert clock.elapsed(START + timedelta(days=2)) == timedelta(minutes=30)
    assert clock.due_at(START + timedelta(hours=3)) is None


def test_nights_and_weekends_do_not_count_with_business_hours() -> None:
    friday_4pm = datetime(2026, 12, 4, 16, 0, tzinfo=UTC)
    clock = SlaClock(target=timedelta(hours=2), started_at=friday_4pm, calendar=office())
    assert clock.due_at(friday_4pm) == datetime(2026, 12, 7, 10, 0, tzinfo=UTC)
    assert clock.state(datetime(2026, 12, 6, 12, 0, tzinfo=UTC)) is SlaState.OK


def test_pause_outside_business_hours_is_not_subtracted_twice() -> None:
    friday_4pm = datetime(2026, 12, 4, 16, 0, tzinfo=UTC)
    weekend_pause = (friday_4pm + timedelta(hours=2), friday_4pm + timedelta(days=2))
    clock = SlaClock(
        target=timedelta(hours=2), started_at=friday_4pm, calendar=office(), paused=(weekend_pause,)
    )
    assert clock.elapsed(datetime(2026, 12, 7, 9, 30, tzinfo=UTC)) == timedelta(minutes=90)


def test_answered_in_time_is_met_and_late_is_breached() -> None:
    on_time = SlaClock(
        target=timedelta(hours=1), started_at=START, stopped_at=START + timedelta(minutes=59)
    )
    late = SlaClock(
        target=timedelta(hours=1), started_at=START, stopped_at=START + timedelta(minutes=61)
    )
    later = START + timedelta(days=1)
    assert on_time.state(later) is SlaState.MET
    assert late.state(later) is SlaState.BREACHED
    assert on_time.due_at(later) is None


def test_warning_time_is_eighty_percent_into_the_target() -> None:
    clock = SlaClock(target=timedelta(hours=1), started_at=START)
    assert clock.warning_at(START) == START + timedelta(minutes=48)


def test_overlapping_pauses_are_merged() -> None:
    a = (START, START + timedelta(hours=2))
    b = (START + timedelta(hours=1), START + timedelta(hours=3))
    c = (START + timedelta(hours=5), None)
    merged = merge_intervals([b, a, c], until=START + timedelta(hours=6))
    assert merged == [
        (START, START + timedelta(hours=3)),
        (START + timedelta(hours=5), START + timedelta(hours=6)),
    ]


def test_the_moment_a_threshold_was_reached_is_found_even_when_noticed_late() -> None:
    clock = SlaClock(target=timedelta(hours=1), started_at=START)
    much_later = START + timedelta(days=2)
    reached = clock.reached_at(timedelta(minutes=48), much_later)
    assert reached is not None
    assert abs(reached - (START + timedelta(minutes=48))) <= timedelta(seconds=1)
    assert clock.reached_at(timedelta(hours=3), START + timedelta(hours=2)) is None


def test_the_moment_reached_skips_pauses_and_closed_hours() -> None:
    pause = (START + timedelta(minutes=10), START + timedelta(minutes=40))
    paused = SlaClock(target=timedelta(hours=1), started_at=START, paused=(pause,))
    reached = paused.reached_at(timedelta(hours=1), START + timedelta(days=1))
    assert reached is not None
    assert abs(reached - (START + timedelta(minutes=90))) <= timedelta(seconds=1)

    friday_4pm = datetime(2026, 12, 4, 16, 0, tzinfo=UTC)
    office_clock = SlaClock(target=timedelta(hours=2), started_at=friday_4pm, calendar=office())
    breach = office_clock.reached_at(timedelta(hours=2), datetime(2026, 12, 9, tzinfo=UTC))
    assert breach is not None
    assert abs(breach - datetime(2026, 12, 7, 10, 0, tzinfo=UTC)) <= timedelta(seconds=1)
