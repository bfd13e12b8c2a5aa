"""Approvals in Chromium: the author submits from the composer, the approver decides on a 375 px phone by link."""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest
from django.core import mail

from accounts.capabilities import Role
from approvals import services
from publishing.models import Post
from tests.channels.factories import connect_sandbox
from tests.factories import PASSWORD, add_member, make_user

from .conftest import no_horizontal_scroll

SHOTS = os.environ.get("BROWSER_SHOTS", "")
pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _sign_in(pg, live_server, email):
    pg.goto(f"{live_server.url}/accounts/login/")
    pg.fill("input[name=login]", email)
    pg.fill("input[name=password]", PASSWORD)
    pg.click("button[type=submit]")
    pg.wait_for_url(f"{live_server.url}/o/alpha/")


def _link_for(email):
    for msg in reversed(mail.outbox):
        if msg.to == [email]:
            for body, _mime in msg.alternatives:
                found = re.search(r'href="https?://[^/"]+(/a/[^"]+/)"', body)
                if found:
                    return found.group(1)
    raise AssertionError(f"no approval link e-mailed to {email}")


@pytest.fixture
def setup(org_a, alice_m):
    (channel,) = connect_sandbox(org_a, alice_m, ["sbx-kitchen"])
    author = add_member(
        org_a, make_user("carl@alpha.test", name="Carl Contributor"), Role.CONTRIBUTOR
    )
    amy = add_member(org_a, make_user("amy@alpha.test", name="Amy Approver"), Role.MANAGER)
    services.create_workflow(
        org_a,
        by=alice_m,
        name="Brand review",
        stages=[
            services.StageSpec(
                name="Brand", approvers=[services.ApproverSpec("person", membership=amy)]
            )
        ],
    )
    return channel, author, amy


def test_author_submits_approver_approves_on_a_phone_and_the_post_is_scheduled(
    browser, page, phone, live_server, setup, org_a
):
    channel, _author, _amy = setup
    _sign_in(page, live_server, "carl@alpha.test")
    page.goto(f"{live_server.url}/o/alpha/compose/")
    page.fill("textarea[name=text]", "Fresh bread at seven, every day")
    page.check(f"input[name=channels][value='{channel.pk}']")
    page.fill("input[name=schedule_date]", "2099-01-05")
    page.fill("input[name=schedule_time]", "09:00")
    page.click("#compose-submit-approval")
    page.wait_for_url("**/approvals/posts/*/submit/**")
    page.locator("#submit-form button[type=submit]").click()
    page.wait_for_url("**/posts/*/")
    post = Post.objects.for_org(org_a).get()
    assert post.status == Post.Status.IN_REVIEW

    link = live_server.url + _link_for("amy@alpha.test")
    phone.goto(link)
    assert "Fresh bread at seven" in phone.content()
    assert "Goes out Mon 5 Jan 2099, 09:00 WIB" in phone.content()
    assert no_horizontal_scroll(phone)
    if SHOTS:
        Path(SHOTS).mkdir(parents=True, exist_ok=True)
        phone.screenshot(path=f"{SHOTS}/approval-link-phone.png", full_page=True)
    phone.get_by_role("button", name="Approve").click()
    phone.wait_for_selector("text=your decision was recorded")
    post.refresh_from_db()
    assert post.status == Post.Status.SCHEDULED
    assert post.scheduled_at.isoformat().startswith("2099-01-05T02:00")  # 09:00 in Jakarta

    phone.goto(link)  # the same link again
    assert "already been used" in phone.content()
    post.refresh_from_db()
    assert post.status == Post.Status.SCHEDULED


def test_a_rejected_post_is_back_in_draft_with_the_comment(page, phone, live_server, setup, org_a):
    channel, author, _amy = setup
    from publishing.posts import services as authoring

    post = authoring.create_post(
        org_a, by=author, text="Half-price coffee all week", channels=[channel]
    )
    services.submit_for_approval(post, by=author)
    phone.goto(live_server.url + _link_for("amy@alpha.test"))
    phone.fill("textarea[name=comment]", "We cannot promise half price")
    phone.get_by_role("button", name="Reject").click()
    phone.wait_for_selector("text=your decision was recorded")
    post.refresh_from_db()
    assert post.status == Post.Status.DRAFT

    _sign_in(page, live_server, "carl@alpha.test")
    page.goto(f"{live_server.url}/o/alpha/posts/{post.pk}/")
    assert "We cannot promise half price" in page.locator("#approval-outcome").inner_text()
    if SHOTS:
        page.screenshot(path=f"{SHOTS}/post-rejected.png", full_page=True)


def test_the_waiting_for_me_queue_on_a_phone(phone, live_server, setup, org_a):
    channel, author, _amy = setup
    from publishing.posts import services as authoring

    post = authoring.create_post(org_a, by=author, text="Weekend brunch menu", channels=[channel])
    services.submit_for_approval(post, by=author)
    phone.goto(f"{live_server.url}/accounts/login/")
    phone.fill("input[name=login]", "amy@alpha.test")
    phone.fill("input[name=password]", PASSWORD)
    phone.click("button[type=submit]")
    phone.wait_for_url(f"{live_server.url}/o/alpha/")
    phone.goto(f"{live_server.url}/o/alpha/approvals/")
    assert (
        phone.locator("[data-waiting-count]").inner_text() == "1"
    )  # the nav badge, loaded by htmx
    phone.get_by_role("link", name="Weekend brunch menu").click()
    phone.wait_for_selector("#decide")
    assert no_horizontal_scroll(phone)
    if SHOTS:
        phone.screenshot(path=f"{SHOTS}/request-detail-phone.png", full_page=True)
    phone.get_by_role("button", name="Approve").click()
    phone.wait_for_selector("text=Nothing is waiting for your approval.")
    post.refresh_from_db()
    assert post.status == Post.Status.APPROVED
