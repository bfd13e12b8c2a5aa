"""Input and output shapes of the custom dashboards' API (no logic: the services check)."""

from __future__ import annotations

from rest_framework import serializers

from socialops.api import IdField, InputSerializer

from ..serializers import Figure, KpiOut, RangeOut
from . import catalog

_KINDS = ", ".join(catalog.Kind.values)
_BREAKDOWNS = ", ".join(catalog.Breakdown.values)
_METRICS = ", ".join(catalog.every_metric())


class WidgetOut(serializers.Serializer):
    id = serializers.IntegerField(help_text="The widget's id.")
    dashboard = serializers.IntegerField(source="dashboard_id", help_text="Its dashboard's id.")
    kind = serializers.CharField(help_text=f"What it shows: {_KINDS}.")
    title = serializers.CharField(help_text="Its title; empty: named after its kind and metric.")
    metric = serializers.CharField(
        help_text="The figure it shows; empty for sentiment and response times."
    )
    breakdown = serializers.CharField(help_text=f"breakdown widgets: {_BREAKDOWNS}; else empty.")
    options = serializers.DictField(help_text="Its options: `limit` (rows of a list, 1 to 50).")
    position = serializers.IntegerField(help_text="Its place, 0 first (left to right, then down).")
    width = serializers.IntegerField(help_text="Its width in columns of 12: 3, 4, 6 or 12.")
    height = serializers.IntegerField(help_text="Its height in rows: 1, 2 or 3.")
    updated_at = serializers.DateTimeField(help_text="When it last changed.")


class DashboardOut(serializers.Serializer):
    id = serializers.IntegerField(help_text="The dashboard's id.")
    name = serializers.CharField(help_text="Its name.")
    description = serializers.CharField(help_text="Its description, or empty.")
    created_by = serializers.IntegerField(
        source="created_by_id", allow_null=True, help_text="The user who made it, or null."
    )
    range_days = serializers.IntegerField(help_text="Its default range: the last 7, 28 or 90 days.")
    team = serializers.IntegerField(
        source="team_id", allow_null=True, help_text="Default team filter."
    )
    network = serializers.CharField(help_text="Default network filter, or empty.")
    channel = serializers.IntegerField(
        source="channel_id", allow_null=True, help_text="Default channel filter."
    )
    campaign = serializers.IntegerField(
        source="campaign_id", allow_null=True, help_text="Default campaign filter (post widgets)."
    )
    widgets = WidgetOut(many=True, source="widget_list", help_text="Its widgets, in order.")
    may_edit = serializers.BooleanField(help_text="Whether the token's holder may change it.")
    created_at = serializers.DateTimeField(help_text="When it was made.")
    updated_at = serializers.DateTimeField(help_text="When it or a widget last changed.")


class _DashboardFields(InputSerializer):
    description = serializers.CharField(
        max_length=500, required=False, allow_blank=True, help_text="A description."
    )
    range_days = serializers.IntegerField(
        required=False, help_text="The default range: 7, 28 or 90 (the last N days)."
    )
    team = IdField(required=False, allow_null=True, help_text="A team's id, or null.")
    network = serializers.CharField(
        max_length=30, required=False, allow_blank=True, help_text="A network's key, or empty."
    )
    channel = IdField(required=False, allow_null=True, help_text="A channel's id, or null.")
    campaign = IdField(required=False, allow_null=True, help_text="A campaign's id, or null.")


class DashboardIn(_DashboardFields):
    name = serializers.CharField(max_length=100, help_text="Its name.")


class DashboardPatchIn(_DashboardFields):
    name = serializers.CharField(max_length=100, required=False, help_text="A new name.")


class DuplicateIn(InputSerializer):
    name = serializers.CharField(
        max_length=100, required=False, help_text="The copy's name (default: “Copy of …”)."
    )


class ArrangeIn(InputSerializer):
    order = serializers.ListField(
        child=IdField(), help_text="Every widget's id of the dashboard, once, in the new order."
    )


class WidgetIn(InputSerializer):
    dashboard = IdField(help_text="The dashboard's id.")
    kind = serializers.CharField(max_length=20, help_text=f"One of: {_KINDS}.")
    metric = serializers.CharField(
        max_length=30,
        required=False,
        allow_blank=True,
        help_text=f"The figure ({_METRICS}; which fit depends on the kind); empty: the kind's default.",
    )
    breakdown = serializers.CharField(
        max_length=20,
        required=False,
        allow_blank=True,
        help_text=f"breakdown widgets: {_BREAKDOWNS}.",
    )
    title = serializers.CharField(
        max_length=100, required=False, allow_blank=True, help_text="A title."
    )
    options = serializers.JSONField(required=False, help_text='Options: {"limit": 1…50}.')
    width = serializers.IntegerField(required=False, help_text="3, 4, 6 or 12 columns of 12.")
    height = serializers.IntegerField(required=False, help_text="1, 2 or 3 rows.")


class WidgetPatchIn(InputSerializer):
    title = serializers.CharField(
        max_length=100, required=False, allow_blank=True, help_text="A title."
    )
    metric = serializers.CharField(
        max_length=30, required=False, allow_blank=True, help_text="A metric."
    )
    breakdown = serializers.CharField(
        max_length=20, required=False, allow_blank=True, help_text="A breakdown."
    )
    options = serializers.JSONField(required=False, help_text='Options: {"limit": 1…50}.')
    width = serializers.IntegerField(required=False, help_text="3, 4, 6 or 12 columns of 12.")
    height = serializers.IntegerField(required=False, help_text="1, 2 or 3 rows.")


