"""The organization dashboard's charts: one list of specifications for the page (drawn by Vega in
the browser), the dashboard's PDF and the scheduled reports' PDF (drawn by ``render_svg``)."""

from __future__ import annotations

from django.utils.translation import gettext as _

from ..selectors import METRIC_LABELS
from . import selectors, specs

#: the dashboard's daily charts, in order
CHART_METRICS = ("engagements", "impressions", "followers")


def dashboard_charts(organization, board) -> list[dict]:
    """``[{"key", "title", "spec"}]`` for ``board`` (an ``organization_dashboard``): each metric of
    ``CHART_METRICS`` per day (this period beside the previous one) and engagements by network;
    one query whatever the channels and days."""
    totals = selectors.daily_totals(
        organization, [r.channel_id for r in board.channels], board.range
    )
    charts = []
    for metric in CHART_METRICS:
        title = _("%(metric)s per day") % {"metric": METRIC_LABELS[metric]}
        charts.append(
            {
                "key": metric,
                "title": title,
                "spec": specs.time_series_spec(totals, metric, title=title),
            }
        )
    title = _("Engagements by network")
    bars = specs.breakdown_by(board.channels, "engagements", by="network")
    spec = specs.breakdown_spec(bars, title=title, value_title=METRIC_LABELS["engagements"])
    charts.append({"key": "engagements-by-network", "title": title, "spec": spec})
    return charts
