"""A push is stored once: each delivery gets a key (the network's delivery id, else a hash of the
raw body) that is unique per network.

Pushes stored before this migration get the body-hash key too, oldest first; a later row whose
body repeats an earlier one (a replay stored twice) keeps a null key, so nothing is deleted and
the unique constraint (which ignores nulls on PostgreSQL and SQLite) can be added.
"""

import hashlib

from django.db import migrations, models


def key_existing(apps, schema_editor):
    WebhookDelivery = apps.get_model("channels_registry", "WebhookDelivery")
    seen = set()
    rows = WebhookDelivery.objects.order_by("received_at", "pk").only("pk", "provider", "body")
    for row in rows.iterator(chunk_size=500):
        key = "sha256:" + hashlib.sha256(bytes(row.body)).hexdigest()
        if (row.provider, key) in seen:
            continue
        seen.add((row.provider, key))
        WebhookDelivery.objects.filter(pk=row.pk).update(delivery_key=key)


class Migration(migrations.Migration):

    dependencies = [
        ('channels_registry', '0003_qualify_mastodon_external_ids'),
    ]

    operations = [
        migrations.AddField(
            model_name='webhookdelivery',
            name='delivery_key',
            field=models.CharField(blank=True, max_length=120, null=True),
        ),
        migrations.RunPython(key_existing, migrations.RunPython.noop),
        migrations.AddConstraint(
            model_name='webhookdelivery',
            constraint=models.UniqueConstraint(fields=('provider', 'delivery_key'), name='webhook_delivery_once'),
        ),
    ]
