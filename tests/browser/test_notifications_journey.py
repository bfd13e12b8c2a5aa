"""The bell in a real browser: it shows a count (loaded by htmx), the page lists the notification,
opening it marks it read and follows its link, and the count is gone; then at phone width.

Set ``BROWSER_SHOTS=/some/dir`` to keep a screenshot of every page the journey passes.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from accounts.models import Notification
from accounts.notifications import NotificationKind, notify

from ..factories import PASSWORD
from .conftest import no_horizontal_scroll

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SHOTS = os.environ.get("BROWSER_SHOTS", "")


def _shot(pg, name: str) -> None:
    if SHOTS:
        Path(SHOTS).mkdir(parents=True, exist_ok=True)
        pg.screenshot(path=f"{SHOTS}/{name}.png", full_page=True)


def _sign_in(pg, live_server, email):
    pg.goto(f"{live_server.url}/accounts/login/")
    pg.fill("input[name=login]", email)
    pg.fill("input[name=password]", PASSWORD)
    pg.click("button[type=submit]")
    pg.wait_for_url(f"{live_server.url}/o/alpha/")


def _notes(org, user, count):
    for i in range(count):
        notify(
            org,
            recipients=[user],
            kind=NotificationKind.COMMENT,
            template="generic",
            context={"title": f"Budi commented on Rendang week {i}", "message": "Looks great!"},
            url=f"/o/{org.slug}/members/",
        )


def _journey(pg, live_server, org, alice, *, suffix):
    from playwright.sync_api import expect

    _notes(org, alice, 2)
    _sign_in(pg, live_server, alice.email)
    bell = pg.locator("#notification-bell")
    # htmx loads the count right after the page (no inline script: the CSP forbids it)
    expect(bell).to_have_attribute("aria-label", "2 unread notifications")
    expect(bell.locator(".bell-count")).to_have_text("2")
    assert no_horizontal_scroll(pg)
    _shot(pg, f"bell-{suffix}")

    bell.click()
    pg.wait_for_url("**/o/alpha/notifications/")
    expect(pg.locator(".notif-unread")).to_have_count(2)
    assert no_horizontal_scroll(pg)
    _shot(pg, f"list-{suffix}")

    pg.get_by_role("button", name="Budi commented on Rendang week 1").click()
    pg.wait_for_url("**/o/alpha/members/")
    expect(bell).to_have_attribute("aria-label", "1 unread notification")
    unread = Notification.objects.for_org(org).filter(recipient=alice, read_at__isnull=True)
    assert [n.params["title"] for n in unread] == ["Budi commented on Rendang week 0"]

    bell.click()
    pg.wait_for_url("**/o/alpha/notifications/")
    expect(pg.locator(".notif-unread")).to_have_count(1)
    pg.get_by_role("button", name="Mark all read").click()
    expect(pg.get_by_text("All notifications marked as read.")).to_be_visible()
    expect(pg.locator(".notif-unread")).to_have_count(0)
    expect(bell).to_have_attribute("aria-label", "Notifications, none unread")
    expect(bell.locator(".bell-count")).to_have_count(0)
    _shot(pg, f"read-{suffix}")

    pg.get_by_role("link", name="Notification settings").click()
    pg.wait_for_url("**/o/alpha/notifications/settings/")
    assert no_horizontal_scroll(pg)
    _shot(pg, f"settings-{suffix}")


def test_the_bell_counts_opens_and_clears(page, live_server, org_a, alice):
    _journey(page, live_server, org_a, alice, suffix="desktop")


def test_the_bell_at_phone_width(phone, live_server, org_a, alice):
    _journey(phone, live_server, org_a, alice, suffix="phone")
