"""The demo organization's example custom dashboard: an executive overview of eight widgets over
the Sandbox channels' figures (made once; seeding again leaves it as it is)."""

from __future__ import annotations

from . import services
from .models import Dashboard

DEMO_NAME = "Executive overview"

DEMO_WIDGETS = [
    {"kind": "kpi", "metric": "followers"},
    {"kind": "kpi", "metric": "impressions"},
    {"kind": "kpi", "metric": "engagement_rate"},
    {"kind": "kpi", "metric": "reach"},  # the Sandbox does not report it: "not available for"
    {"kind": "timeseries", "metric": "engagements", "width": 12},
    {"kind": "breakdown", "metric": "impressions", "breakdown": "channel"},
    {"kind": "top_posts", "metric": "engagements"},
    {"kind": "sentiment"},
    {"kind": "response_times"},
]


def seed_demo_dashboard(org, *, by) -> Dashboard:
    existing = Dashboard.objects.for_org(org).filter(name=DEMO_NAME).first()
    if existing is not None:
        return existing
    board = services.create_dashboard(
        by,
        name=DEMO_NAME,
        description="The week's key figures for the leadership team: an example to copy.",
        range_days=28,
        via="system",
    )
    for spec in DEMO_WIDGETS:
        services.add_widget(board, by=by, via="system", **spec)
    return board
