"""The audit log moves from governance into the kernel, without copying a row.

Governance's migrations 0001–0003 made the tables ``governance_auditevent`` and
``governance_auditchainhead`` (and, on PostgreSQL, the triggers that refuse updating or deleting
an entry and deleting or moving back a head). This migration only tells Django that the two
models now belong to this app, on those same tables: ``SeparateDatabaseAndState`` with no
database operation (no SQL, no lock, nothing copied). ``governance.0004`` takes them out of
governance's state the same way, and ``0002`` renames the tables and their triggers.

The content types follow the models (``governance.auditevent`` → ``audit.auditevent``), so
permission rows that point at them stay attached; a fresh database has none yet (they are made
after migrating) and this step does nothing there.
"""

import django.db.models.deletion
import django.utils.timezone
from django.conf import settings
from django.db import migrations, models

MODELS = ("auditevent", "auditchainhead")


def _move_content_types(apps, source, target):
    ContentType = apps.get_model("contenttypes", "ContentType")
    for model in MODELS:
        if not ContentType.objects.filter(app_label=target, model=model).exists():
            ContentType.objects.filter(app_label=source, model=model).update(app_label=target)


def content_types_to_audit(apps, schema_editor):
    _move_content_types(apps, "governance", "audit")


def content_types_to_governance(apps, schema_editor):
    _move_content_types(apps, "audit", "governance")


class Migration(migrations.Migration):

    initial = True

    dependencies = [
        ("accounts", "0001_initial"),
        ("contenttypes", "0002_remove_content_type_name"),
        ("governance", "0003_keyed_chain_and_head"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name="AuditEvent",
                    fields=[
                        ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                        ("seq", models.PositiveBigIntegerField()),
                        ("created_at", models.DateTimeField(default=django.utils.timezone.now)),
                        ("actor_label", models.CharField(blank=True, max_length=254)),
                        ("ip_address", models.GenericIPAddressField(blank=True, null=True)),
                        ("via", models.CharField(choices=[("web", "Web"), ("api", "API"), ("link", "Signed link"), ("task", "Background task"), ("system", "System")], default="system", max_length=10)),
                        ("action", models.CharField(max_length=80)),
                        ("object_type", models.CharField(blank=True, max_length=80)),
                        ("object_id", models.CharField(blank=True, max_length=64)),
                        ("object_repr", models.CharField(blank=True, max_length=200)),
                        ("changes", models.JSONField(blank=True, default=dict)),
                        ("prev_hash", models.CharField(max_length=64)),
                        ("hash", models.CharField(max_length=64)),
                        ("key_id", models.CharField(blank=True, default="", max_length=16)),
                        ("actor", models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name="+", to=settings.AUTH_USER_MODEL)),
                        ("organization", models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name="+", to="accounts.organization")),
                    ],
                    options={
                        "db_table": "governance_auditevent",
                        "ordering": ["organization", "seq"],
                        "indexes": [models.Index(fields=["organization", "-created_at"], name="audit_org_created"), models.Index(fields=["organization", "action"], name="audit_org_action")],
                        "constraints": [models.UniqueConstraint(fields=("organization", "seq"), name="audit_seq_unique")],
                    },
                ),
                migrations.CreateModel(
                    name="AuditChainHead",
                    fields=[
                        ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                        ("seq", models.PositiveBigIntegerField(default=0)),
                        ("hash", models.CharField(default="0000000000000000000000000000000000000000000000000000000000000000", max_length=64)),
                        ("legacy_seq", models.PositiveBigIntegerField(default=0)),
                        ("key_id", models.CharField(blank=True, max_length=16)),
                        ("mac", models.CharField(blank=True, max_length=64)),
                        ("updated_at", models.DateTimeField(default=django.utils.timezone.now)),
                        ("organization", models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name="+", to="accounts.organization")),
                    ],
                    options={
                        "db_table": "governance_auditchainhead",
                        "constraints": [models.UniqueConstraint(fields=("organization",), name="audit_head_one_per_org")],
                    },
                ),
            ],
            database_operations=[],
        ),
        migrations.RunPython(content_types_to_audit, content_types_to_governance),
    ]
