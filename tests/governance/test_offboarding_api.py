"""The offboarding API: the preview (GET), the run (POST, with choices), the reports; admins only."""

from __future__ import annotations

import pytest

from approvals.models import ApprovalAssignment

from ..conftest import api_client_for
from .conftest import reload

pytestmark = pytest.mark.django_db


def test_the_preview_lists_the_items_with_where_they_go(office, alice_api):
    answer = alice_api.get(f"/api/v1/member-offboarding/{office.lena.pk}/")
    assert answer.status_code == 200
    data = answer.json()
    assert data["refusal"] == "" and data["errors"] == {}
    kinds = {item["kind"] for item in data["items"]}
    assert {"grants", "teams", "stage_seats", "assignments", "conversations", "posts"} <= kinds
    seat = next(i for i in data["items"] if i["kind"] == "stage_seats")
    assert seat["goes_to"] == office.bea.pk and seat["goes_to_label"] == "Bea Backup"
    assert len(data["follow_ups"]) == 1


def test_the_run_takes_choices_and_answers_the_report(office, alice_api):
    assignment = ApprovalAssignment.objects.for_org(office.org).get(membership=office.lena)
    answer = alice_api.post(
        f"/api/v1/member-offboarding/{office.lena.pk}/run/",
        {"choices": {f"assignment:{assignment.pk}": office.max.pk, "conversations": None}},
        format="json",
    )
    assert answer.status_code == 201, answer.json()
    report = answer.json()
    assert report["via"] == "api" and report["member"] == office.lena.pk
    assert any(
        i["label"] == "Fresh bread at seven" and i["goes_to"] == "Max Manager"
        for i in report["items"]
    )
    assert not reload(office.lena).is_active
    listed = alice_api.get("/api/v1/offboarding-reports/").json()
    assert [r["id"] for r in listed["results"]] == [report["id"]]
    detail = alice_api.get(f"/api/v1/offboarding-reports/{report['id']}/").json()
    assert detail["tasks"][0]["done_at"] is None


def test_a_bad_choice_is_a_400_and_a_refusal_a_409(office, alice_api, alice_m):
    bad = alice_api.post(
        f"/api/v1/member-offboarding/{office.lena.pk}/run/",
        {"choices": {"posts": office.vic.pk}},
        format="json",
    )
    assert bad.status_code == 400
    assert bad.json()["error"]["code"] == "validation_error"
    assert reload(office.lena).is_active
    refused = alice_api.post(f"/api/v1/member-offboarding/{alice_m.pk}/run/", {}, format="json")
    assert refused.status_code == 409 and "yourself" in refused.json()["error"]["message"]


def test_only_admins_may_call_it(office):
    manager = api_client_for(office.max)
    assert manager.get(f"/api/v1/member-offboarding/{office.lena.pk}/").status_code == 403
    assert (
        manager.post(
            f"/api/v1/member-offboarding/{office.lena.pk}/run/", {}, format="json"
        ).status_code
        == 403
    )
    assert manager.get("/api/v1/offboarding-reports/").status_code == 403
    assert reload(office.lena).is_active
