from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class InboxConfig(AppConfig):
    name = "inbox"
    verbose_name = _("Inbox")

    def ready(self) -> None:
        from channels_registry.hooks import register_inbox_items_handler
        from socialops.demo import register_seeder
        from socialops.figure_sources import register_figure_source

        from .demo import seed_demo_inbox
        from .figures import dashboard_figures
        from .services import ingest_webhook_events

        register_inbox_items_handler(ingest_webhook_events)
        register_seeder("inbox", seed_demo_inbox, order=60)
        # analytics (same floor) shows them on the organization dashboard without importing us
        register_figure_source("inbox.dashboard", dashboard_figures)
