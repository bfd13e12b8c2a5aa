"""Read notifications older than NOTIFICATION_RETENTION_DAYS are deleted by a nightly beat task."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.conf import settings
from django.test import TestCase
from django.utils import timezone

from accounts import tasks
from accounts.models import Notification, NotificationSent
from accounts.notifications import NotificationKind, notify

pytestmark = pytest.mark.django_db


def _note(org, user, **kw):
    with TestCase.captureOnCommitCallbacks(execute=True):
        (n,) = notify(
            org,
            recipients=[user],
            kind=NotificationKind.APPROVAL_REMINDER,
            template="generic",
            context={"title": "t", "message": "m"},
            **kw,
        )
    return n


def test_the_purge_is_scheduled_daily():
    entry = settings.CELERY_BEAT_SCHEDULE["notifications-purge-read"]
    assert entry["task"] == "accounts.tasks.purge_old_notifications"
    assert entry["schedule"] == 24 * 3600.0
    assert settings.NOTIFICATION_RETENTION_DAYS == 90


def test_old_read_notifications_go_unread_and_recent_ones_stay(org_a, org_b, alice, bob, settings):
    settings.NOTIFICATION_RETENTION_DAYS = 90
    long_ago = timezone.now() - timedelta(days=91)
    old_read = _note(org_a, alice, dedupe_key="old")
    old_unread = _note(org_a, alice)
    recent_read = _note(org_a, alice)
    bravo_old_read = _note(org_b, bob)
    Notification.objects.unscoped().filter(
        pk__in=[old_read.pk, old_unread.pk, bravo_old_read.pk]
    ).update(created_at=long_ago)
    Notification.objects.unscoped().filter(pk__in=[old_read.pk, bravo_old_read.pk]).update(
        read_at=long_ago
    )
    Notification.objects.for_org(org_a).filter(pk=recent_read.pk).update(read_at=timezone.now())
    NotificationSent.objects.for_org(org_a).update(created_at=long_ago)

    assert tasks.purge_old_notifications() == 2
    left = set(Notification.objects.unscoped().values_list("pk", flat=True))
    assert left == {old_unread.pk, recent_read.pk}
    assert not NotificationSent.objects.unscoped().exists()
    assert tasks.purge_old_notifications() == 0  # idempotent
