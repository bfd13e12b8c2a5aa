from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PublishingConfig(AppConfig):
    name = "publishing"
    verbose_name = _("Publishing")

    def ready(self):
        # Celery's autodiscovery looks for ``publishing.tasks`` only: the sub-domains keep their own.
        from .media import tasks as media_tasks  # noqa: F401
        from .scheduler import tasks as scheduler_tasks  # noqa: F401
