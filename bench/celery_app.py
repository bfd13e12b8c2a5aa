"""The project's Celery app with a beat schedule of the dispatcher tick only, for the scheduler bench.

``celery -A bench.celery_app beat`` runs the real ``publishing.tasks.dispatch`` at its real
cadence (``CELERY_BEAT_SCHEDULE["publishing-dispatch"]``, every 2 s) and nothing else: the other
periodic tasks (the sandbox's simulated audience above all) would spend the bench's CPU on
thousands of freshly published posts. Workers use the unmodified ``socialops`` app. ``BENCH_BEAT_ENTRIES`` (comma-separated names of
``CELERY_BEAT_SCHEDULE``) picks other entries: the webhooks bench runs ``webhooks-sweep`` alone.
"""

from __future__ import annotations

import os

from django.conf import settings

from socialops.celery import app

app.conf.beat_schedule = {
    name: settings.CELERY_BEAT_SCHEDULE[name]
    for name in os.environ.get("BENCH_BEAT_ENTRIES", "publishing-dispatch").split(",")
}

__all__ = ["app"]
