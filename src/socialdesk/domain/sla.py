"""SLA clocks: how much of a target has been used, with pauses and business hours.

A clock runs from ``started_at`` while the conversation waits on the team; it stops while the
conversation is pending on the customer (``paused`` intervals) and outside business hours.
Warning at 80 % of the target, breach at 100 %.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from socialdesk.domain.business_hours import ALWAYS_OPEN, BusinessCalendar

__all__ = ["WARNING_SHARE", "SlaClock", "SlaState", "merge_intervals"]

WARNING_SHARE = 0.8


class SlaState(StrEnum):
    OK = "ok"
    WARNING = "warning"
    BREACHED = "breached"
    MET = "met"


def merge_intervals(
    intervals: Sequence[tuple[datetime, datetime | None]], *, until: datetime
) -> list[tuple[datetime, datetime]]:
    """Sorted, non-overlapping intervals; an open-ended one (None) lasts until ``until``."""
    closed = sorted((s, e if e is not None else until) for s, e in intervals)
    merged: list[tuple[datetime, datetime]] = []
    for start, end in closed:
        if end <= start:
            continue
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], end))
        else:
            merged.append((start, end))
    return merged


@dataclass(frozen=True)
class SlaClock:
    """One target (first response, next response or resolution) for one conversation."""

    target: timedelta
    started_at: datetime
    calendar: BusinessCalendar = ALWAYS_OPEN
    paused: tuple[tuple[datetime, datetime | None], ...] = ()
    stopped_at: datetime | None = None  # when the target was met (the agent answered)

    def elapsed(self, now: datetime) -> timedelta:
        """Counted time at ``now``: business hours only, pauses excluded."""
        end = min(now, self.stopped_at) if self.stopped_at is not None else now
        if end <= self.started_at:
            return timedelta(0)
        total = self.calendar.business_seconds(self.started_at, end)
        for p_start, p_end in merge_intervals(self.paused, until=end):
            lo, hi = max(p_start, self.started_at), min(p_end, end)
            if hi > lo:
                total -= self.calendar.business_seconds(lo, hi)
        return timedelta(seconds=max(0.0, total))

    def remaining(self, now: datetime) -> timedelta:
        return self.target - self.elapsed(now)

    def state(self, now: datetime) -> SlaState:
        used = self.elapsed(now)
        if self.stopped_at is not None and self.stopped_at <= now:
            return SlaState.MET if used <= self.target else SlaState.BREACHED
        if used >= self.target:
            return SlaState.BREACHED
        if used >= self.target * WARNING_SHARE:
            return SlaState.WARNING
        return SlaState.OK

    def due_at(self, now: datetime) -> datetime | None:
        """When the target breaches if nothing changes (None while paused or stopped)."""
        if self.stopped_at is not None:
            return None
        for p_start, p_end in self.paused:
            if p_end is None and p_start <= now:
                return None
        left = self.remaining(now).total_seconds()
        if left <= 0:
            return now
        return self.calendar.add_business_seconds(now, left)

    def warning_at(self, now: datetime) -> datetime | None:
        due = self.due_at(now)
        if due is None:
            return None
        left = (self.target * WARNING_SHARE - self.elapsed(now)).total_seconds()
        if left <= 0:
            return now
        return self.calendar.add_business_seconds(now, left)
