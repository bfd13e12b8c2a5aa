"""A saved view of the inbox renamed from the Views menu, in Chromium at 1366 px and at 375 px: the
menu with its rename form open passes axe, a taken name is refused with a message, a new name
replaces the old one in the menu and the view keeps its filters."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from inbox.models import SavedView
from inbox.services.saved_views import save_view

from ..inbox.factories import inbox_with_conversation, sandbox_channel
from .axe import describe, run_axe, serious
from .conftest import PHONE
from .test_inbox_reply import _sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def views(org_a, alice_m):
    channel = sandbox_channel(org_a, alice_m)
    inbox_with_conversation(channel, text="Pesanan rusak, kecewa", author="budi")
    mine = save_view(alice_m, name="Negatif", query="sentiment=negative")
    save_view(alice_m, name="Refunds", query="q=refund")
    return mine


@pytest.mark.parametrize("viewport", [{"width": 1366, "height": 900}, PHONE])
def test_a_saved_view_is_renamed_from_the_views_menu(browser, live_server, views, viewport):
    mobile = viewport == PHONE
    context = browser.new_context(
        viewport=viewport, is_mobile=mobile, has_touch=mobile, locale="en-US"
    )
    pg = context.new_page()
    pg.set_default_timeout(10_000)
    try:
        _sign_in(pg, live_server)
        pg.goto(f"{live_server.url}/o/alpha/inbox/")
        pg.locator("#inbox-views > summary").click()
        rename = pg.locator(f"form[data-rename-view='{views.pk}']")
        pg.get_by_label("Rename the view Negatif").click()
        expect(rename).to_be_visible()
        found = serious(run_axe(pg))
        assert not found, describe(found, where="views menu, rename open: ")
        # another of the member's names is refused, with a message
        rename.get_by_label("New name").fill("Refunds")
        rename.get_by_role("button", name="Rename").click()
        expect(pg.locator(".messages")).to_contain_text("You already have a view with this name.")
        # a new name replaces the old one in the menu
        pg.locator("#inbox-views > summary").click()
        pg.get_by_label("Rename the view Negatif").click()
        rename.get_by_label("New name").fill("Keluhan")
        rename.get_by_role("button", name="Rename").click()
        expect(pg.locator(".messages")).to_contain_text("View renamed to “Keluhan”.")
        pg.locator("#inbox-views > summary").click()
        link = pg.locator(f"a[data-view='saved-{views.pk}']")
        expect(link).to_have_text("Keluhan")
        assert (
            SavedView.objects.for_org(views.organization).get(pk=views.pk).query
            == "sentiment=negative"
        )
    finally:
        context.close()
