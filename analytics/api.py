"""The analytics API under /api/v1/ (the same selectors and rules as the pages):

- ``GET /api/v1/analytics/summary/?since=&until=&team=&network=&channel=&campaign=``: the
  organization dashboard's figures for a range and the period before it, the inbox's, and what
  changed in plain words.
- ``GET /api/v1/analytics/posts/?since=&until=&team=&network=&channel=&campaign=&sort=``: each
  published variant's figures, sorted, a page at a time.
"""

from __future__ import annotations

from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework.response import Response

from accounts.capabilities import Capability
from accounts.selectors import teams_of
from channels_registry.providers import REGISTRY
from channels_registry.selectors import channels_with_capability
from publishing.selectors import campaigns_of
from socialops.api import (
    ChoiceFilter,
    DateFilter,
    IdFilter,
    OneObjectSchema,
    OrgScopedViewSet,
)
from socialops.errors import ValidationFailed

from . import posts, selectors, summary
from .models import ChannelDay, PostDay
from .serializers import PostFiguresOut, SummaryOut


@extend_schema_view(
    list=extend_schema(
        summary="Read the analytics summary",
        description="The organization dashboard's figures from `since` to `until` (UTC days, "
        "inclusive; default: the last 28 days; at most two years; a backwards range is a 400) beside "
        "the period of the same length before it: followers (at the end, and their growth), "
        "impressions, reach, engagements, engagement rate, link clicks, video views and posts "
        "published, in total and per channel. Over the channels the token's member may see "
        "analytics of, narrowed to a `team` (with the teams below it), a `network` or one "
        "`channel`, or to one `campaign` (its published posts' daily gains: followers, reach and "
        "the inbox are then null with `not_available_because` `campaign`). A figure a network does "
        "not report is null and the network is named in `not_available_for`, never counted as 0. "
        "Read from the daily rollups. `inbox`: inbox volume, median first response (seconds), SLA "
        "met and sentiment shares (percent) on the same channels. `summary`: what changed, in a few "
        "sentences in the request's language.",
        operation_id="analytics_summary_read",
    ),
)
@extend_schema(tags=["analytics"])
class AnalyticsSummaryViewSet(OrgScopedViewSet):
    """The organization dashboard's figures of a date range."""

    schema = OneObjectSchema()
    model = ChannelDay
    read_capability = Capability.VIEW_ANALYTICS
    pagination_class = None  # one range, not a list of pages
    filters = (
        DateFilter("since", "The range's first day (YYYY-MM-DD, UTC)."),
        DateFilter("until", "The range's last day (YYYY-MM-DD, UTC), included."),
        IdFilter("team", "Only the channels of this team and the teams below it."),
        ChoiceFilter("network", lambda: list(REGISTRY), "Only the channels of this network."),
        IdFilter("channel", "Only this channel."),
        IdFilter("campaign", "Only the posts of this campaign."),
    )

    def scoped_queryset(self, organization):
        return ChannelDay.objects.for_org(organization).none()

    @extend_schema(responses=SummaryOut)
    def list(self, request, *args, **kwargs):
        q = self.query
        rng = selectors.date_range(q.get("since"), q.get("until"))
        team = None
        if q.get("team") is not None:
            team = teams_of(self.organization).filter(pk=q["team"]).first()
            if team is None:
                message = _("No such team in this organization.")
                raise ValidationFailed(message, fields={"team": [message]})
        if q.get("channel") is not None:
            visible = channels_with_capability(self.membership, Capability.VIEW_ANALYTICS)
            if not visible.filter(pk=q["channel"]).exists():
                message = _("No such channel, or not one whose analytics you may see.")
                raise ValidationFailed(message, fields={"channel": [message]})
        _check_campaign(self.organization, q.get("campaign"))
        board = selectors.organization_dashboard(
            self.membership,
            rng,
            team=team,
            network=q.get("network", ""),
            channel_id=q.get("channel"),
            campaign_id=q.get("campaign"),
        )
        return Response(SummaryOut(board, context={"summary": summary.what_changed(board)}).data)


def _check_campaign(organization, campaign_id) -> None:
    if campaign_id is not None and not campaigns_of(organization).filter(pk=campaign_id).exists():
        message = _("No such campaign in this organization.")
        raise ValidationFailed(message, fields={"campaign": [message]})


def _team(organization, team_id):
    if team_id is None:
        return None
    team = teams_of(organization).filter(pk=team_id).first()
    if team is None:
        message = _("No such team in this organization.")
        raise ValidationFailed(message, fields={"team": [message]})
    return team


@extend_schema_view(
    list=extend_schema(
        summary="List published posts' figures",
        description="Each variant published from `since` to `until` (UTC days, inclusive; default: "
        "the last 28 days; at most two years) on the channels the token's member may see "
        "analytics of, narrowed to a `team` (with the teams below it), a `network`, one `channel` "
        "or one `campaign`, with its lifetime figures as last fetched (read from the daily "
        "rollups). A figure the network does not report is null and named in `not_available`, "
        "never 0. `sort` names a column (`published_at` or a figure), with a leading `-` for "
        "descending (default `-published_at`); a missing figure sorts last either way. A page "
        "at a time (`cursor`, `limit`).",
        operation_id="analytics_posts_list",
    ),
)
@extend_schema(tags=["analytics"])
class AnalyticsPostsViewSet(OrgScopedViewSet):
    """Each published variant's figures, sortable, paginated."""

    model = PostDay
    read_capability = Capability.VIEW_ANALYTICS
    serializer_class = PostFiguresOut
    filters = (
        DateFilter("since", "The range's first day of publishing (YYYY-MM-DD, UTC)."),
        DateFilter("until", "The range's last day of publishing (YYYY-MM-DD, UTC), included."),
        IdFilter("team", "Only the channels of this team and the teams below it."),
        ChoiceFilter("network", lambda: list(REGISTRY), "Only the channels of this network."),
        IdFilter("channel", "Only this channel."),
        IdFilter("campaign", "Only the posts of this campaign."),
        ChoiceFilter(
            "sort",
            posts.SORTS,
            "The order: a column, `-` first for descending (default `-published_at`).",
        ),
    )

    @property
    def list_ordering(self):
        return posts.sort_ordering(self.query.get("sort") or posts.DEFAULT_SORT)

    def scoped_queryset(self, organization):
        return PostDay.objects.for_org(organization).none()

    def list(self, request, *args, **kwargs):
        q = self.query
        rng = selectors.date_range(q.get("since"), q.get("until"))
        team = _team(self.organization, q.get("team"))
        if q.get("channel") is not None:
            visible = channels_with_capability(self.membership, Capability.VIEW_ANALYTICS)
            if not visible.filter(pk=q["channel"]).exists():
                message = _("No such channel, or not one whose analytics you may see.")
                raise ValidationFailed(message, fields={"channel": [message]})
        _check_campaign(self.organization, q.get("campaign"))
        filters = posts.PostAnalyticsFilters(
            range=rng,
            team=team,
            network=q.get("network", ""),
            channel_id=q.get("channel"),
            campaign_id=q.get("campaign"),
        )
        rows = posts.variant_rows(
            self.membership, filters, sort=q.get("sort") or posts.DEFAULT_SORT
        )
        page = self.paginate_queryset(rows)
        return self.get_paginated_response(PostFiguresOut(posts.rows_of(page), many=True).data)
