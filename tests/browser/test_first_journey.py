"""A new admin's first journey in a real browser: sign in, switch language, create a team."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from accounts.models import Team

from ..factories import PASSWORD
from .conftest import no_horizontal_scroll

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _sign_in(pg, live_server, email):
    pg.goto(f"{live_server.url}/accounts/login/")
    pg.fill("input[name=login]", email)
    pg.fill("input[name=password]", PASSWORD)
    pg.click("button[type=submit]")
    pg.wait_for_url(f"{live_server.url}/o/alpha/")


def test_an_admin_signs_in_switches_language_and_creates_a_team(page, live_server, alice, org_a):
    _sign_in(page, live_server, alice.email)
    assert page.locator("h1").inner_text() == "Alpha Foods"

    with page.expect_navigation():
        page.select_option("#lang-select", "id")
    assert page.locator("html").get_attribute("lang") == "id"
    assert page.get_by_role("link", name="Tim").first.is_visible()

    page.get_by_role("link", name="Tim").first.click()
    page.fill("input[name=name]", "Kantor pusat")
    page.get_by_role("button", name="Buat tim").click()
    page.wait_for_selector("#team-tree")
    assert "Kantor pusat" in page.locator("#team-tree").inner_text()
    assert Team.objects.for_org(org_a).filter(name="Kantor pusat").exists()

    with page.expect_navigation():
        page.select_option("#lang-select", "en")
    assert page.locator("html").get_attribute("lang") == "en"


def test_the_same_journey_works_at_phone_width(phone, live_server, alice, org_a):
    _sign_in(phone, live_server, alice.email)
    assert no_horizontal_scroll(phone)
    nav = phone.locator("#primary-nav")
    assert not nav.is_visible()
    phone.click("[data-nav-toggle]")
    expect(nav).to_be_visible()
    nav.get_by_role("link", name="Teams").click()
    phone.fill("input[name=name]", "Regional")
    phone.get_by_role("button", name="Create team").click()
    phone.wait_for_selector("#team-tree")
    assert "Regional" in phone.locator("#team-tree").inner_text()
    assert no_horizontal_scroll(phone)
    phone.screenshot(path="var/screenshots/teams-phone.png", full_page=True)


def test_a_validation_error_is_shown_next_to_the_field(page, live_server, alice, org_a):
    _sign_in(page, live_server, alice.email)
    page.goto(f"{live_server.url}/o/alpha/teams/")
    page.get_by_role("button", name="Create team").click()
    # the form posts and the page comes back with the error: wait for it, never race the reload
    expect(page.locator("#id_name_error")).to_be_visible()
