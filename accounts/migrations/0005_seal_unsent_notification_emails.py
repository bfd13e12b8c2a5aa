"""Outbox bodies are encrypted at rest (``socialops.fields.SealedTextField``): seal the unsent rows
written in clear before (sent rows already dropped their bodies). Raw SQL, so what is read and
written is exactly what is stored, whatever the field class of the migration state. Reversible:
going back decrypts them for the older release."""

from django.db import migrations

import socialops.fields


def _rewrite(apps, schema_editor, change):
    Email = apps.get_model("accounts", "NotificationEmail")
    table = schema_editor.connection.ops.quote_name(Email._meta.db_table)
    with schema_editor.connection.cursor() as cursor:
        cursor.execute(f"SELECT id, body, html_body FROM {table} WHERE sent_at IS NULL")  # noqa: S608
        rows = cursor.fetchall()
        for pk, body, html_body in rows:
            new_body, new_html = change(body or ""), change(html_body or "")
            if (new_body, new_html) != (body or "", html_body or ""):
                cursor.execute(
                    f"UPDATE {table} SET body = %s, html_body = %s WHERE id = %s",  # noqa: S608
                    [new_body, new_html, pk],
                )


def seal_unsent_bodies(apps, schema_editor):
    from socialops import crypto

    def seal(value):
        return crypto.encrypt_text(value) if value and not crypto.is_encrypted(value) else value

    _rewrite(apps, schema_editor, seal)


def unseal_unsent_bodies(apps, schema_editor):
    from socialops import crypto

    def unseal(value):
        return crypto.decrypt_text(value) if value and crypto.is_encrypted(value) else value

    _rewrite(apps, schema_editor, unseal)


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0004_encrypt_mfa_secrets"),
    ]

    operations = [
        migrations.AlterField(
            model_name="notificationemail",
            name="body",
            field=socialops.fields.SealedTextField(),
        ),
        migrations.AlterField(
            model_name="notificationemail",
            name="html_body",
            field=socialops.fields.SealedTextField(blank=True),
        ),
        migrations.RunPython(seal_unsent_bodies, unseal_unsent_bodies),
    ]
