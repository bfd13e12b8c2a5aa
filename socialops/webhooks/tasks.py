"""Background work of the webhook engine. Tasks take ids, are idempotent and safe to run twice."""

from __future__ import annotations

import logging

from celery import shared_task

log = logging.getLogger(__name__)


@shared_task(
    name="socialops.webhooks.tasks.deliver_webhooks",
    ignore_result=True,
    acks_late=True,
    reject_on_worker_lost=True,
)
def deliver_webhooks(ids: list[int]) -> int:
    """Send the deliveries one action wrote (enqueued on its commit) and whatever else is due,
    in batches (``delivery.deliver``). Each row is claimed before it is sent, so a redelivered
    message finds them taken or sent."""
    from django.core.cache import cache

    from .delivery import QUEUED_KEY, deliver

    # Started: a commit from now on queues a task again (rows it commits after this line are
    # taken by this task's next claim or by that task).
    try:
        cache.delete(QUEUED_KEY)
    except Exception:  # noqa: BLE001 - the flag only saves tasks; it expires by itself
        log.warning("could not clear the webhook task flag", exc_info=True)
    return deliver(ids)


@shared_task(name="socialops.webhooks.tasks.purge_old_webhook_deliveries", ignore_result=True)
def purge_old_webhook_deliveries() -> int:
    """Daily: the delivery log keeps WEBHOOK_LOG_RETENTION_DAYS of settled deliveries."""
    from .delivery import purge_old

    return purge_old()


@shared_task(name="socialops.webhooks.tasks.sweep_webhooks", ignore_result=True)
def sweep_webhooks() -> int:
    """Beat, every few seconds: send deliveries that are due (retries after their backoff,
    messages lost or never enqueued, claims whose lease lapsed)."""
    from .delivery import sweep

    return sweep()
