"""The inbox list on a large organization (issue 14: 1,000,000 items).

- ``inbox_item.search_vector`` (PostgreSQL only, not a model field): the item's author and text as
  the ``inbox_search`` configuration reads them, computed by the database on every write (a stored
  generated column), with its GIN index ``item_search_vector`` in place of ``item_search_fts``
  (an index over the expression). A search used to compute ``to_tsvector`` again for every row it
  rechecked or ranked; it now reads the column. On a large table the column is a rewrite of the
  table: run it in a quiet hour.
- ``conv_org_active_last``: the default list (new, open, pending, snoozed), newest first, as a
  partial index, so closed and spam conversations (most of them, in a mature inbox) are not walked.

``inbox.search`` must spell the column's expression as here.
"""

from django.db import migrations, models

CREATE = """
ALTER TABLE inbox_item ADD COLUMN IF NOT EXISTS search_vector tsvector
  GENERATED ALWAYS AS (
    to_tsvector('inbox_search'::regconfig,
      (COALESCE("author_name", '') || ' ' || COALESCE("text", '')))
  ) STORED;
CREATE INDEX IF NOT EXISTS item_search_vector ON inbox_item USING gin (search_vector);
DROP INDEX IF EXISTS item_search_fts;
"""

DROP = """
CREATE INDEX IF NOT EXISTS item_search_fts ON inbox_item USING gin (
  to_tsvector('inbox_search'::regconfig,
    (COALESCE("inbox_item"."author_name", '') || ' ' || COALESCE("inbox_item"."text", '')))
);
DROP INDEX IF EXISTS item_search_vector;
ALTER TABLE inbox_item DROP COLUMN IF EXISTS search_vector;
"""


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(CREATE, params=None)


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(DROP, params=None)


ACTIVE = ["new", "open", "pending", "snoozed"]


class Migration(migrations.Migration):
    dependencies = [("inbox", "0007_merge_routing")]

    operations = [
        migrations.RunPython(forwards, backwards),
        migrations.AddIndex(
            model_name="conversation",
            index=models.Index(
                fields=["organization", "-last_item_at", "-id"],
                name="conv_org_active_last",
                condition=models.Q(status__in=ACTIVE),
            ),
        ),
    ]
