"""The audit chain is an HMAC under a key kept outside the database, and its newest link is kept,
sealed, in a head row: someone who can write the database can neither rewrite an entry and
recompute the chain after it, nor delete the newest entries, without verify_audit_log saying so.
Entries written before the key keep verifying the old way, anchored by the migration."""

from __future__ import annotations

import importlib

import pytest
from django.apps import apps
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection, transaction
from django.utils import timezone

from accounts.models import Organization
from socialops.audit import chain
from socialops.audit.models import AuditChainHead, AuditEvent
from socialops.audit.services import AuditChainBroken, record_event, verify_chain

from .. import factories as f

pytestmark = pytest.mark.django_db

KEY_1 = "first-audit-chain-key-" + "a" * 24
KEY_2 = "second-audit-chain-key-" + "b" * 24


def _sql(sql, params):
    """Write the database directly, as someone with database access (not the key) would."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":  # a superuser can switch user triggers off
            cursor.execute("SET LOCAL session_replication_role = 'replica'")
        cursor.execute(sql, params)
        if connection.vendor == "postgresql":
            cursor.execute("SET LOCAL session_replication_role = 'origin'")


def _events(org):
    return list(AuditEvent.objects.for_org(org).order_by("seq"))


def _chain_of(org, n, alice_m):
    for i in range(n):
        f.make_team(org, f"T{i}", by=alice_m)
    assert verify_chain(org).ok
    return _events(org)


def test_new_entries_are_keyed_and_the_head_is_their_newest_link(org_a, alice_m, settings):
    settings.AUDIT_CHAIN_KEYS = [
        KEY_1,
        *settings.AUDIT_CHAIN_KEYS,
    ]  # the org's first entry: the dev key
    events = _chain_of(org_a, 3, alice_m)
    head = AuditChainHead.objects.for_org(org_a).get()
    assert {e.key_id for e in events[1:]} == {chain.key_id(KEY_1)}
    assert (head.seq, head.hash) == (events[-1].seq, events[-1].hash)
    report = verify_chain(org_a)
    assert (report.head_seq, report.head_hash) == (head.seq, head.hash)


def test_a_rewritten_entry_with_the_chain_recomputed_after_it_is_detected(org_a, alice_m):
    events = _chain_of(org_a, 4, alice_m)
    # Rewrite entry #3 and recompute every later link with the only hash one can compute without
    # the key (the original sha256, marked as written before the key), then move the head too.
    prev = events[1].hash
    for event in events[2:]:
        if event.seq == 3:
            event.action = "team.forged"
        event.key_id, event.prev_hash = "", prev
        event.hash = chain.entry_hash(prev, event, None)
        _sql(
            "UPDATE audit_auditevent SET action = %s, key_id = '', prev_hash = %s, hash = %s WHERE id = %s",
            [event.action, event.prev_hash, event.hash, event.pk],
        )
        prev = event.hash
    _sql(
        "UPDATE audit_auditchainhead SET hash = %s WHERE organization_id = %s",
        [prev, org_a.pk],
    )
    report = verify_chain(org_a)
    assert not report.ok and report.first_broken_seq == 3
    assert report.reason == "it is not signed with the chain key"


def test_a_rewritten_entry_signed_with_another_key_is_detected(org_a, alice_m, settings):
    settings.AUDIT_CHAIN_KEYS = [KEY_1, *settings.AUDIT_CHAIN_KEYS]
    events = _chain_of(org_a, 3, alice_m)
    target = events[2]
    target.action = "team.forged"
    forged = chain.entry_hash(target.prev_hash, target, "a-key-guessed-by-the-attacker-" + "z" * 10)
    _sql(
        "UPDATE audit_auditevent SET action = %s, hash = %s WHERE id = %s",
        ["team.forged", forged, target.pk],
    )
    report = verify_chain(org_a)
    assert not report.ok and report.first_broken_seq == target.seq
    assert report.reason == "its content does not match its hash"


def test_deleting_the_newest_entries_is_detected(org_a, alice_m, capsys):
    events = _chain_of(org_a, 4, alice_m)
    last = events[-1].seq
    _sql(
        "DELETE FROM audit_auditevent WHERE organization_id = %s AND seq >= %s",
        [org_a.pk, last - 1],
    )
    report = verify_chain(org_a)
    assert not report.ok and report.first_broken_seq == last - 1
    assert (
        report.reason
        == f"entries #{last - 1} to #{last} are missing (the newest entries were deleted)"
    )
    with pytest.raises(CommandError):
        call_command("verify_audit_log", "--org", "alpha")
    assert f"first broken entry #{last - 1}" in capsys.readouterr().out


def test_moving_the_head_back_over_deleted_entries_is_detected(org_a, alice_m):
    events = _chain_of(org_a, 4, alice_m)
    keep = events[-3]
    _sql(
        "DELETE FROM audit_auditevent WHERE organization_id = %s AND seq > %s",
        [org_a.pk, keep.seq],
    )
    _sql(
        "UPDATE audit_auditchainhead SET seq = %s, hash = %s WHERE organization_id = %s",
        [keep.seq, keep.hash, org_a.pk],
    )
    report = verify_chain(org_a)
    assert not report.ok and report.first_broken_seq is None
    assert report.reason == "the chain's head has been altered (its seal does not match)"


def test_a_missing_head_stops_appends_until_an_operator_reanchors(org_a, alice_m, capsys):
    events = _chain_of(org_a, 2, alice_m)
    _sql("DELETE FROM audit_auditchainhead WHERE organization_id = %s", [org_a.pk])
    report = verify_chain(org_a)
    assert not report.ok and report.reason == "the chain's head is missing"
    with pytest.raises(AuditChainBroken), transaction.atomic():
        record_event(org_a, "something.happened")
    call_command("verify_audit_log", "--org", "alpha", "--reanchor")
    assert f"REANCHORED alpha: at entry #{events[-1].seq}," in capsys.readouterr().out
    assert verify_chain(org_a).ok
    assert _events(org_a)[-1].action == "audit.head_reanchored"
    with pytest.raises(CommandError, match="has a head"):
        call_command("verify_audit_log", "--org", "alpha", "--reanchor")


def test_keys_rotate_old_entries_verify_with_the_old_key(org_a, alice_m, settings):
    dev = list(settings.AUDIT_CHAIN_KEYS)  # signed the organization's first entry
    settings.AUDIT_CHAIN_KEYS = [KEY_1, *dev]
    f.make_team(org_a, "Before", by=alice_m)
    settings.AUDIT_CHAIN_KEYS = [KEY_2, KEY_1, *dev]  # a new key first, the old ones kept
    f.make_team(org_a, "After", by=alice_m)
    by_action = {
        e.changes.get("name"): e.key_id for e in _events(org_a) if e.action == "team.created"
    }
    assert by_action == {"Before": chain.key_id(KEY_1), "After": chain.key_id(KEY_2)}
    assert verify_chain(org_a).ok
    settings.AUDIT_CHAIN_KEYS = [KEY_2, *dev]  # dropping a key leaves its entries unverifiable
    report = verify_chain(org_a)
    assert not report.ok and "chain key this server does not have" in report.reason


# --- Entries written before the key -----------------------------------------------------------------


def _legacy_chain(org, n):
    """Entries as the unkeyed chain wrote them, before migration governance.0003."""
    prev = chain.GENESIS_HASH
    for seq in range(1, n + 1):
        event = AuditEvent(
            organization=org,
            seq=seq,
            created_at=timezone.now(),
            action=f"old.{seq}",
            changes={"n": seq},
            prev_hash=prev,
            key_id="",
        )
        event.hash = chain.entry_hash(prev, event, None)
        event.save()
        prev = event.hash


class _GovernanceModelsOfThatTime:
    """The models migration governance.0003 asked for; they are the audit app's now (same tables
    and columns: tests/audit/test_the_move_to_the_kernel_keeps_every_chain.py runs it for real)."""

    def get_model(self, app_label, model_name):
        assert app_label == "governance"
        return apps.get_model("audit", model_name)


def _anchor_like_the_migration():
    migration = importlib.import_module("governance.migrations.0003_keyed_chain_and_head")
    migration.anchor_existing_chains(_GovernanceModelsOfThatTime(), None)


def test_a_chain_from_before_the_key_verifies_after_the_migration_and_continues_keyed():
    org = Organization.objects.create(name="Legacy", slug="legacy")
    _legacy_chain(org, 5)
    _anchor_like_the_migration()
    head = AuditChainHead.objects.for_org(org).get()
    assert (head.seq, head.legacy_seq) == (5, 5)
    assert verify_chain(org).ok
    record_event(org, "new.keyed")
    events = _events(org)
    assert events[-1].seq == 6 and events[-1].key_id and events[-1].prev_hash == events[-2].hash
    assert verify_chain(org).ok


def test_an_old_entry_rewritten_with_the_old_chain_recomputed_is_detected_after_the_migration():
    org = Organization.objects.create(name="Legacy", slug="legacy")
    _legacy_chain(org, 4)
    _anchor_like_the_migration()
    # Rewrite #2 and recompute #2..#4 with the old (unkeyed) scheme: every hash fits again …
    prev = _events(org)[0].hash
    for event in _events(org)[1:]:
        if event.seq == 2:
            event.action = "old.forged"
        event.prev_hash = prev
        event.hash = chain.entry_hash(prev, event, None)
        _sql(
            "UPDATE audit_auditevent SET action = %s, prev_hash = %s, hash = %s WHERE id = %s",
            [event.action, event.prev_hash, event.hash, event.pk],
        )
        prev = event.hash
    # … but the chain no longer ends where the sealed head says (nor can the head follow it).
    report = verify_chain(org)
    assert not report.ok and report.first_broken_seq == 4
    _sql("UPDATE audit_auditchainhead SET hash = %s WHERE organization_id = %s", [prev, org.pk])
    assert verify_chain(org).reason == "the chain's head has been altered (its seal does not match)"


def test_an_unkeyed_entry_after_the_anchor_is_refused():
    org = Organization.objects.create(name="Legacy", slug="legacy")
    _legacy_chain(org, 2)
    _anchor_like_the_migration()
    prev = _events(org)[-1].hash
    event = AuditEvent(
        organization=org,
        seq=3,
        created_at=timezone.now(),
        action="appended.unkeyed",
        prev_hash=prev,
        key_id="",
    )
    event.hash = chain.entry_hash(prev, event, None)
    event.save()
    report = verify_chain(org)
    assert (
        not report.ok
        and report.first_broken_seq == 3
        and report.reason == "it is not signed with the chain key"
    )
