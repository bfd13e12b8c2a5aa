"""The adopted tables take this app's names: ``governance_auditevent`` → ``audit_auditevent`` and
``governance_auditchainhead`` → ``audit_auditchainhead``.

``ALTER TABLE … RENAME`` (PostgreSQL and SQLite) changes a name only: rows, indexes, constraints
and triggers stay attached to the table. On PostgreSQL the triggers (and their functions) that
governance.0002 / 0003 made are then replaced under names of this app, in the same transaction,
with the same rules — entries refuse UPDATE and DELETE; a head refuses DELETE, moving backwards,
changing ``legacy_seq`` or changing organization — and messages that name the table they guard.
Reversing restores governance's triggers and table names.
"""

from django.db import migrations

AUDIT_TRIGGERS = """
DROP TRIGGER IF EXISTS governance_auditevent_append_only ON audit_auditevent;
DROP FUNCTION IF EXISTS governance_audit_append_only();
DROP TRIGGER IF EXISTS governance_auditchainhead_forward_only ON audit_auditchainhead;
DROP FUNCTION IF EXISTS governance_audit_head_forward_only();

CREATE OR REPLACE FUNCTION audit_append_only() RETURNS trigger AS $$
BEGIN
  RAISE EXCEPTION '% is append-only (% refused)', TG_TABLE_NAME, TG_OP;
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER audit_auditevent_append_only
  BEFORE UPDATE OR DELETE ON audit_auditevent
  FOR EACH ROW EXECUTE FUNCTION audit_append_only();

CREATE OR REPLACE FUNCTION audit_head_forward_only() RETURNS trigger AS $$
BEGIN
  IF TG_OP = 'DELETE' THEN
    RAISE EXCEPTION '% rows are never deleted', TG_TABLE_NAME;
  END IF;
  IF NEW.seq < OLD.seq OR NEW.legacy_seq <> OLD.legacy_seq OR NEW.organization_id <> OLD.organization_id THEN
    RAISE EXCEPTION '% only moves forward', TG_TABLE_NAME;
  END IF;
  RETURN NEW;
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER audit_auditchainhead_forward_only
  BEFORE UPDATE OR DELETE ON audit_auditchainhead
  FOR EACH ROW EXECUTE FUNCTION audit_head_forward_only();
"""

# Runs before the tables get their old names back (operations reverse in reverse order).
GOVERNANCE_TRIGGERS = """
DROP TRIGGER IF EXISTS audit_auditevent_append_only ON audit_auditevent;
DROP FUNCTION IF EXISTS audit_append_only();
DROP TRIGGER IF EXISTS audit_auditchainhead_forward_only ON audit_auditchainhead;
DROP FUNCTION IF EXISTS audit_head_forward_only();

CREATE OR REPLACE FUNCTION governance_audit_append_only() RETURNS trigger AS $$
BEGIN
  RAISE EXCEPTION 'governance_auditevent is append-only (% refused)', TG_OP;
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER governance_auditevent_append_only
  BEFORE UPDATE OR DELETE ON audit_auditevent
  FOR EACH ROW EXECUTE FUNCTION governance_audit_append_only();

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
  BEFORE UPDATE OR DELETE ON audit_auditchainhead
  FOR EACH ROW EXECUTE FUNCTION governance_audit_head_forward_only();
"""


def audit_triggers(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(AUDIT_TRIGGERS, params=None)


def governance_triggers(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(GOVERNANCE_TRIGGERS, params=None)


class Migration(migrations.Migration):

    dependencies = [
        ("audit", "0001_adopt_the_governance_tables"),
        # After governance let go of the models: unapplying governance.0004 first gives the
        # tables their old names back, so governance's state never points at a missing table.
        ("governance", "0004_audit_log_moves_to_the_kernel"),
    ]

    operations = [
        migrations.AlterModelTable(name="auditevent", table=None),
        migrations.AlterModelTable(name="auditchainhead", table=None),
        migrations.RunPython(audit_triggers, governance_triggers),
    ]
