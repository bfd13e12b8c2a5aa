"""The dashboard's scan of the daily rollups is index-only on PostgreSQL: the covering index holds
every figure the dashboard sums (migration analytics 0005). SQLite has none and needs none."""

from __future__ import annotations

import pytest
from django.db import connection

from analytics.charts.selectors import DAILY_METRICS

pytestmark = pytest.mark.django_db


def test_the_daily_rollups_have_a_covering_index_on_postgresql():
    if connection.vendor != "postgresql":
        pytest.skip("covering indexes are PostgreSQL's")
    with connection.cursor() as cur:
        cur.execute(
            "SELECT indexdef FROM pg_indexes WHERE tablename = 'analytics_channelday' "
            "AND indexname = 'channelday_org_day_figures'"
        )
        (definition,) = cur.fetchone()
    assert "(organization_id, day, channel_id)" in definition
    # every figure the dashboard sums or charts per day: a new one must be added to the index too
    for figure in DAILY_METRICS:
        assert figure in definition.split("INCLUDE", 1)[1], figure
