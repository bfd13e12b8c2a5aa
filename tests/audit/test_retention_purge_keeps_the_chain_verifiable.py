"""Entries past the organization's retention are purged behind a checkpoint on the chain's sealed
head: the rest of the chain still verifies, the purge itself is recorded, and deleting old entries
any other way (no checkpoint, or a checkpoint moved without the key) is still reported as tampering."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import DatabaseError, connection, transaction
from django.utils import timezone

from socialops.audit import selectors, tasks
from socialops.audit.models import AppendOnlyError, AuditChainHead, AuditEvent
from socialops.audit.services import (
    AuditChainBroken,
    purge_entries,
    set_retention,
    verify_chain,
)

from .. import factories as f

pytestmark = pytest.mark.django_db


def _sql(sql, params):
    """Write the database directly, as someone with database access (not the key) would."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":  # a superuser can switch user triggers off
            cursor.execute("SET LOCAL session_replication_role = 'replica'")
        cursor.execute(sql, params)
        if connection.vendor == "postgresql":
            cursor.execute("SET LOCAL session_replication_role = 'origin'")


def _seqs(org):
    return list(AuditEvent.objects.for_org(org).order_by("seq").values_list("seq", flat=True))


@pytest.fixture
def old_and_new(org_a, alice_m, monkeypatch):
    """Entries #1–#4 written eight years ago, #5–#6 today."""
    real_now = timezone.now
    long_ago = real_now() - timedelta(days=8 * 366)
    monkeypatch.setattr(timezone, "now", lambda: long_ago)
    for name in ("T1", "T2", "T3"):  # #1 is organization.created
        f.make_team(org_a, name, by=alice_m)
    monkeypatch.setattr(timezone, "now", real_now)
    f.make_team(org_a, "T4", by=alice_m)
    f.make_team(org_a, "T5", by=alice_m)
    assert _seqs(org_a) == [1, 2, 3, 4, 5, 6]
    return real_now() - timedelta(days=7 * 365)


def test_a_purge_deletes_the_old_entries_and_the_chain_still_verifies(org_a, old_and_new):
    result = purge_entries(org_a, before=old_and_new)
    assert result.purged == 4 and result.checkpoint_seq == 4
    assert _seqs(org_a) == [5, 6, 7]
    head = AuditChainHead.objects.for_org(org_a).get()
    assert (head.checkpoint_seq, head.checkpoint_hash) == (4, result.checkpoint_hash)
    report = verify_chain(org_a)
    assert report.ok, report.reason
    assert (report.checked, report.checkpoint_seq) == (3, 4)


def test_the_purge_is_itself_recorded_in_the_chain(org_a, old_and_new):
    result = purge_entries(org_a, before=old_and_new)
    purge = AuditEvent.objects.for_org(org_a).get(action="audit.purged")
    assert purge.seq == 7
    assert purge.changes["through_seq"] == 4 and purge.changes["purged"] == 4
    assert purge.changes["checkpoint_hash"] == result.checkpoint_hash
    assert purge.changes["retention_years"] == 7


def test_a_second_purge_finds_nothing_and_the_chain_keeps_verifying(org_a, old_and_new):
    purge_entries(org_a, before=old_and_new)
    again = purge_entries(org_a, before=old_and_new)
    assert again.purged == 0 and again.checkpoint_seq == 4
    assert _seqs(org_a) == [5, 6, 7]
    assert verify_chain(org_a).ok


def test_a_purge_never_deletes_the_newest_entry(org_a, alice_m):
    f.make_team(org_a, "T1", by=alice_m)
    result = purge_entries(org_a, before=timezone.now() + timedelta(days=1))
    assert result.checkpoint_seq == 1
    assert _seqs(org_a) == [2, 3]
    assert verify_chain(org_a).ok


def test_an_entry_rewritten_after_a_purge_is_still_detected(org_a, old_and_new):
    purge_entries(org_a, before=old_and_new)
    _sql(
        "UPDATE audit_auditevent SET action = 'team.forged' WHERE organization_id = %s AND seq = 6",
        [org_a.pk],
    )
    report = verify_chain(org_a)
    assert not report.ok
    assert report.first_broken_seq == 6


