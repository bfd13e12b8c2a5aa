"""The dashboard's charts in Chromium under the site's real CSP (no 'unsafe-eval'): Vega draws
every chart with its expression interpreter, the browser reports no CSP violation and no script
error, and at 375 px the charts fit the phone; each chart keeps its text alternative."""

from __future__ import annotations

import os
from datetime import timedelta

import pytest
from django.utils import timezone

from analytics import services
from channels_registry.providers.base import DailyAccountMetrics
from tests.factories import PASSWORD

from ..channels.factories import bulk_channels, connect_sandbox
from .conftest import PHONE

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
SHOTS = os.environ.get("BROWSER_SHOTS", "")


@pytest.fixture
def figures(org_a, alice_m):
    today = timezone.now().date()
    sandbox = connect_sandbox(org_a, alice_m, ["sbx-kitchen"])[0]
    mastodon = bulk_channels(org_a, 1, provider="mastodon")[0]
    rows = [
        DailyAccountMetrics(
            today - timedelta(days=i), followers=2000 - i, impressions=400 + i, engagements=30 + i
        )
        for i in range(56)
    ]
    for channel, data in ((sandbox, rows), (mastodon, [DailyAccountMetrics(today, followers=321)])):
        services.upsert_account_metrics(channel, data)
        services.rollup_channel(channel, since=today - timedelta(days=60), until=today)


@pytest.mark.parametrize(
    "viewport", [{"width": 1366, "height": 900}, PHONE], ids=["1366px", "375px"]
)
def test_the_charts_draw_under_the_csp_and_fit_the_phone(browser, live_server, figures, viewport):
    phone = viewport["width"] < 600
    ctx = browser.new_context(viewport=viewport, is_mobile=phone, has_touch=phone, locale="en-US")
    pg = ctx.new_page()
    pg.set_default_timeout(15_000)
    problems: list[str] = []
    pg.on(
        "console",
        lambda m: (
            problems.append(m.text)
            if m.type in ("error", "warning") or "Content Security Policy" in m.text
            else None
        ),
    )
    pg.on("pageerror", lambda e: problems.append(str(e)))
    try:
        pg.goto(f"{live_server.url}/accounts/login/")
        pg.fill("input[name=login]", "alice@alpha.test")
        pg.fill("input[name=password]", PASSWORD)
        pg.click("button[type=submit]")
        pg.wait_for_url(f"{live_server.url}/o/alpha/")
        response = pg.goto(f"{live_server.url}/o/alpha/analytics/")
        csp = response.headers.get("content-security-policy", "")
        assert "script-src 'self'" in csp and "unsafe-eval" not in csp
        # (not wait_for_function: its polling evaluates a string, which this CSP refuses)
        pg.locator(".vega-chart-view.vega-chart-ready svg").nth(3).wait_for(state="attached")
        assert pg.locator(".vega-chart-view svg").count() == 4
        # the vendored interpreter is loaded (charts.js hands it to vega-embed as ``expr``)
        assert pg.evaluate("typeof window.vegaInterpreter.expressionInterpreter") == "object"
        # marks were drawn: three lines (two periods each) and the bars of the breakdown
        assert pg.locator('[data-chart="engagements"] .mark-line path').count() == 2
        assert pg.locator('[data-chart="engagements-by-network"] .mark-rect path').count() >= 1
        texts = pg.locator(
            '[data-chart="engagements-by-network"] .mark-text text'
        ).all_text_contents()
        assert "not available" in texts  # Mastodon reports no engagements
        view = pg.locator('[data-chart="engagements"] .vega-chart-view')
        assert view.get_attribute("role") == "graphics-document"
        assert view.get_attribute("aria-label").startswith("Engagements per day, 20")
        assert "compared with" in view.get_attribute("aria-label")
        assert pg.locator('[data-chart="engagements"] figcaption').inner_text() == (
            "Engagements per day"
        )
        widths = pg.evaluate(
            "[...document.querySelectorAll('.vega-chart-view svg')]"
            ".map(s => s.getBoundingClientRect().right)"
        )
        assert max(widths) <= viewport["width"]
        assert pg.evaluate("document.documentElement.scrollWidth") <= viewport["width"]
        assert not problems, problems
        if SHOTS:
            pg.screenshot(path=f"{SHOTS}/analytics-charts-{viewport['width']}.png", full_page=True)
    finally:
        ctx.close()


def test_in_indonesian_the_chart_groups_thousands_with_a_dot(browser, live_server, figures):
    ctx = browser.new_context(viewport=PHONE, is_mobile=True, has_touch=True, locale="id-ID")
    pg = ctx.new_page()
    pg.set_default_timeout(15_000)
    problems: list[str] = []
    pg.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
    pg.on("pageerror", lambda e: problems.append(str(e)))
    try:
        pg.goto(f"{live_server.url}/accounts/login/")
        pg.fill("input[name=login]", "alice@alpha.test")
        pg.fill("input[name=password]", PASSWORD)
        pg.click("button[type=submit]")
        pg.wait_for_url(f"{live_server.url}/o/alpha/")
        pg.goto(f"{live_server.url}/o/alpha/analytics/")
        assert pg.evaluate("document.documentElement.lang") == "id"
        pg.locator(".vega-chart-view.vega-chart-ready svg").nth(3).wait_for(state="attached")
        # the sandbox's engagements over 28 days pass a thousand: "1.000", not "1,000"
        ticks = pg.locator(
            '[data-chart="engagements-by-network"] .role-axis-label text'
        ).all_text_contents()
        assert "1.000" in ticks and "1,000" not in ticks, ticks
        assert not problems, problems
    finally:
        ctx.close()
