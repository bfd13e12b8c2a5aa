"""The channel inventory in the API: GET /api/v1/channel-inventory/ (one object: every channel with
its activity, reach and flags) and POST /api/v1/channel-inventory/{id}/retire/."""

from __future__ import annotations

from django.http import Http404
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import serializers
from rest_framework.decorators import action
from rest_framework.response import Response

from accounts.capabilities import Capability
from accounts.selectors import get_team
from channels_registry.models import Channel
from channels_registry.selectors import channels_of, provider_names
from socialops.api import (
    ChoiceFilter,
    IdField,
    IdFilter,
    InputSerializer,
    OneObjectSchema,
    OrgScopedViewSet,
)
from socialops.errors import ValidationFailed

from . import selectors, services


class ReachOut(serializers.Serializer):
    followers = serializers.IntegerField(help_text="Followers when last measured.")
    followers_change = serializers.IntegerField(help_text="The change in followers over 30 days.")
    engagement_rate = serializers.FloatField(
        help_text="Engagements divided by impressions, 0 to 1, over 30 days."
    )


class InventoryRowOut(serializers.Serializer):
    channel = serializers.IntegerField(help_text="The channel's id.")
    network = serializers.CharField(help_text="The channel's network.")
    handle = serializers.CharField(help_text="The channel's handle on its network.")
    name = serializers.CharField(help_text="The channel's name.")
    team = serializers.IntegerField(allow_null=True, help_text="The owner team's id; null: none.")
    status = serializers.ChoiceField(
        choices=Channel.Status.choices, help_text="The channel's state."
    )
    last_published_at = serializers.DateTimeField(
        allow_null=True, help_text="When its latest post was published; null: never."
    )
    posts_90_days = serializers.IntegerField(help_text="Posts published in the last 90 days.")
    measured = serializers.BooleanField(
        help_text="Whether analytics has measured its reach; false: `reach` is null (not yet measured)."
    )
    reach = ReachOut(
        allow_null=True, help_text="Followers, their trend and engagement; null: not yet measured."
    )
    flags = serializers.ListField(
        child=serializers.ChoiceField(choices=list(selectors.Flag.values)),
        help_text="`inactive`: nothing published in 90 days; `duplicate`: same network and a "
        "near-identical name, handle or profile address as another channel; `low_reach`: few "
        "followers (only once measured).",
    )
    likely_duplicates_of = serializers.ListField(
        child=serializers.IntegerField(), help_text="The ids of the channels it likely duplicates."
    )


class InventoryOut(serializers.Serializer):
    count = serializers.IntegerField(help_text="How many channels are listed.")
    results = InventoryRowOut(many=True, help_text="Every channel that matches the filters.")


class RetireIn(InputSerializer):
    disposal = serializers.ChoiceField(
        choices=list(services.Disposal.values),
        required=False,
        help_text="What happens to its scheduled posts: `move` (to `move_to`) or `unschedule` (back "
        "to draft). Needed only when something is scheduled on it.",
    )
    move_to = IdField(
        required=False,
        allow_null=True,
        help_text="With `move`: the id of another active channel of the same network.",
    )


class RetireOut(serializers.Serializer):
    channel = serializers.IntegerField(help_text="The retired channel's id.")
    status = serializers.ChoiceField(choices=Channel.Status.choices, help_text="Now `archived`.")
    moved_posts = serializers.ListField(
        child=serializers.IntegerField(), help_text="The ids of the posts moved to `move_to`."
    )
    already_on_target = serializers.ListField(
        child=serializers.IntegerField(),
        help_text="The ids of posts that already went to `move_to` too: their variant for the "
        "retired channel was cancelled.",
    )
    unscheduled_posts = serializers.ListField(
        child=serializers.IntegerField(),
        help_text="The ids of posts whose variant for the retired channel went back to draft.",
    )


def row_payload(row) -> dict:
    c, reach = row.channel, row.reach
    return {
        "channel": c.pk,
        "network": c.provider,
        "handle": c.handle,
        "name": c.name,
        "team": c.team_id,
        "status": c.status,
        "last_published_at": row.last_published_at,
        "posts_90_days": row.posts_90_days,
        "measured": reach is not None,
        "reach": None
        if reach is None
        else {
            "followers": reach.followers,
            "followers_change": reach.followers_change,
            "engagement_rate": reach.engagement_rate,
        },
        "flags": sorted(row.flags),
        "likely_duplicates_of": [d.pk for d in row.duplicates_of],
    }


@extend_schema_view(
    list=extend_schema(
        summary="Read the channel inventory",
        description="Every channel with its latest post, posts in the last 90 days, reach (null "
        "until analytics measures it), owner team, status and flags (inactive, likely duplicate, "
        "low reach). Needs the `manage_governance` capability.",
    ),
    retire=extend_schema(
        summary="Retire a channel",
        description="Archives the channel and, in the same transaction, moves its scheduled posts "
        "to another active channel of the same network (`disposal=move`, `move_to`) or sends them "
        "back to draft (`disposal=unschedule`). Refused, with nothing changed, for a target of "
        "another network, an archived or inactive one, one of another organization, or a channel "
        "with scheduled posts and no `disposal`.",
    ),
)
@extend_schema(tags=["governance"])
class ChannelInventoryViewSet(OrgScopedViewSet):
    schema = OneObjectSchema()
    model = Channel
    read_capability = Capability.MANAGE_GOVERNANCE
    write_capability = Capability.MANAGE_GOVERNANCE  # the service also asks for manage_channels
    pagination_class = None  # the whole inventory (a few hundred channels) in one answer
    filters = (
        IdFilter("team", "Only channels of this team and its sub-teams."),
        ChoiceFilter("network", provider_names, "Only this network's channels (`x`, …)."),
        ChoiceFilter("flag", list(selectors.Flag.values), "Only channels with this flag."),
        ChoiceFilter("status", Channel.Status, "Only channels in this state."),
    )

    def scoped_queryset(self, organization):
        return channels_of(organization)

    @extend_schema(responses=InventoryOut, operation_id="channel_inventory_read")
    def list(self, request, *args, **kwargs):
        q = self.query
        team = None
        if q.get("team") is not None:
            try:
                team = get_team(self.organization, q["team"])
            except Http404:
                message = _("No such team.")
                raise ValidationFailed(message, fields={"team": [message]}) from None
        filters = selectors.InventoryFilters(
            team=team,
            provider=q.get("network", ""),
            flag=q.get("flag", ""),
            status=q.get("status", ""),
        )
        rows = selectors.channel_inventory(self.organization, filters)
        return Response(
            InventoryOut({"count": len(rows), "results": [row_payload(r) for r in rows]}).data
        )

    @extend_schema(request=RetireIn, responses=RetireOut)
    @action(detail=True, methods=["post"])
    def retire(self, request, pk=None):
        channel = self.get_object()
        payload = RetireIn(data=request.data)
        payload.is_valid(raise_exception=True)
        d = payload.validated_data
        move_to = None
        if d.get("move_to") is not None:
            move_to = channels_of(self.organization).filter(pk=d["move_to"]).first()
            if move_to is None:
                message = _("Choose a channel of this organization.")
                raise ValidationFailed(message, fields={"move_to": [message]})
        result = services.retire_channel(
            channel, by=self.membership, disposal=d.get("disposal", ""), move_to=move_to
        )
        return Response(
            RetireOut(
                {
                    "channel": result.channel.pk,
                    "status": result.channel.status,
                    "moved_posts": result.moved,
                    "already_on_target": result.already_there,
                    "unscheduled_posts": result.unscheduled,
                }
            ).data
        )
