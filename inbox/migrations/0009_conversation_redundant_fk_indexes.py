"""Conversations: the organization's and the channel's single-column indexes go (issue 14, ingest).

Both were redundant: every index of the table but two starts with ``organization_id``, and
``conversation_unique_thread`` starts with ``channel_id`` (what a channel's deletion looks up).
Every index is written again on each move of a conversation, which ``ingest`` makes once per
batch for each conversation the batch touches.
"""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0012_report_recipients_and_attachments"),
        ("channels_registry", "0005_sandbox_like"),
        ("inbox", "0008_search_vector_and_active_indexes"),
    ]

    operations = [
        migrations.AlterField(
            model_name="conversation",
            name="channel",
            field=models.ForeignKey(
                db_index=False,
                on_delete=django.db.models.deletion.CASCADE,
                related_name="+",
                to="channels_registry.channel",
            ),
        ),
        migrations.AlterField(
            model_name="conversation",
            name="organization",
            field=models.ForeignKey(
                db_index=False,
                on_delete=django.db.models.deletion.CASCADE,
                related_name="+",
                to="accounts.organization",
            ),
        ),
    ]
