from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PublishingConfig(AppConfig):
    name = "publishing"
    verbose_name = _("Publishing")

    def ready(self):
        # Celery's autodiscovery looks for ``publishing.tasks`` only: the sub-domains keep their own.
        from socialops.demo import register_seeder

        from .calendar.demo import seed_demo_calendar
        from .media import tasks as media_tasks  # noqa: F401
        from .scheduler import tasks as scheduler_tasks  # noqa: F401

        register_seeder("calendar", lambda org, *, by: seed_demo_calendar(org), order=30)

        from socialops.sharing.kinds import register_kind

        from .calendar.selectors import SHARE_KIND, share_link_check

        # The salt the calendar's tokens were signed with before the kernel had share links: the
        # links made then keep working (publishing migration 0004 copied their hashes).
        register_kind(
            SHARE_KIND,
            label=_("Calendar share link"),
            salt="publishing.calendar-share",
            check=share_link_check,
        )
