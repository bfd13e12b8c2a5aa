"""The inbox worked from the keyboard, in Chromium at 1366 px and at 375 px: "?" opens the list of
shortcuts (Escape closes it), j and o open a conversation, Ctrl+/ opens the saved replies, arrows + Enter insert one with its
variables filled in and it is sent; then two conversations are closed at once from the list."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from inbox import services
from inbox.models import Conversation, Reply

from ..inbox.factories import inbox_with_conversation, sandbox_channel
from .axe import describe, run_axe, serious
from .conftest import PHONE
from .test_inbox_reply import _sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def conversations(org_a, alice_m):
    channel = sandbox_channel(org_a, alice_m)
    first = inbox_with_conversation(channel, text="Apakah ada cabang di Bandung?", author="rina")
    second = inbox_with_conversation(
        channel, kind="dm", text="Hi, can I change the address?", author="sam", lang="en"
    )
    services.save_saved_reply(alice_m, title="Greeting", text="Hello {first_name}!")
    services.save_saved_reply(
        alice_m,
        title="Cabang",
        text="Halo {first_name}, cabang kami di Jl. Braga 12.",
        language="id",
    )
    return first, second


@pytest.mark.parametrize("viewport", [{"width": 1366, "height": 900}, PHONE])
def test_shortcuts_saved_reply_from_the_keyboard_and_bulk_close(
    browser, live_server, conversations, viewport
):
    mobile = viewport == PHONE
    context = browser.new_context(
        viewport=viewport, is_mobile=mobile, has_touch=mobile, locale="en-US"
    )
    pg = context.new_page()
    pg.set_default_timeout(10_000)
    first, second = conversations
    try:
        _sign_in(pg, live_server)
        pg.goto(f"{live_server.url}/o/alpha/inbox/")
        expect(pg.locator("#inbox-rows .inbox-row")).to_have_count(2)
        # "?" opens the shortcuts, a modal dialog; Escape closes it
        pg.locator("body").press("?")
        dialog = pg.locator("#shortcuts-dialog")
        expect(dialog).to_be_visible()
        _no_serious_axe_findings(pg, "shortcuts dialog")
        expect(pg.get_by_role("dialog", name="Keyboard shortcuts")).to_be_visible()
        pg.keyboard.press("Escape")
        expect(dialog).to_be_hidden()
        # j moves to a row, o opens it
        pg.keyboard.press("j")
        current = pg.locator("#inbox-rows .inbox-row.is-current")
        expect(current).to_have_count(1)
        opened = current.get_attribute("id").removeprefix("conversation-")
        pg.keyboard.press("o")
        pg.wait_for_url(f"{live_server.url}/o/alpha/inbox/{opened}/")
        pg.goto(f"{live_server.url}/o/alpha/inbox/{first.pk}/")
        # r focuses the reply box; Ctrl+/ opens the picker from inside it
        pg.locator("body").press("r")
        expect(pg.locator("#reply-form textarea")).to_be_focused()
        pg.keyboard.press("Control+/")
        picker = pg.locator("#saved-replies-dialog")
        expect(picker).to_be_visible()
        # an Indonesian conversation: the shared "any language" one and the Indonesian one
        expect(picker.locator("[role=option]")).to_have_count(2)
        _no_serious_axe_findings(pg, "saved reply picker")
        assert pg.evaluate("document.documentElement.scrollWidth") <= viewport["width"]
        pg.keyboard.press("ArrowDown")
        expect(picker.locator("[aria-selected=true]")).to_contain_text("Greeting")
        pg.keyboard.press("ArrowUp")
        expect(picker.locator("[aria-selected=true]")).to_contain_text("Cabang")
        pg.keyboard.press("Enter")
        expect(picker).to_be_hidden()
        expect(pg.locator("#reply-form textarea")).to_have_value(
            "Halo Rina, cabang kami di Jl. Braga 12."
        )
        pg.click("#send-reply")
        pg.wait_for_selector("text=Reply sent.")
        sent = Reply.objects.for_org(first.organization).get()
        assert sent.status == "sent" and sent.text == "Halo Rina, cabang kami di Jl. Braga 12."
        # bulk: tick both, close
        pg.goto(f"{live_server.url}/o/alpha/inbox/")
        pg.check(f"#pick-{first.pk}")
        pg.check(f"#pick-{second.pk}")
        assert pg.evaluate("document.documentElement.scrollWidth") <= viewport["width"]
        _no_serious_axe_findings(pg, "inbox with ticked rows")
        pg.click("#bulk-close")
        expect(pg.get_by_text("2 done, 0 refused.")).to_be_visible()
        expect(pg.locator("#inbox-rows .inbox-row")).to_have_count(0)
        statuses = set(
            Conversation.objects.for_org(first.organization).values_list("status", flat=True)
        )
        assert statuses == {"closed"}
        for path in ("saved-replies/", "tags/"):
            pg.goto(f"{live_server.url}/o/alpha/inbox/{path}")
            _no_serious_axe_findings(pg, path)
            assert pg.evaluate("document.documentElement.scrollWidth") <= viewport["width"]
    finally:
        context.close()


def _no_serious_axe_findings(pg, where):
    found = serious(run_axe(pg))
    assert not found, describe(found, where=f"{where}: ")
