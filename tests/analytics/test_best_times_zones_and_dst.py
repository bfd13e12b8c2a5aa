"""Hours of the week are the channel's local hours: a post at 09:00 counts for 09:00 on either side
of a daylight-saving change, the suggestions come back at 09:00 local after it, and an hour the
change skips is suggested an hour later, never twice."""

from __future__ import annotations

import zoneinfo
from datetime import UTC, datetime

import pytest

from analytics.best_times import ENGAGEMENT, hour_of_week_scores, measured_posts, zone_of
from analytics.selectors import best_time_slots

from .best_times_world import NOW, channel_in, weekly_posts

pytestmark = pytest.mark.django_db

BERLIN = "Europe/Berlin"  # CEST (UTC+2) until 25 October 2026, CET (UTC+1) after
TUE, THU, SUN = 1, 3, 6


def _world(org, author, channel, *, now, weekday=TUE, hour=9):
    weekly_posts(
        org, author, channel, weekday=weekday, hour=hour, weeks=12, engagements=90, now=now
    )
    weekly_posts(org, author, channel, weekday=THU, hour=15, weeks=10, engagements=10, now=now)


def test_posts_either_side_of_a_dst_change_count_for_the_same_local_hour(org_a, alice):
    channel = channel_in(org_a, BERLIN)
    _world(org_a, alice, channel, now=NOW)  # Tuesdays from 8 September to 24 November
    posts = measured_posts(channel, now=NOW)
    tuesdays = sorted(at for at, engagements in posts if engagements == 90)
    assert {at.astimezone(UTC).hour for at in tuesdays} == {7, 8}  # summer and winter time
    found = hour_of_week_scores(posts, zone=zone_of(BERLIN), pattern={})
    assert found.evidence[TUE * 24 + 9] == 12  # all twelve at 09:00 local, none an hour off
    assert found.evidence[TUE * 24 + 8] == found.evidence[TUE * 24 + 10] == 6  # neighbours only


def test_suggestions_after_the_change_stay_at_the_local_hour(org_a, alice):
    channel = channel_in(org_a, BERLIN)
    now = datetime(2026, 10, 22, 12, tzinfo=UTC)  # a Thursday in summer time
    _world(org_a, alice, channel, now=now)
    slots = best_time_slots(channel, days=7, now=now)
    assert {s.source for s in slots} == {ENGAGEMENT}
    (tuesday,) = [s.at for s in slots if s.at.weekday() == TUE and s.at.hour == 9]
    assert tuesday.date().isoformat() == "2026-10-27"  # after the change …
    assert tuesday.astimezone(UTC).hour == 8  # … so 09:00 is 08:00 UTC, where the posts were 07:00


def test_an_hour_the_change_skips_is_suggested_an_hour_later_once(org_a, alice):
    channel = channel_in(org_a, BERLIN)
    now = datetime(2026, 3, 28, 12, tzinfo=UTC)  # Saturday; clocks go 02:00 → 03:00 on Sunday
    _world(org_a, alice, channel, now=now, weekday=SUN, hour=2)
    sunday = [s.at for s in best_time_slots(channel, days=2, now=now) if s.at.weekday() == SUN]
    assert [(at.hour, at.astimezone(UTC).hour) for at in sunday] == [(3, 1)]
    assert sunday[0].tzinfo == zoneinfo.ZoneInfo(BERLIN)


def test_an_unknown_zone_is_read_as_utc(org_a, alice):
    channel = channel_in(org_a, "Not/AZone")
    slots = best_time_slots(channel, days=7, now=NOW)
    assert slots and all(s.at.utcoffset().total_seconds() == 0 for s in slots)
