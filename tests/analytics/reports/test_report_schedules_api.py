"""/api/v1/analytics/report-schedules/ and /report-runs/: CRUD, send now, the runs with their
files' links and the files; bad input is a 400 naming the field; another organization's is a 404."""

from __future__ import annotations

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage

from accounts.capabilities import Role
from analytics.reports.models import ReportRun, ReportSchedule

from ... import factories as f
from ...conftest import api_client_for
from .conftest import make_schedule

pytestmark = pytest.mark.django_db

BASE = "/api/v1/analytics/report-schedules/"
RUNS = "/api/v1/analytics/report-runs/"
BODY = {
    "name": "API weekly",
    "frequency": "weekly",
    "weekday": 4,
    "send_time": "17:30",
    "timezone": "Europe/Berlin",
}


def test_create_read_change_and_delete(alice_api, alice_m, org_a):
    created = alice_api.post(BASE, {**BODY, "members": [alice_m.pk]}, format="json")
    assert created.status_code == 201, created.content
    body = created.json()
    assert body["send_time"] == "17:30" and body["members"] == [alice_m.pk]
    assert body["next_run_at"] is not None and body["dashboard"] is None
    pk = body["id"]
    assert alice_api.get(BASE).json()["results"][0]["id"] == pk
    changed = alice_api.patch(f"{BASE}{pk}/", {"enabled": False}, format="json")
    assert changed.status_code == 200 and changed.json()["next_run_at"] is None
    assert changed.json()["name"] == "API weekly"  # untouched fields stay
    assert alice_api.delete(f"{BASE}{pk}/").status_code == 204
    assert not ReportSchedule.objects.for_org(org_a).exists()


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"outside_recipients": ["nope"]}, "outside_recipients"),
        ({"outside_recipients": ["x@elsewhere.example"]}, "outside_recipients"),
        ({"members": []}, "members"),
        ({"send_time": "24:61"}, "send_time"),
        ({"timezone": "Nowhere/Else"}, "timezone"),
        ({"frequency": "hourly"}, "frequency"),
    ],
)
def test_bad_input_is_a_400_naming_the_field(alice_api, alice_m, org_a, changes, field):
    org_a.report_allowed_domains = ["partner.example"]
    org_a.save(update_fields=["report_allowed_domains"])
    response = alice_api.post(BASE, {**BODY, "members": [alice_m.pk], **changes}, format="json")
    assert response.status_code == 400, response.content
    assert field in str(response.json()), response.json()
    assert not ReportSchedule.objects.for_org(org_a).exists()


def test_send_now_and_the_runs_with_their_files(
    alice_api, alice_m, media, no_pdf, django_capture_on_commit_callbacks
):
    s = make_schedule(alice_m)
    with django_capture_on_commit_callbacks(execute=True):
        accepted = alice_api.post(f"{BASE}{s.pk}/send-now/")
    assert accepted.status_code == 202, accepted.content
    runs = alice_api.get(RUNS, {"schedule": s.pk}).json()["results"]
    assert [r["status"] for r in runs] == ["sent"]
    assert runs[0]["pdf_url"].endswith(f"{RUNS}{runs[0]['id']}/pdf/")
    pdf = alice_api.get(runs[0]["pdf_url"])
    assert pdf.status_code == 200 and b"".join(pdf.streaming_content).startswith(b"%PDF")
    assert alice_api.get(runs[0]["csv_url"]).status_code == 200


def test_an_analyst_reads_but_may_not_change(org_a, alice_m):
    s = make_schedule(alice_m)
    ana = f.add_member(org_a, f.make_user("ana@alpha.test"), Role.ANALYST)
    api = api_client_for(ana)
    assert api.get(f"{BASE}{s.pk}/").status_code == 200
    assert api.patch(f"{BASE}{s.pk}/", {"name": "x"}, format="json").status_code == 403
    assert api.post(f"{BASE}{s.pk}/send-now/").status_code == 403
    assert api.post(BASE, {**BODY, "members": [ana.pk]}, format="json").status_code == 403


def test_another_organizations_schedules_and_runs_are_404(alice_api, bob_m, org_b, media):
    theirs = make_schedule(bob_m)
    run = ReportRun.objects.create(
        organization=org_b,
        schedule=theirs,
        scheduled_for=theirs.next_run_at,
        period_start=theirs.next_run_at.date(),
        period_end=theirs.next_run_at.date(),
        pdf_path=default_storage.save("reports/b/r.pdf", ContentFile(b"%PDF bravo")),
    )
    assert alice_api.get(BASE).json()["results"] == []
    assert alice_api.get(RUNS).json()["results"] == []
    assert alice_api.get(f"{BASE}{theirs.pk}/").status_code == 404
    assert alice_api.patch(f"{BASE}{theirs.pk}/", {"name": "x"}, format="json").status_code == 404
    assert alice_api.post(f"{BASE}{theirs.pk}/send-now/").status_code == 404
    assert alice_api.delete(f"{BASE}{theirs.pk}/").status_code == 404
    for suffix in ("", "pdf/", "csv/"):
        assert alice_api.get(f"{RUNS}{run.pk}/{suffix}").status_code == 404
    assert ReportSchedule.objects.for_org(org_b).count() == 1
