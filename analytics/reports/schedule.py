"""The time math of report schedules: pure functions, no database.

A slot is a local date and ``send_time`` in the schedule's zone, turned into UTC. Across a DST
change every local day still has exactly one slot: a time the clocks skip (02:30 on the spring
morning in Berlin) is sent that many minutes later by the wall clock (03:30, the same instant
as 02:30 would have been in winter time), and a time the clocks pass twice (02:30 on the autumn
morning) is sent once, at its first occurrence (``fold=0``).
"""

from __future__ import annotations

import calendar
import zoneinfo
from datetime import UTC, date, datetime, time, timedelta

from ..selectors import DateRange

DAILY, WEEKLY, MONTHLY = "daily", "weekly", "monthly"
PREVIOUS, LAST_7, LAST_28, LAST_90 = "previous", "last_7", "last_28", "last_90"
ROLLING_DAYS = {LAST_7: 7, LAST_28: 28, LAST_90: 90}


def zone_of(name: str) -> zoneinfo.ZoneInfo:
    """The zone named ``name``; a ``ValueError`` for a name that is none."""
    try:
        return zoneinfo.ZoneInfo(name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError, TypeError) as exc:
        raise ValueError(f"unknown time zone {name!r}") from exc


def _slot(day: date, at: time, zone: zoneinfo.ZoneInfo) -> datetime:
    """``day`` at ``at`` in ``zone`` as an aware UTC datetime (see the module's DST rules)."""
    local = datetime.combine(day, at.replace(tzinfo=None, fold=0), tzinfo=zone)
    return local.astimezone(UTC)


def _runs_on(day: date, frequency: str, weekday: int, day_of_month: int) -> bool:
    if frequency == DAILY:
        return True
    if frequency == WEEKLY:
        return day.weekday() == weekday
    if frequency == MONTHLY:
        last = calendar.monthrange(day.year, day.month)[1]
        return day.day == min(day_of_month, last)
    raise ValueError(f"unknown frequency {frequency!r}")


def next_run_after(
    after: datetime,
    *,
    frequency: str,
    send_time: time,
    zone_name: str,
    weekday: int = 0,
    day_of_month: int = 1,
) -> datetime:
    """The first slot strictly after ``after`` (aware), in UTC."""
    zone = zone_of(zone_name)
    day = after.astimezone(zone).date() - timedelta(days=1)  # a slot late on the day before
    for _ in range(64):  # a monthly slot is at most 31 days away
        if _runs_on(day, frequency, weekday, day_of_month):
            slot = _slot(day, send_time, zone)
            if slot > after:
                return slot
        day += timedelta(days=1)
    raise AssertionError("no slot within 64 days")  # pragma: no cover - _runs_on rules out


def period_for(slot: datetime, *, frequency: str, preset: str, zone_name: str) -> DateRange:
    """The days a report sent at ``slot`` covers: whole days that ended before it, counted from
    the local day before the slot's. ``previous``: that day (daily), the calendar week Monday to
    Sunday before the slot's week (weekly), the calendar month before the slot's (monthly)."""
    today = slot.astimezone(zone_of(zone_name)).date()
    until = today - timedelta(days=1)
    if preset in ROLLING_DAYS:
        return DateRange(until - timedelta(days=ROLLING_DAYS[preset] - 1), until)
    if frequency == DAILY:
        return DateRange(until, until)
    if frequency == WEEKLY:
        monday = today - timedelta(days=today.weekday()) - timedelta(days=7)
        return DateRange(monday, monday + timedelta(days=6))
    first_this_month = today.replace(day=1)
    last_month_end = first_this_month - timedelta(days=1)
    return DateRange(last_month_end.replace(day=1), last_month_end)
