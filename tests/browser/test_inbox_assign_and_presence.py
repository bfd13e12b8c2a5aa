"""Two people on one conversation in Chromium, at 1366 px and at 375 px: each sees the other
(viewing, then typing a reply), one assigns the conversation to the other, who finds it under
"Assignee: Me" in the inbox's filters. No horizontal scroll on the way."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from accounts.capabilities import Role
from inbox.models import Conversation
from tests import factories as f

from ..inbox.factories import inbox_with_conversation, sandbox_channel
from .conftest import PHONE
from .test_inbox_reply import _sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

DESKTOP = {"width": 1366, "height": 900}
#: two heartbeats (5 s apart) and a margin: what a person waits at most to see the other
HEARTBEATS = 12_000


@pytest.fixture
def shared(org_a, alice_m):
    dewi = f.add_member(org_a, f.make_user("dewi@alpha.test", name="Dewi Lestari"), Role.MODERATOR)
    channel = sandbox_channel(org_a, alice_m)
    conversation = inbox_with_conversation(
        channel, text="Kak, pesanan saya belum sampai 3 hari", author="budi"
    )
    inbox_with_conversation(channel, kind="dm", text="Is the shop open?", author="sam", lang="en")
    return conversation, dewi


def _page(browser, viewport):
    mobile = viewport == PHONE
    context = browser.new_context(
        viewport=viewport, is_mobile=mobile, has_touch=mobile, locale="en-US"
    )
    pg = context.new_page()
    pg.set_default_timeout(15_000)
    return context, pg


@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["1366px", "375px"])
def test_two_people_see_each_other_and_one_assigns_the_other(
    browser, live_server, shared, viewport
):
    conversation, dewi = shared
    url = f"{live_server.url}/o/alpha/inbox/{conversation.pk}/"
    alice_ctx, alice = _page(browser, viewport)
    dewi_ctx, dewi_pg = _page(browser, viewport)
    try:
        _sign_in(alice, live_server)
        _sign_in(dewi_pg, live_server, email="dewi@alpha.test")
        alice.goto(url)
        dewi_pg.goto(url)

        # presence: each sees the other viewing (htmx heartbeats), then Dewi sees Alice typing
        expect(dewi_pg.locator("#presence")).to_contain_text("Alice is viewing", timeout=HEARTBEATS)
        expect(alice.locator("#presence")).to_contain_text("Dewi is viewing", timeout=HEARTBEATS)
        alice.locator("#reply-form textarea").press_sequentially("Mohon maaf kak, ")
        expect(dewi_pg.locator("#presence")).to_contain_text(
            "Alice is typing a reply", timeout=HEARTBEATS
        )
        for pg in (alice, dewi_pg):
            assert pg.evaluate("document.documentElement.scrollWidth") <= viewport["width"]

        # Alice hands the conversation to Dewi
        alice.select_option("#assignee", str(dewi.pk))
        alice.locator("form:has(#assignee) button[type=submit]").click()
        expect(alice.locator("#assignee")).to_have_value(str(dewi.pk))
        conversation.refresh_from_db()
        assert conversation.assignee_id == dewi.pk

        # Dewi finds it among hers, and only it
        dewi_pg.goto(f"{live_server.url}/o/alpha/inbox/")
        expect(dewi_pg.locator("#inbox-rows .inbox-row")).to_have_count(2)
        dewi_pg.select_option("#id_assignee", "me")
        expect(dewi_pg.locator("#inbox-rows .inbox-row")).to_have_count(1)
        row = dewi_pg.locator("#inbox-rows .inbox-row")
        expect(row).to_contain_text("pesanan saya belum sampai")
        expect(row).to_contain_text("Assigned to Dewi")
        assert dewi_pg.evaluate("document.documentElement.scrollWidth") <= viewport["width"]
        assert Conversation.objects.for_org(conversation.organization).count() == 2
    finally:
        alice_ctx.close()
        dewi_ctx.close()
