"""How far a customer's voice carries: an influence level and score from followers and the
platform's verified badge. Pure rules, no I/O; routing conditions and the UI read them.

Levels (followers, the usual tiers of social care teams):

* ``low``: under 1,000;
* ``medium``: 1,000 to 9,999;
* ``high``: 10,000 to 99,999;
* ``top``: 100,000 and more.

A verified account is raised one level (a verified account with 2,000 followers is ``high``),
never beyond ``top``. The score is a 0-100 figure on a log scale (10 million followers = 100),
with 10 points for a verified badge, for sorting and thresholds finer than the levels.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Final, Literal

__all__ = ["INFLUENCE_LEVELS", "Influence", "InfluenceLevel", "influence", "level_rank"]

InfluenceLevel = Literal["low", "medium", "high", "top"]
INFLUENCE_LEVELS: Final[tuple[InfluenceLevel, ...]] = ("low", "medium", "high", "top")
_THRESHOLDS: Final = (1_000, 10_000, 100_000)  # followers where medium, high, top begin
_FULL_SCALE: Final = 7.0  # log10 of 10 million followers
_VERIFIED_POINTS: Final = 10.0


@dataclass(frozen=True, slots=True)
class Influence:
    level: InfluenceLevel
    score: float  # 0 .. 100


def level_rank(level: str) -> int:
    """0 for ``low`` … 3 for ``top``; ValueError for anything else."""
    try:
        return INFLUENCE_LEVELS.index(level)
    except ValueError:
        raise ValueError(
            f"unknown influence level {level!r} (one of {', '.join(INFLUENCE_LEVELS)})"
        ) from None


def influence(followers: int | None, verified: bool = False) -> Influence:
    """The influence of an author with ``followers`` (None: unknown, counted as 0)."""
    count = max(0, followers or 0)
    rank = sum(1 for threshold in _THRESHOLDS if count >= threshold)
    if verified:
        rank = min(rank + 1, len(INFLUENCE_LEVELS) - 1)
    score = min(100.0, 100.0 * math.log10(count + 1) / _FULL_SCALE)
    if verified:
        score = min(100.0, score + _VERIFIED_POINTS)
    return Influence(INFLUENCE_LEVELS[rank], round(score, 1))
