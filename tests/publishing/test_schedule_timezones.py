"""A post scheduled for 09:00 local on any date in any zone goes out at 09:00 local.

DST rule (publishing.scheduler.services.local_to_utc): a wall-clock time inside a spring-forward
gap is moved forward by the gap's length (02:30 in a one-hour gap → 03:30); an ambiguous time in
the fall-back hour means its first occurrence.
"""

from __future__ import annotations

import zoneinfo
from datetime import UTC, date, datetime, time, timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from publishing.scheduler.services import local_to_utc

ZONES = sorted(
    z for z in zoneinfo.available_timezones() if "/" in z and not z.startswith(("Etc/", "SystemV/"))
)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    zone=st.sampled_from(ZONES),
    day=st.dates(min_value=date(2000, 1, 1), max_value=date(2037, 12, 31)),
)
def test_nine_oclock_local_is_due_at_nine_oclock_local(zone, day):
    due = local_to_utc(datetime.combine(day, time(9, 0)), zone)
    assert due.tzinfo is not None and due.utcoffset() == timedelta(0)
    local = due.astimezone(zoneinfo.ZoneInfo(zone))
    if local.replace(tzinfo=None) == datetime.combine(day, time(9, 0)):
        return
    # 09:00 did not exist that day (a transition at 09:00 is rare but real): the next valid time
    before = datetime.combine(day, time(9, 0), tzinfo=zoneinfo.ZoneInfo(zone)).utcoffset()
    after = (
        datetime.combine(day, time(9, 0), tzinfo=zoneinfo.ZoneInfo(zone))
        .replace(fold=1)
        .utcoffset()
    )
    assert local.replace(tzinfo=None) - datetime.combine(day, time(9, 0)) == after - before


@settings(max_examples=200, deadline=None)
@given(
    zone=st.sampled_from(ZONES),
    day=st.dates(min_value=date(2000, 1, 1), max_value=date(2037, 12, 31)),
    hour=st.integers(0, 23),
    minute=st.sampled_from([0, 15, 30, 45]),
)
def test_every_local_time_maps_to_an_instant_that_shows_the_same_or_the_next_valid_wall_clock(
    zone, day, hour, minute
):
    wall = datetime.combine(day, time(hour, minute))
    local = local_to_utc(wall, zone).astimezone(zoneinfo.ZoneInfo(zone)).replace(tzinfo=None)
    assert timedelta(0) <= local - wall <= timedelta(hours=2)


def test_a_time_in_the_spring_forward_gap_moves_forward_by_the_gap():
    # New York, 2026-03-08: 02:00 → 03:00. 02:30 does not exist; it becomes 03:30 EDT.
    due = local_to_utc(datetime(2026, 3, 8, 2, 30), "America/New_York")
    assert due == datetime(2026, 3, 8, 7, 30, tzinfo=UTC)
    assert due.astimezone(zoneinfo.ZoneInfo("America/New_York")).strftime("%H:%M %Z") == "03:30 EDT"


def test_an_ambiguous_time_in_the_fall_back_hour_is_its_first_occurrence():
    # Berlin, 2026-10-25: 03:00 CEST → 02:00 CET; 02:30 happens twice, the first (CEST) counts.
    assert local_to_utc(datetime(2026, 10, 25, 2, 30), "Europe/Berlin") == datetime(
        2026, 10, 25, 0, 30, tzinfo=UTC
    )


def test_an_unknown_zone_is_a_clear_field_error():
    from socialops.errors import ValidationFailed

    with pytest.raises(ValidationFailed) as err:
        local_to_utc(datetime(2026, 1, 1, 9), "Mars/Olympus_Mons")
    assert "Mars/Olympus_Mons" in err.value.message and "timezone" in err.value.fields
