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

        # Publishing never imports approvals: it calls back through these (inside its transaction).
        hooks.register_schedule_gate(services.schedule_gate)
        hooks.post_content_changed.connect(
            services.on_post_content_changed, dispatch_uid="approvals.content_changed"
        )
        hooks.post_scheduled.connect(
            services.on_post_scheduled, dispatch_uid="approvals.post_scheduled"
        )
        register_seeder("approvals", lambda org, *, by: seed_demo_approvals(org), order=20)
