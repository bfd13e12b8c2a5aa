"""Saved views of the inbox list, and indexes for its search, on PostgreSQL only (SQLite, the development default, scans).

- ``inbox_search``: a text search configuration, ``simple`` (no stemming: PostgreSQL has none for
  Indonesian, and a wrong stemmer is worse than none) after ``unaccent``, so "cafe" finds "café".
- ``item_search_fts``: GIN over the item's author and text in that configuration (whole words).
- ``item_text_trgm``, ``conv_author_trgm``: pg_trgm GIN over ``UPPER(...)`` (Django's
  ``icontains``) for parts of words and author names.

The expressions must stay identical to ``inbox.search``.
"""

import django.db.models.deletion
import django.utils.timezone
from django.db import migrations, models

CREATE = """
CREATE EXTENSION IF NOT EXISTS pg_trgm;
CREATE EXTENSION IF NOT EXISTS unaccent;
DO $$ BEGIN
  IF NOT EXISTS (SELECT 1 FROM pg_ts_config WHERE cfgname = 'inbox_search') THEN
    CREATE TEXT SEARCH CONFIGURATION inbox_search (COPY = simple);
    ALTER TEXT SEARCH CONFIGURATION inbox_search
      ALTER MAPPING FOR asciiword, asciihword, hword_asciipart, word, hword, hword_part
      WITH unaccent, simple;
  END IF;
END $$;
CREATE INDEX IF NOT EXISTS item_search_fts ON inbox_item USING gin (
  to_tsvector('inbox_search'::regconfig,
    (COALESCE("inbox_item"."author_name", '') || ' ' || COALESCE("inbox_item"."text", '')))
);
CREATE INDEX IF NOT EXISTS item_text_trgm ON inbox_item USING gin (UPPER("text") gin_trgm_ops);
CREATE INDEX IF NOT EXISTS conv_author_trgm ON inbox_conversation USING gin (
  UPPER("author_name") gin_trgm_ops, UPPER("author_handle") gin_trgm_ops
);
"""

DROP = """
DROP INDEX IF EXISTS conv_author_trgm;
DROP INDEX IF EXISTS item_text_trgm;
DROP INDEX IF EXISTS item_search_fts;
DROP TEXT SEARCH CONFIGURATION IF EXISTS inbox_search;
"""


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(CREATE, params=None)


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(DROP, params=None)


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0009_webhook_disabled_notification_kind"),
        ("inbox", "0001_initial"),
    ]
    operations = [
        migrations.RunPython(forwards, backwards),
        migrations.CreateModel(
            name="SavedView",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("name", models.CharField(max_length=80, verbose_name="name")),
                (
                    "shared",
                    models.BooleanField(default=False, verbose_name="shared with the organization"),
                ),
                ("query", models.CharField(blank=True, max_length=1000)),
                ("created_at", models.DateTimeField(default=django.utils.timezone.now)),
                (
                    "organization",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="+",
                        to="accounts.organization",
                    ),
                ),
                (
                    "owner",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="+",
                        to="accounts.membership",
                        verbose_name="owner",
                    ),
                ),
            ],
            options={
                "indexes": [
                    models.Index(fields=["organization", "owner"], name="savedview_org_owner")
                ],
                "constraints": [
                    models.UniqueConstraint(
                        fields=("organization", "owner", "name"), name="savedview_unique_name"
                    )
                ],
            },
        ),
    ]
