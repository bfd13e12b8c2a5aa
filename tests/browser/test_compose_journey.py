"""The composer in Chromium: variants follow the base text until edited, reset, live counts, groups, no CSP errors."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from playwright.sync_api import expect

from publishing.models import Post, PostVariant
from tests.channels.factories import bulk_channels, connect_sandbox
from tests.factories import PASSWORD

from .conftest import no_horizontal_scroll

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
SHOTS = os.environ.get("BROWSER_SHOTS", "")


def _sign_in(pg, live_server, email):
    pg.goto(f"{live_server.url}/accounts/login/")
    pg.fill("input[name=login]", email)
    pg.fill("input[name=password]", PASSWORD)
    pg.click("button[type=submit]")
    pg.wait_for_url(f"{live_server.url}/o/alpha/")


def test_composing_for_two_networks_in_the_browser(page, live_server, org_a, alice_m):
    from channels_registry import services as channel_services

    (sandbox,) = connect_sandbox(org_a, alice_m, ["sbx-kitchen"])
    (x,) = bulk_channels(org_a, 1, provider="x", handle="alpha_x", name="Alpha on X")
    channel_services.create_channel_group(org_a, by=alice_m, name="Both", channels=[sandbox, x])
    csp_errors = []
    page.on(
        "console",
        lambda m: csp_errors.append(m.text) if "Content Security Policy" in m.text else None,
    )
    _sign_in(page, live_server, "alice@alpha.test")
    page.get_by_role("link", name="Compose").click()
    page.wait_for_url("**/compose/")

    x_panel = page.locator(f"[data-variant-panel='{x.pk}']")
    assert not x_panel.is_visible()
    page.get_by_label("Both").check()  # the group ticks both channels and shows both panels
    assert (
        x_panel.is_visible() and page.locator(f"[data-variant-panel='{sandbox.pk}']").is_visible()
    )
    assert (
        page.locator("select[name=schedule_timezone]").input_value() == "Asia/Jakarta"
    )  # the channel's zone

    page.fill("textarea[name=text]", "Pagi! #kopi @alpha https://alpha.com/menu")
    x_text = x_panel.locator("textarea")
    assert x_text.input_value() == "Pagi! #kopi @alpha https://alpha.com/menu"
    counter = x_panel.locator("[data-counter]")
    expect(counter).to_have_text("42")  # 19 + the link counted as 23 (the server's count)
    x_text.fill("Only on X " + "日" * 140)
    expect(counter).to_have_text("290")
    page.fill("textarea[name=text]", "Changed base")
    assert x_text.input_value().startswith("Only on X")  # edited: no longer follows
    x_panel.get_by_role("button", name="Reset to base text").click()
    assert x_text.input_value() == "Changed base"
    assert no_horizontal_scroll(page)
    if SHOTS:
        Path(SHOTS).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=f"{SHOTS}/compose.png", full_page=True)

    page.get_by_role("button", name="Save draft").click()
    page.wait_for_url("**/posts/*/")
    post = Post.objects.for_org(org_a).get()
    assert post.text == "Changed base"
    assert PostVariant.objects.for_org(org_a).filter(post=post, text_overridden=False).count() == 2
    assert not csp_errors, csp_errors


def test_a_suggested_time_under_when_fills_the_schedule(page, live_server, org_a, alice_m):
    (sandbox,) = connect_sandbox(org_a, alice_m, ["sbx-kitchen"], timezone_name="Asia/Jakarta")
    (x,) = bulk_channels(org_a, 1, provider="x", handle="alpha_x", name="Alpha on X")
    csp_errors = []
    page.on(
        "console",
        lambda m: csp_errors.append(m.text) if "Content Security Policy" in m.text else None,
    )
    _sign_in(page, live_server, "alice@alpha.test")
    page.goto(f"{live_server.url}/o/alpha/compose/")
    when = page.locator("section.card", has=page.locator("h2", has_text="When"))
    assert when.locator("[data-best-time]").count() == 0  # no channel chosen yet

    page.locator(f"input[name=channels][value='{sandbox.pk}']").check()
    when.locator(f"[data-best-for='{sandbox.pk}'] [data-best-time]").first.wait_for()
    page.locator(f"input[name=channels][value='{x.pk}']").check()  # one row per chosen channel
    when.locator(f"[data-best-for='{x.pk}'] [data-best-time]").first.wait_for()
    assert page.locator("#previews [data-best-time]").count() == 0  # not in the preview
    page.locator(f"input[name=channels][value='{x.pk}']").uncheck()
    when.locator(f"[data-best-for='{x.pk}']").wait_for(state="detached")

    page.select_option("select[name=schedule_timezone]", "UTC")
    slot = when.locator(f"[data-best-for='{sandbox.pk}'] [data-best-time]").nth(1)
    date, at, zone = (slot.get_attribute(a) for a in ("data-date", "data-time", "data-timezone"))
    assert zone == "Asia/Jakarta"
    slot.click()
    assert page.locator("input[name=schedule_date]").input_value() == date
    assert page.locator("input[name=schedule_time]").input_value().startswith(at)
    assert page.locator("select[name=schedule_timezone]").input_value() == "Asia/Jakarta"
    page.fill("textarea[name=text]", "Pagi!")  # the preview shows the chosen time in both zones
    page.locator("#previews", has_text="Goes out").wait_for()
    if SHOTS:
        Path(SHOTS).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=f"{SHOTS}/compose-best-times.png", full_page=True)
    assert not csp_errors, csp_errors
