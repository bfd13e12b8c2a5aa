"""A report schedule's next slot is its local time in its zone, one slot a local day even across a
DST change, and the period each slot covers (analytics/reports/schedule.py)."""

from __future__ import annotations

from datetime import UTC, date, datetime, time

import pytest

from analytics.reports.schedule import next_run_after, period_for


def _utc(*args) -> datetime:
    return datetime(*args, tzinfo=UTC)


def test_a_daily_report_in_jakarta_is_sent_at_its_local_time():
    # 08:00 WIB = 01:00 UTC; Jakarta has no DST
    after = _utc(2026, 3, 1, 0, 0)
    slot = next_run_after(after, frequency="daily", send_time=time(8, 0), zone_name="Asia/Jakarta")
    assert slot == _utc(2026, 3, 1, 1, 0)
    assert next_run_after(
        slot, frequency="daily", send_time=time(8, 0), zone_name="Asia/Jakarta"
    ) == _utc(2026, 3, 2, 1, 0)


def test_a_berlin_report_keeps_its_wall_clock_time_across_the_spring_change():
    # 29 March 2026: Berlin moves from UTC+1 to UTC+2
    kw = {"frequency": "daily", "send_time": time(9, 0), "zone_name": "Europe/Berlin"}
    before = next_run_after(_utc(2026, 3, 28, 0, 0), **kw)
    after = next_run_after(before, **kw)
    assert before == _utc(2026, 3, 28, 8, 0)  # 09:00 CET
    assert after == _utc(2026, 3, 29, 7, 0)  # 09:00 CEST: 23 hours later


def test_a_time_the_clocks_skip_is_sent_once_that_morning_an_hour_later_by_the_clock():
    kw = {"frequency": "daily", "send_time": time(2, 30), "zone_name": "Europe/Berlin"}
    slot = next_run_after(_utc(2026, 3, 28, 23, 0), **kw)
    # 02:30 does not exist on 29 March: sent at 01:30 UTC (03:30 CEST), once
    assert slot == _utc(2026, 3, 29, 1, 30)
    assert next_run_after(slot, **kw) == _utc(2026, 3, 30, 0, 30)


def test_a_time_the_clocks_pass_twice_is_sent_once_at_its_first_occurrence():
    # 25 October 2026: Berlin goes back from 03:00 CEST to 02:00 CET; 02:30 happens twice
    kw = {"frequency": "daily", "send_time": time(2, 30), "zone_name": "Europe/Berlin"}
    slot = next_run_after(_utc(2026, 10, 24, 23, 0), **kw)
    assert slot == _utc(2026, 10, 25, 0, 30)  # 02:30 CEST
    following = next_run_after(slot, **kw)
    assert following == _utc(2026, 10, 26, 1, 30)  # not 01:30 UTC on the 25th (02:30 CET)


def test_a_weekly_report_goes_on_its_weekday_and_a_monthly_one_on_the_months_last_day_at_most():
    weekly = next_run_after(
        _utc(2026, 3, 4, 12, 0),  # a Wednesday
        frequency="weekly",
        send_time=time(8, 0),
        zone_name="Europe/Berlin",
        weekday=0,
    )
    assert weekly == _utc(2026, 3, 9, 7, 0)  # Monday 08:00 CET
    monthly = next_run_after(
        _utc(2026, 2, 1, 0, 0),
        frequency="monthly",
        send_time=time(7, 0),
        zone_name="Asia/Jakarta",
        day_of_month=31,
    )
    assert monthly == _utc(2026, 2, 28, 0, 0)  # February has no 31st: its last day


def test_a_slot_early_in_the_morning_in_jakarta_is_on_the_local_day_not_the_utc_one():
    # 06:00 WIB on Monday 9 March = Sunday 23:00 UTC
    slot = next_run_after(
        _utc(2026, 3, 8, 12, 0),
        frequency="weekly",
        send_time=time(6, 0),
        zone_name="Asia/Jakarta",
        weekday=0,
    )
    assert slot == _utc(2026, 3, 8, 23, 0)
    period = period_for(slot, frequency="weekly", preset="previous", zone_name="Asia/Jakarta")
    assert (period.since, period.until) == (date(2026, 3, 2), date(2026, 3, 8))


@pytest.mark.parametrize(
    ("frequency", "preset", "since", "until"),
    [
        ("daily", "previous", date(2026, 3, 10), date(2026, 3, 10)),
        ("weekly", "previous", date(2026, 3, 2), date(2026, 3, 8)),
        ("monthly", "previous", date(2026, 2, 1), date(2026, 2, 28)),
        ("weekly", "last_7", date(2026, 3, 4), date(2026, 3, 10)),
        ("monthly", "last_28", date(2026, 2, 11), date(2026, 3, 10)),
        ("daily", "last_90", date(2025, 12, 11), date(2026, 3, 10)),
    ],
)
def test_each_period_ends_the_day_before_the_report(frequency, preset, since, until):
    slot = _utc(2026, 3, 11, 7, 0)  # Wednesday 11 March, 08:00 in Berlin
    rng = period_for(slot, frequency=frequency, preset=preset, zone_name="Europe/Berlin")
    assert (rng.since, rng.until) == (since, until)


def test_an_unknown_zone_is_refused():
    with pytest.raises(ValueError):
        next_run_after(
            _utc(2026, 3, 1), frequency="daily", send_time=time(8, 0), zone_name="Mars/Olympus"
        )
