"""Output shapes of the analytics API (no logic)."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers


@extend_schema_field({"type": "number", "nullable": True})
class Figure(serializers.Field):
    """A count stays an integer, a rate a decimal; null = not reported."""

    def __init__(self, **kwargs):
        kwargs.setdefault("read_only", True)
        super().__init__(**kwargs)

    def to_representation(self, value):
        return value


class RangeOut(serializers.Serializer):
    since = serializers.DateField(help_text="The range's first day (UTC).")
    until = serializers.DateField(help_text="The range's last day (UTC), included.")


class KpiOut(serializers.Serializer):
    key = serializers.CharField(
        help_text="followers, impressions, reach, engagements, engagement_rate, link_clicks, "
        "video_views or posts_published."
    )
    current = Figure(
        help_text="The range's figure (followers: at its end; engagement_rate: percent); null: "
        "no channel's network reports it.",
    )
    previous = Figure(help_text="The same figure for the period before, of the same length.")
    change_percent = serializers.FloatField(
        allow_null=True, help_text="The change from the previous period, in percent; null: none."
    )
    growth = serializers.IntegerField(
        allow_null=True,
        help_text="followers only: the gain of the channels counted in both periods.",
    )
    not_available_for = serializers.ListField(
        child=serializers.CharField(),
        help_text="The networks (names) whose channels report no value for this figure.",
    )
    not_available_because = serializers.CharField(
        help_text="Why the figure is null whatever the networks: `campaign` (an account's or the "
        "inbox's figure, which no campaign owns, under a campaign filter), or empty.",
    )


class ChannelFiguresOut(serializers.Serializer):
    id = serializers.IntegerField(source="channel_id", help_text="The channel's id.")
    name = serializers.CharField(help_text="The channel's name.")
    handle = serializers.CharField(help_text="Its handle on the network.")
    network = serializers.CharField(help_text="The network's key.")
    team = serializers.CharField(help_text="Its team's name, or empty.")
    values = serializers.DictField(
        child=Figure(),
        help_text="The range's figures by key (null: not available on the network).",
    )
    previous = serializers.DictField(
        child=Figure(),
        help_text="The previous period's figures by key.",
    )
    last_fetched_at = serializers.DateTimeField(
        allow_null=True, help_text="When its figures were last fetched; null: not yet."
    )
    last_error = serializers.CharField(
        help_text="The last fetch's error (the figures are the last good ones), or empty."
    )


class SummaryOut(serializers.Serializer):
    range = RangeOut(help_text="The range asked for.")
    previous_range = RangeOut(help_text="The period before it, compared with.")
    kpis = KpiOut(many=True, help_text="The key figures, in the dashboard's order.")
    channels = ChannelFiguresOut(many=True, help_text="The figures of each channel counted.")
    last_fetched_at = serializers.DateTimeField(
        allow_null=True, help_text="The latest fetch of any channel counted; null: none yet."
    )
    campaign_id = serializers.IntegerField(
        allow_null=True, help_text="The campaign the figures are narrowed to, or null."
    )
    inbox = KpiOut(
        many=True,
        help_text="The inbox's figures on the same channels: inbox_volume (incoming messages), "
        "first_response_median (seconds), sla_met_percent, sentiment_positive, sentiment_neutral "
        "and sentiment_negative (percent of the scored incoming messages). Empty without an inbox.",
    )
    summary = serializers.SerializerMethodField(
        help_text="What changed, in a few sentences in the request's language (or one saying "
        "there is not enough data yet)."
    )

    def get_summary(self, board) -> list[str]:
        return list(self.context.get("summary", []))


class PostFiguresOut(serializers.Serializer):
    """One published variant's lifetime figures, as last fetched."""

    variant_id = serializers.IntegerField(help_text="The variant's id.")
    post_id = serializers.IntegerField(help_text="Its post's id.")
    post = serializers.CharField(source="post_title", help_text="The post's title or text.")
    campaign_id = serializers.IntegerField(
        allow_null=True, help_text="The post's campaign, or null."
    )
    campaign = serializers.CharField(help_text="The campaign's name, or empty.")
    channel_id = serializers.IntegerField(help_text="The channel it was published on.")
    channel = serializers.CharField(help_text="The channel's name.")
    handle = serializers.CharField(help_text="Its handle on the network.")
    network = serializers.CharField(help_text="The network's key.")
    team = serializers.CharField(help_text="The channel's team's name, or empty.")
    published_at = serializers.DateTimeField(help_text="When it was published.")
    external_url = serializers.CharField(help_text="The live post on the network, or empty.")
    values = serializers.DictField(
        child=Figure(),
        help_text="impressions, reach, engagements, likes, comments, shares, saves, link_clicks, "
        "video_views (counts) and engagement_rate (percent): null when the network does not "
        "report it, or when the variant has not been fetched yet (`fetched` false).",
    )
    fetched = serializers.BooleanField(help_text="False: no figures were fetched for it yet.")
    not_available = serializers.ListField(
        child=serializers.CharField(),
        help_text="The figures its network does not report (empty until fetched).",
    )
    figures_day = serializers.DateField(
        allow_null=True, help_text="The UTC day of its latest figures; null: not fetched yet."
    )
    fetched_at = serializers.DateTimeField(
        allow_null=True, help_text="When its latest figures were fetched, where known."
    )
