"""Scheduled reports in Chromium (issue 16: 4): an admin schedules a weekly report of the dashboard
to herself, sends it now, finds it in the schedule's history with its PDF, and the notifications
outbox holds the e-mail with the PDF (its charts drawn by the server) and the CSV attached."""

from __future__ import annotations

import pytest
from django.core import mail

from accounts.models import NotificationEmail
from analytics.reports.models import ReportRun, ReportSchedule

from ..channels.factories import connect_sandbox
from .test_analytics_dashboard import _sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_schedule_a_report_send_it_now_and_find_its_pdf(browser, live_server, org_a, alice_m):
    connect_sandbox(org_a, alice_m, ["sbx-kitchen"])
    ctx = browser.new_context(viewport={"width": 1366, "height": 900}, locale="en-US")
    pg = ctx.new_page()
    pg.set_default_timeout(30_000)
    try:
        _sign_in(pg, live_server)
        pg.goto(f"{live_server.url}/o/alpha/analytics/")
        pg.locator("#analytics-nav-reports").click()
        pg.locator("#report-new").click()
        form = pg.locator("#report-schedule-form")
        form.locator("input[name=name]").fill("Monday figures")
        form.locator("select[name=frequency]").select_option("weekly")
        form.locator("input[name=send_time]").fill("08:00")
        form.locator("select[name=timezone]").select_option("Asia/Jakarta")
        form.locator(f"input[name=members][value='{alice_m.pk}']").check()
        # a bad outside address is refused with a message and nothing is saved
        form.locator("textarea[name=outside_recipients]").fill("not an address")
        form.locator("button[type=submit]").click()
        error = pg.locator("#report-schedule-form .has-error .error").first
        error.wait_for()
        assert "not an e-mail address" in error.inner_text()
        assert not ReportSchedule.objects.for_org(org_a).exists()
        form.locator("textarea[name=outside_recipients]").fill("")
        form.locator("button[type=submit]").click()
        pg.locator("#report-send-now").wait_for()
        schedule = ReportSchedule.objects.for_org(org_a).get(name="Monday figures")
        assert schedule.next_run_at is not None

        pg.locator("#report-send-now").click()
        pg.locator("#report-runs a", has_text="PDF").wait_for()
        run = ReportRun.objects.for_org(org_a).get(schedule=schedule)
        assert run.status == ReportRun.Status.SENT
        # the history's PDF link downloads the file
        with pg.expect_download() as download:
            pg.locator("#report-runs a", has_text="PDF").click()
        with open(download.value.path(), "rb") as fh:
            assert fh.read(4) == b"%PDF"
    finally:
        ctx.close()

    # the outbox: one e-mail to Alice with both files, sent (the mail catcher holds it)
    row = NotificationEmail.objects.for_org(org_a).get(to_address="alice@alpha.test")
    names = sorted(a["filename"] for a in row.attachments)
    assert [n.rsplit(".", 1)[-1] for n in names] == ["csv", "pdf"]
    sent = [m for m in mail.outbox if "alice@alpha.test" in m.to]
    assert sent and any(a[0].endswith(".pdf") and a[1][:4] == b"%PDF" for a in sent[-1].attachments)
