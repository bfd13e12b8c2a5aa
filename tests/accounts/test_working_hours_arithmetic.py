"""``accounts.hours``: "is this schedule open at t" and "t plus N business hours", across weekends,
holidays, zones and a daylight-saving change. Pure functions: no database."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from accounts import hours

OFFICE = {"days": {d: ["09:00", "17:00"] for d in ("mon", "tue", "wed", "thu", "fri")}}


def jakarta_office():
    return hours.schedule_from(hours.clean_schedule(OFFICE), "Asia/Jakarta")


def test_an_office_schedule_is_open_on_a_weekday_afternoon_in_its_own_zone():
    s = jakarta_office()
    # Wednesday 4 March 2026, 14:00 in Jakarta = 07:00 UTC
    assert hours.is_open(s, datetime(2026, 3, 4, 7, 0, tzinfo=UTC))
    # 18:00 in Jakarta: closed
    assert not hours.is_open(s, datetime(2026, 3, 4, 11, 0, tzinfo=UTC))
    # Saturday: closed
    assert not hours.is_open(s, datetime(2026, 3, 7, 7, 0, tzinfo=UTC))


def test_a_holiday_closes_the_whole_local_day():
    s = jakarta_office()
    at = datetime(2026, 3, 4, 7, 0, tzinfo=UTC)
    assert not hours.is_open(s, at, {date(2026, 3, 4)})


def test_a_schedule_not_set_and_24_7_are_always_open_even_on_holidays():
    at = datetime(2026, 3, 7, 3, 0, tzinfo=UTC)
    assert hours.is_open(hours.schedule_from({}, "UTC"), at, {date(2026, 3, 7)})
    assert hours.is_open(hours.schedule_from({"always": True}, "UTC"), at, {date(2026, 3, 7)})


def test_business_hours_skip_the_night_and_the_weekend():
    s = jakarta_office()
    # Friday 6 March 2026 16:00 Jakarta (09:00 UTC) + 3 h → 1 h on Friday, 2 h on Monday: 11:00
    due = hours.add_business_hours(s, datetime(2026, 3, 6, 9, 0, tzinfo=UTC), 3)
    assert due == datetime(2026, 3, 9, 4, 0, tzinfo=UTC)  # Monday 11:00 in Jakarta


def test_business_hours_started_while_closed_begin_at_the_next_opening():
    s = jakarta_office()
    # Saturday night + 8 h = the whole of Monday
    due = hours.add_business_hours(s, datetime(2026, 3, 7, 15, 0, tzinfo=UTC), 8)
    assert due == datetime(2026, 3, 9, 10, 0, tzinfo=UTC)  # Monday 17:00 Jakarta


def test_business_hours_skip_a_public_holiday():
    s = jakarta_office()
    start = datetime(2026, 3, 6, 9, 0, tzinfo=UTC)  # Friday 16:00 Jakarta
    due = hours.add_business_hours(s, start, 3, {date(2026, 3, 9)})  # Monday off
    assert due == datetime(2026, 3, 10, 4, 0, tzinfo=UTC)  # Tuesday 11:00


def test_a_24_hour_target_spans_three_office_days():
    s = jakarta_office()
    start = datetime(2026, 3, 2, 2, 0, tzinfo=UTC)  # Monday 09:00 Jakarta
    assert hours.add_business_hours(s, start, 24) == datetime(2026, 3, 4, 10, 0, tzinfo=UTC)


def test_office_hours_keep_their_local_time_across_a_daylight_saving_change():
    s = hours.schedule_from(hours.clean_schedule(OFFICE), "Europe/Berlin")
    # Friday 27 March 2026 16:00 CET (15:00 UTC) + 2 h: 1 h Friday, 1 h Monday 30 March, when
    # Berlin is on summer time (UTC+2): 10:00 CEST = 08:00 UTC
    due = hours.add_business_hours(s, datetime(2026, 3, 27, 15, 0, tzinfo=UTC), 2)
    assert due == datetime(2026, 3, 30, 8, 0, tzinfo=UTC)
    assert hours.is_open(s, datetime(2026, 3, 30, 7, 30, tzinfo=UTC))  # 09:30 CEST
    assert not hours.is_open(s, datetime(2026, 3, 27, 7, 30, tzinfo=UTC))  # 08:30 CET


def test_a_schedule_not_set_counts_every_hour():
    start = datetime(2026, 3, 7, 15, 0, tzinfo=UTC)
    assert hours.add_business_hours(hours.schedule_from({}, "UTC"), start, 24) == datetime(
        2026, 3, 8, 15, 0, tzinfo=UTC
    )


def test_midnight_closing_is_written_24_00():
    s = hours.schedule_from(hours.clean_schedule({"days": {"sat": ["20:00", "24:00"]}}), "UTC")
    assert hours.is_open(s, datetime(2026, 3, 7, 23, 59, tzinfo=UTC))
    assert not hours.is_open(s, datetime(2026, 3, 8, 0, 0, tzinfo=UTC))


@pytest.mark.parametrize(
    "data, field",
    [
        ({"days": {"mon": ["17:00", "09:00"]}}, "mon"),
        ({"days": {"mon": ["9 am", "17:00"]}}, "mon"),
        ({"days": {"funday": ["09:00", "17:00"]}}, "funday"),
        ({"days": {"mon": ["09:00"]}}, "mon"),
        ({"days": {}}, "days"),
    ],
)
def test_a_bad_schedule_is_refused_naming_the_day(data, field):
    with pytest.raises(hours.ScheduleError) as caught:
        hours.clean_schedule(data)
    assert field in caught.value.fields


def test_a_person_without_hours_follows_the_team():
    class Person:
        working_hours: dict = {}

    team = jakarta_office()
    assert hours.member_schedule(Person(), team) is team
