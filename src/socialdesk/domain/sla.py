"""SLA clocks: how much of a target has been used, with pauses and business hours.

A clock runs from ``started_at`` while the conversation waits on the team; it stops while the
conversation is pending on the customer (``paused`` intervals) and outside business hours.
Warning at 80 % of the target, breach at 100 %.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from socialdesk.domain.business_hours import ALWAYS_OPEN, BusinessCalendar
from socialdesk.domain.errors import InvalidInput
from socialdesk.domain.types import Priority

__all__ = [
    "MAX_TARGET",
    "WARNING_SHARE",
    "ClockKind",
    "SlaClock",
    "SlaState",
    "SlaTarget",
    "check_targets",
    "merge_intervals",
    "pick_target",
]

WARNING_SHARE = 0.8


# A target longer than a year is a typo, not a service level.
MAX_TARGET = timedelta(days=366)


class ClockKind(StrEnum):
    """The three targets of a policy; each runs as its own clock on a conversation."""

    FIRST_RESPONSE = "first_response"
    NEXT_RESPONSE = "next_response"
    RESOLUTION = "resolution"

    @property
    def label(self) -> str:
        return self.value.replace("_", " ")


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


_RESOLUTION = timedelta(seconds=1)


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
        if left <= 0:  # already breached: when it happened, however late this is asked
            return self.reached_at(self.target, now) or now
        return self.calendar.add_business_seconds(now, left)

    def reached_at(self, used: timedelta, now: datetime) -> datetime | None:
        """When the counted time first reached ``used`` (to the second), if it has by ``now``.

        The counted time only grows, so this is a bisection over [start, now]: it finds the
        moment of a warning or breach that is noticed late (a worker that was down, a
        history replayed into the database) across business hours and pauses alike."""
        if self.elapsed(now) < used:
            return None
        lo, hi = self.started_at, min(now, self.stopped_at) if self.stopped_at else now
        if hi <= lo:
            return hi
        while (hi - lo) > _RESOLUTION:
            mid = lo + (hi - lo) / 2
            if self.elapsed(mid) >= used:
                hi = mid
            else:
                lo = mid
        return hi

    def warning_at(self, now: datetime) -> datetime | None:
        due = self.due_at(now)
        if due is None:
            return None
        left = (self.target * WARNING_SHARE - self.elapsed(now)).total_seconds()
        if left <= 0:
            return self.reached_at(self.target * WARNING_SHARE, now) or now
        return self.calendar.add_business_seconds(now, left)


@dataclass(frozen=True)
class SlaTarget:
    """Targets for conversations of one priority and one channel (None: any)."""

    priority: str | None = None
    platform: str | None = None
    first_response: timedelta | None = None
    next_response: timedelta | None = None
    resolution: timedelta | None = None

    def of(self, kind: ClockKind) -> timedelta | None:
        return {
            ClockKind.FIRST_RESPONSE: self.first_response,
            ClockKind.NEXT_RESPONSE: self.next_response,
            ClockKind.RESOLUTION: self.resolution,
        }[kind]

    def matches(self, priority: str, platform: str) -> bool:
        return (self.priority is None or self.priority == priority) and (
            self.platform is None or self.platform == platform
        )

    @property
    def specificity(self) -> int:
        # A priority-specific target beats a channel-specific one; both beat a catch-all.
        return (2 if self.priority is not None else 0) + (1 if self.platform is not None else 0)


def pick_target(targets: Iterable[SlaTarget], priority: str, platform: str) -> SlaTarget | None:
    """The most specific target matching a conversation's priority and channel."""
    best: SlaTarget | None = None
    for target in targets:
        if target.matches(priority, platform) and (
            best is None or target.specificity > best.specificity
        ):
            best = target
    return best


def check_targets(targets: Sequence[SlaTarget]) -> None:
    """Reject what cannot be meant: unknown priorities, repeats, empty or absurd targets."""
    seen: set[tuple[str | None, str | None]] = set()
    for index, target in enumerate(targets):
        where = f"target {index + 1}"
        if target.priority is not None and target.priority not in set(Priority):
            raise InvalidInput(
                f"{where}: priority must be one of {', '.join(Priority)} (or null for any)"
            )
        key = (target.priority, target.platform)
        if key in seen:
            raise InvalidInput(
                f"{where}: another target already covers priority {target.priority or 'any'} "
                f"on channel {target.platform or 'any'}"
            )
        seen.add(key)
        durations = [target.of(kind) for kind in ClockKind]
        if all(d is None for d in durations):
            raise InvalidInput(f"{where}: give at least one of the three targets")
        for kind, duration in zip(ClockKind, durations, strict=True):
            if duration is None:
                continue
            if duration <= timedelta(0):
                raise InvalidInput(f"{where}: the {kind.label} target must be positive")
            if duration > MAX_TARGET:
                raise InvalidInput(f"{where}: the {kind.label} target is longer than a year")
