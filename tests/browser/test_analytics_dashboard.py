"""The analytics dashboard in Chromium at 1366 px and at 375 px: reached from the navigation, the
tiles and the "not available" notes read, a backwards range shows its error, the page fits the
phone (the table scrolls in its own box) and axe finds nothing serious."""

from __future__ import annotations

import os
from datetime import timedelta

import pytest
from django.utils import timezone

from analytics import services
from channels_registry.providers.base import DailyAccountMetrics
from tests.factories import PASSWORD

from ..channels.factories import bulk_channels, connect_sandbox
from .axe import describe, run_axe, serious
from .conftest import PHONE

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
SHOTS = os.environ.get("BROWSER_SHOTS", "")


def _sign_in(pg, live_server, email="alice@alpha.test"):
    pg.goto(f"{live_server.url}/accounts/login/")
    pg.fill("input[name=login]", email)
    pg.fill("input[name=password]", PASSWORD)
    pg.click("button[type=submit]")
    pg.wait_for_url(f"{live_server.url}/o/alpha/")


@pytest.fixture
def figures(org_a, alice_m):
    today = timezone.now().date()
    sandbox = connect_sandbox(org_a, alice_m, ["sbx-kitchen"])[0]
    mastodon = bulk_channels(org_a, 1, provider="mastodon")[0]
    rows = [
        DailyAccountMetrics(
            today - timedelta(days=i), followers=2000 - i, impressions=400 + i, engagements=30
        )
        for i in range(56)
    ]
    for channel, data in ((sandbox, rows), (mastodon, [DailyAccountMetrics(today, followers=321)])):
        services.upsert_account_metrics(channel, data)
        services.rollup_channel(channel, since=today - timedelta(days=60), until=today)
    return sandbox, mastodon


@pytest.mark.parametrize(
    "viewport", [{"width": 1366, "height": 900}, PHONE], ids=["1366px", "375px"]
)
def test_open_the_dashboard_from_the_menu_and_read_the_figures(
    browser, live_server, figures, viewport
):
    phone = viewport["width"] < 600
    ctx = browser.new_context(viewport=viewport, is_mobile=phone, has_touch=phone, locale="en-US")
    pg = ctx.new_page()
    pg.set_default_timeout(15_000)
    try:
        _sign_in(pg, live_server)
        if phone:
            pg.locator("[data-nav-toggle]").click()
        pg.locator("#nav-analytics").click()
        pg.wait_for_url(f"{live_server.url}/o/alpha/analytics/")
        tile = pg.locator('[data-kpi="followers"]')
        # today's followers: 2000 (Sandbox) + 321 (Mastodon); growth only where both periods have one
        assert "2,321" in tile.inner_text() and "+28" in tile.inner_text()
        assert "Not available for Mastodon" in pg.locator('[data-kpi="impressions"]').inner_text()
        assert pg.locator("#analytics-by-channel tbody tr").count() == 2
        assert pg.evaluate("document.documentElement.scrollWidth") <= viewport["width"]
        problems = serious(run_axe(pg))
        assert not problems, describe(problems, "analytics dashboard")
        if SHOTS:
            pg.screenshot(path=f"{SHOTS}/analytics-{viewport['width']}.png", full_page=True)

        pg.fill("#id_since", "2026-11-28")
        pg.fill("#id_until", "2026-11-01")
        pg.locator("#analytics-filters button[type=submit]").click()
        pg.wait_for_load_state("networkidle")
        assert (
            "The end of the range is before its start." in pg.locator("#until-errors").inner_text()
        )
    finally:
        ctx.close()
