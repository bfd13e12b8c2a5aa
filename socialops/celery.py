"""The Celery application. Each app keeps its tasks in ``tasks.py``; schedules live in settings."""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "socialops.settings")

app = Celery("socialops")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
