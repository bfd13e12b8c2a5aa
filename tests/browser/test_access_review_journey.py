"""An access review in Chromium, as a team lead: the notification leads to their list, they remove
one person's access (after the confirmation) and keep another's; the grant is gone at once."""

from __future__ import annotations

import pytest

from channels_registry.models import ChannelGrant
from governance.access_review import services
from governance.access_review.models import ReviewItem
from tests.factories import PASSWORD
from tests.governance.access_review_factories import ReviewOffice

from .conftest import no_horizontal_scroll

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _sign_in(pg, live_server, email):
    pg.goto(f"{live_server.url}/accounts/login/")
    pg.fill("input[name=login]", email)
    pg.fill("input[name=password]", PASSWORD)
    pg.click("button[type=submit]")
    pg.wait_for_url(f"{live_server.url}/o/alpha/")


def test_a_team_lead_removes_one_access_and_keeps_another(
    browser, page, phone, live_server, org_a, alice_m
):
    from playwright.sync_api import expect

    office = ReviewOffice(org_a, alice_m)
    campaign = services.start_review(org_a, by=alice_m, name="Q4 access review", due_on=office.due)
    items = {
        i.channel_id: i for i in ReviewItem.objects.for_org(org_a).filter(reviewer=office.lead)
    }
    kopi, promo = items[office.kopi.pk], items[office.promo.pk]

    _sign_in(page, live_server, "lead@alpha.test")
    page.goto(f"{live_server.url}/o/alpha/notifications/")
    page.get_by_role("button", name="Access review to do: Q4 access review").click()
    page.wait_for_url(f"**/governance/access/reviews/{campaign.pk}/mine/")
    table = page.locator("#my-review-items")
    expect(table.locator("tbody tr")).to_have_count(2)  # Ana's two accesses; not Budi's
    assert "Budi Bali" not in page.locator("main").inner_text()
    from .axe import describe, run_axe, serious

    found = serious(run_axe(page))
    assert not found, describe(found, where="reviewer's list: ")

    questions = []

    def accept(dialog):
        questions.append(dialog.message)
        dialog.accept()

    page.on("dialog", accept)
    page.check(f"#pick-{kopi.pk}")
    page.fill("#review-note", "Moved to the agency")
    page.get_by_role("button", name="Remove selected").click()
    expect(page.locator(".messages")).to_contain_text("1 access removed.")
    assert questions and "Remove the selected access now?" in questions[0]
    assert not (
        ChannelGrant.objects.for_org(org_a)
        .filter(membership=office.ana, channel=office.kopi)
        .exists()
    )
    expect(page.locator(f"#item-{kopi.pk} .decision")).to_contain_text("Remove")
    expect(page.locator(f"#pick-{kopi.pk}")).to_have_count(0)  # removed is final

    page.check(f"#pick-{promo.pk}")
    page.get_by_role("button", name="Keep selected").click()
    expect(page.locator(".messages")).to_contain_text("1 access kept.")
    expect(page.locator(f"#item-{promo.pk} .decision")).to_contain_text("Keep")
    assert (
        ChannelGrant.objects.for_org(org_a)
        .filter(membership=office.ana, channel=office.promo)
        .exists()
    )
    decided = dict(
        ReviewItem.objects.for_org(org_a)
        .filter(reviewer=office.lead)
        .values_list("channel_id", "decision")
    )
    assert decided == {office.kopi.pk: "remove", office.promo.pk: "keep"}

    # the same list at phone width: no sideways scrolling
    _sign_in(phone, live_server, "lead@alpha.test")
    phone.goto(f"{live_server.url}/o/alpha/governance/access/reviews/{campaign.pk}/mine/")
    assert no_horizontal_scroll(phone)


def test_an_admin_reads_the_matrix_and_starts_a_review_from_the_page(
    browser, page, live_server, org_a, alice_m
):
    from playwright.sync_api import expect

    from .axe import describe, run_axe, serious

    office = ReviewOffice(org_a, alice_m)
    _sign_in(page, live_server, "alice@alpha.test")
    page.goto(f"{live_server.url}/o/alpha/")
    page.locator("#primary-nav").get_by_role("link", name="Access", exact=True).click()
    page.wait_for_url("**/governance/access/")
    ana = page.locator(f"#person-{office.ana.pk}")
    expect(ana).to_contain_text("Kopi Pagi")
    expect(ana).to_contain_text("Publish · in person")
    found = serious(run_axe(page))
    assert not found, describe(found, where="access matrix: ")

    page.locator("nav.actions").get_by_role("link", name="Access reviews").click()
    page.wait_for_url("**/governance/access/reviews/")
    page.fill("#id_name", "Jakarta Q4")
    page.select_option("#id_team", str(office.hq.pk))
    page.fill("#id_due_on", office.due.isoformat())
    page.get_by_role("button", name="Start the review").click()
    page.wait_for_url("**/governance/access/reviews/*/")
    expect(page.locator(".messages")).to_contain_text("The review started: 2 accesses to review.")
    expect(page.locator("#review-items tbody tr")).to_have_count(2)
    expect(page.locator("main")).to_contain_text("Lia Lead")
    found = serious(run_axe(page))
    assert not found, describe(found, where="access review: ")
    assert ReviewItem.objects.for_org(org_a).filter(reviewer=office.lead).count() == 2
