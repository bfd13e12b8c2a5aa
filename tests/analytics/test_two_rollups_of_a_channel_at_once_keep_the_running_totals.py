"""Two rollups of one channel at once (a scheduled fetch and a "fetch now"): the running totals of
the later days are written by whichever commits last, and must hold both rollups' figures.

Forced, not hoped for: the first rollup (the later days) writes and holds its transaction open;
the second (the earlier days) starts while it is open. Without the channel's lock the second's
running-totals statement computed from a snapshot without the first's day, waited on the first's
rows, and wrote its stale totals over them."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from django.db import connection

from analytics import services
from analytics.models import ChannelDay
from channels_registry.providers.base import DailyAccountMetrics

from .. import factories as f
from ..channels.factories import bulk_channels
from ..interleave import second_while_first_holds

pytestmark = pytest.mark.django_db(transaction=True)

DAYS = [date(2026, 11, 1) + timedelta(days=i) for i in range(6)]


def _fetched(channel, figures: dict[date, int]) -> None:
    services.upsert_account_metrics(
        channel,
        [DailyAccountMetrics(day=d, followers=100, impressions=v) for d, v in figures.items()],
    )


@pytest.mark.skipif(connection.vendor != "postgresql", reason="needs two concurrent writers")
def test_the_later_rollup_waits_and_the_running_totals_hold_both():
    owner = f.make_user("amy@alpha.test", name="Amy")
    org = f.make_org("Alpha", owner=owner, slug="alpha")
    channel = bulk_channels(org, 1, provider="mastodon")[0]
    _fetched(channel, dict.fromkeys(DAYS, 10))
    services.rollup_channel(channel, since=DAYS[0], until=DAYS[-1])
    # new figures for a late day and an early day, each rolled up by its own rollup
    _fetched(channel, {DAYS[4]: 1000, DAYS[1]: 500})

    staged = second_while_first_holds(
        lambda: services.rollup_channel(channel, since=DAYS[3], until=DAYS[-1]),
        lambda: services.rollup_channel(channel, since=DAYS[0], until=DAYS[2]),
    )
    assert staged, "the second rollup finished before the first committed: not staged"

    rows = list(ChannelDay.objects.for_org(org).filter(channel=channel).order_by("day"))
    assert [r.impressions for r in rows] == [10, 500, 10, 10, 1000, 10]
    running, expected = 0, []
    for r in rows:
        running += r.impressions
        expected.append(running)
    assert [r.run_impressions for r in rows] == expected
