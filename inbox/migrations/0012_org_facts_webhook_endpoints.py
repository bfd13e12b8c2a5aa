"""Ingest keeps between batches which webhook endpoints listen for ``conversation.created``
(``inbox.services.facts``): an endpoint added, removed, disabled, enabled or given other events
rewrites the organization's facts version (the function of migration 0010). The engine's own
writes to an endpoint on each delivery (its failure count, its last success) leave it alone."""

from django.db import migrations

TABLE = "webhooks_webhookendpoint"
TRIGGERS = [
    (f"{TABLE}_org_facts", "INSERT OR DELETE", ""),
    (
        f"{TABLE}_org_facts_upd",
        "UPDATE OF events, disabled_at",
        "OLD.events IS DISTINCT FROM NEW.events OR OLD.disabled_at IS DISTINCT FROM NEW.disabled_at",
    ),
]


def install(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for name, events, condition in TRIGGERS:
        when = f"WHEN ({condition}) " if condition else ""
        schema_editor.execute(
            f"CREATE TRIGGER {name} AFTER {events} ON {TABLE} FOR EACH ROW {when}"
            "EXECUTE FUNCTION inbox_org_facts_changed('organization_id')"
        )


def remove(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for name, _events, _condition in TRIGGERS:
        schema_editor.execute(f"DROP TRIGGER IF EXISTS {name} ON {TABLE}")


class Migration(migrations.Migration):
    dependencies = [
        ("webhooks", "0001_outgoing_webhooks"),
        ("inbox", "0011_conversation_partial_indexes"),
    ]

    operations = [migrations.RunPython(install, remove)]
