"""Notifications store what happened (a template and plain parameters) and are rendered when read.

Rows from before keep their sentence: ``title``/``body`` become ``legacy_title``/``legacy_body``
(a rename: no row is rewritten or lost) and are shown as they are while the row exists.
"""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0006_organization_sandbox_network"),
    ]

    operations = [
        migrations.RenameField("notification", "title", "legacy_title"),
        migrations.RenameField("notification", "body", "legacy_body"),
        migrations.AlterField(
            model_name="notification",
            name="legacy_title",
            field=models.CharField(blank=True, max_length=300),
        ),
        migrations.AlterField(
            model_name="notification",
            name="legacy_body",
            field=models.TextField(blank=True),
        ),
        migrations.AddField(
            model_name="notification",
            name="template",
            field=models.CharField(blank=True, max_length=100),
        ),
        migrations.AddField(
            model_name="notification",
            name="params",
            field=models.JSONField(blank=True, default=dict),
        ),
    ]
