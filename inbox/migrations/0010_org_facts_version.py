"""The organization's facts version (issue 14, ingest): a row per organization that PostgreSQL
triggers rewrite in the transaction of any change to what ``inbox.services.facts`` keeps between
ingest batches (routing rules, teams, members and their teams, a person's active flag or zone, the
organization's zone, channel grants, holiday regions, SLA targets, tags). Without PostgreSQL there
are no triggers and nothing is kept."""

from django.db import migrations, models

#: (table, events, how the organization is found, condition or "")
TRIGGERS = [
    ("inbox_routingrule", "INSERT OR UPDATE OR DELETE", "organization_id", ""),
    ("inbox_slatarget", "INSERT OR UPDATE OR DELETE", "organization_id", ""),
    ("inbox_tag", "INSERT OR DELETE", "organization_id", ""),
    ("accounts_team", "INSERT OR UPDATE OR DELETE", "organization_id", ""),
    ("accounts_membership", "INSERT OR UPDATE OR DELETE", "organization_id", ""),
    ("accounts_membership_teams", "INSERT OR UPDATE OR DELETE", "team", ""),
    (
        "accounts_user",
        "UPDATE OF is_active, timezone",
        "user",
        "OLD.is_active IS DISTINCT FROM NEW.is_active OR OLD.timezone IS DISTINCT FROM NEW.timezone",
    ),
    (
        "accounts_organization",
        "UPDATE OF timezone",
        "id",
        "OLD.timezone IS DISTINCT FROM NEW.timezone",
    ),
    ("channels_registry_channelgrant", "INSERT OR UPDATE OR DELETE", "organization_id", ""),
    ("publishing_holidayregion", "INSERT OR UPDATE OR DELETE", "organization_id", ""),
]

FUNCTION = """
CREATE OR REPLACE FUNCTION inbox_org_facts_changed() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    changed jsonb;
    orgs bigint[];
BEGIN
    IF TG_OP = 'DELETE' THEN
        changed := to_jsonb(OLD);
    ELSE
        changed := to_jsonb(NEW);
    END IF;
    IF TG_ARGV[0] = 'team' THEN
        SELECT array_agg(organization_id) INTO orgs
        FROM accounts_team WHERE id = (changed ->> 'team_id')::bigint;
    ELSIF TG_ARGV[0] = 'user' THEN
        SELECT array_agg(DISTINCT organization_id) INTO orgs
        FROM accounts_membership WHERE user_id = (changed ->> 'id')::bigint;
    ELSE
        orgs := ARRAY[(changed ->> TG_ARGV[0])::bigint];
    END IF;
    -- in the organizations' order: two transactions never wait on each other crosswise
    INSERT INTO inbox_orgfactsversion (organization_id, version)
    SELECT o, 1 FROM unnest(orgs) AS o WHERE o IS NOT NULL ORDER BY o
    ON CONFLICT (organization_id)
    DO UPDATE SET version = inbox_orgfactsversion.version + 1;
    RETURN NULL;
END
$$;
"""


def _name(table: str) -> str:
    return f"{table}_org_facts"


def install(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(FUNCTION)
    for table, events, via, condition in TRIGGERS:
        when = f"WHEN ({condition}) " if condition else ""
        schema_editor.execute(
            f"CREATE TRIGGER {_name(table)} AFTER {events} ON {table} FOR EACH ROW {when}"
            f"EXECUTE FUNCTION inbox_org_facts_changed('{via}')"
        )


def remove(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for table, _events, _via, _condition in TRIGGERS:
        schema_editor.execute(f"DROP TRIGGER IF EXISTS {_name(table)} ON {table}")
    schema_editor.execute("DROP FUNCTION IF EXISTS inbox_org_facts_changed()")


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0012_report_recipients_and_attachments"),
        ("channels_registry", "0005_sandbox_like"),
        ("publishing", "0005_variant_published_index"),
        ("inbox", "0009_conversation_redundant_fk_indexes"),
    ]

    operations = [
        migrations.CreateModel(
            name="OrgFactsVersion",
            fields=[
                ("organization_id", models.BigIntegerField(primary_key=True, serialize=False)),
                ("version", models.BigIntegerField(default=0)),
            ],
        ),
        migrations.RunPython(install, remove),
    ]