def test_old_entries_deleted_without_a_checkpoint_are_detected(org_a, old_and_new):
    _sql("DELETE FROM audit_auditevent WHERE organization_id = %s AND seq <= 3", [org_a.pk])
    report = verify_chain(org_a)
    assert not report.ok
    assert (report.first_broken_seq, report.reason) == (1, "entry #1 is missing")


def test_entries_after_the_checkpoint_deleted_are_detected(org_a, old_and_new):
    purge_entries(org_a, before=old_and_new)
    _sql("DELETE FROM audit_auditevent WHERE organization_id = %s AND seq = 5", [org_a.pk])
    report = verify_chain(org_a)
    assert not report.ok
    assert (report.first_broken_seq, report.reason) == (5, "entry #5 is missing")


def test_a_checkpoint_moved_without_the_key_is_detected(org_a, old_and_new):
    purge_entries(org_a, before=old_and_new)
    sixth = AuditEvent.objects.for_org(org_a).get(seq=5)
    _sql("DELETE FROM audit_auditevent WHERE organization_id = %s AND seq = 5", [org_a.pk])
    _sql(
        "UPDATE audit_auditchainhead SET checkpoint_seq = 5, checkpoint_hash = %s "
        "WHERE organization_id = %s",
        [sixth.hash, org_a.pk],
    )
    report = verify_chain(org_a)
    assert not report.ok
    assert "seal does not match" in report.reason


def test_entries_the_checkpoint_does_not_cover_cannot_be_deleted(org_a, old_and_new):
    with pytest.raises(AppendOnlyError):
        AuditEvent.objects.for_org(org_a).filter(seq=1).delete()
    if connection.vendor == "postgresql":
        with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
            with connection.cursor() as cursor:
                cursor.execute(
                    "DELETE FROM audit_auditevent WHERE organization_id = %s", [org_a.pk]
                )
    assert _seqs(org_a) == [1, 2, 3, 4, 5, 6]


def test_a_purge_refuses_entries_that_do_not_verify_and_changes_nothing(org_a, old_and_new):
    _sql(
        "UPDATE audit_auditevent SET action = 'team.forged' WHERE organization_id = %s AND seq = 3",
        [org_a.pk],
    )
    with pytest.raises(AuditChainBroken, match="#3"):
        purge_entries(org_a, before=old_and_new)
    assert _seqs(org_a) == [1, 2, 3, 4, 5, 6]
    assert AuditChainHead.objects.for_org(org_a).get().checkpoint_seq == 0


def test_the_daily_task_purges_by_each_organizations_retention(org_a, org_b, old_and_new):
    assert selectors.organizations_with_expired_entries(now=timezone.now()) == [org_a.pk]
    assert tasks.purge_organization(org_a.pk) == 4
    purge = AuditEvent.objects.for_org(org_a).get(action="audit.purged")
    assert purge.via == AuditEvent.Via.TASK
    assert selectors.organizations_with_expired_entries(now=timezone.now()) == []
    assert verify_chain(org_a).ok and verify_chain(org_b).ok


def test_a_longer_retention_keeps_the_entries(org_a, alice_m, old_and_new):
    set_retention(org_a, years=10, actor=alice_m.user)
    assert selectors.organizations_with_expired_entries(now=timezone.now()) == []
    assert tasks.purge_organization(org_a.pk) == 0
    assert 1 in _seqs(org_a)


def test_the_retention_is_one_to_fifty_years_and_a_change_is_recorded(org_a, alice_m):
    for bad in (0, 51, -1, "7", 7.5, True):
        with pytest.raises(ValueError):
            set_retention(org_a, years=bad, actor=alice_m.user)
    assert selectors.retention_of(org_a) == 7
    set_retention(org_a, years=3, actor=alice_m.user)
    assert selectors.retention_of(org_a) == 3
    entry = AuditEvent.objects.for_org(org_a).get(action="audit.retention_changed")
    assert entry.changes == {"years": [7, 3]} and entry.actor == alice_m.user


def test_a_purge_refuses_to_seal_over_an_altered_head(org_a, old_and_new):
    _sql(
        "UPDATE audit_auditchainhead SET hash = %s WHERE organization_id = %s",
        ["f" * 64, org_a.pk],
    )
    with pytest.raises(AuditChainBroken, match="seal does not match"):
        purge_entries(org_a, before=old_and_new)
    assert _seqs(org_a) == [1, 2, 3, 4, 5, 6]
    assert not verify_chain(org_a).ok
