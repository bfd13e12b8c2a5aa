from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AnalyticsConfig(AppConfig):
    name = "analytics"
    verbose_name = _("Analytics")

    def ready(self) -> None:
        from publishing import hooks
        from socialops.demo import register_seeder

        from .demo import seed_demo_analytics
        from .selectors import best_time_slots

        # publishing (below) shows the suggestions; analytics owns where they come from
        hooks.register_best_time_source(best_time_slots)
        # after the inbox (60): the posts are published and the audience has reacted
        register_seeder("analytics", seed_demo_analytics, order=70)

        from socialops.sharing.kinds import register_kind

        from .dashboards.selectors import SHARE_KIND, share_link_check

        # a custom dashboard shared read-only (its creator's view; refused once they lose analytics)
        register_kind(SHARE_KIND, label=_("Dashboard share link"), check=share_link_check)
