"""A report run renders the dashboard as a PDF and a CSV, stores both under the organization and
puts one e-mail per recipient in the notifications outbox with both files attached: members (in
their language) and outside addresses at an allowed domain (no user: the organization's language).
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core import mail
from django.utils import timezone

from accounts.models import NotificationEmail
from accounts.notifications import send_emails
from analytics import services as analytics_services
from analytics.reports import services
from analytics.reports.models import ReportRun
from channels_registry.providers.base import DailyAccountMetrics

from ... import factories as f
from ...channels.factories import connect_sandbox
from .conftest import FAKE_PDF, make_schedule

pytestmark = pytest.mark.django_db


def _allow(org, *domains):
    org.report_allowed_domains = list(domains)
    org.save(update_fields=["report_allowed_domains"])


def _figures(org, member):
    channel = connect_sandbox(org, member, ["sbx-kitchen"])[0]
    today = timezone.now().date()
    rows = [
        DailyAccountMetrics(today - timedelta(days=i), impressions=100 + i, engagements=7)
        for i in range(1, 20)
    ]
    analytics_services.upsert_account_metrics(channel, rows)
    analytics_services.rollup_channel(channel, since=rows[-1].day, until=rows[0].day)
    return channel


def _sent_run(schedule) -> ReportRun:
    [run_id] = services.claim_due_schedules(now=schedule.next_run_at)
    return services.deliver_run(run_id)


def test_every_recipient_gets_the_pdf_and_csv_attached(org_a, alice_m, media, no_pdf):
    _allow(org_a, "partner.example")
    vera = f.add_member(org_a, f.make_user("vera@alpha.test", name="Vera"))
    _figures(org_a, alice_m)
    s = make_schedule(
        alice_m,
        member_ids=[alice_m.pk, vera.pk],
        outside_recipients=["Boss@Partner.example"],
    )
    run = _sent_run(s)
    assert run.status == ReportRun.Status.SENT, run.error
    assert run.pdf_path.startswith(f"reports/org-{org_a.pk}/") and run.pdf_size == len(FAKE_PDF)
    assert sorted(run.sent_to) == ["alice@alpha.test", "boss@partner.example", "vera@alpha.test"]
    csv_text = (media / run.csv_path).read_text(encoding="utf-8-sig")
    assert csv_text.splitlines()[0].startswith("row,channel_id,channel,handle,network")
    assert "nusantara.kitchen" in csv_text
    rows = list(NotificationEmail.objects.for_org(org_a).order_by("to_address"))
    assert [r.to_address for r in rows] == [
        "alice@alpha.test",
        "boss@partner.example",
        "vera@alpha.test",
    ]
    outside = rows[1]
    assert outside.recipient_id is None
    assert [a["filename"].rsplit(".", 1)[1] for a in outside.attachments] == ["pdf", "csv"]
    assert "Weekly figures" in outside.subject
    assert send_emails([r.pk for r in rows]) == 3
    message = next(m for m in mail.outbox if m.to == ["boss@partner.example"])
    (pdf_name, pdf_bytes, pdf_type), (csv_name, csv_bytes, _t) = message.attachments
    assert pdf_bytes.startswith(b"%PDF") and pdf_type == "application/pdf"
    assert csv_name.endswith(".csv") and "nusantara.kitchen" in str(csv_bytes)
    # the HTML handed to the renderer holds the dashboard's tables
    assert 'id="kpis"' in no_pdf[0] and "Nusantara Kitchen" in no_pdf[0]


def test_an_outbox_attachment_whose_file_is_gone_fails_and_is_retried(
    org_a, alice_m, media, no_pdf
):
    s = make_schedule(alice_m)
    run = _sent_run(s)
    (media / run.pdf_path).unlink()
    row = NotificationEmail.objects.for_org(org_a).get()
    assert send_emails([row.pk]) == 0
    row.refresh_from_db()
    assert row.sent_at is None and row.next_attempt_at is not None and row.last_error


def test_an_address_whose_domain_is_no_longer_allowed_is_left_out_and_said(
    org_a, alice_m, media, no_pdf
):
    _allow(org_a, "partner.example")
    s = make_schedule(alice_m, outside_recipients=["boss@partner.example"])
    _allow(org_a)
    run = _sent_run(s)
    assert run.status == ReportRun.Status.SENT
    assert run.sent_to == ["alice@alpha.test"]
    assert "boss@partner.example" in run.error


def test_a_schedule_whose_owner_lost_analytics_fails_with_the_reason(org_a, alice_m, media, no_pdf):
    from accounts.capabilities import Role

    s = make_schedule(alice_m)
    alice_m.role = Role.VIEWER
    alice_m.save(update_fields=["role"])
    run = _sent_run(s)
    assert run.status == ReportRun.Status.FAILED
    assert "can no longer see analytics" in run.error
    assert not NotificationEmail.objects.for_org(org_a).exists()


@pytest.mark.pdf
def test_the_real_pdf_is_a_pdf_and_is_attached(org_a, alice_m, media):
    _figures(org_a, alice_m)
    s = make_schedule(alice_m)
    run = _sent_run(s)
    assert run.status == ReportRun.Status.SENT, run.error
    pdf = (media / run.pdf_path).read_bytes()
    assert pdf.startswith(b"%PDF") and run.pdf_size == len(pdf) > 1000
    row = NotificationEmail.objects.for_org(org_a).get()
    assert send_emails([row.pk]) == 1
    assert mail.outbox[-1].attachments[0][1] == pdf
