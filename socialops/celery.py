"""The Celery application. Each app keeps its tasks in ``tasks.py``; schedules live in settings."""

import os

from celery import Celery
from celery.signals import after_setup_logger, after_setup_task_logger

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "socialops.settings")

app = Celery("socialops")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@after_setup_logger.connect
@after_setup_task_logger.connect
def _hash_bearer_secrets(logger, **kwargs):
    """The worker and beat replace the root logger's handlers with their own: give those handlers
    the filter that settings.LOGGING gives ours (bearer links logged as a hash)."""
    from .log_redaction import RedactSecretsFilter

    for handler in logger.handlers:
        if not any(isinstance(f, RedactSecretsFilter) for f in handler.filters):
            handler.addFilter(RedactSecretsFilter())
