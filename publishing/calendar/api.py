"""Calendar endpoints under /api/v1/ (the same selectors and services as the pages).

- ``GET /api/v1/calendar/events/?start=…&end=…`` (+ ``team``, ``channel``, ``network``, ``campaign``,
  ``status``, ``author``, ``holidays``): posts, campaign bands, notes, holidays and cadence of one range
  (times without an offset are read and shown in the token owner's zone, else the organization's)
- ``POST /api/v1/posts/{id}/move/`` ``{"at": "2026-12-01T09:00", "variant": 12}``: reschedule / re-plan
- ``/api/v1/campaigns/`` list, create, retrieve, update; ``POST …/{id}/archive/``, ``…/{id}/restore/``
- ``/api/v1/calendar-notes/`` list, create, retrieve, update, delete
- ``/api/v1/cadence-targets/`` list, create (sets the channel's target), retrieve, delete
- ``/api/v1/holiday-regions/`` list, create (sets a team's countries; ``team`` null = the default)
- ``/api/v1/calendar-share-links/`` list, create (the token is returned once), ``POST …/{id}/revoke/``
"""

from __future__ import annotations

from django.http import Http404
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, serializers, status
from rest_framework.decorators import action
from rest_framework.response import Response

from accounts.capabilities import Capability
from accounts.selectors import get_team
from channels_registry.selectors import provider_names
from socialops.api import (
    ChoiceFilter,
    IdField,
    IdFilter,
    InputModelSerializer,
    InputSerializer,
    OrgScopedViewSet,
    TextFilter,
)
from socialops.errors import ValidationFailed

from ..models import CadenceTarget, CalendarNote, CalendarShareLink, Campaign, HolidayRegion, Post
from ..posts import selectors
from ..posts import services as authoring
from . import selectors as cal
from . import services as calendar_services


def _zone(request) -> str:
    from .views import viewer_zone

    return viewer_zone(
        request._request
    )  # one rule for the pages and the API (DRF sets _request.user)


def _team_or_error(org, team_id):
    if team_id is None:
        return None
    try:
        return get_team(org, team_id)
    except Http404:
        raise ValidationFailed(
            "That team does not exist.", fields={"team": ["Choose a valid team."]}
        ) from None


# --- Shapes (no logic) ---------------------------------------------------------------------------


class MoveIn(InputSerializer):
    #: ISO 8601; without an offset it is wall-clock time in the caller's zone
    at = serializers.CharField(max_length=40)
    variant = IdField(required=False, allow_null=True)


class MovedOut(serializers.Serializer):
    id = serializers.IntegerField()
    status = serializers.CharField()
    scheduled_at = serializers.DateTimeField(allow_null=True)
    planned_at = serializers.DateTimeField(allow_null=True)
    schedule_timezone = serializers.CharField()


class CampaignIO(InputModelSerializer):
    team = IdField(required=False, allow_null=True, source="team_id")

    class Meta:
        model = Campaign
        fields = [
            "id",
            "name",
            "color",
            "starts_on",
            "ends_on",
            "team",
            "utm_source",
            "utm_medium",
            "utm_campaign",
            "description",
            "archived_at",
            "created_at",
        ]
        read_only_fields = ["id", "archived_at", "created_at"]


class NoteIO(InputModelSerializer):
    team = IdField(required=False, allow_null=True, source="team_id")

    class Meta:
        model = CalendarNote
        fields = ["id", "title", "body", "starts_on", "ends_on", "team", "created_at"]
        read_only_fields = ["id", "created_at"]
        extra_kwargs = {"ends_on": {"required": False}}


class CadenceIO(InputModelSerializer):
    channel = IdField(source="channel_id")

    class Meta:
        model = CadenceTarget
        fields = ["id", "channel", "min_per_week", "max_per_week", "updated_at"]
        read_only_fields = ["id", "updated_at"]


class HolidayRegionIO(InputModelSerializer):
    team = IdField(required=False, allow_null=True, source="team_id")
    countries = serializers.ListField(child=serializers.CharField(max_length=2), allow_empty=True)

    class Meta:
        model = HolidayRegion
        fields = ["id", "team", "countries", "updated_at"]
        read_only_fields = ["id", "updated_at"]


class ShareLinkFiltersIn(InputSerializer):
    """The calendar filters a share link freezes (each names an object of the organization)."""

    team = IdField(required=False, allow_null=True)
    channel = IdField(required=False, allow_null=True)
    network = serializers.CharField(required=False, allow_blank=True, max_length=30)
    campaign = IdField(required=False, allow_null=True)
    status = serializers.ChoiceField(
        choices=cal.CALENDAR_STATUSES, required=False, allow_blank=True
    )
    author = IdField(required=False, allow_null=True)


class ShareLinkIn(InputSerializer):
    name = serializers.CharField(max_length=120)
    expires_in_days = serializers.IntegerField(min_value=1, max_value=366, default=30)
    filters = ShareLinkFiltersIn(required=False)


