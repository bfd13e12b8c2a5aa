"""Fetching metrics: the upsert on the natural key, NULL (not reported) kept apart from 0, post
figures daily then weekly, a rate limit that keeps the last good numbers and backs off."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from analytics import services, tasks
from analytics.models import (
    AccountMetricDay,
    ChannelDay,
    MetricsFetchState,
    PostDay,
    PostMetricSnapshot,
)
from channels_registry import services as channel_services
from channels_registry.providers.errors import RateLimited, TransientError

from ..channels.factories import connect_sandbox
from .factories import ScriptedNetwork, published_variant, use_network

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 11, 20, 9, 0, tzinfo=UTC)
TODAY = NOW.date()


@pytest.fixture
def channel(org_a, alice_m):
    return connect_sandbox(org_a, alice_m, ["sbx-kitchen"])[0]


def _rows(model, org):
    return sorted(
        model.objects.for_org(org).values_list(
            *[f.attname for f in model._meta.concrete_fields if f.name != "id"]
        )
    )


def test_the_first_fetch_backfills_thirty_days_and_a_second_run_changes_nothing(
    monkeypatch, org_a, channel
):
    net = use_network(
        monkeypatch,
        ScriptedNetwork(
            account={
                TODAY - timedelta(days=i): {"followers": 1000 + i, "impressions": 10 * i}
                for i in range(40)
            }
        ),
    )
    first = services.fetch_channel_metrics(channel, now=NOW)
    assert net.calls[0] == ("account", TODAY - timedelta(days=29), TODAY)
    assert first.account_days == 30 and first.error == ""
    before = (_rows(AccountMetricDay, org_a), _rows(ChannelDay, org_a))
    assert len(before[0]) == 30 and len(before[1]) == 30

    services.fetch_channel_metrics(channel, now=NOW, force=False)
    assert (_rows(AccountMetricDay, org_a), _rows(ChannelDay, org_a)) == before
    state = MetricsFetchState.objects.for_org(org_a).get(channel=channel)
    assert state.account_cursor == TODAY and state.last_fetched_at == NOW


def test_a_figure_the_network_does_not_report_is_null_and_a_zero_stays_zero(
    monkeypatch, org_a, channel
):
    use_network(
        monkeypatch,
        ScriptedNetwork(account={TODAY: {"followers": 50, "impressions": 0, "reach": None}}),
    )
    services.fetch_channel_metrics(channel, now=NOW)
    day = ChannelDay.objects.for_org(org_a).get(channel=channel, day=TODAY)
    assert day.impressions == 0
    assert day.reach is None and day.link_clicks is None and day.video_views is None
    assert day.posts_published == 0  # counted here: a measured zero


def test_a_later_answer_without_a_figure_keeps_the_one_given_before(org_a, channel):
    from channels_registry.providers.base import DailyAccountMetrics

    services.upsert_account_metrics(channel, [DailyAccountMetrics(TODAY, followers=10, reach=7)])
    services.upsert_account_metrics(channel, [DailyAccountMetrics(TODAY, followers=12)])
    row = AccountMetricDay.objects.for_org(org_a).get(channel=channel, day=TODAY)
    assert (row.followers, row.reach, row.impressions) == (12, 7, None)


def test_the_sandbox_reports_no_reach_and_the_rollup_says_so(org_a, channel):
    channel_services.play_sandbox_history(channel, days=5)
    result = services.fetch_channel_metrics(channel, backfill_days=6)
    assert result.error == "" and result.account_days >= 5
    days = list(ChannelDay.objects.for_org(org_a).filter(channel=channel))
    assert len(days) >= 5
    assert all(d.reach is None for d in days)
    assert all(d.impressions is not None and d.followers for d in days)


def test_posts_are_fetched_daily_in_their_first_month_then_weekly(
    monkeypatch, org_a, alice, channel
):
    young = published_variant(
        org_a, alice, channel, external_id="p-young", at=NOW - timedelta(days=3)
    )
    old = published_variant(org_a, alice, channel, external_id="p-old", at=NOW - timedelta(days=60))
    net = use_network(
        monkeypatch,
        ScriptedNetwork(
            posts={
                "p-young": {"impressions": 100, "likes": 5, "comments": 1, "clicks": 3},
                "p-old": {"impressions": 900, "likes": 40, "video_views": 70},
            }
        ),
    )
    services.fetch_channel_metrics(channel, now=NOW)
    assert ("posts", ("p-old", "p-young")) in net.calls
    # the next day: only the young one is due
    net.posts["p-young"] = {"impressions": 160, "likes": 9, "comments": 1, "clicks": 5}
    services.fetch_channel_metrics(channel, now=NOW + timedelta(days=1), force=True)
    assert net.calls[-1] == ("posts", ("p-young",))
    # a week on, the old one is due again
    services.fetch_channel_metrics(channel, now=NOW + timedelta(days=7), force=True)
    assert "p-old" in net.calls[-1][1]

    gains = PostDay.objects.for_org(org_a).get(variant=young, day=TODAY + timedelta(days=1))
    assert (gains.impressions, gains.impressions_gain, gains.engagements_gain) == (160, 60, 4)
    assert (gains.link_clicks_gain, gains.video_views_gain) == (2, None)
    # no account figures: the channel's impressions are its posts' gains that day
    day = ChannelDay.objects.for_org(org_a).get(channel=channel, day=TODAY + timedelta(days=1))
    assert (day.impressions, day.engagements, day.link_clicks) == (60, 4, 2)
    first = ChannelDay.objects.for_org(org_a).get(channel=channel, day=TODAY)
    assert (first.impressions, first.link_clicks, first.video_views) == (1000, 3, 70)
    assert PostMetricSnapshot.objects.for_org(org_a).filter(variant=old).count() == 2


def test_a_rate_limit_keeps_the_last_numbers_records_the_error_and_backs_off(
    monkeypatch, org_a, channel
):
    net = use_network(monkeypatch, ScriptedNetwork(account={TODAY: {"followers": 500}}))
    services.fetch_channel_metrics(channel, now=NOW)
    later = NOW + timedelta(days=1)
    net.error = RateLimited("Sandbox asks us to slow down.", retry_after=900)
    result = services.fetch_channel_metrics(channel, now=later)
    assert result.error == "Sandbox asks us to slow down."
    state = MetricsFetchState.objects.for_org(org_a).get(channel=channel)
    assert state.backoff_until == later + timedelta(seconds=900)
    assert state.next_fetch_at == state.backoff_until
    assert state.last_error == "Sandbox asks us to slow down." and state.failures == 1
    assert state.last_fetched_at == NOW  # the last good fetch
    assert ChannelDay.objects.for_org(org_a).get(channel=channel, day=TODAY).followers == 500

    # during the backoff the network is not asked at all
    calls = len(net.calls)
    skipped = services.fetch_channel_metrics(channel, now=later + timedelta(minutes=5))
    assert skipped.skipped == "backoff" and len(net.calls) == calls

    # a second failure in a row waits longer (no retry-after: doubling)
    net.error = TransientError("Sandbox had a server error.")
    services.fetch_channel_metrics(channel, now=later + timedelta(hours=1))
    state.refresh_from_db()
    assert state.failures == 2
    assert state.backoff_until == later + timedelta(hours=1) + services.backoff(2)

    # back to normal: the error is cleared
    net.error = None
    services.fetch_channel_metrics(channel, now=later + timedelta(hours=2))
    state.refresh_from_db()
    assert (state.failures, state.last_error, state.backoff_until) == (0, "", None)


def test_the_sweep_claims_each_due_channel_once(monkeypatch, org_a, org_b, bob_m, channel):
    other = connect_sandbox(org_b, bob_m, ["sbx-kitchen"])[0]
    use_network(monkeypatch, ScriptedNetwork(account={TODAY: {"followers": 1}}))
    fetched = []
    monkeypatch.setattr(tasks.fetch_channel_metrics, "delay", fetched.append)
    assert tasks.fetch_due_metrics() == 2
    assert sorted(fetched) == sorted([channel.pk, other.pk])
    assert tasks.fetch_due_metrics() == 0  # claimed: not handed out again


def test_the_beat_schedule_runs_the_sweep(settings):
    entries = [e["task"] for e in settings.CELERY_BEAT_SCHEDULE.values()]
    assert "analytics.tasks.fetch_due_metrics" in entries


def test_after_a_long_gap_the_fetch_reaches_back_no_further_than_a_first_one(
    monkeypatch, org_a, channel
):
    net = use_network(monkeypatch, ScriptedNetwork(account={TODAY: {"followers": 3}}))
    services.fetch_channel_metrics(channel, now=NOW - timedelta(days=90))
    services.fetch_channel_metrics(channel, now=NOW)
    assert net.calls[-1] == ("account", TODAY - timedelta(days=29), TODAY)
