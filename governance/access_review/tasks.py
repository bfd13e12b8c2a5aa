"""Access review reminders, run by beat (``CELERY_BEAT_SCHEDULE["access-review-reminders"]``).

``remind_access_reviewers`` finds the open campaigns due within a few days (or overdue) that still
have pending items and queues one ``remind_campaign_reviewers`` each. Each reminds that campaign's
reviewers at most once a day (the notification's dedupe key names the organization's day), so
beat may run the sweep as often as it likes and a task run twice tells nobody twice. The sweep also
hands the pending items of a reviewer who has left (deactivated on the members page or by the
identity provider, not offboarded) to the next lead up or the campaign's starter first.
"""

from __future__ import annotations

from datetime import timedelta

from celery import shared_task
from django.utils import timezone

from socialops.audit.services import audit_context

from . import selectors, services
from .models import ReviewCampaign


@shared_task(name="governance.access_review.tasks.remind_access_reviewers", ignore_result=True)
def remind_access_reviewers() -> int:
    """Queue a reminder run for every campaign that may need one; how many were queued."""
    # a day of slack either side: each campaign is checked against its organization's own day
    on = timezone.now().date() + timedelta(days=1)
    queued = 0
    due = set(selectors.campaigns_to_remind_unscoped(on=on).values_list("pk", flat=True))
    # and those with items waiting on a reviewer who has left (deactivated outside offboarding)
    due |= set(selectors.campaigns_with_departed_reviewers_unscoped().values_list("pk", flat=True))
    for campaign_id in sorted(due):
        remind_campaign_reviewers.delay(campaign_id)
        queued += 1
    return queued


@shared_task(
    name="governance.access_review.tasks.remind_campaign_reviewers",
    ignore_result=True,
    acks_late=True,
)
def remind_campaign_reviewers(campaign_id: int) -> int:
    """Remind one campaign's reviewers with pending items; how many were told now."""
    campaign = (
        ReviewCampaign.objects.unscoped()
        .select_related("organization")
        .filter(pk=campaign_id)
        .first()
    )
    if campaign is None:
        return 0
    with audit_context(via="task"):
        services.hand_over_from_departed(campaign)
        return services.remind_reviewers(campaign)
