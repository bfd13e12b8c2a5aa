"""The audit log's CSV export: the filtered entries of the viewer's organization only, streamed,
oldest first, formulas defused; the export itself is recorded; governance managers only."""

from __future__ import annotations

import csv
import io

import pytest

from socialops.audit.models import AuditEvent
from socialops.audit.services import audit_context

from .. import factories as f

pytestmark = pytest.mark.django_db

URL = "/o/alpha/governance/audit/export.csv"


def _rows(response):
    assert response.status_code == 200
    assert response.streaming
    assert response["Content-Type"].startswith("text/csv")
    assert "attachment;" in response["Content-Disposition"]
    body = b"".join(response.streaming_content).decode()
    return list(csv.DictReader(io.StringIO(body)))


def test_the_export_holds_the_filtered_entries_with_who_when_where_how_and_what(
    alice_client, org_a, alice_m
):
    with audit_context(actor=alice_m.user, ip_address="203.0.113.7", via="web"):
        f.make_team(org_a, "Jakarta", by=alice_m)
        f.make_team(org_a, "Head office", by=alice_m)
    rows = _rows(alice_client.get(URL + "?action=team.created"))
    assert [r["object"] for r in rows] == ["Jakarta", "Head office"]  # oldest first
    first = rows[0]
    assert first["actor"] == "alice@alpha.test"
    assert first["ip_address"] == "203.0.113.7"
    assert first["origin"] == "web"
    assert first["object_type"] == "accounts.team"
    assert first["time_utc"].endswith("+00:00")
    assert set(first) >= {"seq", "time_local", "changes"}


def test_the_export_holds_nothing_of_another_organization(alice_client, org_a, org_b, bob_m):
    f.make_team(org_b, "Bravo Secret Team", by=bob_m)
    body = b"".join(alice_client.get(URL).streaming_content).decode()
    assert "Bravo Secret Team" not in body and "bob@" not in body
    assert "organization.created" in body


def test_an_export_is_recorded_with_its_filters(alice_client, org_a, alice_m):
    rows = _rows(alice_client.get(URL + "?action=team.&q=Jakarta"))
    assert rows == []
    entry = AuditEvent.objects.for_org(org_a).get(action="audit.exported")
    assert entry.actor == alice_m.user
    assert entry.changes["filters"] == {"action": "team.", "text": "Jakarta"}
    assert entry.via == "web"


def test_cells_that_a_spreadsheet_would_run_are_defused(alice_client, org_a, alice_m):
    f.make_team(org_a, "=HYPERLINK(1)", by=alice_m)
    rows = _rows(alice_client.get(URL + "?action=team.created"))
    assert rows[0]["object"] == "'=HYPERLINK(1)"


def test_the_export_is_for_governance_managers_only(client, org_a, vera):
    client.force_login(vera)
    assert client.get(URL).status_code == 403
    assert not AuditEvent.objects.for_org(org_a).filter(action="audit.exported").exists()
