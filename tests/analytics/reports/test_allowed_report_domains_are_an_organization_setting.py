"""The domains reports may go to outside the organization are set on the organization's settings
page (admins); a value that is not a domain is a clear error; the change is audited."""

from __future__ import annotations

import pytest

from socialops.audit.models import AuditEvent

pytestmark = pytest.mark.django_db

FORM = {"name": "Alpha Foods", "timezone": "Asia/Jakarta", "language": "en"}


def test_an_admin_allows_domains_one_a_line(client, alice, org_a, alice_m):
    client.force_login(alice)
    response = client.post(
        f"/o/{org_a.slug}/settings/",
        {**FORM, "report_allowed_domains": "Partner.example\n@agency.example, partner.example"},
    )
    assert response.status_code == 302
    org_a.refresh_from_db()
    assert org_a.report_allowed_domains == ["partner.example", "agency.example"]
    event = AuditEvent.objects.for_org(org_a).filter(action="organization.updated").latest("seq")
    assert "report_allowed_domains" in event.changes


def test_a_value_that_is_not_a_domain_is_a_form_error(client, alice, org_a, alice_m):
    client.force_login(alice)
    response = client.post(
        f"/o/{org_a.slug}/settings/", {**FORM, "report_allowed_domains": "not a domain!"}
    )
    assert response.status_code == 200
    assert "is not a domain name" in response.content.decode()
    org_a.refresh_from_db()
    assert org_a.report_allowed_domains == []


# --- the API -------------------------------------------------------------------------------------


def test_the_api_shows_and_changes_the_allowed_domains(alice_api, org_a, alice_m):
    assert alice_api.get("/api/v1/organization/").json()["report_allowed_domains"] == []
    r = alice_api.patch(
        "/api/v1/organization/",
        {"report_allowed_domains": ["Partner.example", "@agency.example", "partner.example"]},
        format="json",
    )
    assert r.status_code == 200, r.content
    assert r.json()["report_allowed_domains"] == ["partner.example", "agency.example"]
    org_a.refresh_from_db()
    assert org_a.report_allowed_domains == ["partner.example", "agency.example"]
    assert org_a.name == "Alpha Foods"  # the fields not given are left as they were
    # a change of another field leaves the domains as they are
    r = alice_api.patch("/api/v1/organization/", {"name": "Alpha Foods Group"}, format="json")
    assert r.json()["report_allowed_domains"] == ["partner.example", "agency.example"]
    # [] is members only
    r = alice_api.patch("/api/v1/organization/", {"report_allowed_domains": []}, format="json")
    assert r.status_code == 200 and r.json()["report_allowed_domains"] == []


@pytest.mark.parametrize(
    "value", [["not a domain!"], "partner.example", [["nested"]], ["x" * 300 + ".example"]]
)
def test_a_bad_domain_through_the_api_is_a_400_and_changes_nothing(alice_api, org_a, value):
    org_a.report_allowed_domains = ["partner.example"]
    org_a.save(update_fields=["report_allowed_domains"])
    r = alice_api.patch(
        "/api/v1/organization/", {"report_allowed_domains": value, "name": "Changed"}, format="json"
    )
    assert r.status_code == 400
    # the field, or one item of it ("report_allowed_domains.0"), is named
    assert any(k.startswith("report_allowed_domains") for k in r.json()["error"]["fields"])
    org_a.refresh_from_db()
    assert org_a.report_allowed_domains == ["partner.example"] and org_a.name == "Alpha Foods"


def test_another_organizations_token_changes_only_its_own(bob_m, org_a, org_b):
    from tests.conftest import api_client_for

    bob_api = api_client_for(bob_m)
    r = bob_api.patch(
        "/api/v1/organization/", {"report_allowed_domains": ["bravo.example"]}, format="json"
    )
    assert r.status_code == 200
    org_a.refresh_from_db()
    org_b.refresh_from_db()
    assert org_a.report_allowed_domains == [] and org_b.report_allowed_domains == ["bravo.example"]
