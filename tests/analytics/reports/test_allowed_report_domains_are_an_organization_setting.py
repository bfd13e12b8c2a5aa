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
