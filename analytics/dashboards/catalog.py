"""What a widget may be: its kinds, the metrics and breakdowns each kind takes, its sizes.

A metric some network does not report is still allowed: the widget says "not available for X"
for those networks (never a zero). An unknown kind, metric or breakdown is a clear error.
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from analytics import posts
from analytics.selectors import KPI_KEYS, METRIC_LABELS


class Kind(models.TextChoices):
    KPI = "kpi", _("KPI tile")
    TIMESERIES = "timeseries", _("Time series")
    BREAKDOWN = "breakdown", _("Breakdown")
    TOP_POSTS = "top_posts", _("Top posts")
    SENTIMENT = "sentiment", _("Sentiment over time")
    RESPONSE_TIMES = "response_times", _("Team response times")
    POST_TABLE = "post_table", _("Post table")


class Breakdown(models.TextChoices):
    CHANNEL = "channel", _("By channel")
    NETWORK = "network", _("By network")
    TEAM = "team", _("By team")
    CAMPAIGN = "campaign", _("By campaign")


#: the account figures (the organization dashboard's tiles) and their labels
ACCOUNT_METRICS = {key: METRIC_LABELS[key] for key in KPI_KEYS}
#: the figures of a published post (the posts table's columns)
POST_METRICS = dict(posts.METRIC_LABELS)
#: a campaign's figures are its posts' figures
CAMPAIGN_METRICS = {k: v for k, v in POST_METRICS.items()}

#: each kind: the metrics it takes (empty: none), whether it takes a breakdown
KIND_METRICS: dict[str, dict] = {
    Kind.KPI: ACCOUNT_METRICS,
    Kind.TIMESERIES: ACCOUNT_METRICS,
    Kind.BREAKDOWN: ACCOUNT_METRICS,
    Kind.TOP_POSTS: POST_METRICS,
    Kind.POST_TABLE: POST_METRICS,
    Kind.SENTIMENT: {},
    Kind.RESPONSE_TIMES: {},
}
#: the metric a kind starts with when none is given
DEFAULT_METRIC = {
    Kind.KPI: "impressions",
    Kind.TIMESERIES: "impressions",
    Kind.BREAKDOWN: "impressions",
    Kind.TOP_POSTS: "engagements",
    Kind.POST_TABLE: "impressions",
}


def metrics_for(kind: str, breakdown: str = "") -> dict:
    """The metrics ``kind`` (with ``breakdown``) takes, by key with their labels."""
    if kind == Kind.BREAKDOWN and breakdown == Breakdown.CAMPAIGN:
        return CAMPAIGN_METRICS
    return KIND_METRICS.get(kind, {})


def every_metric() -> dict:
    return {**ACCOUNT_METRICS, **POST_METRICS}


#: widths, in columns of a 12-column grid (a quarter, a third, a half, the whole row)
WIDTHS = (3, 4, 6, 12)
WIDTH_LABELS = {3: _("Quarter"), 4: _("Third"), 6: _("Half"), 12: _("Full width")}
#: heights, in rows
HEIGHTS = (1, 2, 3)
HEIGHT_LABELS = {1: _("Short"), 2: _("Medium"), 3: _("Tall")}
#: each kind's size when added
DEFAULT_SIZE = {
    Kind.KPI: (3, 1),
    Kind.TIMESERIES: (6, 2),
    Kind.BREAKDOWN: (6, 2),
    Kind.TOP_POSTS: (6, 2),
    Kind.SENTIMENT: (6, 2),
    Kind.RESPONSE_TIMES: (6, 2),
    Kind.POST_TABLE: (12, 3),
}
#: how many rows a list widget (top posts, post table, breakdown) shows
LIMIT_MIN, LIMIT_MAX, LIMIT_DEFAULT = 1, 50, 5
#: the most widgets a dashboard holds
MAX_WIDGETS = 24


class RangePreset(models.IntegerChoices):
    LAST_7 = 7, _("Last 7 days")
    LAST_28 = 28, _("Last 28 days")
    LAST_90 = 90, _("Last 90 days")
