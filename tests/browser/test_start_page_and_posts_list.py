"""The start page and the posts list in Chromium, at 1280 px and at 375 px (no horizontal scroll):
what needs me beside the plan (above it on a phone), Retry from the start page, and a bulk action
on a selection made with "All on this page", confirmed before it runs."""

from __future__ import annotations

import os
from datetime import timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone

from publishing.models import Post, PostVariant
from tests.channels.factories import connect_sandbox
from tests.factories import PASSWORD

from ..publishing.scheduler_factories import make_post
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


@pytest.fixture
def posts(org_a, alice, alice_m):
    alice.timezone = "Asia/Jakarta"
    alice.save()
    kitchen, kopi = connect_sandbox(org_a, alice_m, ["sbx-kitchen", "sbx-kopi"])
    soon = timezone.now() + timedelta(minutes=30)
    jakarta = ZoneInfo(alice.timezone)  # "today" is Alice's day, not the server's
    if (
        timezone.localtime(soon, jakarta).date()
        != timezone.localtime(timezone.now(), jakarta).date()
    ):
        soon = timezone.now()  # late in her evening: still today
    scheduled = make_post(
        org_a,
        alice,
        [kitchen, kopi],
        text="Kopi pagi, fresh from the roaster " * 3,
        status=Post.Status.SCHEDULED,
        scheduled_at=soon,
    )
    PostVariant.objects.for_org(org_a).filter(post=scheduled).update(
        status="scheduled", due_at=soon
    )
    failed = make_post(
        org_a,
        alice,
        [kitchen],
        text="Flash sale that failed",
        status=Post.Status.FAILED,
        scheduled_at=timezone.now() - timedelta(hours=3),
    )
    PostVariant.objects.for_org(org_a).filter(post=failed).update(
        status="failed",
        failure_reason="The network rejected the image",
        due_at=timezone.now() - timedelta(hours=3),
    )
    drafts = [
        make_post(org_a, alice, [kitchen], text=f"Old idea {i}", status=Post.Status.DRAFT)
        for i in range(3)
    ]
    return {"scheduled": scheduled, "failed": failed, "drafts": drafts}


def test_the_start_page_puts_what_needs_me_beside_the_plan(page, live_server, posts):
    _sign_in(page, live_server)
    failed_box = page.locator("#failed")
    assert "Flash sale that failed" in failed_box.inner_text()
    assert "Kopi pagi" in page.locator("#today").inner_text()
    assert (
        failed_box.bounding_box()["x"] > page.locator("#today").bounding_box()["x"]
    )  # a column to the right
    assert no_horizontal_scroll(page)
    if SHOTS:
        Path(SHOTS).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=f"{SHOTS}/start-page.png", full_page=True)
    with page.expect_navigation():
        failed_box.get_by_role("button", name="Retry").click()
    assert page.url.endswith(f"/posts/{posts['failed'].pk}/")
    assert (
        PostVariant.objects.for_org(posts["failed"].organization_id)
        .get(post=posts["failed"])
        .status
        != "failed"
    )


def test_the_start_page_on_a_phone(phone, live_server, posts):
    _sign_in(phone, live_server)
    assert no_horizontal_scroll(phone) and _fits_the_phone(phone)
    failed, today = phone.locator("#failed").bounding_box(), phone.locator("#today").bounding_box()
    assert failed["y"] < today["y"]  # what needs me comes first on a phone
    if SHOTS:
        Path(SHOTS).mkdir(parents=True, exist_ok=True)
        phone.screenshot(path=f"{SHOTS}/start-page-phone.png", full_page=True)


def test_a_bulk_delete_on_a_phone_asks_first_and_reports_each_post(
    phone, live_server, org_a, posts
):
    asked = []
    phone.on("dialog", lambda d: (asked.append(d.message), d.accept()))
    _sign_in(phone, live_server)
    phone.goto(f"{live_server.url}/o/alpha/posts/")
    assert no_horizontal_scroll(phone) and _fits_the_phone(phone)
    phone.get_by_label("All on this page").check()
    assert phone.locator("input[name=post]:checked").count() == 5
    phone.select_option("select[name=action]", "delete")
    with phone.expect_navigation():
        phone.get_by_role("button", name="Apply").click()
    assert asked == ["Apply this action to every ticked post?"]
    gone = [d.pk for d in posts["drafts"]] + [
        posts["failed"].pk
    ]  # a failed post that never went out, too
    assert not Post.objects.for_org(org_a).filter(pk__in=gone).exists()
    messages = phone.locator(".messages").inner_text()
    assert "4 posts deleted." in messages
    assert "Only drafts can be deleted" in messages  # the scheduled post is named, not deleted
    assert Post.objects.for_org(org_a).filter(pk=posts["scheduled"].pk).exists()
    assert no_horizontal_scroll(phone) and _fits_the_phone(phone)
