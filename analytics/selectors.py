"""Reads of analytics. Organization (or an object of it) first.

Best time to post: :func:`best_time_slots` suggests the next slots for a channel. The
architecture says it comes from the organization's engagement by hour of week; until analytics
stores metrics (there is no metrics model yet) every suggestion comes from the network's general
pattern (:data:`GENERAL_PATTERNS`), and each slot says so in its ``source``.
"""

from __future__ import annotations

import zoneinfo
from dataclasses import dataclass
from datetime import datetime, time, timedelta

from django.utils import timezone

#: The networks' general engagement pattern: weekday (0 = Monday) → local hours, best first.
#: Summarised from published industry studies of when posts get the most engagement (Sprout
#: Social, "Best times to post on social media", 2024; Hootsuite, "The best time to post on social
#: media", 2024): weekday late mornings and lunchtime overall, LinkedIn on Tuesday–Thursday
#: mornings, Instagram also early evening, X mornings. Times are in the channel's own zone.
GENERAL_PATTERNS: dict[str, dict[int, tuple[int, ...]]] = {
    "instagram": {
        0: (11, 19),
        1: (11, 13, 19),
        2: (11, 13, 19),
        3: (11, 13),
        4: (10, 13),
        5: (10,),
        6: (19,),
    },
    "facebook": {0: (9, 13), 1: (9, 13), 2: (9, 13), 3: (9, 13), 4: (9, 11), 5: (10,), 6: (12,)},
    "linkedin": {1: (8, 10, 12), 2: (8, 10, 12), 3: (8, 10), 0: (10,), 4: (9,)},
    "x": {0: (9, 12), 1: (9, 12, 17), 2: (9, 12, 17), 3: (9, 12), 4: (9,), 5: (10,)},
    "mastodon": {
        0: (9, 13),
        1: (9, 13, 18),
        2: (9, 13, 18),
        3: (9, 13),
        4: (10,),
        5: (11,),
        6: (11,),
    },
    "bluesky": {
        0: (9, 13),
        1: (9, 13, 18),
        2: (9, 13, 18),
        3: (9, 13),
        4: (10,),
        5: (11,),
        6: (11,),
    },
}
#: any other network (the sandbox, a new connector): the overall weekday pattern
DEFAULT_PATTERN: dict[int, tuple[int, ...]] = {
    0: (10, 13),
    1: (10, 13),
    2: (10, 13),
    3: (10, 13),
    4: (10,),
}
#: how many suggestions a day at most
PER_DAY = 2


@dataclass(frozen=True)
class Slot:
    at: datetime  # aware, in the channel's zone
    source: str  # "general_pattern" (or, once analytics has metrics, "engagement")


def _zone(name: str) -> zoneinfo.ZoneInfo:
    try:
        return zoneinfo.ZoneInfo(name or "UTC")
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return zoneinfo.ZoneInfo("UTC")


def best_time_slots(channel, *, days: int = 7, now: datetime | None = None) -> list[Slot]:
    """Suggested publishing times for ``channel`` over the next ``days`` days, soonest first.

    Source: the network's general pattern (there are no engagement metrics stored yet; when
    analytics has them, slots come from the organization's engagement by hour of week first).
    """
    zone = _zone(getattr(channel, "timezone", "UTC"))
    now = (now or timezone.now()).astimezone(zone)
    pattern = GENERAL_PATTERNS.get(channel.provider, DEFAULT_PATTERN)
    out: list[Slot] = []
    for offset in range(max(0, days) + 1):
        day = now.date() + timedelta(days=offset)
        hours = pattern.get(day.weekday(), ())[:PER_DAY]
        for hour in sorted(hours):
            at = datetime.combine(day, time(hour), tzinfo=zone)
            if at > now + timedelta(minutes=15) and at <= now + timedelta(days=days):
                out.append(Slot(at=at, source="general_pattern"))
    return out


__all__ = ["DEFAULT_PATTERN", "GENERAL_PATTERNS", "Slot", "best_time_slots"]
