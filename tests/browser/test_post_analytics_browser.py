"""Per-post analytics in Chromium at 1366 px and at 375 px: from the dashboard to the posts table,
sorted by a header click, "not available" read for a network without a figure, the page fits the
phone (the table scrolls in its own box), the campaign results, the post page's figures; axe finds
nothing serious."""

from __future__ import annotations

import os
from datetime import timedelta

import pytest
from django.utils import timezone

from publishing.models import Campaign

from ..analytics.post_world import feed, publish
from ..channels.factories import bulk_channels, connect_sandbox
from .axe import describe, run_axe, serious
from .conftest import PHONE
from .test_analytics_dashboard import _sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
SHOTS = os.environ.get("BROWSER_SHOTS", "")


@pytest.fixture
def posted(org_a, alice_m):
    now = timezone.now()
    sandbox = connect_sandbox(org_a, alice_m, ["sbx-kitchen"])[0]
    mastodon = bulk_channels(org_a, 1, provider="mastodon")[0]
    launch = Campaign.objects.create(organization=org_a, name="Launch")
    big = publish(
        org_a,
        alice_m.user,
        sandbox,
        text="Big launch post",
        at=now - timedelta(days=3),
        campaign=launch,
        external_id="big",
    )
    small = publish(
        org_a, alice_m.user, sandbox, text="Small tip", at=now - timedelta(days=2), external_id="s"
    )
    toot = publish(
        org_a,
        alice_m.user,
        mastodon,
        text="Launch toot",
        at=now - timedelta(days=1),
        campaign=launch,
        external_id="t",
    )
    today = now.date()
    feed(
        sandbox,
        today,
        {
            big: {"impressions": 5000, "likes": 300, "comments": 20, "clicks": 40},
            small: {"impressions": 90, "likes": 3},
        },
    )
    feed(mastodon, today, {toot: {"likes": 12, "shares": 4}})
    return {"big": big, "small": small, "toot": toot}


@pytest.mark.parametrize(
    "viewport", [{"width": 1366, "height": 900}, PHONE], ids=["1366px", "375px"]
)
def test_sort_the_posts_table_and_read_a_posts_figures(browser, live_server, posted, viewport):
    phone = viewport["width"] < 600
    ctx = browser.new_context(viewport=viewport, is_mobile=phone, has_touch=phone, locale="en-US")
    pg = ctx.new_page()
    pg.set_default_timeout(15_000)
    try:
        _sign_in(pg, live_server)
        pg.goto(f"{live_server.url}/o/alpha/analytics/")
        pg.locator("#analytics-nav-posts").click()
        pg.wait_for_url(f"{live_server.url}/o/alpha/analytics/posts/")
        rows = pg.locator("#analytics-posts tbody tr")
        assert rows.count() == 3
        assert "Launch toot" in rows.nth(0).inner_text()  # newest first
        pg.locator('th[data-sort-key="impressions"] a').click()
        pg.wait_for_url("**sort=-impressions**")
        assert "Big launch post" in rows.nth(0).inner_text()
        assert "Small tip" in rows.nth(1).inner_text()
        toot = pg.locator(f'tr[data-variant="{posted["toot"].pk}"]')
        assert toot.locator('[data-metric="impressions"] [data-na="Mastodon"]').count() == 1
        assert "5,090" in pg.locator("#analytics-posts-totals").inner_text()
        assert pg.evaluate("document.documentElement.scrollWidth") <= viewport["width"]
        problems = serious(run_axe(pg))
        assert not problems, describe(problems, "post analytics")
        if SHOTS:
            pg.screenshot(path=f"{SHOTS}/post-analytics-{viewport['width']}.png", full_page=True)

        pg.locator("#analytics-nav-campaigns").click()
        pg.wait_for_url(f"{live_server.url}/o/alpha/analytics/campaigns/")
        launch = pg.locator("#analytics-campaigns tbody tr").first
        assert "Launch" in launch.inner_text() and "5,000" in launch.inner_text()
        assert pg.evaluate("document.documentElement.scrollWidth") <= viewport["width"]
        problems = serious(run_axe(pg))
        assert not problems, describe(problems, "campaign results")
        if SHOTS:
            pg.screenshot(path=f"{SHOTS}/campaign-results-{viewport['width']}.png", full_page=True)

        launch.locator("a").first.click()
        pg.wait_for_url("**campaign=**")
        assert pg.locator("#analytics-posts tbody tr").count() == 2
        pg.locator(f'tr[data-variant="{posted["big"].pk}"] th a').click()
        pg.wait_for_url(f"**/posts/{posted['big'].post_id}/")
        figures = pg.locator("#post-figures")
        assert "5,000" in figures.inner_text() and "Last fetched" in figures.inner_text()
        assert "not available for Sandbox" in figures.inner_text()
        assert pg.evaluate("document.documentElement.scrollWidth") <= viewport["width"]
        problems = serious(run_axe(pg))
        assert not problems, describe(problems, "post page figures")
        if SHOTS:
            pg.screenshot(path=f"{SHOTS}/post-figures-{viewport['width']}.png", full_page=True)
    finally:
        ctx.close()
