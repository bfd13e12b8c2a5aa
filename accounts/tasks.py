"""Background work of accounts. Tasks are idempotent and safe to run twice."""

from __future__ import annotations

from datetime import timedelta

from celery import shared_task
from django.conf import settings
from django.utils import timezone

from .models import Notification, NotificationSent

BATCH = 5000


@shared_task(name="accounts.tasks.purge_old_notifications", ignore_result=True)
def purge_old_notifications() -> int:
    """Delete read notifications older than NOTIFICATION_RETENTION_DAYS (every organization: a system sweep).

    Unread ones stay however old. The dedupe markers of the same age go too: a reminder key older
    than the retention period is not reused. Deletes in batches so one sweep never holds a long lock.
    """
    cutoff = timezone.now() - timedelta(days=settings.NOTIFICATION_RETENTION_DAYS)
    deleted = 0
    while True:
        # Uses the partial index notification_read_at (read_at IS NOT NULL).
        ids = list(
            Notification.objects.unscoped()
            .filter(read_at__isnull=False, read_at__lt=cutoff)
            .values_list("pk", flat=True)[:BATCH]
        )
        if not ids:
            break
        deleted += Notification.objects.unscoped().filter(pk__in=ids).delete()[0]
    while True:
        ids = list(
            NotificationSent.objects.unscoped()
            .filter(created_at__lt=cutoff)
            .values_list("pk", flat=True)[:BATCH]
        )
        if not ids:
            break
        NotificationSent.objects.unscoped().filter(pk__in=ids).delete()
    return deleted
