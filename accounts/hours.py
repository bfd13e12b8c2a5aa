"""Working hours: a weekly schedule in a time zone, and the two questions asked of it.

Pure functions, no database: "is this person or team working at instant ``t``" (``is_open``) and
"what instant is ``n`` business hours after ``t``" (``add_business_hours``), closed hours and the
given holiday dates skipped. The caller passes the holidays (the team's public holidays come from
the calendar's holiday regions, a layer above accounts).

A schedule is stored as JSON (``Team.working_hours``, ``Membership.working_hours``)::

    {}                                     not set (a person follows their team; a team is 24/7)
    {"always": true}                       24/7, holidays included
    {"days": {"mon": ["09:00", "17:00"], "tue": ["09:00", "17:00"], ...}}

A day that is absent is closed; a day's close may be "24:00" (until midnight). Local times are
read in the schedule's zone, so a day of 09:00–17:00 stays 09:00–17:00 across a DST change.
"""

from __future__ import annotations

import zoneinfo
from collections.abc import Collection
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta

from django.utils.translation import gettext as _

DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
#: how far ``add_business_hours`` looks for open hours before it gives up (holidays all year…)
_HORIZON_DAYS = 3 * 366


class ScheduleError(ValueError):
    """A schedule that cannot be used; ``fields`` name the days at fault (``mon`` …)."""

    def __init__(self, message: str, fields: dict[str, list[str]] | None = None):
        super().__init__(message)
        self.message = message
        self.fields = fields or {}


@dataclass(frozen=True)
class Schedule:
    """A weekly schedule in one zone. ``days[weekday]`` = (open, close) local times, or absent."""

    tz: zoneinfo.ZoneInfo
    always: bool = False
    #: Monday = 0; close ``None`` = midnight (end of the day)
    days: dict[int, tuple[time, time | None]] = field(default_factory=dict)

    @property
    def is_set(self) -> bool:
        return self.always or bool(self.days)


def _zone(name: str | None) -> zoneinfo.ZoneInfo:
    try:
        return zoneinfo.ZoneInfo(name or "UTC")
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return zoneinfo.ZoneInfo("UTC")


def _parse_time(value, *, end: bool) -> time | None:
    text = str(value or "").strip()
    if end and text == "24:00":
        return None
    try:
        return time.fromisoformat(text)
    except ValueError:
        raise ValueError(text) from None


def clean_schedule(data) -> dict:
    """``data`` checked and normalised for storing (``{}``, ``{"always": true}`` or ``{"days": …}``),
    or a ``ScheduleError`` saying what is wrong."""
    if not data:
        return {}
    if not isinstance(data, dict):
        raise ScheduleError(_("Working hours must be an object with “always” or “days”."))
    if data.get("always"):
        return {"always": True}
    days = data.get("days") or {}
    if not isinstance(days, dict):
        raise ScheduleError(_("“days” must map weekdays (mon … sun) to [open, close]."))
    out: dict[str, list[str]] = {}
    errors: dict[str, list[str]] = {}
    for key, span in days.items():
        if key not in DAYS:
            errors[str(key)[:20]] = [_("Use mon, tue, wed, thu, fri, sat or sun.")]
            continue
        if span in (None, [], ""):
            continue  # closed
        if not isinstance(span, (list, tuple)) or len(span) != 2:
            errors[key] = [_("Give an opening and a closing time, e.g. [“09:00”, “17:00”].")]
            continue
        try:
            opens = _parse_time(span[0], end=False)
            closes = _parse_time(span[1], end=True)
        except ValueError:
            errors[key] = [_("Write times as HH:MM (24 hours; 24:00 for midnight).")]
            continue
        if closes is not None and closes <= opens:
            errors[key] = [_("The closing time must be after the opening time.")]
            continue
        out[key] = [
            opens.strftime("%H:%M"),
            "24:00" if closes is None else closes.strftime("%H:%M"),
        ]
    if errors:
        raise ScheduleError(_("Some working hours are not valid."), errors)
    if not out:
        raise ScheduleError(
            _("Open at least one day, or choose 24/7."),
            {"days": [_("Open at least one day, or choose 24/7.")]},
        )
    return {"days": {d: out[d] for d in DAYS if d in out}}


