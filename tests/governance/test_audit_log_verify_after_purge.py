"""After a purge the audit page's "verify" says the chain is intact from its checkpoint; a deletion
without one is still reported as a broken chain. The purge runs every day from beat, and a request
from the identity provider's SCIM calls is recorded with the SCIM origin."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.conf import settings
from django.db import connection
from django.test import RequestFactory
from django.utils import timezone

from socialops.audit.middleware import AuditContextMiddleware
from socialops.audit.models import AuditEvent
from socialops.audit.services import purge_entries, record_event

from .. import factories as f

pytestmark = pytest.mark.django_db

URL = "/o/alpha/governance/audit/?verify=1"


def test_verify_after_a_purge_is_intact_from_the_checkpoint(alice_client, org_a, alice_m):
    for name in ("T1", "T2", "T3"):
        f.make_team(org_a, name, by=alice_m)
    purge_entries(org_a, before=timezone.now() + timedelta(seconds=1))
    page = alice_client.get(URL).content.decode()
    assert "The chain is intact: 2 entries checked." in page
    assert "(from the checkpoint after entry #3)" in page
    assert "Entries up to #3 were deleted under the retention" in page


def test_verify_reports_old_entries_deleted_without_a_checkpoint(alice_client, org_a, alice_m):
    f.make_team(org_a, "T1", by=alice_m)
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SET LOCAL session_replication_role = 'replica'")
        cursor.execute(
            "DELETE FROM audit_auditevent WHERE organization_id = %s AND seq = 1", [org_a.pk]
        )
        if connection.vendor == "postgresql":
            cursor.execute("SET LOCAL session_replication_role = 'origin'")
    page = alice_client.get(URL).content.decode()
    assert "The chain is broken at entry #1: entry #1 is missing." in page


def test_the_purge_runs_once_a_day_from_beat():
    entry = settings.CELERY_BEAT_SCHEDULE["audit-purge"]
    assert entry["task"] == "socialops.audit.tasks.purge_expired_entries"
    assert entry["schedule"] == 24 * 3600.0


def test_a_scim_request_is_recorded_with_the_scim_origin(org_a):
    def view(request):
        record_event(org_a, "member.provisioned", changes={"email": "new@alpha.test"})
        return None

    request = RequestFactory().post("/scim/v2/Users", REMOTE_ADDR="192.0.2.10")
    AuditContextMiddleware(view)(request)
    entry = AuditEvent.objects.for_org(org_a).get(action="member.provisioned")
    assert (entry.via, entry.ip_address) == ("scim", "192.0.2.10")
