from __future__ import annotations

from celery import shared_task
from django.core.cache import cache
from django.utils import timezone

HEARTBEAT_KEY = "socialops:worker-heartbeat"


@shared_task(name="governance.tasks.record_heartbeat", ignore_result=True)
def record_heartbeat() -> str:
    """Beat sends this every 30 s and a worker runs it: proof that both are alive (see /healthz)."""
    now = timezone.now().isoformat()
    cache.set(HEARTBEAT_KEY, now, timeout=None)
    return now
