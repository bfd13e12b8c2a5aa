from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ApprovalsConfig(AppConfig):
    name = "approvals"
    verbose_name = _("Approvals")

    def ready(self) -> None:
        from publishing import hooks
        from socialops.demo import register_seeder

        from . import services
        from .demo import seed_demo_approvals

        # Publishing never imports approvals: it asks approvals through the extension points it
        # owns (inside its transaction). Approvals' own schedules (an approved post at its
        # requested time) clear this gate themselves and record the approved time directly.
        hooks.register_schedule_gate(services.schedule_gate)
        hooks.register_new_version_handler(services.resubmit_new_version)
        register_seeder("approvals", lambda org, *, by: seed_demo_approvals(org), order=20)
