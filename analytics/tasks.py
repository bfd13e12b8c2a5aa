"""Background work of analytics. Tasks take ids, re-read the row and call one service."""

from __future__ import annotations

from celery import shared_task

from channels_registry.selectors import channels_by_id_unscoped

from . import services


@shared_task(name="analytics.tasks.fetch_due_metrics", ignore_result=True)
def fetch_due_metrics() -> int:
    """The beat sweep: claim the channels whose metrics are due and enqueue one task each."""
    ids = services.claim_due_channels()
    for channel_id in ids:
        fetch_channel_metrics.delay(channel_id)
    return len(ids)


@shared_task(name="analytics.tasks.fetch_channel_metrics", ignore_result=True, acks_late=True)
def fetch_channel_metrics(channel_id: int) -> int:
    channel = channels_by_id_unscoped([channel_id]).get(channel_id)
    if channel is None:
        return 0
    return services.fetch_channel_metrics(channel).rolled_up


@shared_task(name="analytics.tasks.purge_old_metrics", ignore_result=True)
def purge_old_metrics() -> int:
    """Daily: metrics older than ``ANALYTICS_RETENTION_DAYS`` go."""
    return services.purge_old_metrics()


# Scheduled reports' tasks live in their sub-package; autodiscovery finds this module only.
from .reports import tasks as _report_tasks  # noqa: E402, F401
