"""``manage.py seed_demo``: the demo's Sandbox channels have two periods of figures, fetched through
the same service as in production, so the dashboard shows numbers offline."""

from __future__ import annotations

import io

import pytest
from django.core.management import call_command
from django.urls import reverse

from accounts.models import Membership, Organization
from analytics.models import AccountMetricDay, ChannelDay, MetricsFetchState
from analytics.selectors import date_range, organization_dashboard

pytestmark = pytest.mark.django_db


def test_the_demo_dashboard_has_numbers_and_a_previous_period(client):
    call_command("seed_demo", stdout=io.StringIO())
    org = Organization.objects.get(slug="demo")
    owner = Membership.objects.for_org(org).filter(role="owner").select_related("user").first()
    assert ChannelDay.objects.for_org(org).count() >= 5 * 56
    assert MetricsFetchState.objects.for_org(org).filter(last_fetched_at__isnull=False).count() >= 5
    board = organization_dashboard(owner, date_range(None, None))
    for key in ("followers", "impressions", "engagements", "engagement_rate"):
        kpi = board.kpi(key)
        assert kpi.current and kpi.previous, key
    assert board.kpi("reach").not_available_for == ["Sandbox"]
    raw = AccountMetricDay.objects.for_org(org).count()
    call_command("seed_demo", stdout=io.StringIO())  # again: nothing duplicated
    assert AccountMetricDay.objects.for_org(org).count() == raw

    client.force_login(owner.user)
    page = client.get(reverse("analytics_dashboard", args=["demo"]))
    assert page.status_code == 200
    assert "Not available for Sandbox" in page.content.decode()
    # the example custom dashboard, made once
    from analytics.dashboards.models import Dashboard

    (example,) = Dashboard.objects.for_org(org).filter(name="Executive overview")
    page = client.get(reverse("analytics_dashboard_detail", args=["demo", example.pk]))
    assert page.status_code == 200
    html = page.content.decode()
    assert html.count('class="card dashboard-widget') == 9
    assert "Not available for Sandbox" in html
