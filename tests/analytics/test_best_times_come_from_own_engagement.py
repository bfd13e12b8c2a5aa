"""Best times from the channel's own engagement by hour of week: enough measured posts give the
engaged hours; too few (or too old, too young, unmeasured, without any engagement) fall back to the
network's general pattern and say so; other channels and organizations never count; one query."""

from __future__ import annotations

import zoneinfo
from datetime import timedelta

import pytest

from analytics.best_times import ENGAGEMENT, GENERAL_PATTERN, MIN_POSTS
from analytics.selectors import best_time_slots, general_pattern

from .best_times_world import NOW, channel_in, local, measured_post, weekly_posts

pytestmark = pytest.mark.django_db

JAKARTA = zoneinfo.ZoneInfo("Asia/Jakarta")
TUE, WED = 1, 2


def _hours(slots, weekday):
    return sorted(s.at.hour for s in slots if s.at.weekday() == weekday)


def _engaged_world(org, author, channel, *, tuesday=12, wednesday=12, **kw):
    """Tuesday 19:00 posts do ten times better than Wednesday 10:00 ones (a pattern hour)."""
    weekly_posts(org, author, channel, weekday=TUE, hour=19, weeks=tuesday, engagements=100, **kw)
    weekly_posts(org, author, channel, weekday=WED, hour=10, weeks=wednesday, engagements=10, **kw)


def test_enough_measured_posts_suggest_the_hours_they_engaged_at(org_a, alice):
    channel = channel_in(org_a)
    _engaged_world(org_a, alice, channel)
    slots = best_time_slots(channel, days=7, now=NOW)
    assert slots and {(s.source, s.posts) for s in slots} == {(ENGAGEMENT, 24)}
    assert all(str(s.at.tzinfo) == "Asia/Jakarta" for s in slots)
    assert 19 in _hours(slots, TUE)  # the engaged hour, which the sandbox's pattern never names
    assert 10 not in _hours(slots, WED)  # a pattern hour that did badly here
    assert slots == sorted(slots, key=lambda s: s.at)
    assert all(NOW + timedelta(minutes=15) < s.at for s in slots)
    # the general pattern alone would have said otherwise
    assert 19 not in general_pattern("sandbox")[TUE]


def test_too_few_measured_posts_fall_back_to_the_networks_pattern_and_say_so(org_a, alice):
    channel = channel_in(org_a)
    _engaged_world(org_a, alice, channel, tuesday=10, wednesday=MIN_POSTS - 11)
    slots = best_time_slots(channel, days=7, now=NOW)
    assert {(s.source, s.posts) for s in slots} == {(GENERAL_PATTERN, MIN_POSTS - 1)}
    assert _hours(slots, TUE) == sorted(general_pattern("sandbox")[TUE])
    # one more measured post is enough
    weekly_posts(
        org_a,
        alice,
        channel,
        weekday=TUE,
        hour=19,
        weeks=1,
        engagements=100,
        now=NOW - timedelta(weeks=10),
    )
    assert {s.source for s in best_time_slots(channel, days=7, now=NOW)} == {ENGAGEMENT}


def test_a_channel_without_posts_says_it_has_none(org_a):
    slots = best_time_slots(channel_in(org_a), days=7, now=NOW)
    assert slots and {(s.source, s.posts) for s in slots} == {(GENERAL_PATTERN, 0)}


def test_posts_outside_the_window_unmeasured_or_still_settling_do_not_count(org_a, alice):
    channel = channel_in(org_a)
    _engaged_world(org_a, alice, channel, tuesday=10, wednesday=9)  # 19 that count
    for days_ago in (91, 120):  # older than the 90-day window
        measured_post(org_a, alice, channel, at=NOW - timedelta(days=days_ago), engagements=50)
    measured_post(org_a, alice, channel, at=NOW - timedelta(days=1), engagements=50)  # settling
    measured_post(org_a, alice, channel, at=NOW - timedelta(days=9), engagements=None)  # no figure
    slots = best_time_slots(channel, days=7, now=NOW)
    assert {(s.source, s.posts) for s in slots} == {(GENERAL_PATTERN, 19)}


def test_measured_posts_without_any_engagement_fall_back(org_a, alice):
    channel = channel_in(org_a)
    weekly_posts(org_a, alice, channel, weekday=TUE, hour=19, weeks=12, engagements=0)
    weekly_posts(org_a, alice, channel, weekday=WED, hour=19, weeks=12, engagements=0)
    assert {s.source for s in best_time_slots(channel, days=7, now=NOW)} == {GENERAL_PATTERN}


def test_a_post_is_measured_at_the_end_of_its_first_week_not_by_its_age(org_a, alice):
    """Wednesday's posts gain a lot a month later; their first week is what is compared."""
    channel = channel_in(org_a)
    weekly_posts(org_a, alice, channel, weekday=TUE, hour=19, weeks=12, engagements=100)
    today = NOW.astimezone(JAKARTA).date()
    for week in range(12):
        day = today - timedelta(days=5 + 7 * week)  # Wednesdays
        measured_post(
            org_a, alice, channel, at=local(channel.timezone, day, 16), engagements=10, later=5000
        )
    slots = best_time_slots(channel, days=7, now=NOW)
    assert {s.source for s in slots} == {ENGAGEMENT}
    assert 16 not in _hours(slots, WED) and 19 in _hours(slots, TUE)


def test_other_channels_and_organizations_never_count(org_a, alice, org_b, bob):
    channel = channel_in(org_a)
    sibling = channel_in(org_a)
    foreign = channel_in(org_b)
    _engaged_world(org_a, alice, sibling)
    _engaged_world(org_b, bob, foreign)
    weekly_posts(org_a, alice, channel, weekday=TUE, hour=19, weeks=5, engagements=100)
    slots = best_time_slots(channel, days=7, now=NOW)
    assert {(s.source, s.posts) for s in slots} == {(GENERAL_PATTERN, 5)}
    assert {s.posts for s in best_time_slots(foreign, days=7, now=NOW)} == {24}


def test_one_query_whatever_the_number_of_posts(org_a, alice, django_assert_num_queries):
    channel = channel_in(org_a)
    _engaged_world(org_a, alice, channel)
    with django_assert_num_queries(1):
        few = best_time_slots(channel, days=7, now=NOW)
    weekly_posts(org_a, alice, channel, weekday=3, hour=8, weeks=12, engagements=40)
    weekly_posts(org_a, alice, channel, weekday=4, hour=20, weeks=12, engagements=40)
    with django_assert_num_queries(1):
        many = best_time_slots(channel, days=30, now=NOW)
    assert {s.posts for s in few} == {24} and {s.posts for s in many} == {48}


def test_a_post_an_hour_inside_the_window_counts(org_a, alice):
    """Also at 02:00 in Jakarta, when it is still yesterday in UTC."""
    channel = channel_in(org_a)
    now = NOW.replace(hour=19)  # Tuesday 02:00 in Jakarta
    _engaged_world(org_a, alice, channel, tuesday=10, wednesday=9, now=now)
    edge = now - timedelta(days=90) + timedelta(hours=1)
    measured_post(org_a, alice, channel, at=edge, engagements=50)
    slots = best_time_slots(channel, days=7, now=now)
    assert {(s.source, s.posts) for s in slots} == {(ENGAGEMENT, 20)}
