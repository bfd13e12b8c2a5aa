"""Conversations note their first response and when they were last closed (the inbox's figures).

The backfill fills both for rows written before: the first response from the items (the first
outbound item at or after the first inbound one, as ``inbox.services.first_response`` does), the
closing time of a closed conversation from its last change (the best record there is).
"""

from django.db import migrations, models
from django.db.models import F, Min, OuterRef, Subquery


def _first_at(item_model, direction, after=None):
    qs = item_model._base_manager.filter(conversation=OuterRef("pk"), direction=direction)
    if after is not None:
        qs = qs.filter(created_at__gte=after)
    return Subquery(
        qs.order_by().values("conversation").annotate(at=Min("created_at")).values("at")[:1]
    )


def backfill(apps, schema_editor):
    conversation_model = apps.get_model("inbox", "Conversation")
    item_model = apps.get_model("inbox", "Item")
    conversations = conversation_model._base_manager
    conversations.filter(status="closed", closed_at__isnull=True).update(closed_at=F("updated_at"))
    answered = item_model._base_manager.filter(direction="outbound").values("conversation_id")
    last = 0
    while True:
        rows = list(
            conversations.filter(pk__gt=last, pk__in=answered, first_response_at__isnull=True)
            .annotate(_inbound=_first_at(item_model, "inbound"))
            .annotate(_response=_first_at(item_model, "outbound", after=OuterRef("_inbound")))
            .order_by("pk")
            .only("pk")[:2000]
        )
        if not rows:
            return
        last = rows[-1].pk
        done = []
        for row in rows:
            if row._inbound is not None and row._response is not None:
                row.first_response_at = row._response
                seconds = int((row._response - row._inbound).total_seconds())
                row.first_response_seconds = max(0, seconds)
                done.append(row)
        conversations.bulk_update(done, ["first_response_at", "first_response_seconds"])


class Migration(migrations.Migration):

    dependencies = [
        ('accounts', '0009_webhook_disabled_notification_kind'),
        ('channels_registry', '0004_webhook_delivery_once'),
        ('inbox', '0003_merge_0002_inboxwork_0002_search'),
        ('publishing', '0003_variant_lease_owner'),
    ]

    operations = [
        migrations.AddField(
            model_name='conversation',
            name='closed_at',
            field=models.DateTimeField(blank=True, null=True),
        ),
        migrations.AddField(
            model_name='conversation',
            name='first_response_at',
            field=models.DateTimeField(blank=True, null=True),
        ),
        migrations.AddField(
            model_name='conversation',
            name='first_response_seconds',
            field=models.PositiveIntegerField(blank=True, null=True),
        ),
        migrations.AddIndex(
            model_name='conversation',
            index=models.Index(fields=['organization', 'first_response_at'], name='conv_org_first_resp'),
        ),
        migrations.AddIndex(
            model_name='conversation',
            index=models.Index(fields=['organization', 'closed_at'], name='conv_org_closed'),
        ),
        migrations.RunPython(backfill, migrations.RunPython.noop, elidable=True),
    ]
