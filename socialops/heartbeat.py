"""The worker heartbeat: beat sends ``record_heartbeat`` every 30 s and a worker runs it, so the
stamp it leaves in the cache is proof that both are alive (``/healthz`` shows it).

Kernel operations, not an app's business: registered with the worker by ``CELERY_IMPORTS``.
"""

from __future__ import annotations

from celery import shared_task
from django.core.cache import cache
from django.utils import timezone

HEARTBEAT_KEY = "socialops:worker-heartbeat"


@shared_task(name="socialops.heartbeat.record_heartbeat", ignore_result=True)
def record_heartbeat() -> str:
    now = timezone.now().isoformat()
    cache.set(HEARTBEAT_KEY, now, timeout=None)
    return now
