"""The audit chain becomes keyed and anchored.

- ``AuditEvent.key_id``: the id of the chain key an entry was signed with; existing entries get
  "" (written before the key: they keep verifying with the original sha256 chain).
- ``AuditChainHead``: one row per organization, holding the newest ``seq`` and ``hash`` and sealed
  with the key. For every organization that already has entries, the head is set at its newest
  entry with ``legacy_seq`` = that entry's ``seq``: the unkeyed entries are anchored by a keyed
  checkpoint, so rewriting any of them (even with their sha256 chain recomputed) no longer
  matches the sealed head, and no later entry may be unkeyed. The entries themselves are not
  touched (they are append-only; the PostgreSQL trigger would refuse).
- On PostgreSQL a trigger refuses deleting a head and moving one backwards (as the entries'
  trigger refuses UPDATE and DELETE); the seal is what holds against someone who can switch
  triggers off.
"""

import django.db.models.deletion
import django.utils.timezone
from django.db import migrations, models

HEAD_GUARD = """
CREATE OR REPLACE FUNCTION governance_audit_head_forward_only() RETURNS trigger AS $$
BEGIN
  IF TG_OP = 'DELETE' THEN
    RAISE EXCEPTION 'governance_auditchainhead rows are never deleted';
  END IF;
  IF NEW.seq < OLD.seq OR NEW.legacy_seq <> OLD.legacy_seq OR NEW.organization_id <> OLD.organization_id THEN
    RAISE EXCEPTION 'governance_auditchainhead only moves forward';
  END IF;
  RETURN NEW;
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER governance_auditchainhead_forward_only
  BEFORE UPDATE OR DELETE ON governance_auditchainhead
  FOR EACH ROW EXECUTE FUNCTION governance_audit_head_forward_only();
"""

DROP_HEAD_GUARD = """
DROP TRIGGER IF EXISTS governance_auditchainhead_forward_only ON governance_auditchainhead;
DROP FUNCTION IF EXISTS governance_audit_head_forward_only();
"""


def anchor_existing_chains(apps, schema_editor):
    # The chain's arithmetic moved to the kernel with the models (governance.0004); the seal's
    # format is versioned there and unchanged.
    from socialops.audit.chain import seal_head, signing_key

    AuditEvent = apps.get_model("governance", "AuditEvent")
    AuditChainHead = apps.get_model("governance", "AuditChainHead")
    key_id, key = signing_key()
    newest = {}
    # _base_manager: a plain manager, also when a test passes the real app registry (tenant-scoped)
    for org_id, seq, last_hash in (AuditEvent._base_manager.order_by("organization_id", "seq")
                                   .values_list("organization_id", "seq", "hash").iterator(chunk_size=5000)):
        newest[org_id] = (seq, last_hash)
    AuditChainHead._base_manager.bulk_create([
        AuditChainHead(organization_id=org_id, seq=seq, hash=last_hash, legacy_seq=seq, key_id=key_id,
                       mac=seal_head(key, org_id, seq, last_hash, seq))
        for org_id, (seq, last_hash) in newest.items()
    ])


def guard_heads(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(HEAD_GUARD, params=None)


def unguard_heads(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(DROP_HEAD_GUARD, params=None)


class Migration(migrations.Migration):

    dependencies = [
        ('accounts', '0001_initial'),
        ('governance', '0002_audit_append_only_trigger'),
    ]

    operations = [
        migrations.AddField(
            model_name='auditevent',
            name='key_id',
            field=models.CharField(blank=True, default='', max_length=16),
        ),
        migrations.CreateModel(
            name='AuditChainHead',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('seq', models.PositiveBigIntegerField(default=0)),
                ('hash', models.CharField(default='0000000000000000000000000000000000000000000000000000000000000000', max_length=64)),
                ('legacy_seq', models.PositiveBigIntegerField(default=0)),
                ('key_id', models.CharField(blank=True, max_length=16)),
                ('mac', models.CharField(blank=True, max_length=64)),
                ('updated_at', models.DateTimeField(default=django.utils.timezone.now)),
                ('organization', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='+', to='accounts.organization')),
            ],
            options={
                'constraints': [models.UniqueConstraint(fields=('organization',), name='audit_head_one_per_org')],
            },
        ),
        migrations.RunPython(anchor_existing_chains, migrations.RunPython.noop),
        migrations.RunPython(guard_heads, unguard_heads),
    ]
