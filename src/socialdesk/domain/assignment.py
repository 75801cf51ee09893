"""Who gets a conversation: availability, shifts, capacity per channel type and strategies.

Pure rules, no I/O: services/assignment.py loads the candidates (with their current loads) and
writes the decision. The rules in one place:

* A conversation has one **channel type** (:func:`channel_type`): ``social`` (public posts),
  ``messaging`` (private messages on social and messaging apps), ``email`` or ``chat`` (web
  chat). A conversation that started in public and moved to private messages still counts as
  ``social``: it is the public audience that makes it urgent.
* An agent's **capacity** is a maximum number of open conversations per channel type; a type
  left out takes :data:`DEFAULT_CAPACITY`, and 0 means "never this type".
* An agent can be auto-assigned only when **online** and, if they have **shifts**, inside one
  of them; a shift may be restricted to channel types (a dedicated social shift), and then
  only those types are given during it.
* **Strategies**: ``round_robin`` (the next eligible member after the team's cursor, by id),
  ``least_loaded`` (the lowest share of the capacity used for that channel type, then the
  fewest open conversations overall, then the lowest id) and ``skills`` (agents speaking the
  message's language first, when anyone eligible does; then the most topics in common with
  the conversation's tags; ties broken as in least-loaded). ``manual`` teams are never
  auto-assigned by their own choice; a rule asking for ``assign: auto`` on such a team uses
  least-loaded.

No strategy ever returns an agent who is not eligible, so no agent exceeds their capacity.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from fractions import Fraction
from typing import Any

from socialdesk.domain.business_hours import DAYS, BusinessCalendar, OpeningHours, _parse_clock
from socialdesk.domain.errors import InvalidInput

__all__ = [
    "CHANNEL_TYPES",
    "DEFAULT_CAPACITY",
    "MAX_CAPACITY",
    "Availability",
    "Candidate",
    "Choice",
    "Schedule",
    "ShiftWindow",
    "Strategy",
    "Work",
    "channel_type",
    "choose",
    "eligible",
    "normalize_capacity",
    "normalize_skills",
    "parse_shifts",
]


class Availability(StrEnum):
    ONLINE = "online"
    AWAY = "away"
    OFFLINE = "offline"


class Strategy(StrEnum):
    MANUAL = "manual"
    ROUND_ROBIN = "round_robin"
    LEAST_LOADED = "least_loaded"
    SKILLS = "skills"


CHANNEL_TYPES = ("social", "messaging", "email", "chat")
DEFAULT_CAPACITY: Mapping[str, int] = {"social": 8, "messaging": 5, "email": 10, "chat": 3}
MAX_CAPACITY = 500

_EMAIL_PLATFORMS = frozenset({"email"})
_CHAT_PLATFORMS = frozenset({"webchat", "web_chat", "chat"})


def channel_type(platform: str, *, has_public: bool, has_private: bool) -> str:
    """The capacity bucket a conversation uses (see the module docstring)."""
    if platform in _EMAIL_PLATFORMS:
        return "email"
    if platform in _CHAT_PLATFORMS:
        return "chat"
    if has_private and not has_public:
        return "messaging"
    return "social"


def normalize_capacity(raw: Mapping[str, Any]) -> dict[str, int]:
    """A validated ``{channel type: max open conversations}`` (missing types keep defaults)."""
    result: dict[str, int] = {}
    for key, value in raw.items():
        if key not in CHANNEL_TYPES:
            raise InvalidInput(
                f"unknown channel type {key!r} in capacity; use {', '.join(CHANNEL_TYPES)}"
            )
        if isinstance(value, bool) or not isinstance(value, int):
            raise InvalidInput(f"capacity for {key} must be a whole number")
        if not 0 <= value <= MAX_CAPACITY:
            raise InvalidInput(f"capacity for {key} must be between 0 and {MAX_CAPACITY}")
        result[key] = value
    return result


def normalize_skills(values: Iterable[Any], what: str) -> list[str]:
    """Lower-cased, de-duplicated, sorted skill names (``es``, ``billing``)."""
    result: set[str] = set()
    for value in values:
        if not isinstance(value, str):
            raise InvalidInput(f"each of the {what} must be text")
        name = value.strip().lower()
        if not name:
            continue
        if len(name) > 50:
            raise InvalidInput(f"{what} entries may hold at most 50 characters")
        result.add(name)
    if len(result) > 100:
        raise InvalidInput(f"at most 100 {what}")
    return sorted(result)


@dataclass(frozen=True)
class ShiftWindow:
    """A weekly working window; ``channel_types`` empty means every type."""

    weekday: int
    start: str  # "09:00"
    end: str  # "17:00"; "24:00" is midnight at the end of the day
    channel_types: frozenset[str] = frozenset()

    def as_dict(self) -> dict[str, Any]:
        return {
            "day": DAYS[self.weekday],
            "start": self.start,
            "end": self.end,
            "channel_types": sorted(self.channel_types),
        }


def parse_shifts(raw: Iterable[Any]) -> list[ShiftWindow]:
    """Validate ``[{"day": "mon", "start": "09:00", "end": "13:00", "channel_types": [...]}]``."""
    windows = []
    for item in raw:
        if not isinstance(item, Mapping):
            raise InvalidInput("each shift must be an object with day, start and end")
        day = str(item.get("day", "")).strip().lower()[:3]
        if day not in DAYS:
            raise InvalidInput(f"shift day {item.get('day')!r} is not a weekday (mon … sun)")
        start, end = str(item.get("start", "")), str(item.get("end", ""))
        start_t, end_t = _parse_clock(start), _parse_clock(end)
        if end.strip() not in ("24:00", "00:00") and end_t <= start_t:
            raise InvalidInput(
                f"the {day} shift ends before it starts; split a night shift into two days"
            )
        types = item.get("channel_types") or []
        if not isinstance(types, list | tuple):
            raise InvalidInput("channel_types of a shift must be a list")
        bad = [t for t in types if t not in CHANNEL_TYPES]
        if bad:
            raise InvalidInput(
                f"unknown channel type {bad[0]!r} in a shift; use {', '.join(CHANNEL_TYPES)}"
            )
        windows.append(
            ShiftWindow(
                weekday=DAYS.index(day),
                start=f"{start_t:%H:%M}",
                end="24:00" if end.strip() in ("24:00", "00:00") else f"{end_t:%H:%M}",
                channel_types=frozenset(types),
            )
        )
    if len(windows) > 100:
        raise InvalidInput("at most 100 shift windows")
    windows.sort(key=lambda w: (w.weekday, w.start))
    return windows


@dataclass(frozen=True)
class Schedule:
    """An agent's weekly shifts in their time zone; no windows means "no shifts"."""

    timezone: str = "UTC"
    windows: tuple[ShiftWindow, ...] = ()

    def __post_init__(self) -> None:
        BusinessCalendar(timezone=self.timezone, always_open=True)  # checks the zone

    def on_duty(self, at: datetime) -> frozenset[str] | None:
        """Channel types the agent takes at ``at``: None (no shifts: every type), or the
        union of the open windows' types (empty when outside every shift)."""
        if not self.windows:
            return None
        types: set[str] = set()
        for window in self.windows:
            opening = OpeningHours(
                window.weekday, _parse_clock(window.start), _parse_clock(window.end)
            )
            if BusinessCalendar(timezone=self.timezone, hours=(opening,)).is_open(at):
                types.update(window.channel_types or CHANNEL_TYPES)
        return frozenset(types)


