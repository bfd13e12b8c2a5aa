"""Publish now in Chromium: it asks first (data-confirm on a button), and the post page follows the
publish by itself (htmx polls a small partial, then stops) to the live sandbox post."""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest

from publishing.models import Post, PostVariant
from publishing.scheduler import services as scheduling
from tests.channels.factories import connect_sandbox
from tests.factories import PASSWORD

from ..publishing.scheduler_factories import make_post, tick
from .conftest import PHONE, no_horizontal_scroll

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
SHOTS = os.environ.get("BROWSER_SHOTS", "")


def _fits_the_phone(pg) -> bool:
    """No wider than the phone's 375 px: with touch emulation Chromium widens the layout viewport to
    fit what overflows, so ``innerWidth`` alone would follow the overflow."""
    return pg.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]


def _sign_in(pg, live_server, email="alice@alpha.test"):
    pg.goto(f"{live_server.url}/accounts/login/")
    pg.fill("input[name=login]", email)
    pg.fill("input[name=password]", PASSWORD)
    pg.click("button[type=submit]")
    pg.wait_for_url(f"{live_server.url}/o/alpha/")


def test_publish_now_asks_before_it_sends(page, live_server, org_a, alice_m, monkeypatch):
    monkeypatch.setattr(scheduling, "_kick_dispatcher", lambda: None)
    (channel,) = connect_sandbox(org_a, alice_m, ["sbx-kitchen"])
    asked, answer = [], {"accept": False}

    def on_dialog(dialog):
        asked.append(dialog.message)
        dialog.accept() if answer["accept"] else dialog.dismiss()

    page.on("dialog", on_dialog)
    _sign_in(page, live_server)
    page.goto(f"{live_server.url}/o/alpha/compose/")
    page.locator(f"input[name=channels][value='{channel.pk}']").check()
    page.fill("textarea[name=text]", "Flash sale until midnight")
    page.get_by_role("button", name="Publish now").click()
    assert asked == ["Publish now on every selected channel?"]
    page.wait_for_timeout(500)
    assert page.url.endswith("/compose/")  # "Cancel": nothing was sent
    assert not Post.objects.for_org(org_a).exists()

    answer["accept"] = True
    with page.expect_navigation():
        page.get_by_role("button", name="Publish now").click()
    assert len(asked) == 2  # asked once per click, not a second time by the form
    post = Post.objects.for_org(org_a).get()
    assert post.status in (Post.Status.SCHEDULED, Post.Status.PUBLISHING)
    assert page.locator("#post-state").inner_text() == "Publishing"


def test_a_form_that_asks_asks_once(page, live_server, org_a, alice, alice_m):
    (channel,) = connect_sandbox(org_a, alice_m, ["sbx-kitchen"])
    post = make_post(org_a, alice, [channel], status=Post.Status.DRAFT, text="Throwaway draft")
    asked = []
    page.on("dialog", lambda d: (asked.append(d.message), d.dismiss()))
    _sign_in(page, live_server)
    page.goto(f"{live_server.url}/o/alpha/posts/{post.pk}/")
    page.get_by_role("button", name="Delete draft").click()
    page.wait_for_timeout(300)
    assert asked == ["Delete this draft?"]
    assert Post.objects.for_org(org_a).filter(pk=post.pk).exists()


def test_the_post_page_follows_the_publish_then_stops_asking(
    page, live_server, settings, org_a, alice, alice_m, monkeypatch
):
    settings.SITE_URL = live_server.url  # the sandbox's live links point at this server
    monkeypatch.setattr(scheduling, "_kick_dispatcher", lambda: None)
    (channel,) = connect_sandbox(org_a, alice_m, ["sbx-kitchen"])
    post = scheduling.publish_now(
        make_post(org_a, alice, [channel], text="Sambal of the week"), by=alice_m
    )
    polls = []
    page.on("request", lambda r: polls.append(time.monotonic()) if "/progress/" in r.url else None)
    _sign_in(page, live_server)
    page.goto(f"{live_server.url}/o/alpha/posts/{post.pk}/")
    assert page.locator("#post-state").inner_text() == "Publishing"

    tick()  # the dispatcher and the worker send it; nobody reloads the page
    assert PostVariant.objects.for_org(org_a).get(post=post).status == PostVariant.Status.PUBLISHED
    page.locator("#post-state", has_text="Published").wait_for(timeout=8000)
    page.get_by_role("link", name="See the live post").wait_for()
    assert "Published on" in page.locator("#post-when").inner_text()
    settled = len(polls)
    page.wait_for_timeout(4500)
    assert len(polls) == settled  # no more polling once every variant has settled
    if SHOTS:
        Path(SHOTS).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=f"{SHOTS}/post-published.png", full_page=True)

    with page.context.expect_page() as opened:
        page.get_by_role("link", name="See the live post").click()
    live = opened.value
    live.wait_for_load_state()
    assert "Sambal of the week" in live.locator("#sandbox-post").inner_text()


def test_the_post_page_works_at_phone_width(phone, live_server, org_a, alice, alice_m, monkeypatch):
    monkeypatch.setattr(scheduling, "_kick_dispatcher", lambda: None)
    kitchen, kopi = connect_sandbox(org_a, alice_m, ["sbx-kitchen", "sbx-kopi"])
    post = scheduling.publish_now(
        make_post(org_a, alice, [kitchen, kopi], text="Kopi pagi " * 20), by=alice_m
    )
    tick()
    _sign_in(phone, live_server)
    phone.goto(f"{live_server.url}/o/alpha/posts/{post.pk}/")
    assert phone.locator("#post-state").inner_text() == "Published"
    assert no_horizontal_scroll(phone) and _fits_the_phone(phone)
