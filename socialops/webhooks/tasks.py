"""Background work of the webhook engine. Tasks take ids, are idempotent and safe to run twice."""

from __future__ import annotations

from celery import shared_task


@shared_task(
    name="socialops.webhooks.tasks.deliver_webhooks",
    ignore_result=True,
    acks_late=True,
    reject_on_worker_lost=True,
)
def deliver_webhooks(ids: list[int]) -> int:
    """Send the deliveries one action wrote (enqueued on its commit). Each row is claimed before
    it is sent, so a redelivered message finds them taken or sent."""
    from .delivery import deliver

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
