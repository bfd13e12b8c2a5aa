"""Offboarding in Chromium: an admin picks a person with grants on several channels and an approval
stage, reads the preview, changes one "goes to", confirms, and downloads the PDF report."""

from __future__ import annotations

from pathlib import Path

import pytest

from approvals.models import ApprovalAssignment, StageApprover
from channels_registry.models import ChannelGrant
from tests.factories import PASSWORD
from tests.governance.conftest import Office

from .conftest import no_horizontal_scroll

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _sign_in(pg, live_server, email):
    pg.goto(f"{live_server.url}/accounts/login/")
    pg.fill("input[name=login]", email)
    pg.fill("input[name=password]", PASSWORD)
    pg.click("button[type=submit]")
    pg.wait_for_url(f"{live_server.url}/o/alpha/")


def test_an_admin_offboards_a_person_and_downloads_the_pdf(
    browser, page, phone, live_server, org_a, alice_m
):
    office = Office(org_a, alice_m)
    lena = office.lena
    assignment = ApprovalAssignment.objects.for_org(org_a).get(membership=lena)
    _sign_in(page, live_server, "alice@alpha.test")

    page.goto(f"{live_server.url}/o/alpha/governance/offboarding/")
    page.select_option("#offboard-member", str(lena.pk))
    page.get_by_role("button", name="Preview").click()
    page.wait_for_url(f"**/governance/offboarding/members/{lena.pk}/")
    grants = page.locator("#section-grants tbody tr")
    assert grants.count() == 4
    assert "nusantara.kitchen" in page.locator("#section-grants").inner_text()
    assert "Brand review · Brand" in page.locator("#section-stage_seats").inner_text()
    select = page.locator(f"select[name='assignment:{assignment.pk}']")
    assert select.locator("option:checked").inner_text() == "Bea Backup"

    # Change one "goes to" and see the preview keep it.
    select.select_option(label="Max Manager")
    page.get_by_role("button", name="Update the preview").click()
    page.wait_for_url("**assignment*")
    select = page.locator(f"select[name='assignment:{assignment.pk}']")
    assert select.locator("option:checked").inner_text() == "Max Manager"

    questions = []

    def accept(dialog):
        questions.append(dialog.message)
        dialog.accept()

    page.on("dialog", accept)
    page.get_by_role("button", name="Offboard now").click()
    page.wait_for_url("**/governance/offboarding/reports/*/")
    assert questions and "Offboard Lena Leaving now?" in questions[0]
    report_text = page.locator("main").inner_text()
    assert "Lena Leaving was offboarded." in report_text and "alpha.page" in report_text
    assert not ChannelGrant.objects.for_org(org_a).filter(membership=lena).exists()
    assert (
        StageApprover.objects.for_org(org_a).get(stage__name="Brand").membership_id == office.bea.pk
    )
    assert (
        ApprovalAssignment.objects.for_org(org_a)
        .filter(membership=office.max, request=assignment.request, status="pending")
        .exists()
    )

    with page.expect_download() as info:
        page.get_by_role("link", name="Download PDF").click()
    download = info.value
    assert download.suggested_filename.endswith(".pdf")
    assert Path(download.path()).read_bytes().startswith(b"%PDF")

    # The report reads on a phone without sideways scrolling of the page.
    _sign_in(phone, live_server, "alice@alpha.test")
    phone.goto(page.url)
    assert no_horizontal_scroll(phone)
