from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class InboxConfig(AppConfig):
    name = "inbox"
    verbose_name = _("Inbox")

    def ready(self) -> None:
        from channels_registry.hooks import register_inbox_items_handler
        from socialops.demo import register_seeder

        from .demo import seed_demo_inbox
        from .services import ingest_webhook_events

        register_inbox_items_handler(ingest_webhook_events)
        register_seeder("inbox", seed_demo_inbox, order=60)
