"""Analytics' rows: raw metrics as the networks answered them, the daily rollups dashboards read,
and each channel's fetch state.

A metric a network does not report is NULL, never 0: a page says "not available for <network>"
instead of showing a zero nobody measured. Raw rows are upserted on their natural key (a channel's
day; a variant's fetch day), so a fetch run twice writes nothing new. Dashboards read only the
rollups (:class:`ChannelDay`, :class:`PostDay`), never the raw rows.
"""

from __future__ import annotations

from django.db import models
from django.utils import timezone as dj_timezone
from django.utils.translation import gettext_lazy as _

from socialops.tenancy_models import TenantModel


def _metric(verbose_name):
    """A counter a network may not report (NULL = not available, 0 = measured zero)."""
    return models.BigIntegerField(verbose_name, null=True, blank=True)


class AccountMetricDay(TenantModel):
    """Raw: a channel's account figures for one day (UTC), as the network last answered them."""

    channel = models.ForeignKey(
        "channels_registry.Channel", on_delete=models.CASCADE, related_name="+"
    )
    day = models.DateField()
    followers = _metric(_("followers"))
    impressions = _metric(_("impressions"))
    reach = _metric(_("reach"))
    engagements = _metric(_("engagements"))
    profile_views = _metric(_("profile views"))

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["channel", "day"], name="accountmetricday_unique")
        ]
        indexes = [
            models.Index(fields=["organization", "channel", "day"], name="accountmetric_org_ch_day")
        ]


class PostMetricSnapshot(TenantModel):
    """Raw: a published variant's lifetime figures as fetched on ``day`` (UTC; one row a day)."""

    channel = models.ForeignKey(
        "channels_registry.Channel", on_delete=models.CASCADE, related_name="+"
    )
    variant = models.ForeignKey(
        "publishing.PostVariant", on_delete=models.CASCADE, related_name="+"
    )
    day = models.DateField()
    impressions = _metric(_("impressions"))
    reach = _metric(_("reach"))
    likes = _metric(_("likes"))
    comments = _metric(_("comments"))
    shares = _metric(_("shares"))
    saves = _metric(_("saves"))
    clicks = _metric(_("link clicks"))
    video_views = _metric(_("video views"))
    #: when the network last answered these figures (NULL: stored before this was kept)
    fetched_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["variant", "day"], name="postmetricsnapshot_unique")
        ]
        indexes = [
            models.Index(fields=["organization", "channel", "day"], name="postsnap_org_ch_day")
        ]


#: the figures ``ChannelDay`` keeps a running total of (``run_*``), and those a day may not report
#: (``seen_*`` counts the days that did)
RUNNING = ("impressions", "reach", "engagements", "link_clicks", "video_views", "posts_published")
MAY_BE_MISSING = RUNNING[:-1]


class ChannelDay(TenantModel):
    """Rollup: one channel's day, what the dashboards sum.

    ``impressions`` and ``engagements`` are the account's figures where the network reports them,
    else the sum of its posts' gains that day; ``link_clicks`` and ``video_views`` are always the
    posts' gains; ``followers`` is the count at the end of the day. ``posts_published`` is counted
    here, so it is never NULL.
    """

    channel = models.ForeignKey(
        "channels_registry.Channel", on_delete=models.CASCADE, related_name="+"
    )
    day = models.DateField()
    followers = _metric(_("followers"))
    impressions = _metric(_("impressions"))
    reach = _metric(_("reach"))
    engagements = _metric(_("engagements"))
    link_clicks = _metric(_("link clicks"))
    video_views = _metric(_("video views"))
    posts_published = models.PositiveIntegerField(_("posts published"), default=0)
    # Running totals over the channel's rows up to and including this day (a missing figure
    # counts 0), and how many of those days reported the figure: a period's sum is the difference
    # of two rows, not a scan of every day (``selectors._period_sums``). Kept by
    # ``services.refresh_running_totals``, which every write of these rows calls.
    run_impressions = models.BigIntegerField(default=0, editable=False)
    run_reach = models.BigIntegerField(default=0, editable=False)
    run_engagements = models.BigIntegerField(default=0, editable=False)
    run_link_clicks = models.BigIntegerField(default=0, editable=False)
    run_video_views = models.BigIntegerField(default=0, editable=False)
    run_posts_published = models.BigIntegerField(default=0, editable=False)
    seen_impressions = models.IntegerField(default=0, editable=False)
    seen_reach = models.IntegerField(default=0, editable=False)
    seen_engagements = models.IntegerField(default=0, editable=False)
    seen_link_clicks = models.IntegerField(default=0, editable=False)
    seen_video_views = models.IntegerField(default=0, editable=False)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["channel", "day"], name="channelday_unique")]
        # the dashboard's scan: one organization, a range of days, its channels (on PostgreSQL a
        # covering index, channelday_org_day_figures, migration 0005, makes it index-only)
        indexes = [
            models.Index(fields=["organization", "day", "channel"], name="channelday_org_day")
        ]


class PostDay(TenantModel):
    """Rollup: a published variant's totals at the end of ``day`` and what it gained that day.

    ``engagements`` is the sum of the parts the network reports (likes, comments, shares, saves),
    kept beside it for the per-post table; ``fetched_at`` is when those figures were fetched."""

    channel = models.ForeignKey(
        "channels_registry.Channel", on_delete=models.CASCADE, related_name="+"
    )
    variant = models.ForeignKey(
        "publishing.PostVariant", on_delete=models.CASCADE, related_name="+"
    )
    day = models.DateField()
    impressions = _metric(_("impressions"))
    reach = _metric(_("reach"))
    engagements = _metric(_("engagements"))
    link_clicks = _metric(_("link clicks"))
    video_views = _metric(_("video views"))
    likes = _metric(_("likes"))
    comments = _metric(_("comments"))
    shares = _metric(_("shares"))
    saves = _metric(_("saves"))
    fetched_at = models.DateTimeField(null=True, blank=True)
    impressions_gain = _metric(_("impressions gained"))
    engagements_gain = _metric(_("engagements gained"))
    link_clicks_gain = _metric(_("link clicks gained"))
    video_views_gain = _metric(_("video views gained"))

    class Meta:
        constraints = [models.UniqueConstraint(fields=["variant", "day"], name="postday_unique")]
        indexes = [
            models.Index(fields=["organization", "channel", "day"], name="postday_org_ch_day")
        ]


class MetricsFetchState(TenantModel):
    """One channel's metrics fetching: the cursor, when it ran, its last error and its backoff."""

    channel = models.OneToOneField(
        "channels_registry.Channel", on_delete=models.CASCADE, related_name="+"
    )
    #: the last day whose account figures were fetched (the next fetch starts the day before it)
    account_cursor = models.DateField(null=True, blank=True)
    #: when the next fetch is due (a claimed fetch pushes it out while it runs)
    next_fetch_at = models.DateTimeField(default=dj_timezone.now)
    last_fetched_at = models.DateTimeField(null=True, blank=True)
    last_error = models.TextField(blank=True)
    last_error_at = models.DateTimeField(null=True, blank=True)
    failures = models.PositiveIntegerField(default=0)
    #: after a rate limit or a failure: nothing is asked of the network before this
    backoff_until = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [
            models.Index(fields=["organization", "next_fetch_at"], name="metricsfetch_org_due")
        ]


# Custom dashboards live in their sub-package; Django finds their models through this module.
from analytics.dashboards.models import Dashboard, Widget  # noqa: E402, F401

# Scheduled reports live in their sub-package; Django finds their models through this module.
from analytics.reports.models import ReportRun, ReportSchedule  # noqa: E402, F401
