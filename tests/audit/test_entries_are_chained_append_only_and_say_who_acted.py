import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection, transaction

from socialops.audit.models import AppendOnlyError, AuditEvent
from socialops.audit.services import record_event, verify_chain

from .. import factories as f

pytestmark = pytest.mark.django_db


def test_events_form_an_unbroken_chain_per_organization(org_a, org_b, alice_m, bob_m):
    for i in range(5):
        f.make_team(org_a, f"A{i}", by=alice_m)
    f.make_team(org_b, "B0", by=bob_m)
    seqs = list(AuditEvent.objects.for_org(org_a).order_by("seq").values_list("seq", flat=True))
    assert seqs == list(range(1, len(seqs) + 1))
    assert verify_chain(org_a).ok and verify_chain(org_b).ok
    first_b = AuditEvent.objects.for_org(org_b).order_by("seq").first()
    assert first_b.seq == 1 and first_b.prev_hash == "0" * 64


def test_events_cannot_be_updated_or_deleted_through_the_orm(org_a):
    event = AuditEvent.objects.for_org(org_a).first()
    event.action = "forged"
    with pytest.raises(AppendOnlyError):
        event.save()
    with pytest.raises(AppendOnlyError):
        event.delete()
    with pytest.raises(AppendOnlyError):
        AuditEvent.objects.for_org(org_a).update(action="forged")
    with pytest.raises(AppendOnlyError):
        AuditEvent.objects.for_org(org_a).delete()


def _tamper(sql, params):
    """Bypass the ORM as an attacker with database access would."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":  # a superuser can switch user triggers off
            cursor.execute("SET LOCAL session_replication_role = 'replica'")
        cursor.execute(sql, params)
        if connection.vendor == "postgresql":
            cursor.execute("SET LOCAL session_replication_role = 'origin'")


def test_verify_audit_log_names_the_first_tampered_entry(org_a, alice_m, capsys):
    for i in range(4):
        f.make_team(org_a, f"T{i}", by=alice_m)
    target = AuditEvent.objects.for_org(org_a).get(seq=3)
    _tamper("UPDATE audit_auditevent SET action = %s WHERE id = %s", ["team.forged", target.pk])
    report = verify_chain(org_a)
    assert not report.ok and report.first_broken_seq == 3
    with pytest.raises(CommandError):
        call_command("verify_audit_log", "--org", "alpha")
    assert "first broken entry #3" in capsys.readouterr().out


def test_verify_audit_log_notices_a_deleted_entry(org_a, alice_m):
    for i in range(3):
        f.make_team(org_a, f"T{i}", by=alice_m)
    target = AuditEvent.objects.for_org(org_a).get(seq=2)
    _tamper("DELETE FROM audit_auditevent WHERE id = %s", [target.pk])
    report = verify_chain(org_a)
    assert not report.ok and report.first_broken_seq == 2


def test_verify_audit_log_passes_on_an_intact_chain(org_a, alice_m, capsys):
    f.make_team(org_a, "T", by=alice_m)
    call_command("verify_audit_log")
    assert "OK      alpha" in capsys.readouterr().out


@pytest.mark.skipif(
    connection.vendor != "postgresql", reason="the trigger guard exists on PostgreSQL"
)
def test_the_database_itself_refuses_updates_on_postgresql(org_a):
    event = AuditEvent.objects.for_org(org_a).first()
    from django.db import DatabaseError

    with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("UPDATE audit_auditevent SET action = 'x' WHERE id = %s", [event.pk])


def test_an_event_records_actor_ip_and_channel_of_access(alice_client, org_a):
    alice_client.post("/o/alpha/teams/", {"name": "HQ"}, REMOTE_ADDR="203.0.113.9")
    event = AuditEvent.objects.for_org(org_a).get(action="team.created")
    assert event.actor_label == "alice@alpha.test"
    assert event.ip_address == "203.0.113.9"
    assert event.via == "web"
    assert event.object_type == "accounts.team"


def test_api_writes_are_marked_as_api(alice_api, org_a):
    alice_api.post("/api/v1/teams/", {"name": "HQ"}, format="json")
    assert AuditEvent.objects.for_org(org_a).get(action="team.created").via == "api"


def test_a_failed_service_writes_no_event(org_a, alice_m):
    before = AuditEvent.objects.for_org(org_a).count()
    with pytest.raises(RuntimeError), transaction.atomic():
        record_event(org_a, "something.happened")
        raise RuntimeError("rolled back")
    assert AuditEvent.objects.for_org(org_a).count() == before
