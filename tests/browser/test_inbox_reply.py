"""The inbox in Chromium at 1366 px and at 375 px (no horizontal scroll): open the inbox, open a
conversation, reply, and see the reply sent in the thread."""

from __future__ import annotations

import os

import pytest
from playwright.sync_api import expect

from inbox.models import Reply
from tests.factories import PASSWORD

from ..inbox.factories import inbox_with_conversation, sandbox_channel
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
def conversations(org_a, alice_m):
    channel = sandbox_channel(org_a, alice_m)
    first = inbox_with_conversation(channel, text="Apakah ada cabang di Bandung?", author="rina")
    second = inbox_with_conversation(
        channel,
        kind="dm",
        text="Hi, can I change the address on my order?",
        author="sam",
        lang="en",
    )
    return first, second


@pytest.mark.parametrize("viewport", [{"width": 1366, "height": 900}, PHONE])
def test_open_the_inbox_open_a_conversation_reply_and_see_it_sent(
    browser, live_server, conversations, viewport
):
    mobile = viewport == PHONE
    context = browser.new_context(
        viewport=viewport, is_mobile=mobile, has_touch=mobile, locale="en-US"
    )
    pg = context.new_page()
    pg.set_default_timeout(10_000)
    try:
        _sign_in(pg, live_server)
        pg.goto(f"{live_server.url}/o/alpha/inbox/")
        assert pg.locator("#inbox-rows .inbox-row").count() == 2
        if SHOTS:
            pg.screenshot(path=f"{SHOTS}/inbox-{viewport['width']}.png", full_page=True)
        assert pg.evaluate("document.documentElement.scrollWidth") <= viewport["width"]
        pg.click("text=Apakah ada cabang di Bandung?")
        pg.wait_for_selector("#reply-form")
        assert pg.evaluate("document.documentElement.scrollWidth") <= viewport["width"]
        pg.fill("#reply-form textarea", "Ada kak, di Jl. Braga 12.")
        pg.click("#send-reply")
        pg.wait_for_selector("text=Reply sent.")
        assert pg.locator("#thread .thread-item.outbound").inner_text().count("Jl. Braga 12") == 1
        assert pg.evaluate("document.documentElement.scrollWidth") <= viewport["width"]
        if SHOTS:
            pg.screenshot(path=f"{SHOTS}/conversation-{viewport['width']}.png", full_page=True)
        assert Reply.objects.for_org(conversations[0].organization).get().status == "sent"
    finally:
        context.close()


def test_a_new_message_appears_in_the_filtered_list_without_a_reload(
    browser, live_server, conversations
):
    context = browser.new_context(viewport={"width": 1366, "height": 900}, locale="en-US")
    pg = context.new_page()
    pg.set_default_timeout(10_000)
    try:
        _sign_in(pg, live_server)
        pg.goto(f"{live_server.url}/o/alpha/inbox/")
        pg.select_option("#id_language", "id")
        # (a locator, not wait_for_function: that evaluates a string, which our CSP forbids)
        expect(pg.locator("#inbox-rows .inbox-row")).to_have_count(1)
        pg.evaluate("window.__same_page = true")
        channel = conversations[0].channel
        inbox_with_conversation(
            channel, kind="dm", text="Halo kak, bisa pesan 50 porsi?", author="dewi"
        )
        inbox_with_conversation(
            channel, kind="dm", text="Is the shop open today?", author="lee", lang="en"
        )
        pg.wait_for_selector("text=Halo kak, bisa pesan 50 porsi?", timeout=25_000)
        assert pg.evaluate("window.__same_page === true")  # no reload
        assert pg.locator("text=Is the shop open today?").count() == 0  # the filter still applies
    finally:
        context.close()