class ShareLinkOut(serializers.ModelSerializer):
    created_by = serializers.EmailField(source="created_by.email", read_only=True, default=None)

    class Meta:
        model = CalendarShareLink
        fields = [
            "id",
            "name",
            "filters",
            "timezone",
            "created_by",
            "created_at",
            "expires_at",
            "revoked_at",
            "last_used_at",
        ]


class ShareLinkCreated(ShareLinkOut):
    token = serializers.CharField(read_only=True)
    url = serializers.CharField(read_only=True)
    feed_url = serializers.CharField(read_only=True)

    class Meta(ShareLinkOut.Meta):
        fields = [*ShareLinkOut.Meta.fields, "token", "url", "feed_url"]


# --- Views --------------------------------------------------------------------------------------

_ID_FILTERS = ("team", "channel", "campaign", "author", "holidays")


class CalendarEventsViewSet(OrgScopedViewSet):
    """The calendar of one range (the JSON the calendar page draws)."""

    model = Post
    read_capability = Capability.VIEW
    pagination_class = None  # one range, not a list of pages
    filters = (
        TextFilter("start", "The range's first day (ISO date or date-time).", required=True),
        TextFilter("end", "The range's end (ISO date or date-time).", required=True),
        ChoiceFilter("network", provider_names, "Only this network's channels."),
        ChoiceFilter("status", [key for key, _label in cal.CALENDAR_STATUSES], "Only this status."),
        *(IdFilter(name) for name in _ID_FILTERS),
    )

    def scoped_queryset(self, organization):
        return Post.objects.for_org(organization).none()

    @extend_schema(responses={200: dict})
    def list(self, request, *args, **kwargs):
        q = request.query_params
        ids = {name: self.query.get(name) for name in _ID_FILTERS}
        rng = cal.parse_range(q.get("start"), q.get("end"), _zone(request))
        if rng is None:
            raise ValidationFailed(
                "Give a start and an end of at most 100 days.",
                fields={"start": ["Give an ISO date or date-time."]},
            )
        return Response(
            cal.calendar_payload(
                self.organization,
                membership=self.membership,
                rng=rng,
                filters=cal.CalendarFilters.from_data(q),
                holiday_team_id=ids["holidays"],
                holidays_of_viewer=True,
            )
        )


class PostCalendarViewSet(OrgScopedViewSet):
    """Move a post on the calendar (reschedules a scheduled post, re-plans a draft)."""

    model = Post
    read_capability = Capability.VIEW
    write_capability = Capability.COMPOSE  # the service asks for PUBLISH to reschedule

    def scoped_queryset(self, organization):
        return selectors.visible_posts(self.membership, Post.objects.for_org(organization))

    @extend_schema(request=MoveIn, responses=MovedOut)
    @action(detail=True, methods=["post"])
    def move(self, request, pk=None):
        post = self.get_object()
        payload = MoveIn(data=request.data)
        payload.is_valid(raise_exception=True)
        d = payload.validated_data
        zone = _zone(request)
        at = cal.parse_instant(d["at"], cal.zone_of(zone))
        if at is None:
            raise ValidationFailed(
                "Enter a valid date and time.", fields={"at": ["Enter a valid date and time."]}
            )
        variant = None
        if d.get("variant"):
            variant = selectors.get_variant_for_member(self.membership, d["variant"], post=post)
        post = calendar_services.move_post(
            post, by=self.membership, at=at, timezone_name=zone, variant=variant
        )
        return Response(
            {
                "id": post.pk,
                "status": post.status,
                "scheduled_at": post.scheduled_at,
                "planned_at": post.planned_at,
                "schedule_timezone": post.schedule_timezone,
            }
        )


class CampaignViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, OrgScopedViewSet):
    model = Campaign
    serializer_class = CampaignIO
    write_capability = Capability.PUBLISH

    def scoped_queryset(self, organization):
        return selectors.campaigns_of(organization)

    def _fields(self, data) -> dict:
        d = dict(data)
        team_id = d.pop("team_id", None)
        d["team"] = _team_or_error(self.organization, team_id)
        return d

    @extend_schema(request=CampaignIO, responses={201: CampaignIO})
    def create(self, request):
        payload = CampaignIO(data=request.data)
        payload.is_valid(raise_exception=True)
        campaign = authoring.create_campaign(
            self.organization, by=self.membership, **self._fields(payload.validated_data)
        )
        return Response(CampaignIO(campaign).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=CampaignIO, responses=CampaignIO)
    def partial_update(self, request, pk=None):
        campaign = self.get_object()
        current = CampaignIO(campaign).data
        payload = CampaignIO(data={**current, **request.data})
        payload.is_valid(raise_exception=True)
        fields = self._fields(payload.validated_data)
        campaign = calendar_services.update_campaign(campaign, by=self.membership, **fields)
        return Response(CampaignIO(campaign).data)

    @extend_schema(request=None, responses=CampaignIO)
    @action(detail=True, methods=["post"])
    def archive(self, request, pk=None):
        return Response(
            CampaignIO(
                calendar_services.archive_campaign(self.get_object(), by=self.membership)
            ).data
        )

    @extend_schema(request=None, responses=CampaignIO)
    @action(detail=True, methods=["post"])
    def restore(self, request, pk=None):
        return Response(
            CampaignIO(
                calendar_services.restore_campaign(self.get_object(), by=self.membership)
            ).data
        )


class CalendarNoteViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, OrgScopedViewSet):
    model = CalendarNote
    serializer_class = NoteIO
    write_capability = Capability.COMPOSE

    def scoped_queryset(self, organization):
        return cal.notes_of(organization)

    def _fields(self, data) -> dict:
        d = dict(data)
        d["team"] = _team_or_error(self.organization, d.pop("team_id", None))
        return d

    @extend_schema(request=NoteIO, responses={201: NoteIO})
    def create(self, request):
        payload = NoteIO(data=request.data)
        payload.is_valid(raise_exception=True)
        note = calendar_services.create_note(
            self.organization, by=self.membership, **self._fields(payload.validated_data)
        )
        return Response(NoteIO(note).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=NoteIO, responses=NoteIO)
    def partial_update(self, request, pk=None):
        note = self.get_object()
        payload = NoteIO(data={**NoteIO(note).data, **request.data})
        payload.is_valid(raise_exception=True)
        note = calendar_services.update_note(
            note, by=self.membership, **self._fields(payload.validated_data)
        )
        return Response(NoteIO(note).data)

    def destroy(self, request, pk=None):
        calendar_services.delete_note(self.get_object(), by=self.membership)
        return Response(status=status.HTTP_204_NO_CONTENT)


class CadenceTargetViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, OrgScopedViewSet):
    model = CadenceTarget
    serializer_class = CadenceIO
    write_capability = Capability.PUBLISH

    def scoped_queryset(self, organization):
        from channels_registry.selectors import visible_channels

        return cal.cadence_targets_of(organization).filter(
            channel_id__in=visible_channels(self.membership).order_by().values("pk")
        )

    @extend_schema(request=CadenceIO, responses={201: CadenceIO})
    def create(self, request):
        from channels_registry.selectors import visible_channels

        payload = CadenceIO(data=request.data)
        payload.is_valid(raise_exception=True)
        d = payload.validated_data
        channel = visible_channels(self.membership).filter(pk=d["channel_id"]).first()
        if channel is None:
            raise ValidationFailed(
                "That channel does not exist.", fields={"channel": ["Choose a valid channel."]}
            )
        target = calendar_services.set_cadence_target(
            channel,
            by=self.membership,
            min_per_week=d.get("min_per_week", 0),  # the model's default: no lower bound
            max_per_week=d["max_per_week"],
        )
        return Response(CadenceIO(target).data, status=status.HTTP_201_CREATED)

    def destroy(self, request, pk=None):
        calendar_services.delete_cadence_target(self.get_object(), by=self.membership)
        return Response(status=status.HTTP_204_NO_CONTENT)


class HolidayRegionViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, OrgScopedViewSet):
    """Which countries' public holidays each team (region) sees; ``team`` null is the organization default."""

    model = HolidayRegion
    serializer_class = HolidayRegionIO
    write_capability = Capability.MANAGE_TEAMS

    def scoped_queryset(self, organization):
        return cal.holiday_regions_of(organization)

    @extend_schema(request=HolidayRegionIO, responses={201: HolidayRegionIO, 204: None})
    def create(self, request):
        payload = HolidayRegionIO(data=request.data)
        payload.is_valid(raise_exception=True)
        d = payload.validated_data
        region = calendar_services.set_holiday_countries(
            self.organization,
            by=self.membership,
            team=_team_or_error(self.organization, d.get("team_id")),
            countries=d["countries"],
        )
        if region is None:
            return Response(status=status.HTTP_204_NO_CONTENT)
        return Response(HolidayRegionIO(region).data, status=status.HTTP_201_CREATED)


class CalendarShareLinkViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, OrgScopedViewSet):
    model = CalendarShareLink
    serializer_class = ShareLinkOut
    read_capability = Capability.PUBLISH
    write_capability = Capability.PUBLISH

    def scoped_queryset(self, organization):
        return cal.share_links_of(organization)

    @extend_schema(request=ShareLinkIn, responses={201: ShareLinkCreated})
    def create(self, request):
        from django.urls import reverse

        payload = ShareLinkIn(data=request.data)
        payload.is_valid(raise_exception=True)
        d = payload.validated_data
        link, token = calendar_services.create_share_link(
            self.organization,
            by=self.membership,
            name=d["name"],
            filters=d.get("filters") or {},
            timezone_name=_zone(request),
            expires_in_days=d["expires_in_days"],
        )
        out = ShareLinkOut(link).data
        out.update(
            token=token,
            url=request.build_absolute_uri(
                reverse("calendar_shared", kwargs={"share_token": token})
            ),
            feed_url=request.build_absolute_uri(
                reverse("calendar_shared_feed", kwargs={"share_token": token})
            ),
        )
        return Response(out, status=status.HTTP_201_CREATED)

    @extend_schema(request=None, responses=ShareLinkOut)
    @action(detail=True, methods=["post"])
    def revoke(self, request, pk=None):
        return Response(
            ShareLinkOut(
                calendar_services.revoke_share_link(self.get_object(), by=self.membership)
            ).data
        )
