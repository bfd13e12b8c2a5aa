"""The scheduled reports' pages: list with the next report, create and change with clear errors,
pause, delete, send now, history with downloads; viewers of analytics see, only admins change;
another organization's schedule or file is a 404."""

from __future__ import annotations

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import connection
from django.test.utils import CaptureQueriesContext

from accounts.capabilities import Role
from analytics.reports.models import ReportRun, ReportSchedule
from socialops.audit.models import AuditEvent

from ... import factories as f
from .conftest import make_schedule

pytestmark = pytest.mark.django_db

FORM = {
    "name": "Monday figures",
    "frequency": "weekly",
    "weekday": "0",
    "day_of_month": "1",
    "send_time": "08:00",
    "timezone": "Asia/Jakarta",
    "range_preset": "previous",
    "enabled": "on",
}


def _url(org, suffix=""):
    return f"/o/{org.slug}/analytics/reports/{suffix}"


def test_an_admin_schedules_a_report_and_sees_its_next_time(client, alice, org_a, alice_m):
    client.force_login(alice)
    response = client.post(_url(org_a, "new/"), {**FORM, "members": [str(alice_m.pk)]})
    assert response.status_code == 302, response.content.decode()[:2000]
    s = ReportSchedule.objects.for_org(org_a).get()
    assert s.next_run_at is not None and s.run_as == alice_m
    assert list(s.recipients.all()) == [alice_m]
    page = client.get(_url(org_a)).content.decode()
    assert "Monday figures" in page
    assert f'datetime="{s.next_run_at.isoformat()}"' in page
    assert "<td>1</td>" in page  # one recipient
    assert AuditEvent.objects.for_org(org_a).filter(action="report_schedule.created").exists()


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        (
            {"outside_recipients": "not-an-address"},
            "outside_recipients",
            "is not an e-mail address",
        ),
        (
            {"outside_recipients": "boss@elsewhere.example"},
            "outside_recipients",
            "is not at a domain reports may be sent to",
        ),
        ({}, "members", "Choose at least one member or address"),
        ({"send_time": "25:99"}, "send_time", "Give a time such as 08:00."),
        ({"timezone": "Mars/Olympus"}, "timezone", "Select a valid choice"),
        ({"name": ""}, "name", "This field is required"),
        (
            {"frequency": "monthly", "day_of_month": "0"},
            "day_of_month",
            "greater than or equal to 1",
        ),
    ],
)
def test_bad_input_is_a_clear_form_error(client, alice, org_a, alice_m, changes, field, message):
    org_a.report_allowed_domains = ["partner.example"]
    org_a.save(update_fields=["report_allowed_domains"])
    client.force_login(alice)
    response = client.post(_url(org_a, "new/"), {**FORM, **changes})
    assert response.status_code == 400
    assert message in " ".join(response.context["form"].errors[field])
    assert not ReportSchedule.objects.for_org(org_a).exists()


def test_a_daily_report_needs_no_weekday_or_day_of_month(client, alice, org_a, alice_m):
    client.force_login(alice)
    form = {k: v for k, v in FORM.items() if k not in ("weekday", "day_of_month")}
    response = client.post(
        _url(org_a, "new/"), {**form, "frequency": "daily", "members": [str(alice_m.pk)]}
    )
    assert response.status_code == 302
    assert ReportSchedule.objects.for_org(org_a).get().frequency == "daily"


def test_with_no_allowed_domain_an_outside_address_says_members_only(client, alice, org_a, alice_m):
    client.force_login(alice)
    response = client.post(
        _url(org_a, "new/"),
        {**FORM, "members": [str(alice_m.pk)], "outside_recipients": "a@partner.example"},
    )
    assert response.status_code == 400
    assert "reports go to members only" in response.content.decode()


def test_an_analyst_sees_schedules_and_files_but_may_not_change_them(client, org_a, alice_m, media):
    s = make_schedule(alice_m)
    run = ReportRun.objects.create(
        organization=org_a,
        schedule=s,
        scheduled_for=s.next_run_at,
        period_start=s.next_run_at.date(),
        period_end=s.next_run_at.date(),
        status=ReportRun.Status.SENT,
        pdf_path=default_storage.save("reports/x/r.pdf", ContentFile(b"%PDF-1.7 alpha")),
        csv_path=default_storage.save("reports/x/r.csv", ContentFile(b"a,b\n")),
    )
    ana = f.make_user("ana@alpha.test")
    f.add_member(org_a, ana, Role.ANALYST)
    client.force_login(ana)
    assert client.get(_url(org_a)).status_code == 200
    detail = client.get(_url(org_a, f"{s.pk}/"))
    assert detail.status_code == 200 and b"report.pdf" in detail.content
    pdf = client.get(_url(org_a, f"{s.pk}/runs/{run.pk}/report.pdf"))
    assert pdf.status_code == 200 and b"".join(pdf.streaming_content).startswith(b"%PDF")
    assert client.get(_url(org_a, f"{s.pk}/runs/{run.pk}/report.csv")).status_code == 200
    for suffix in ("new/", f"{s.pk}/edit/"):
        assert client.get(_url(org_a, suffix)).status_code == 403
    for suffix in ("toggle/", "delete/", "send-now/"):
        assert client.post(_url(org_a, f"{s.pk}/{suffix}")).status_code == 403


