from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PublishingConfig(AppConfig):
    name = "publishing"
    verbose_name = _("Publishing")

    def ready(self) -> None:
        from socialops.demo import register_seeder

        from .calendar_demo import seed_demo_calendar

        register_seeder("calendar", lambda org, *, by: seed_demo_calendar(org), order=30)
