"""Two rollups of one channel at once (a scheduled fetch and a "fetch now"): the running totals of
the later days are written by whichever commits last, and must hold both rollups' figures.

Forced, not hoped for: the first rollup (the later days) writes and holds its transaction open;
the second (the earlier days) starts while it is open. Without the channel's lock the second's
running-totals statement computed from a snapshot without the first's day, waited on the first's
rows, and wrote its stale totals over them."""

from __future__ import annotations

import threading
import time
from datetime import date, timedelta

import pytest
from django.db import connection, connections, transaction

from analytics import services
from analytics.models import ChannelDay
from channels_registry.providers.base import DailyAccountMetrics

from .. import factories as f
from ..channels.factories import bulk_channels

pytestmark = pytest.mark.django_db(transaction=True)

DAYS = [date(2026, 11, 1) + timedelta(days=i) for i in range(6)]


def _waiting_on_a_lock() -> bool:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_stat_activity "
            "WHERE datname = current_database() AND wait_event_type = 'Lock'"
        )
        return cursor.fetchone()[0] > 0


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

    written, release = threading.Event(), threading.Event()
    errors: list[BaseException] = []

    def later_days():
        try:
            with transaction.atomic():
                services.rollup_channel(channel, since=DAYS[3], until=DAYS[-1])
                written.set()
                assert release.wait(20), "the other rollup never started"
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)
            written.set()
        finally:
            connections.close_all()

    def earlier_days():
        try:
            services.rollup_channel(channel, since=DAYS[0], until=DAYS[2])
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)
        finally:
            connections.close_all()

    first = threading.Thread(target=later_days)
    first.start()
    assert written.wait(20)
    second = threading.Thread(target=earlier_days)
    second.start()
    deadline = time.monotonic() + 20
    while not _waiting_on_a_lock() and second.is_alive() and time.monotonic() < deadline:
        time.sleep(0.02)
    blocked = second.is_alive()
    release.set()
    first.join(30)
    second.join(30)
    assert not errors
    assert blocked, "the second rollup finished before the first committed: not staged"

    rows = list(ChannelDay.objects.for_org(org).filter(channel=channel).order_by("day"))
    assert [r.impressions for r in rows] == [10, 500, 10, 10, 1000, 10]
    running, expected = 0, []
    for r in rows:
        running += r.impressions
        expected.append(running)
    assert [r.run_impressions for r in rows] == expected
