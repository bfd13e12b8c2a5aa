"""The demo organization's analytics: the Sandbox channels' figures, fetched through the same
service as in production (``fetch_channel_metrics``), over two 28-day periods so the dashboard has
a previous period to compare with, offline."""

from __future__ import annotations

from channels_registry import services as channel_services
from channels_registry.providers import SANDBOX
from channels_registry.selectors import channels_of

from .services import fetch_channel_metrics

#: two dashboard periods and a little more
DEMO_DAYS = 60


def seed_demo_analytics(org, *, by) -> int:
    rolled = 0
    for channel in channels_of(org).filter(provider=SANDBOX, status="active"):
        channel_services.play_sandbox_history(channel, days=DEMO_DAYS)
        rolled += fetch_channel_metrics(channel, backfill_days=DEMO_DAYS + 1, force=True).rolled_up
    # an example custom dashboard over those figures (analytics/dashboards/demo.py)
    from .dashboards.demo import seed_demo_dashboard

    seed_demo_dashboard(org, by=by)
    return rolled