def schedule_from(data, tz_name: str | None) -> Schedule:
    """The ``Schedule`` of stored JSON (already cleaned; anything odd in it counts as closed)."""
    tz = _zone(tz_name)
    if not data or not isinstance(data, dict):
        return Schedule(tz=tz)
    if data.get("always"):
        return Schedule(tz=tz, always=True)
    days: dict[int, tuple[time, time | None]] = {}
    for i, key in enumerate(DAYS):
        span = (data.get("days") or {}).get(key)
        if not span:
            continue
        try:
            opens, closes = _parse_time(span[0], end=False), _parse_time(span[1], end=True)
        except (ValueError, IndexError, TypeError):
            continue
        if opens is not None and (closes is None or closes > opens):
            days[i] = (opens, closes)
    return Schedule(tz=tz, days=days)


#: what a schedule that is not set means for the SLA clock: every hour counts
ALWAYS_UTC = Schedule(tz=zoneinfo.ZoneInfo("UTC"), always=True)


def _window(schedule: Schedule, day: date) -> tuple[datetime, datetime] | None:
    """The UTC instants ``day`` opens and closes (local times in the schedule's zone), or None."""
    span = schedule.days.get(day.weekday())
    if span is None:
        return None
    opens, closes = span
    start = datetime.combine(day, opens, tzinfo=schedule.tz)
    if closes is None:
        end = datetime.combine(day + timedelta(days=1), time(0), tzinfo=schedule.tz)
    else:
        end = datetime.combine(day, closes, tzinfo=schedule.tz)
    return start.astimezone(UTC), end.astimezone(UTC)


def is_open(schedule: Schedule, at: datetime, holidays: Collection[date] = ()) -> bool:
    """Is ``schedule`` open at the aware instant ``at``? A schedule not set counts as open; 24/7
    is open on holidays too; otherwise a local holiday date is closed all day."""
    if not schedule.is_set or schedule.always:
        return True
    local = at.astimezone(schedule.tz)
    if local.date() in holidays:
        return False
    window = _window(schedule, local.date())
    return window is not None and window[0] <= at < window[1]


def add_business_hours(
    schedule: Schedule, start: datetime, hours: float, holidays: Collection[date] = ()
) -> datetime:
    """The instant ``hours`` of open time after ``start`` (an aware datetime), in UTC. A schedule
    not set or 24/7 counts every hour; closed days, closed hours and ``holidays`` (local dates)
    are skipped. A schedule with no open hour in three years falls back to wall-clock hours."""
    start = start.astimezone(UTC)
    left = timedelta(hours=hours)
    if not schedule.is_set or schedule.always or left <= timedelta(0):
        return start + left
    day = start.astimezone(schedule.tz).date()
    for _i in range(_HORIZON_DAYS):
        window = None if day in holidays else _window(schedule, day)
        if window is not None:
            opens, closes = max(window[0], start), window[1]
            if closes > opens:
                if closes - opens >= left:
                    return opens + left
                left -= closes - opens
        day += timedelta(days=1)
    return start + timedelta(hours=hours)


def team_schedule(team, organization_timezone: str) -> Schedule:
    """A team's hours in its zone (else the organization's); not set = every hour counts."""
    if team is None:
        return Schedule(tz=_zone(organization_timezone))
    return schedule_from(team.working_hours, team.timezone or organization_timezone)


def member_schedule(membership, fallback: Schedule, organization_timezone: str = "UTC") -> Schedule:
    """A person's own hours in their zone (``User.timezone``, else the organization's), or
    ``fallback`` (their team's) when they have set none."""
    if membership.working_hours:
        zone = getattr(membership.user, "timezone", "") or organization_timezone
        return schedule_from(membership.working_hours, zone)
    return fallback
