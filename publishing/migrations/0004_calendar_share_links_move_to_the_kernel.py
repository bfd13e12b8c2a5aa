"""The calendar's share links become the kernel's (``socialops.sharing``, kind "calendar").

Every ``CalendarShareLink`` row is copied into ``sharing.ShareLink`` with the same id (the audit
log's entries keep naming it), token hash (the tokens already sent out keep working: the calendar
kind signs with the same salt), filters, zone, creator and dates; then the old table is dropped.
Backwards, the calendar's rows are copied back before the old table is dropped again.
"""

from datetime import timedelta

from django.core.management.color import no_style
from django.db import migrations

_FIELDS = (
    "id",
    "organization_id",
    "name",
    "token_hash",
    "filters",
    "timezone",
    "created_by_id",
    "created_at",
    "expires_at",
    "revoked_at",
    "last_used_at",
)


def _reset_sequence(schema_editor, model) -> None:
    connection = schema_editor.connection
    with connection.cursor() as cursor:
        for sql in connection.ops.sequence_reset_sql(no_style(), [model]):
            cursor.execute(sql)


def copy_into_the_kernel(apps, schema_editor):
    Old = apps.get_model("publishing", "CalendarShareLink")
    ShareLink = apps.get_model("sharing", "ShareLink")
    db = schema_editor.connection.alias
    rows = Old._base_manager.using(db).order_by("pk").values(*_FIELDS).iterator(chunk_size=2000)
    batch = []
    for row in rows:
        batch.append(ShareLink(kind="calendar", **row))
        if len(batch) >= 2000:
            ShareLink._base_manager.using(db).bulk_create(batch)
            batch = []
    if batch:
        ShareLink._base_manager.using(db).bulk_create(batch)
    _reset_sequence(schema_editor, ShareLink)


def copy_back(apps, schema_editor):
    Old = apps.get_model("publishing", "CalendarShareLink")
    ShareLink = apps.get_model("sharing", "ShareLink")
    db = schema_editor.connection.alias
    batch = []
    for row in ShareLink._base_manager.using(db).filter(kind="calendar").values(*_FIELDS):
        if row["expires_at"] is None:  # the calendar's links always expired
            row["expires_at"] = row["created_at"] + timedelta(days=366)
        batch.append(Old(**row))
    Old._base_manager.using(db).bulk_create(batch, batch_size=2000)
    ShareLink._base_manager.using(db).filter(kind="calendar").delete()
    _reset_sequence(schema_editor, Old)


class Migration(migrations.Migration):
    dependencies = [
        ("publishing", "0003_variant_lease_owner"),
        ("sharing", "0001_share_links"),
    ]

    operations = [
        migrations.RunPython(copy_into_the_kernel, copy_back),
        migrations.DeleteModel(name="CalendarShareLink"),
    ]
