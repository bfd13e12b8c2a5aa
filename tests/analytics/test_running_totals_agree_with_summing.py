"""The dashboard's per-channel sums on PostgreSQL come from the rollups' running totals
(``selectors._period_sums``); they must be exactly what summing every day gives
(``selectors._summed_by_channel``, the SQLite path): for ranges over gaps, missing figures, days
before a channel's first and after its last, after a rollup rewrote days in the middle, and after
retention deleted the oldest days. Two channels of another organization stay out of it."""

from __future__ import annotations

import random
from datetime import date, timedelta

import pytest
from django.db import connection

from analytics import selectors, services
from analytics.models import ChannelDay
from channels_registry.providers.base import DailyAccountMetrics

from .. import factories as f
from ..channels.factories import bulk_channels

pytestmark = pytest.mark.django_db

#: the sums are read from the running totals on PostgreSQL only (they are kept on SQLite too)
postgres_only = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="running totals are read on PostgreSQL"
)

START = date(2026, 6, 1)
FIGURES = ("followers", "impressions", "reach", "engagements", "link_clicks", "video_views")


def _day(rnd: random.Random, channel, day: date) -> ChannelDay:
    figures = {m: (None if rnd.random() < 0.3 else rnd.randrange(0, 5000)) for m in FIGURES}
    if channel.pk % 3 == 0:
        figures["video_views"] = None  # a channel that never reports it
    return ChannelDay(
        organization_id=channel.organization_id,
        channel=channel,
        day=day,
        posts_published=rnd.randrange(0, 4),
        **figures,
    )


def _world(rnd: random.Random, org, channels) -> None:
    rows = []
    for channel in channels:
        first = START + timedelta(days=rnd.randrange(0, 90))
        last = first + timedelta(days=rnd.randrange(0, 120))
        day = first
        while day <= last:
            if rnd.random() > 0.2:  # a fifth of the days missing: gaps
                rows.append(_day(rnd, channel, day))
            day += timedelta(days=1)
    ChannelDay.objects.bulk_create(rows)
    services.refresh_running_totals()


def _assert_same(org, ids, rnd: random.Random, ranges: int = 60) -> None:
    for _ in range(ranges):
        since = START - timedelta(days=40) + timedelta(days=rnd.randrange(0, 260))
        until = since + timedelta(days=rnd.randrange(0, 100))
        rng = selectors.DateRange(since, until)
        prev = rng.previous()
        fast = selectors._period_sums(org, ids, rng, prev)
        summed = selectors._summed_by_channel(org, ids, rng, prev)
        # the summing query leaves out the MAX/SUM columns' order and yields Decimal sums
        normal = {
            c: {
                k: (int(v) if v is not None and not isinstance(v, date) else v)
                for k, v in r.items()
                if k != "channel_id"
            }
            for c, r in summed.items()
        }
        assert fast == normal, (since, until)


@pytest.fixture
def world():
    rnd = random.Random(16)
    owner = f.make_user("amy@alpha.test", name="Amy")
    org = f.make_org("Alpha", owner=owner, slug="alpha")
    channels = bulk_channels(org, 7, provider="mastodon")
    other = f.make_org("Bravo", owner=f.make_user("bob@bravo.test", name="Bob"), slug="bravo")
    others = bulk_channels(other, 2, provider="mastodon")
    _world(rnd, org, channels)
    _world(rnd, other, others)
    return rnd, org, channels


@postgres_only
def test_the_running_totals_give_what_summing_every_day_gives(world):
    rnd, org, channels = world
    _assert_same(org, [c.pk for c in channels], rnd)
    # a member who sees some of the channels only
    _assert_same(org, [c.pk for c in channels[2:5]], rnd, ranges=20)


@postgres_only
def test_after_a_rollup_rewrites_days_in_the_middle_they_still_agree(world):
    rnd, org, channels = world
    for channel in channels:
        days = list(ChannelDay.objects.for_org(org).filter(channel=channel).order_by("day"))
        if len(days) < 3:
            continue
        middle = days[len(days) // 2].day
        # the figures of a few days from the middle on fetched again, and a missing day filled
        rewritten = [_day(rnd, channel, d.day) for d in days[len(days) // 2 :: 3]]
        gap = next(
            (
                a.day + timedelta(days=1)
                for a, b in zip(days, days[1:], strict=False)
                if (b.day - a.day).days > 1 and a.day >= middle
            ),
            None,
        )
        if gap is not None:
            rewritten.append(_day(rnd, channel, gap))
        ChannelDay.objects.bulk_create(
            rewritten,
            update_conflicts=True,
            unique_fields=["channel", "day"],
            update_fields=[*FIGURES, "posts_published"],
        )
        services.refresh_running_totals(channel=channel, since=middle)
    _assert_same(org, [c.pk for c in channels], rnd)


@postgres_only
def test_after_retention_deletes_the_oldest_days_they_still_agree(world):
    rnd, org, channels = world
    ChannelDay.objects.for_org(org).filter(day__lt=START + timedelta(days=45)).delete()
    _assert_same(org, [c.pk for c in channels], rnd)


def test_rollup_channel_keeps_the_running_totals(org_a):
    """Through the service that writes the rollups: the running totals follow every rollup,
    including one that fetched a day in the middle again."""
    channel = bulk_channels(org_a, 1, provider="mastodon")[0]
    days = [START + timedelta(days=i) for i in range(6)]

    def fetched(figures):
        services.upsert_account_metrics(
            channel,
            [
                DailyAccountMetrics(day=d, followers=100 + i, impressions=v)
                for i, (d, v) in enumerate(zip(days, figures, strict=True))
                if v != "skip"
            ],
        )
        services.rollup_channel(channel, since=min(days), until=max(days))

    def running():
        rows = ChannelDay.objects.for_org(org_a).filter(channel=channel).order_by("day")
        return [(r.run_impressions, r.seen_impressions) for r in rows]

    fetched([10, None, 30, 40, 50, 60])
    assert running() == [(10, 1), (10, 1), (40, 2), (80, 3), (130, 4), (190, 5)]
    fetched(["skip", "skip", 300, "skip", "skip", "skip"])  # day 3 fetched again
    assert running() == [(10, 1), (10, 1), (310, 2), (350, 3), (400, 4), (460, 5)]
