"""GET /api/v1/audit-events/: the same log as the page, for governance managers with a token that
may read it (``audit:read``), with declared filters and cursor pages."""

from __future__ import annotations

import pytest

from accounts import services as account_services
from socialops.audit.models import AuditEvent
from socialops.audit.services import audit_context, record_event

from .. import factories as f
from ..conftest import api_client_for

pytestmark = pytest.mark.django_db

URL = "/api/v1/audit-events/"


@pytest.fixture
def entries(org_a, alice_m):
    with audit_context(actor=alice_m.user, ip_address="203.0.113.7", via="web"):
        jakarta = f.make_team(org_a, "Jakarta", by=alice_m)
        f.make_team(org_a, "Head office", by=alice_m)
        record_event(org_a, "team.updated", obj=jakarta, changes={"name": ["Jakarta", "Jaksel"]})
    return jakarta


def test_the_list_shows_who_when_where_how_and_what_changed_newest_first(alice_api, entries):
    response = alice_api.get(URL)
    assert response.status_code == 200
    first = response.json()["results"][0]
    assert first["action"] == "team.updated"
    assert first["actor"] == "alice@alpha.test" and first["ip_address"] == "203.0.113.7"
    assert first["origin"] == "web" and first["object_type"] == "accounts.team"
    assert first["changes"] == {"name": ["Jakarta", "Jaksel"]}
    seqs = [e["seq"] for e in response.json()["results"]]
    assert seqs == sorted(seqs, reverse=True)


def test_the_filters_narrow_the_list(alice_api, alice_m, entries):
    def actions(query):
        response = alice_api.get(URL + query)
        assert response.status_code == 200, response.json()
        return [e["action"] for e in response.json()["results"]]

    assert actions("?action=team.updated") == ["team.updated"]
    assert set(actions("?action=team.")) == {"team.updated", "team.created"}
    assert actions(f"?object_type=accounts.team&object_id={entries.pk}") == [
        "team.updated",
        "team.created",
    ]
    assert actions("?q=Jaksel") == ["team.updated"]
    assert "team.updated" in actions(f"?actor={alice_m.pk}")
    assert actions("?origin=scim") == []
    assert actions("?since=2000-01-01T00:00:00Z&until=2000-01-02T00:00:00Z") == []


def test_a_member_of_another_organization_matches_nothing(alice_api, bob_m, entries):
    response = alice_api.get(URL + f"?actor={bob_m.pk}")
    assert response.status_code == 200 and response.json()["results"] == []


def test_bad_filters_are_a_400(alice_api, entries):
    for query in ("?origin=fax", "?since=yesterday", "?actor=abc", "?colour=red"):
        assert alice_api.get(URL + query).status_code == 400, query


def test_the_list_pages_with_a_cursor(alice_api, entries):
    first = alice_api.get(URL + "?limit=2").json()
    assert len(first["results"]) == 2 and first["next"]
    second = alice_api.get(first["next"]).json()
    assert {e["id"] for e in first["results"]}.isdisjoint({e["id"] for e in second["results"]})


def test_one_entry_is_read_by_its_id(alice_api, org_a, entries):
    event = AuditEvent.objects.for_org(org_a).get(action="team.updated")
    response = alice_api.get(f"{URL}{event.pk}/")
    assert response.status_code == 200 and response.json()["hash"] == event.hash


def test_the_log_is_read_only(alice_api, org_a, entries):
    event = AuditEvent.objects.for_org(org_a).first()
    assert alice_api.post(URL, {}, format="json").status_code == 405
    assert alice_api.delete(f"{URL}{event.pk}/").status_code == 405


def test_only_governance_managers_read_it(org_a, vera, entries):
    viewer = api_client_for(f.membership(org_a, vera))
    assert viewer.get(URL).status_code == 403


def test_a_scoped_token_needs_audit_read(org_a, alice_m, entries):
    from rest_framework.test import APIClient

    def client_with(scopes):
        issued = account_services.create_api_token(alice_m, name=f"t-{scopes}", scopes=scopes)
        c = APIClient()
        c.credentials(HTTP_AUTHORIZATION=f"Bearer {issued.raw}")
        return c

    assert client_with(["posts:read"]).get(URL).status_code == 403
    assert client_with(["audit:read"]).get(URL).status_code == 200
