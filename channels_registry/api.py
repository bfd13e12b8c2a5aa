"""Channels endpoints under /api/v1/: channels, their grants and groups. Credentials never leave."""

from __future__ import annotations

from django.http import Http404
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import mixins, status
from rest_framework.decorators import action
from rest_framework.response import Response

from accounts.capabilities import Capability, can
from accounts.selectors import get_membership, get_team
from socialops.api import ChoiceFilter, IdFilter, OrgScopedViewSet, TextFilter
from socialops.errors import NotAllowed, ValidationFailed

from . import selectors, services
from .models import Channel, ChannelGrant, ChannelGroup
from .serializers import (
    ChannelGrantIn,
    ChannelGrantOut,
    ChannelGroupIn,
    ChannelGroupOut,
    ChannelIn,
    ChannelOut,
)


def _team_or_error(org, team_id, field="team"):
    if team_id is None:
        return None
    try:
        return get_team(org, team_id)
    except Http404:
        raise ValidationFailed(
            "That team does not exist.", fields={field: ["Choose a valid team."]}
        ) from None


def _channels_or_error(membership, ids):
    channels = list(selectors.visible_channels(membership).filter(pk__in=ids))
    if len(channels) != len(set(ids)):
        raise ValidationFailed(
            "Some channels do not exist.", fields={"channels": ["Choose valid channels."]}
        )
    return channels


@extend_schema_view(
    list=extend_schema(
        summary="List channels",
        description="Connected social accounts the token may see. Filter by `network`, `team` (with its sub-teams), `status` or `group`.",
    ),
    retrieve=extend_schema(
        summary="Get a channel", description="One channel with its connection state."
    ),
    partial_update=extend_schema(
        summary="Change a channel",
        description="Changes its team, time zone or access (whether it is restricted).",
    ),
    archive=extend_schema(
        summary="Archive a channel",
        description="Hides the channel from pickers and sweeps; its credentials are wiped, its history kept.",
    ),
    unarchive=extend_schema(
        summary="Unarchive a channel",
        description="Back to the list as disconnected: connect it again to use it.",
    ),
    disconnect=extend_schema(
        summary="Disconnect a channel",
        description="Stops using the channel: its credentials are wiped; the channel and its history stay.",
    ),
)
@extend_schema(tags=["channels"])
class ChannelViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, OrgScopedViewSet):
    """Channels the token's member may see. Filters: network, team (with sub-teams), status, group."""

    model = Channel
    serializer_class = ChannelOut
    write_capability = Capability.MANAGE_CHANNELS
    filters = (
        ChoiceFilter("network", selectors.provider_names, "Only channels of this network."),
        IdFilter("team", "Only channels of this team and its sub-teams."),
        ChoiceFilter("status", Channel.Status, "Only channels in this state."),
        IdFilter("group", "Only channels in this channel group."),
        TextFilter("q", "Words in the channel's name or handle."),
    )

    def scoped_queryset(self, organization):
        params = self.query
        filters = selectors.ChannelFilters(
            provider=params.get("network", ""),
            status=params.get("status", ""),
            search=params.get("q", ""),
        )
        team_id, group_id = params.get("team"), params.get("group")
        if team_id is not None:
            try:
                filters.team = get_team(organization, team_id)
            except Http404:
                return Channel.objects.for_org(organization).none()
        if group_id is not None:
            try:
                filters.group = selectors.get_group(organization, group_id)
            except Http404:
                return Channel.objects.for_org(organization).none()
        return selectors.visible_channels(self.membership, filters)

    @extend_schema(request=ChannelIn, responses=ChannelOut)
    def partial_update(self, request, pk=None):
        channel = self.get_object()
        payload = ChannelIn(data=request.data)
        payload.is_valid(raise_exception=True)
        d = payload.validated_data
        if "team" in d:
            services.set_channel_team(
                channel, by=self.membership, team=_team_or_error(self.organization, d["team"])
            )
        if "timezone" in d:
            services.set_channel_timezone(channel, by=self.membership, timezone_name=d["timezone"])
        if "access" in d:
            services.set_channel_access(channel, by=self.membership, access=d["access"])
        return Response(ChannelOut(channel).data)

    @extend_schema(request=None, responses=ChannelOut)
    @action(detail=True, methods=["post"])
    def archive(self, request, pk=None):
        return Response(
            ChannelOut(services.archive_channel(self.get_object(), by=self.membership)).data
        )

    @extend_schema(request=None, responses=ChannelOut)
    @action(detail=True, methods=["post"])
    def unarchive(self, request, pk=None):
        return Response(
            ChannelOut(services.unarchive_channel(self.get_object(), by=self.membership)).data
        )

    @extend_schema(request=None, responses=ChannelOut)
    @action(detail=True, methods=["post"])
    def disconnect(self, request, pk=None):
        return Response(
            ChannelOut(services.disconnect_channel(self.get_object(), by=self.membership)).data
        )


