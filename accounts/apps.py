from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AccountsConfig(AppConfig):
    name = "accounts"
    verbose_name = _("Accounts")

    def ready(self) -> None:
        from . import signals  # noqa: F401  (login/logout audit hooks)
        from .webhooks import listeners  # noqa: F401  (tells admins when the kernel disables an endpoint)