def test_a_viewer_without_analytics_sees_nothing(client, vera, org_a, alice_m):
    s = make_schedule(alice_m)
    client.force_login(vera)
    assert client.get(_url(org_a)).status_code == 403
    assert client.get(_url(org_a, f"{s.pk}/")).status_code == 403


def test_pause_send_now_edit_and_delete(
    client, alice, org_a, alice_m, media, no_pdf, django_capture_on_commit_callbacks
):
    s = make_schedule(alice_m)
    client.force_login(alice)
    assert client.post(_url(org_a, f"{s.pk}/toggle/")).status_code == 302
    s.refresh_from_db()
    assert not s.enabled and s.next_run_at is None
    # send now works on a paused schedule (tasks run eagerly in tests: the run is delivered)
    with django_capture_on_commit_callbacks(execute=True):
        assert client.post(_url(org_a, f"{s.pk}/send-now/")).status_code == 302
    run = ReportRun.objects.for_org(org_a).get()
    assert run.manual and run.status == ReportRun.Status.SENT, run.error
    history = client.get(_url(org_a, f"{s.pk}/")).content.decode()
    assert f"runs/{run.pk}/report.pdf" in history
    edit = client.post(
        _url(org_a, f"{s.pk}/edit/"),
        {**FORM, "name": "Renamed", "frequency": "daily", "members": [str(alice_m.pk)]},
    )
    assert edit.status_code == 302
    s.refresh_from_db()
    assert s.name == "Renamed" and s.enabled and s.next_run_at is not None
    pdf_path = run.pdf_path
    assert default_storage.exists(pdf_path)
    with django_capture_on_commit_callbacks(execute=True):
        assert client.post(_url(org_a, f"{s.pk}/delete/")).status_code == 302
    assert not ReportSchedule.objects.for_org(org_a).exists()
    assert not default_storage.exists(pdf_path)
    actions = set(AuditEvent.objects.for_org(org_a).values_list("action", flat=True))
    assert {
        "report_schedule.created",
        "report_schedule.disabled",
        "report_schedule.sent_now",
        "report_schedule.report_sent",
        "report_schedule.updated",
        "report_schedule.deleted",
    } <= actions


def test_another_organizations_schedule_and_files_are_404(
    client, alice, org_a, org_b, bob_m, media
):
    theirs = make_schedule(bob_m)
    run = ReportRun.objects.create(
        organization=org_b,
        schedule=theirs,
        scheduled_for=theirs.next_run_at,
        period_start=theirs.next_run_at.date(),
        period_end=theirs.next_run_at.date(),
        pdf_path=default_storage.save("reports/b/r.pdf", ContentFile(b"%PDF bravo")),
        csv_path=default_storage.save("reports/b/r.csv", ContentFile(b"bravo")),
    )
    client.force_login(alice)
    base = _url(org_a, f"{theirs.pk}/")
    for url in (
        base,
        base + "edit/",
        base + f"runs/{run.pk}/report.pdf",
        base + f"runs/{run.pk}/report.csv",
    ):
        assert client.get(url).status_code == 404, url
    for suffix in ("edit/", "toggle/", "delete/", "send-now/"):
        assert client.post(base + suffix).status_code == 404, suffix
    theirs.refresh_from_db()
    assert theirs.enabled and not ReportRun.objects.for_org(org_b).filter(manual=True).exists()


def test_the_list_reads_a_fixed_number_of_queries(client, alice, org_a, alice_m):
    client.force_login(alice)
    make_schedule(alice_m)
    client.get(_url(org_a))  # warm the session and the caches
    with CaptureQueriesContext(connection) as one:
        client.get(_url(org_a))
    for i in range(4):
        make_schedule(alice_m, name=f"More {i}")
    with CaptureQueriesContext(connection) as five:
        page = client.get(_url(org_a))
    assert page.status_code == 200
    assert len(five) == len(one)