@extend_schema_view(
    list=extend_schema(
        summary="List channel groups",
        description="Named sets of channels for composing; each lists only the channels the token may see.",
    ),
    create=extend_schema(summary="Create a channel group", description="A named set of channels."),
    retrieve=extend_schema(summary="Get a channel group", description="One group."),
    partial_update=extend_schema(
        summary="Change a channel group", description="Changes its name or channels."
    ),
    destroy=extend_schema(
        summary="Delete a channel group", description="Deletes the group; its channels stay."
    ),
)
@extend_schema(tags=["channels"])
class ChannelGroupViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, OrgScopedViewSet):
    """Channel groups; each lists only the channels the member may see (a restricted one stays hidden)."""

    model = ChannelGroup
    serializer_class = ChannelGroupOut
    write_capability = Capability.MANAGE_CHANNELS

    def scoped_queryset(self, organization):
        return selectors.groups_of(organization, membership=self.membership)

    @extend_schema(request=ChannelGroupIn, responses={201: ChannelGroupOut})
    def create(self, request):
        payload = ChannelGroupIn(data=request.data)
        payload.is_valid(raise_exception=True)
        d = payload.validated_data
        group = services.create_channel_group(
            self.organization,
            by=self.membership,
            name=d["name"],
            description=d["description"],
            channels=_channels_or_error(self.membership, d["channels"]),
        )
        return Response(ChannelGroupOut(group).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=ChannelGroupIn, responses=ChannelGroupOut)
    def partial_update(self, request, pk=None):
        group = self.get_object()
        # The channels the member sees; those they may not see stay in the group (the service keeps them).
        current = {
            "name": group.name,
            "description": group.description,
            "channels": [c.pk for c in group.channels.all()],
        }
        payload = ChannelGroupIn(data={**current, **request.data})
        payload.is_valid(raise_exception=True)
        d = payload.validated_data
        group = services.update_channel_group(
            group,
            by=self.membership,
            name=d["name"],
            description=d["description"],
            channels=_channels_or_error(self.membership, d["channels"]),
        )
        return Response(ChannelGroupOut(self.get_object()).data)

    def destroy(self, request, pk=None):
        services.delete_channel_group(self.get_object(), by=self.membership)
        return Response(status=status.HTTP_204_NO_CONTENT)


@extend_schema_view(
    list=extend_schema(
        summary="List channel grants",
        description="Who may use which restricted channel, and how. `channel` narrows to one channel.",
    ),
    create=extend_schema(
        summary="Grant access to a channel",
        description="Lets a member or a team use a restricted channel with a capability.",
    ),
    retrieve=extend_schema(summary="Get a channel grant", description="One grant."),
    destroy=extend_schema(summary="Remove a channel grant", description="Takes the access away."),
)
@extend_schema(tags=["channels"])
class ChannelGrantViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, OrgScopedViewSet):
    """Per-channel grants. ``?channel=<id>`` narrows the list to one channel.

    Only grants on channels the member may see: a grant on a restricted channel is a 404 (read,
    revoke) to a manager without access to that channel, as the channel itself is."""

    model = ChannelGrant
    serializer_class = ChannelGrantOut
    read_capability = Capability.MANAGE_CHANNELS
    write_capability = Capability.MANAGE_CHANNELS
    filters = (IdFilter("channel", "Only grants on this channel.", lookup="channel_id"),)

    def scoped_queryset(self, organization):
        visible = selectors.visible_channels(self.membership).order_by().values("pk")
        return (
            ChannelGrant.objects.for_org(organization)
            .select_related("channel")
            .filter(channel_id__in=visible)
            .order_by("channel_id", "pk")
        )

    @extend_schema(request=ChannelGrantIn, responses={201: ChannelGrantOut})
    def create(self, request):
        payload = ChannelGrantIn(data=request.data)
        payload.is_valid(raise_exception=True)
        d = payload.validated_data
        try:
            channel = selectors.get_channel_for_member(
                self.membership, d["channel"], need=Capability.MANAGE_CHANNELS
            )
        except Http404:
            raise ValidationFailed(
                "That channel does not exist.", fields={"channel": ["Choose a valid channel."]}
            ) from None
        membership = None
        if d.get("membership") is not None:
            try:
                membership = get_membership(self.organization, d["membership"])
            except Http404:
                raise ValidationFailed(
                    "That member does not exist.", fields={"membership": ["Choose a valid member."]}
                ) from None
        grant = services.grant_channel_access(
            channel,
            by=self.membership,
            capability=d["capability"],
            membership=membership,
            team=_team_or_error(self.organization, d.get("team")),
        )
        return Response(ChannelGrantOut(grant).data, status=status.HTTP_201_CREATED)

    def destroy(self, request, pk=None):
        grant = self.get_object()
        if not can(self.membership, Capability.MANAGE_CHANNELS, grant.channel):
            raise NotAllowed("You do not have permission to do that.")
        services.revoke_channel_access(grant, by=self.membership)
        return Response(status=status.HTTP_204_NO_CONTENT)