class DashboardRowOut(serializers.Serializer):
    label = serializers.CharField(help_text="The channel, network, team or campaign.")
    value = Figure(help_text="Its figure; null: not reported (see not_available_for).")
    detail = serializers.CharField(help_text="A channel's network, or empty.")
    not_available_for = serializers.ListField(
        child=serializers.CharField(), help_text="The networks that do not report the figure."
    )


class DashboardPointOut(serializers.Serializer):
    day = serializers.DateField(help_text="The UTC day.")
    value = Figure(help_text="The day's figure; null: not reported.")


class DashboardPostOut(serializers.Serializer):
    variant_id = serializers.IntegerField(help_text="The published variant's id.")
    post_id = serializers.IntegerField(help_text="Its post's id.")
    post = serializers.CharField(source="post_title", help_text="The post's title or text.")
    channel = serializers.CharField(help_text="The channel's name.")
    network = serializers.CharField(help_text="The network's key.")
    published_at = serializers.DateTimeField(help_text="When it was published.")
    values = serializers.DictField(child=Figure(), help_text="Its figures (null: not reported).")
    fetched = serializers.BooleanField(help_text="False: no figures fetched yet.")


class DashboardSentimentOut(serializers.Serializer):
    day = serializers.DateField(help_text="The UTC day.")
    positive = serializers.IntegerField(help_text="Customers' items read as positive.")
    neutral = serializers.IntegerField(help_text="Read as neutral.")
    negative = serializers.IntegerField(help_text="Read as negative.")


class DashboardTeamResponseOut(serializers.Serializer):
    team_id = serializers.IntegerField(allow_null=True, help_text="The team; null: no team.")
    team = serializers.CharField(help_text="The team's name, or empty.")
    responded = serializers.IntegerField(help_text="Conversations first answered in the range.")
    median_seconds = serializers.FloatField(allow_null=True, help_text="Median first response.")
    p90_seconds = serializers.FloatField(allow_null=True, help_text="90th percentile.")
    sla_due = serializers.IntegerField(help_text="Conversations whose answer was due.")
    sla_met = serializers.IntegerField(help_text="Of those, answered in time.")


class WidgetDataOut(serializers.Serializer):
    id = serializers.IntegerField(source="widget.pk", help_text="The widget's id.")
    kind = serializers.CharField(help_text="Its kind.")
    title = serializers.CharField(help_text="Its title as shown.")
    metric = serializers.CharField(source="widget.metric", help_text="Its metric, or empty.")
    kpi = KpiOut(allow_null=True, help_text="kpi: the figure beside the previous period.")
    points = DashboardPointOut(many=True, help_text="timeseries: one point a day.")
    rows = DashboardRowOut(
        many=True, help_text="breakdown: one row per channel, network, team or campaign."
    )
    posts = DashboardPostOut(many=True, help_text="top_posts, post_table: the posts, best first.")
    sentiment = DashboardSentimentOut(many=True, help_text="sentiment: per day.")
    teams = DashboardTeamResponseOut(many=True, help_text="response_times: per team.")
    not_available_for = serializers.ListField(
        child=serializers.CharField(),
        help_text="Networks of the channels shown without this figure.",
    )
    all_unavailable = serializers.BooleanField(
        help_text="True: no channel shown reports the metric (shown as “not available”, never 0)."
    )


class DashboardDataOut(serializers.Serializer):
    id = serializers.IntegerField(source="dashboard.pk", help_text="The dashboard's id.")
    range = RangeOut(source="filters.range", help_text="The range shown.")
    last_fetched_at = serializers.DateTimeField(
        allow_null=True, help_text="The latest fetch of any channel counted; null: none yet."
    )
    widgets = WidgetDataOut(many=True, help_text="Each widget's data, in order.")


# --- share links (distinct names: the calendar's are ShareLinkOut/In/Created) -------------------------


class DashboardShareLinkIn(InputSerializer):
    dashboard = IdField(help_text="The dashboard's id.")
    name = serializers.CharField(max_length=120, help_text="Who the link is for.")
    expires_at = serializers.DateTimeField(
        required=False,
        allow_null=True,
        help_text="When the link stops working (with its time zone); null or absent: until revoked.",
    )


class DashboardShareLinkOut(serializers.Serializer):
    id = serializers.IntegerField(read_only=True)
    dashboard = serializers.IntegerField(
        source="target_id", read_only=True, help_text="The shared dashboard's id."
    )
    name = serializers.CharField(read_only=True)
    timezone = serializers.CharField(read_only=True)
    created_by = serializers.EmailField(source="created_by.email", read_only=True, default=None)
    created_at = serializers.DateTimeField(read_only=True)
    expires_at = serializers.DateTimeField(read_only=True, allow_null=True)
    revoked_at = serializers.DateTimeField(read_only=True, allow_null=True)
    last_used_at = serializers.DateTimeField(read_only=True, allow_null=True)
    state = serializers.ChoiceField(
        choices=["active", "expired", "revoked"], read_only=True, help_text="Whether it opens."
    )


class DashboardShareLinkCreated(DashboardShareLinkOut):
    token = serializers.CharField(read_only=True, help_text="Shown in this answer only.")
    url = serializers.CharField(read_only=True, help_text="The public page (no account needed).")
