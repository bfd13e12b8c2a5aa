"""The calendar in Chromium, filtered on one channel: its "Suggested times" card says whether the
times come from the channel's own engagement (and from how many posts) or the network's pattern."""

from __future__ import annotations

import pytest
from django.utils import timezone

from tests.analytics.best_times_world import weekly_posts
from tests.channels.factories import connect_sandbox
from tests.factories import PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _calendar_note(pg, live_server, channel) -> str:
    pg.goto(f"{live_server.url}/o/alpha/calendar/?channel={channel.pk}")
    pg.wait_for_selector("#cal-best-section:not([hidden])")
    return pg.locator("#cal-best-source").inner_text()


def test_the_suggested_times_card_names_its_source(page, live_server, org_a, alice, alice_m):
    (channel,) = connect_sandbox(org_a, alice_m, ["sbx-kitchen"], timezone_name="Asia/Jakarta")
    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("input[name=login]", alice.email)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"{live_server.url}/o/alpha/")

    note = _calendar_note(page, live_server, channel)
    assert note.startswith("From the network's general engagement pattern.")
    assert page.locator("#cal-best-source").get_attribute("data-best-source") == "general_pattern"

    now = timezone.now()
    for weekday in (1, 2):
        weekly_posts(
            org_a, alice, channel, weekday=weekday, hour=19, weeks=12, engagements=50, now=now
        )
    note = _calendar_note(page, live_server, channel)
    assert note == "From your own engagement on this channel (24 measured posts)."
    assert page.locator("#cal-best-source").get_attribute("data-best-source") == "engagement"
