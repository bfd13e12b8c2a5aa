"""Background work of the inbox. Tasks take ids, re-read the row and call one service."""

from __future__ import annotations

from celery import shared_task

from channels_registry.selectors import channels_by_id_unscoped

from . import services


@shared_task(name="inbox.tasks.poll_due_inboxes", ignore_result=True)
def poll_due_inboxes() -> int:
    """The beat sweep: claim the channels due for a poll and enqueue one task each."""
    ids = services.claim_due_channels()
    for channel_id in ids:
        poll_channel_inbox.delay(channel_id)
    return len(ids)


@shared_task(name="inbox.tasks.poll_channel_inbox", ignore_result=True, acks_late=True)
def poll_channel_inbox(channel_id: int) -> int:
    channel = channels_by_id_unscoped([channel_id]).get(channel_id)
    if channel is None:
        return 0
    return services.poll_channel(channel).created


@shared_task(name="inbox.tasks.wake_snoozed_conversations", ignore_result=True)
def wake_snoozed_conversations() -> int:
    """The beat sweep: snoozed conversations whose time has passed are open again."""
    return services.wake_snoozed()


@shared_task(name="inbox.tasks.notify_sla_breaches", ignore_result=True, acks_late=True)
def notify_sla_breaches() -> int:
    """The beat sweep: overdue answers are told to the team lead (else the managers), once each."""
    return services.notify_sla_breaches()
