"""Background work of accounts. Tasks are idempotent and safe to run twice."""

from __future__ import annotations

from datetime import timedelta

from celery import shared_task
from django.conf import settings
from django.utils import timezone

from .models import Notification, NotificationEmail, NotificationSent

BATCH = 5000


@shared_task(name="accounts.tasks.purge_old_notifications", ignore_result=True)
def purge_old_notifications() -> int:
    """Delete read notifications older than NOTIFICATION_RETENTION_DAYS (every organization: a system sweep).

    Unread ones stay however old. Outbox e-mails sent (or given up) that long ago go too. The dedupe markers of the same age go too: a reminder key older
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
    for old_emails in (
        # Uses the partial index notificationemail_sent_at (sent_at IS NOT NULL).
        NotificationEmail.objects.unscoped().filter(sent_at__isnull=False, sent_at__lt=cutoff),
        # Given up (few): kept as long as a sent one, for whoever looks into why.
        NotificationEmail.objects.unscoped().filter(
            sent_at__isnull=True, next_attempt_at__isnull=True, created_at__lt=cutoff
        ),
    ):
        while True:
            ids = list(old_emails.values_list("pk", flat=True)[:BATCH])
            if not ids:
                break
            NotificationEmail.objects.unscoped().filter(pk__in=ids).delete()
    return deleted


@shared_task(
    name="accounts.tasks.send_notification_emails",
    ignore_result=True,
    acks_late=True,
    reject_on_worker_lost=True,
)
def send_notification_emails(ids: list[int]) -> int:
    """Send the outbox e-mails one action wrote (enqueued on its commit). Idempotent: each row is
    claimed before it is sent, so a redelivered message finds them taken or sent."""
    from .notifications import send_emails

    return send_emails(ids)


@shared_task(name="accounts.tasks.sweep_notification_emails", ignore_result=True)
def sweep_notification_emails() -> int:
    """Beat, every minute: send outbox e-mails that are due and unsent (retries after their
    backoff, messages lost or never enqueued, claims whose lease lapsed)."""
    from .notifications import sweep_emails

    return sweep_emails()
