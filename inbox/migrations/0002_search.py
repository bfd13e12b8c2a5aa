"""Indexes for the inbox's search, on PostgreSQL only (SQLite, the development default, scans).

- ``inbox_search``: a text search configuration, ``simple`` (no stemming: PostgreSQL has none for
  Indonesian, and a wrong stemmer is worse than none) after ``unaccent``, so "cafe" finds "café".
- ``item_search_fts``: GIN over the item's author and text in that configuration (whole words).
- ``item_text_trgm``, ``conv_author_trgm``: pg_trgm GIN over ``UPPER(...)`` (Django's
  ``icontains``) for parts of words and author names.

The expressions must stay identical to ``inbox.search``.
"""

from django.db import migrations

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
    dependencies = [("inbox", "0001_initial")]
    operations = [migrations.RunPython(forwards, backwards)]
