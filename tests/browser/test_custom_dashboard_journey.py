"""Custom dashboards in Chromium: make one, add widgets, move one with its Earlier button and one by
dragging it (SortableJS), resize one, then read the dashboard at 375 px (it fits the phone: one
column, tables scroll in their own box); axe finds nothing serious. Then share it: the link opens
in a signed-out phone browser at 375 px (read-only, no sideways scroll) until it is revoked, when
it shows the 410 page."""

from __future__ import annotations

import os

import pytest

from analytics.dashboards import selectors
from analytics.dashboards.models import Dashboard

from ..channels.factories import connect_sandbox
from .axe import describe, run_axe, serious
from .conftest import PHONE
from .test_analytics_dashboard import _sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
SHOTS = os.environ.get("BROWSER_SHOTS", "")


def _order(board) -> list[str]:
    return [w.metric or w.kind for w in selectors.widgets_of(board)]


def test_build_arrange_and_read_a_dashboard_on_a_phone(browser, live_server, org_a, alice_m):
    connect_sandbox(org_a, alice_m, ["sbx-kitchen"])
    ctx = browser.new_context(viewport={"width": 1366, "height": 900}, locale="en-US")
    pg = ctx.new_page()
    pg.set_default_timeout(15_000)
    try:
        _sign_in(pg, live_server)
        pg.goto(f"{live_server.url}/o/alpha/analytics/")
        pg.locator("#analytics-nav-dashboards").click()
        pg.locator("#dashboard-new").click()
        pg.fill("#dashboard-form input[name=name]", "Board for the CEO")
        pg.locator("#dashboard-form button[type=submit]").click()
        pg.wait_for_url("**/edit/")
        board = Dashboard.objects.for_org(org_a).get(name="Board for the CEO")
        for kind, metric in (("kpi", "impressions"), ("kpi", "followers"), ("timeseries", "reach")):
            pg.select_option("#widget-add-form select[name=kind]", kind)
            pg.select_option("#widget-add-form select[name=metric]", metric)
            pg.locator("#widget-add-form button[type=submit]").click()
            pg.wait_for_url("**/edit/")
        assert _order(board) == ["impressions", "followers", "reach"]
        problems = serious(run_axe(pg))
        assert not problems, describe(problems, "dashboard edit")

        # the keyboard's way: the second widget's "Earlier" button
        second = pg.locator(".widget-arrange-item").nth(1)
        second.locator("button[value=earlier]").focus()
        pg.keyboard.press("Enter")
        pg.wait_for_url("**/edit/#widget-*")
        assert _order(board) == ["followers", "impressions", "reach"]

        # the mouse's way: drag the last one to the top by its handle
        items = pg.locator(".widget-arrange-item")
        handle = items.nth(2).locator(".drag-handle")
        target = items.nth(0).locator(".drag-handle")
        with pg.expect_response("**/arrange/") as answer:
            handle.drag_to(target)
        assert answer.value.ok
        assert _order(board) == ["reach", "followers", "impressions"]

        # resize the time series to the whole row
        reach = selectors.widgets_of(board).get(metric="reach")
        form = pg.locator(f"#widget-{reach.pk} form.widget-size")
        form.locator("select[name$=width]").select_option("12")
        form.locator("button[type=submit]").click()
        pg.wait_for_url("**/edit/")
        reach.refresh_from_db()
        assert reach.width == 12

        # share it with the CEO: the link is shown once, with a copy button
        pg.goto(f"{live_server.url}/o/alpha/analytics/dashboards/{board.pk}/")
        pg.locator("#dashboard-share").click()
        pg.fill("#share-form input[name=name]", "CEO on her phone")
        pg.locator("#share-form button[type=submit]").click()
        shared_url = pg.locator("#share-url").inner_text().strip()
        assert "/shared/dashboards/" in shared_url and pg.locator("#share-copy").is_visible()
        problems = serious(run_axe(pg))
        assert not problems, describe(problems, "dashboard share page")
    finally:
        ctx.close()

    phone = browser.new_context(viewport=PHONE, is_mobile=True, has_touch=True, locale="en-US")
    pg = phone.new_page()
    pg.set_default_timeout(15_000)
    try:
        _sign_in(pg, live_server)
        pg.goto(f"{live_server.url}/o/alpha/analytics/dashboards/{board.pk}/")
        widgets = pg.locator(".dashboard-widget")
        assert widgets.count() == 3
        assert "Not available for Sandbox" in widgets.nth(0).inner_text()  # reach
        assert pg.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
        problems = serious(run_axe(pg))
        assert not problems, describe(problems, "dashboard at 375 px")
        if SHOTS:
            pg.screenshot(path=f"{SHOTS}/custom-dashboard-375.png", full_page=True)
    finally:
        phone.close()

    # the CEO, signed out, on her phone
    ceo = browser.new_context(viewport=PHONE, is_mobile=True, has_touch=True, locale="en-US")
    pg = ceo.new_page()
    pg.set_default_timeout(15_000)
    try:
        answer = pg.goto(shared_url)
        assert answer.status == 200
        assert pg.locator(".dashboard-widget").count() == 3
        assert pg.locator("#shared-dashboard-title").inner_text().endswith("Board for the CEO")
        assert pg.locator("a[href*='/o/alpha/']").count() == 0  # no way into the organization
        assert pg.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
        problems = serious(run_axe(pg))
        assert not problems, describe(problems, "shared dashboard at 375 px")
        if SHOTS:
            pg.screenshot(path=f"{SHOTS}/shared-dashboard-375.png", full_page=True)

        # revoked (after the confirmation): the same address is the 410 page
        owner = browser.new_context(viewport={"width": 1366, "height": 900}, locale="en-US")
        admin = owner.new_page()
        admin.set_default_timeout(15_000)
        try:
            _sign_in(admin, live_server)
            admin.goto(f"{live_server.url}/o/alpha/analytics/dashboards/{board.pk}/share/")
            admin.once("dialog", lambda dialog: dialog.accept())
            with admin.expect_navigation():
                admin.locator("#share-table button[type=submit]").first.click()
            assert "Revoked" in admin.locator("#share-table").inner_text()
        finally:
            owner.close()
        answer = pg.goto(shared_url)
        assert answer.status == 410
        assert pg.locator("#share-gone").get_attribute("data-reason") == "revoked"
        assert pg.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    finally:
        ceo.close()
