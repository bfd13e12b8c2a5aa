"""Metrics are kept ``ANALYTICS_RETENTION_DAYS`` (issue 16: "a date range … beyond retention"): a
dashboard range starting earlier is a clear error on the page and in the API, and the daily task
deletes older rows of every kind (raw and rolled up) and nothing newer."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from django.urls import reverse

from analytics import services
from analytics.models import AccountMetricDay, ChannelDay
from analytics.selectors import first_kept_day
from channels_registry.providers.base import DailyAccountMetrics

from ..channels.factories import connect_sandbox

pytestmark = pytest.mark.django_db


def test_a_range_before_the_retention_is_refused_on_the_page_and_in_the_api(
    settings, alice_client, alice_api, alice_m
):
    settings.ANALYTICS_RETENTION_DAYS = 400
    kept = first_kept_day()
    too_early = {"since": (kept - timedelta(days=1)).isoformat(), "until": kept.isoformat()}
    page = alice_client.get(reverse("analytics_dashboard", args=["alpha"]), too_early)
    assert page.status_code == 400
    assert "Figures are kept for 400 days" in page.content.decode()
    answer = alice_api.get("/api/v1/analytics/summary/", too_early)
    assert answer.status_code == 400
    assert "Figures are kept for 400 days" in str(answer.json())
    ok = {"since": kept.isoformat(), "until": (kept + timedelta(days=6)).isoformat()}
    assert alice_client.get(reverse("analytics_dashboard", args=["alpha"]), ok).status_code == 200


def test_the_daily_purge_deletes_only_rows_older_than_the_retention(settings, org_a, alice_m):
    settings.ANALYTICS_RETENTION_DAYS = 30
    channel = connect_sandbox(org_a, alice_m, ["sbx-kitchen"])[0]
    today = date(2026, 12, 1)
    days = [today - timedelta(days=n) for n in (0, 29, 30, 45)]
    services.upsert_account_metrics(channel, [DailyAccountMetrics(d, followers=10) for d in days])
    services.rollup_channel(channel, since=min(days), until=today)
    assert services.purge_old_metrics(today=today, batch=1) > 0  # batches of one: loops
    kept = {today - timedelta(days=29), today}
    assert set(AccountMetricDay.objects.for_org(org_a).values_list("day", flat=True)) == kept
    assert all(
        d >= today - timedelta(days=29)
        for d in ChannelDay.objects.for_org(org_a).values_list("day", flat=True)
    )
    assert services.purge_old_metrics(today=today) == 0  # again: nothing left to delete
