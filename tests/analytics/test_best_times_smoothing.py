"""How a channel's hour-of-week estimate is made: neighbouring hours lend each other weight,
each hour is pulled toward the network's general pattern by how little it has, one viral post does
not move the week, and a day's two suggestions are peaks hours apart."""

from __future__ import annotations

import zoneinfo
from datetime import UTC, datetime, timedelta

from analytics.best_times import (
    ENGAGEMENT,
    GENERAL_PATTERN,
    MIN_GAP_HOURS,
    MIN_POSTS,
    PATTERN_LIFT,
    hour_of_week_scores,
)

UTC_ZONE = zoneinfo.ZoneInfo("UTC")
PATTERN = {0: (10, 13), 1: (10, 13), 2: (10, 13), 3: (10, 13), 4: (10,)}
MONDAY = datetime(2026, 9, 7, tzinfo=UTC)  # a Monday


def _at(weekday: int, hour: int, week: int = 0) -> datetime:
    return MONDAY + timedelta(weeks=week, days=weekday, hours=hour)


def _posts(weekday: int, hour: int, n: int, engagements: int) -> list[tuple[datetime, int]]:
    return [(_at(weekday, hour, week), engagements) for week in range(n)]


def _scores(posts):
    found = hour_of_week_scores(posts, zone=UTC_ZONE, pattern=PATTERN)
    assert found.source == ENGAGEMENT
    return found.scores


def _base(n=20):
    """Baseline: ``n`` average posts on Saturday afternoons, far from the hours under test."""
    return _posts(5, 15, n, 10)


def test_below_the_minimum_there_are_no_scores_of_its_own():
    found = hour_of_week_scores(_base(MIN_POSTS - 1), zone=UTC_ZONE, pattern=PATTERN)
    assert (found.source, found.posts, found.scores) == (GENERAL_PATTERN, MIN_POSTS - 1, ())


def test_an_hour_without_posts_of_its_own_is_lifted_by_good_neighbours():
    scores = _scores(_base() + _posts(3, 18, 6, 60) + _posts(3, 20, 6, 60))
    thursday = 3 * 24
    assert scores[thursday + 19] > 1.5  # nobody posted at 19:00, both sides did well
    assert scores[thursday + 17] > scores[thursday + 16] > 1.0  # fading with distance …
    assert scores[thursday + 15] == 1.0  # … and gone three hours away (the plain prior)


def test_smoothing_wraps_from_sunday_night_to_monday_morning():
    scores = _scores(_base() + _posts(6, 23, 6, 60))
    assert scores[0] > 1.0 and scores[1] > 1.0  # Monday 00:00 and 01:00 hear Sunday 23:00


def test_an_hour_with_little_data_stays_near_the_pattern_and_many_posts_speak_for_themselves():
    one = _scores(_base() + _posts(2, 3, 1, 300))[2 * 24 + 3]
    many = _scores(_base() + _posts(2, 3, 10, 300))[2 * 24 + 3]
    assert 1.0 < one < many < 3.0
    # without posts near it an hour is the general pattern's: lifted where the network names it
    scores = _scores(_base())
    assert scores[1 * 24 + 10] == PATTERN_LIFT and scores[1 * 24 + 4] == 1.0


def test_poor_posts_pull_a_pattern_hour_below_the_channels_mean():
    scores = _scores(_base() + _posts(1, 10, 12, 1))
    assert scores[1 * 24 + 10] < 1.0 < PATTERN_LIFT == scores[2 * 24 + 10]


def test_one_viral_post_does_not_outweigh_steadily_good_hours():
    scores = _scores(_base() + _posts(4, 8, 1, 100_000) + _posts(4, 17, 6, 25))
    assert scores[4 * 24 + 17] > scores[4 * 24 + 8]


def test_a_days_two_suggestions_are_hours_apart():
    from analytics.best_times import _best_hours

    found = hour_of_week_scores(
        _base() + _posts(1, 18, 3, 80) + _posts(1, 19, 3, 90) + _posts(1, 20, 3, 80),
        zone=UTC_ZONE,
        pattern=PATTERN,
    )
    first, second = _best_hours(found, 1, PATTERN)
    assert first == 19 and abs(first - second) >= MIN_GAP_HOURS
    # Saturday's posts do worse than the typical one and the pattern names no Saturday hour; on
    # Sunday nothing speaks for any hour: no suggestions (not a tie that would pick midnight)
    assert found.scores[5 * 24 + 15] < 1.0
    assert _best_hours(found, 5, PATTERN) == []
    assert _best_hours(found, 6, PATTERN) == []
    # Wednesday: no posts of its own; the network's pattern hours
    assert _best_hours(found, 2, PATTERN) == [10, 13]
