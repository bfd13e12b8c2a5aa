"""The audit log page (governance, the top floor) reads the kernel's log through its selectors:
newest first, filtered by action, verified on demand; for governance managers only."""

from __future__ import annotations

import pytest
from django.db import connection

from .. import factories as f

pytestmark = pytest.mark.django_db


def test_the_audit_log_page_is_for_governance_only(alice_client, client, org_a, vera):
    assert alice_client.get("/o/alpha/governance/audit/?verify=1").status_code == 200
    client.force_login(vera)
    assert client.get("/o/alpha/governance/audit/").status_code == 403


def test_the_audit_log_page_lists_the_newest_entry_first_and_filters_by_action(
    alice_client, org_a, alice_m
):
    f.make_team(org_a, "Head office", by=alice_m)
    f.make_team(org_a, "Jakarta", by=alice_m)
    page = alice_client.get("/o/alpha/governance/audit/").content.decode()
    assert page.index("Jakarta") < page.index("Head office") < page.index("organization.created")
    teams_only = alice_client.get("/o/alpha/governance/audit/?action=team.").content.decode()
    assert "Jakarta" in teams_only and "organization.created" not in teams_only


def test_the_audit_page_says_the_chain_is_intact_or_names_a_broken_head(
    alice_client, org_a, alice_m
):
    f.make_team(org_a, "Head office", by=alice_m)
    page = alice_client.get("/o/alpha/governance/audit/?verify=1").content.decode()
    assert "The chain is intact: 2 entries checked." in page
    with connection.cursor() as cursor:  # as someone with database access would, triggers off
        if connection.vendor == "postgresql":
            cursor.execute("SET LOCAL session_replication_role = 'replica'")
        cursor.execute(
            "UPDATE audit_auditchainhead SET seq = seq + 5 WHERE organization_id = %s", [org_a.pk]
        )
        if connection.vendor == "postgresql":
            cursor.execute("SET LOCAL session_replication_role = 'origin'")
    page = alice_client.get("/o/alpha/governance/audit/?verify=1").content.decode()
    assert "The chain is broken: the chain&#x27;s head has been altered" in page
