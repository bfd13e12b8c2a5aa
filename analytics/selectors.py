"""Reads of analytics. Organization (or an object of it) first.

Best time to post: :func:`best_time_slots` suggests the next slots for a channel. The
architecture says it comes from the organization's engagement by hour of week; until analytics
stores metrics (there is no metrics model yet) every suggestion comes from the network's general
pattern (:func:`general_pattern`: the network's ``Capabilities.best_hours``), and each slot says so in its ``source``.
"""

from __future__ import annotations

import zoneinfo
from dataclasses import dataclass
from datetime import datetime, time, timedelta

from django.utils import timezone

#: a network without a known pattern (the sandbox, a new connector): the overall weekday pattern
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


def general_pattern(provider_key: str) -> dict[int, tuple[int, ...]]:
    """Weekday (0 = Monday) → local hours, best first: the network's general engagement pattern
    (``Capabilities.best_hours``, summarised from published industry studies), else the default."""
    from channels_registry.providers import capabilities_of

    caps = capabilities_of(provider_key)
    return dict(caps.best_hours) if caps is not None and caps.best_hours else DEFAULT_PATTERN


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
    pattern = general_pattern(channel.provider)
    out: list[Slot] = []
    for offset in range(max(0, days) + 1):
        day = now.date() + timedelta(days=offset)
        hours = pattern.get(day.weekday(), ())[:PER_DAY]
        for hour in sorted(hours):
            at = datetime.combine(day, time(hour), tzinfo=zone)
            if at > now + timedelta(minutes=15) and at <= now + timedelta(days=days):
                out.append(Slot(at=at, source="general_pattern"))
    return out


__all__ = ["DEFAULT_PATTERN", "Slot", "best_time_slots", "general_pattern"]
