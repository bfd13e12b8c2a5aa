from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ChannelsRegistryConfig(AppConfig):
    name = "channels_registry"
    verbose_name = _("Channels")
