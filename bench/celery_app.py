"""The project's Celery app with a beat schedule of the dispatcher tick only, for the scheduler bench.

``celery -A bench.celery_app beat`` runs the real ``publishing.tasks.dispatch`` at its real
cadence (``CELERY_BEAT_SCHEDULE["publishing-dispatch"]``, every 2 s) and nothing else: the other
periodic tasks (the sandbox's simulated audience above all) would spend the bench's CPU on
thousands of freshly published posts. Workers use the unmodified ``socialops`` app.
"""

from __future__ import annotations

from django.conf import settings

from socialops.celery import app

app.conf.beat_schedule = {
    "publishing-dispatch": settings.CELERY_BEAT_SCHEDULE["publishing-dispatch"]
}

__all__ = ["app"]
