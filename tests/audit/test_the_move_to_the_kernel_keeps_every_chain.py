"""The audit log moved from governance into the kernel (``socialops.audit``) by migrations that
copy nothing: a database at the old state, with its chains, is migrated forward and every chain
still verifies, appends continue it, and (on PostgreSQL) the database still refuses rewriting it.

Each test migrates its own database back to the state before the move, writes there the way the
old code wrote, and migrates forward again (``MigrationExecutor``, the code ``manage.py migrate``
runs).
"""

from __future__ import annotations

import pytest
from django.contrib.contenttypes.models import ContentType
from django.core.management import call_command
from django.db import DatabaseError, connection, transaction
from django.db.migrations.executor import MigrationExecutor
from django.utils import timezone

from accounts.models import Organization
from socialops.audit import chain
from socialops.audit.models import AuditChainHead, AuditEvent
from socialops.audit.services import record_event, verify_chain

from .. import factories as f

pytestmark = pytest.mark.django_db(transaction=True)

BEFORE_THE_MOVE = ("governance", "0003_keyed_chain_and_head")
BEFORE_THE_KEY = ("governance", "0002_audit_append_only_trigger")


@pytest.fixture
def migrate_to():
    """``migrate_to(node)`` migrates this test's database there and returns that state's models;
    the database is migrated forward to the newest state afterwards, whatever happened."""
    executor = MigrationExecutor(connection)

    def migrate(node):
        executor.loader.build_graph()
        # governance at ``node``; the audit app only if it existed then (it did not before the move)
        audit_too = [] if node[0] == "audit" else [("audit", None)]
        executor.migrate([node, *audit_too])
        ContentType.objects.clear_cache()
        return executor.loader.project_state(node).apps

    try:
        yield migrate
    finally:
        executor.loader.build_graph()
        executor.migrate(executor.loader.graph.leaf_nodes())
        ContentType.objects.clear_cache()


def _tables():
    with connection.cursor() as cursor:
        return {
            t
            for t in connection.introspection.table_names(cursor)
            if t.endswith(("auditevent", "auditchainhead"))
        }


def _append_as_governance_did(old_apps, organization_id, action):
    """What ``governance.services.record_event`` did before the move, through governance's models
    of that state: lock the head, insert the keyed entry, move and seal the head."""
    Event = old_apps.get_model("governance", "AuditEvent")
    Head = old_apps.get_model("governance", "AuditChainHead")
    key_id, key = chain.signing_key()
    with transaction.atomic():
        head = Head.objects.select_for_update().get(organization_id=organization_id)
        event = Event(
            organization_id=organization_id,
            seq=head.seq + 1,
            created_at=timezone.now(),
            action=action,
            changes={"old": True},
            prev_hash=head.hash,
            key_id=key_id,
        )
        event.hash = chain.entry_hash(head.hash, event, key)
        event.save(force_insert=True)
        Head.objects.filter(pk=head.pk).update(
            seq=event.seq,
            hash=event.hash,
            key_id=key_id,
            updated_at=timezone.now(),
            mac=chain.seal_head(key, organization_id, event.seq, event.hash, head.legacy_seq),
        )


def _assert_the_database_refuses_rewrites(organization):
    if connection.vendor != "postgresql":  # the triggers exist on PostgreSQL only
        return
    for sql in (
        "UPDATE audit_auditevent SET action = 'forged' WHERE organization_id = %s",
        "DELETE FROM audit_auditevent WHERE organization_id = %s",
        "UPDATE audit_auditchainhead SET seq = 0 WHERE organization_id = %s",
        "DELETE FROM audit_auditchainhead WHERE organization_id = %s",
    ):
        with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(sql, [organization.pk])


def test_a_keyed_chain_written_before_the_move_verifies_after_it_and_appends_continue_it(
    migrate_to, org_a, alice_m, capsys
):
    for i in range(3):
        f.make_team(org_a, f"Before {i}", by=alice_m)
    content_type = ContentType.objects.get_by_natural_key("audit", "auditevent")

    old_apps = migrate_to(BEFORE_THE_MOVE)
    assert _tables() == {"governance_auditevent", "governance_auditchainhead"}
    assert ContentType.objects.get(pk=content_type.pk).app_label == "governance"
    for i in range(2):
        _append_as_governance_did(old_apps, org_a.pk, f"old.code.{i}")
    written = old_apps.get_model("governance", "AuditEvent").objects.filter(
        organization_id=org_a.pk
    )
    last_seq, last_hash = written.order_by("-seq").values_list("seq", "hash").first()

    migrate_to(("audit", "0003_retention_checkpoint_search"))  # the newest state
    assert _tables() == {"audit_auditevent", "audit_auditchainhead"}
    assert (
        AuditEvent.objects.for_org(org_a).count() == last_seq
    )  # nothing lost, nothing copied twice
    call_command("verify_audit_log", "--org", "alpha")
    assert (
        f"OK      alpha: {last_seq} entries, head #{last_seq} {last_hash}"
        in capsys.readouterr().out
    )

    appended = record_event(org_a, "after.the.move")
    assert (appended.seq, appended.prev_hash) == (last_seq + 1, last_hash)
    assert verify_chain(org_a).ok
    assert AuditChainHead.objects.for_org(org_a).get().seq == last_seq + 1
    # the content type followed the model (permission rows stay attached), none left behind
    assert ContentType.objects.get(pk=content_type.pk).app_label == "audit"
    assert not ContentType.objects.filter(
        app_label="governance", model__startswith="audit"
    ).exists()
    _assert_the_database_refuses_rewrites(org_a)


def test_an_unkeyed_chain_from_before_the_key_is_anchored_moved_and_continued_keyed(migrate_to):
    organization = Organization.objects.create(name="Legacy", slug="legacy")

    old_apps = migrate_to(BEFORE_THE_KEY)
    Event = old_apps.get_model("governance", "AuditEvent")
    prev = chain.GENESIS_HASH
    for seq in range(1, 5):
        event = Event(
            organization_id=organization.pk,
            seq=seq,
            created_at=timezone.now(),
            action=f"old.{seq}",
            changes={"n": seq},
            prev_hash=prev,
        )
        event.key_id = ""  # not a column yet: the unkeyed chain's sha256
        event.hash = chain.entry_hash(prev, event, None)
        event.save(force_insert=True)
        prev = event.hash

    migrate_to(("audit", "0003_retention_checkpoint_search"))
    head = AuditChainHead.objects.for_org(organization).get()
    assert (head.seq, head.legacy_seq, head.hash) == (4, 4, prev)
    assert verify_chain(organization).ok
    appended = record_event(organization, "after.the.move")
    assert appended.seq == 5 and appended.key_id and appended.prev_hash == prev
    assert verify_chain(organization).ok
    _assert_the_database_refuses_rewrites(organization)
