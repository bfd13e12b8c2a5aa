from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ChannelsRegistryConfig(AppConfig):
    name = "channels_registry"
    verbose_name = _("Channels")

    def ready(self) -> None:
        from socialops.demo import register_seeder

        from .services import seed_demo_channels

        register_seeder("channels", seed_demo_channels, order=10)