@dataclass(frozen=True)
class Candidate:
    """One agent as the strategies see them, with their current open conversations."""

    user_id: int
    availability: str = Availability.ONLINE
    languages: frozenset[str] = frozenset()
    topics: frozenset[str] = frozenset()
    capacity: Mapping[str, int] = field(default_factory=dict)
    load: Mapping[str, int] = field(default_factory=dict)
    on_duty: frozenset[str] | None = None  # None: no shifts, every channel type

    def limit(self, kind: str) -> int:
        return int(self.capacity.get(kind, DEFAULT_CAPACITY.get(kind, 0)))

    def open_count(self, kind: str) -> int:
        return int(self.load.get(kind, 0))

    @property
    def total_load(self) -> int:
        return sum(self.load.values())


@dataclass(frozen=True)
class Work:
    """What is to be assigned: its channel type, language and topics (conversation tags)."""

    channel_type: str
    language: str | None = None
    topics: frozenset[str] = frozenset()


@dataclass(frozen=True)
class Choice:
    user_id: int
    reason: str


def eligible(candidate: Candidate, work: Work) -> bool:
    """Online, on duty for this channel type, and below their capacity for it."""
    if candidate.availability != Availability.ONLINE:
        return False
    if candidate.on_duty is not None and work.channel_type not in candidate.on_duty:
        return False
    return candidate.open_count(work.channel_type) < candidate.limit(work.channel_type)


def _load_key(work: Work) -> Any:
    def key(c: Candidate) -> tuple[Fraction, int, int]:
        share = Fraction(c.open_count(work.channel_type), max(c.limit(work.channel_type), 1))
        return share, c.total_load, c.user_id

    return key


def choose(
    strategy: str,
    candidates: Sequence[Candidate],
    work: Work,
    *,
    cursor: int | None = None,
) -> Choice | None:
    """The agent to assign ``work`` to, or None when nobody eligible is left.

    ``cursor`` is the round-robin position (the user id who got the previous one).
    """
    pool = [c for c in candidates if eligible(c, work)]
    if not pool:
        return None
    if strategy == Strategy.ROUND_ROBIN:
        ordered = sorted(pool, key=lambda c: c.user_id)
        after = [c for c in ordered if cursor is not None and c.user_id > cursor]
        pick = (after or ordered)[0]
        return Choice(pick.user_id, "round robin")
    if strategy == Strategy.SKILLS:
        reason = "skills"
        language = (work.language or "").lower() or None
        if language:
            speakers = [c for c in pool if language in c.languages]
            if speakers:
                pool = speakers
                reason = f"speaks {language}"
            else:
                reason = f"nobody available speaks {language}"
        load_key = _load_key(work)
        pick = min(pool, key=lambda c: (-len(c.topics & work.topics), load_key(c)))
        common = sorted(pick.topics & work.topics)
        if common:
            reason += f"; topics {', '.join(common)}"
        return Choice(pick.user_id, reason)
    if strategy in (Strategy.LEAST_LOADED, Strategy.MANUAL):
        return Choice(min(pool, key=_load_key(work)).user_id, "least loaded")
    raise InvalidInput(f"unknown assignment strategy {strategy!r}; use {', '.join(Strategy)}")
