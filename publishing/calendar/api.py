"""Calendar endpoints under /api/v1/ (the same selectors and services as the pages).

- ``GET /api/v1/calendar/events/?start=…&end=…`` (+ ``team``, ``channel``, ``network``, ``campaign``,
  ``status``, ``author``, ``holidays``): posts, campaign bands, notes, holidays and cadence of one range
  (times without an offset are read and shown in the token owner's zone, else the organization's)
- ``POST /api/v1/posts/{id}/move/`` ``{"at": "2026-12-01T09:00:00+07:00", "variant": 12}``: reschedule /
  re-plan (``at`` without an offset needs ``timezone``, as on ``schedule``)
- ``/api/v1/campaigns/`` list, create, retrieve, update; ``POST …/{id}/archive/``, ``…/{id}/restore/``
- ``/api/v1/calendar-notes/`` list, create, retrieve, update, delete
- ``/api/v1/cadence-targets/`` list, create (sets the channel's target), retrieve, delete
- ``/api/v1/holiday-regions/`` list, create (sets a team's countries; ``team`` null = the default)
- ``/api/v1/calendar-share-links/`` list, create (the token is returned once), ``POST …/{id}/revoke/``
"""

from __future__ import annotations

import zoneinfo
from datetime import datetime

from django.http import Http404
from django.utils import timezone
from drf_spectacular.openapi import AutoSchema
from drf_spectacular.utils import extend_schema, extend_schema_view
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
    InstantField,
    OrgScopedViewSet,
    TextFilter,
    TimeZoneField,
    resolve_instant,
)
from socialops.errors import ValidationFailed
from socialops.sharing.models import ShareLink

from ..models import CadenceTarget, CalendarNote, Campaign, HolidayRegion, Post
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
    """Where to move the post on the calendar."""

    at = InstantField(
        help_text="The new time, ISO 8601. With an offset or Z it is that instant; without one it is "
        "wall-clock time in `timezone`, which is then required."
    )
    timezone = TimeZoneField(
        required=False,
        allow_blank=True,
        help_text="IANA zone. Required when `at` has no offset; otherwise only the zone the post's time is "
        "shown in (default: the post's zone, else its channel's, else yours, else the organization's).",
    )
    variant = IdField(
        required=False,
        allow_null=True,
        help_text="Move only this variant (one channel) of the post; omitted: the whole post.",
    )


class MovedOut(serializers.Serializer):
    """The moved post's new time."""

    id = serializers.IntegerField(help_text="The post's id.")
    status = serializers.ChoiceField(choices=Post.Status.choices, help_text="The post's status.")
    scheduled_at = serializers.DateTimeField(
        allow_null=True, help_text="When the post is scheduled (a scheduled post), else null."
    )
    planned_at = serializers.DateTimeField(
        allow_null=True, help_text="When a draft is planned on the calendar, else null."
    )
    schedule_timezone = serializers.CharField(
        help_text="The IANA zone the time was chosen in (`Asia/Jakarta`)."
    )


class CalendarEventOut(serializers.Serializer):
    """One thing on the calendar: a post (one per channel), a draft planned without a channel, a
    campaign or note band, a public holiday, a suggested time or a week's cadence warning."""

    id = serializers.CharField(help_text="Stable within the range: `v12` (variant), `p3` (plan), …")
    kind = serializers.ChoiceField(
        choices=["post", "campaign", "note", "holiday", "best_time", "cadence"],
        help_text="What the event is; the fields that do not apply to a kind are null.",
    )
    title = serializers.CharField(help_text="The label the calendar shows.")
    start = serializers.DateTimeField(
        help_text="When it starts, with the calendar zone's offset (midnight for all-day events)."
    )
    end = serializers.DateTimeField(
        allow_null=True, help_text="When it ends (exclusive), or null for a point in time."
    )
    all_day = serializers.BooleanField(help_text="True for days rather than a time.")
    editable = serializers.BooleanField(help_text="Whether the token may move it.")
    post = serializers.IntegerField(allow_null=True, help_text="The post's id (kind `post`).")
    variant = serializers.IntegerField(
        allow_null=True, help_text="The variant's id; null for a draft planned without a channel."
    )
    status = serializers.CharField(
        allow_null=True,
        help_text="The post's calendar status (`draft`, `in_review`, `approved`, `scheduled`, "
        "`published`, `failed`).",
    )
    status_label = serializers.CharField(
        allow_null=True, help_text="The status in the token owner's language."
    )
    network = serializers.CharField(allow_null=True, help_text="The channel's network (`x`, …).")
    channel = serializers.IntegerField(allow_null=True, help_text="The channel's id.")
    channel_name = serializers.CharField(
        allow_null=True, help_text="The channel's handle or name (posts), or the cadence's channel."
    )
    campaign = serializers.IntegerField(allow_null=True, help_text="The campaign's id (bands).")
    campaign_name = serializers.CharField(
        allow_null=True, help_text="The post's campaign's name, empty without one."
    )
    color = serializers.CharField(
        allow_null=True, help_text="The campaign's colour, `#rrggbb` (campaign bands)."
    )
    author = serializers.CharField(allow_null=True, help_text="The post author's name.")
    note = serializers.IntegerField(allow_null=True, help_text="The note's id (kind `note`).")
    body = serializers.CharField(allow_null=True, help_text="The note's text.")
    team = serializers.CharField(allow_null=True, help_text="The note's team's name.")
    country = serializers.CharField(
        allow_null=True, help_text="The holiday's country, ISO 3166-1 alpha-2."
    )
    count = serializers.IntegerField(
        allow_null=True, help_text="The number of cadence warnings in that week."
    )


class CalendarHolidayOut(serializers.Serializer):
    """A public holiday of the region's countries."""

    date = serializers.DateField(help_text="The holiday's day.")
    country = serializers.CharField(help_text="ISO 3166-1 alpha-2 country code.")
    name = serializers.CharField(help_text="The holiday's name.")


class CalendarCadenceOut(serializers.Serializer):
    """A week in which a channel posts less or more than its cadence target."""

    channel = serializers.IntegerField(help_text="The channel's id.")
    channel_label = serializers.CharField(help_text="The channel's network and handle.")
    week = serializers.DateField(help_text="The week's first day.")
    count = serializers.IntegerField(help_text="Posts that week.")
    min_per_week = serializers.IntegerField(help_text="The target's lower bound.")
    max_per_week = serializers.IntegerField(help_text="The target's upper bound.")
    kind = serializers.CharField(help_text="`under` or `over` the target.")
    message = serializers.CharField(help_text="The warning, in the token owner's language.")


class CalendarOut(serializers.Serializer):
    """The calendar of one range, its times in ``timezone`` with their offsets."""

    timezone = serializers.CharField(help_text="The IANA zone of every time in this answer.")
    start = serializers.DateTimeField(help_text="The range's start.")
    end = serializers.DateTimeField(help_text="The range's end (exclusive).")
    events = CalendarEventOut(many=True, help_text="The range's events, posts first.")
    holidays = CalendarHolidayOut(many=True, help_text="The public holidays in the range.")
    holiday_countries = serializers.ListField(
        child=serializers.CharField(), help_text="The countries whose holidays are shown."
    )
    best_times = serializers.ListField(
        child=serializers.DateTimeField(), help_text="Suggested times to post in the range."
    )
    best_times_source = serializers.CharField(
        allow_blank=True,
        help_text='Where the suggested times come from: "engagement" (the channel\'s own, from '
        'enough measured posts), "general_pattern" (the network\'s; too little data of its own), '
        '"" (no suggestions).',
    )
    cadence = CalendarCadenceOut(many=True, help_text="The cadence warnings of the range.")


def _at(value: str, zone) -> datetime:
    """A page time (``2026-12-01`` or ``2026-12-01T09:00:00``, local) as an aware datetime."""
    parsed = datetime.fromisoformat(value)
    return parsed.replace(tzinfo=zone) if parsed.tzinfo is None else parsed.astimezone(zone)


def _api_event(event: dict, zone) -> dict:
    """The page's event (FullCalendar's camelCase, local times) as the API's event."""
    extra = event.get("extendedProps", {})
    kind = extra.get("kind", "")
    if "startUtc" in extra:
        start = datetime.fromisoformat(extra["startUtc"]).astimezone(zone)
    else:
        start = _at(event["start"], zone)
    end = _at(event["end"], zone) if event.get("end") else None
    if kind == "best_time":
        end = start + (end - _at(event["start"], zone)) if end else None
    out = dict.fromkeys(CalendarEventOut().fields, None)
    out.update(
        id=event["id"],
        kind=kind,
        title=event.get("title", ""),
        start=start,
        end=end,
        all_day=bool(event.get("allDay")),
        editable=bool(event.get("editable")),
    )
    if kind == "post":
        out.update(
            post=extra["post"],
            variant=extra["variant"],
            status=extra["status"],
            status_label=extra["statusLabel"],
            network=extra["network"] or None,
            channel=extra["channelId"],
            channel_name=extra["channel"] or None,
            campaign_name=extra["campaign"],
            author=extra["author"],
        )
    elif kind == "campaign":
        out.update(campaign=extra["campaign"], color=extra["color"])
    elif kind == "note":
        out.update(note=extra["note"], body=extra["body"], team=extra["team"])
    elif kind == "holiday":
        out.update(country=extra["country"])
    elif kind == "cadence":
        out.update(count=extra["count"])
    return out


def api_calendar(payload: dict, rng) -> dict:
    """The calendar page's JSON as the API's resource: snake_case, ISO 8601 times with offsets."""
    zone = rng.zone
    return {
        "timezone": payload["timezone"],
        "start": rng.start.astimezone(zone),
        "end": rng.end.astimezone(zone),
        "events": [_api_event(e, zone) for e in payload["events"]],
        "holidays": payload["holidays"],
        "holiday_countries": payload["holidayCountries"],
        "best_times": [_at(t, zone) for t in payload["bestTimes"]],
        "best_times_source": payload["bestTimesSource"],
        "cadence": [
            {
                "channel": c["channel"],
                "channel_label": c["channelLabel"],
                "week": c["week"],
                "count": c["count"],
                "min_per_week": c["min"],
                "max_per_week": c["max"],
                "kind": c["kind"],
                "message": c["message"],
            }
            for c in payload["cadence"]
        ],
    }


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
        model = ShareLink
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
_ID_FILTER_HELP = {
    "team": "Only this team's (and its sub-teams') posts, campaigns and notes.",
    "channel": "Only this channel's posts.",
    "campaign": "Only this campaign's posts and band.",
    "author": "Only posts by this member.",
    "holidays": "Show the holidays of this team's region (default: the token owner's team's).",
}


def _requested_zone(query) -> str | None:
    """``?tz=``, checked: an unknown zone is a 400."""
    name = (query.get("tz") or "").strip()
    if not name:
        return None
    try:
        zoneinfo.ZoneInfo(name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        raise ValidationFailed(
            "Unknown time zone.", fields={"tz": ["Give an IANA time zone (Asia/Jakarta)."]}
        ) from None
    return name


class _OneCalendar(AutoSchema):
    """``list`` answers one object (the range's calendar), not a page of objects."""

    def _is_list_view(self, serializer=None) -> bool:
        return False


@extend_schema_view(
    list=extend_schema(
        summary="Read the calendar of a range",
        description="Posts (one event per channel), drafts planned without a channel, campaign and note bands, public holidays, suggested times and cadence warnings between `start` and `end` (at most 100 days). Every time carries the offset of `tz` (default: the token owner's zone, else the organization's).",
    ),
)
@extend_schema(tags=["calendar"])
class CalendarEventsViewSet(OrgScopedViewSet):
    """The calendar of one range: the page's events as the API's own resource (snake_case, times
    with offsets); the page keeps its own JSON (publishing/calendar/views.py)."""

    schema = _OneCalendar()
    model = Post
    read_capability = Capability.VIEW
    pagination_class = None  # one range, not a list of pages
    filters = (
        TextFilter(
            "start",
            "The range's first day or instant, ISO 8601 (`2026-12-01`, `2026-12-01T00:00+07:00`); "
            "without an offset it is read in `tz`.",
            required=True,
        ),
        TextFilter(
            "end",
            "The range's end (exclusive), ISO 8601; at most 100 days after `start`.",
            required=True,
        ),
        TextFilter(
            "tz",
            "The IANA zone to read and answer times in (`Asia/Jakarta`); default: the token "
            "owner's zone, else the organization's.",
        ),
        ChoiceFilter("network", provider_names, "Only this network's posts (`x`, …)."),
        ChoiceFilter(
            "status",
            [key for key, _label in cal.CALENDAR_STATUSES],
            "Only posts with this calendar status.",
        ),
        *(IdFilter(name, _ID_FILTER_HELP[name]) for name in _ID_FILTERS),
    )

    def scoped_queryset(self, organization):
        return Post.objects.for_org(organization).none()

    @extend_schema(responses=CalendarOut, operation_id="calendar_events_list")
    def list(self, request, *args, **kwargs):
        q = request.query_params
        ids = {name: self.query.get(name) for name in _ID_FILTERS}
        zone = _requested_zone(q) or _zone(request)
        rng = cal.parse_range(q.get("start"), q.get("end"), zone)
        if rng is None:
            raise ValidationFailed(
                "Give a start and an end of at most 100 days.",
                fields={"start": ["Give an ISO date or date-time."]},
            )
        payload = cal.calendar_payload(
            self.organization,
            membership=self.membership,
            rng=rng,
            filters=cal.CalendarFilters.from_data(q),
            holiday_team_id=ids["holidays"],
            holidays_of_viewer=True,
        )
        with timezone.override(rng.zone):  # the times are written with the calendar zone's offset
            out = CalendarOut(api_calendar(payload, rng)).data
        return Response(out)


@extend_schema_view(
    move=extend_schema(
        summary="Move a post on the calendar",
        description="Reschedules a scheduled post, or re-plans a draft, to `at` (a whole post, or one `variant`).",
    ),
)
@extend_schema(tags=["calendar"])
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
        at = resolve_instant(d)
        zone = d.get("timezone") or selectors.display_zone(post, self.membership)
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


@extend_schema_view(
    list=extend_schema(summary="List campaigns", description="The organization's campaigns."),
    create=extend_schema(
        summary="Create a campaign",
        description="A named date range with a colour and UTM parameters that posts can belong to.",
    ),
    retrieve=extend_schema(summary="Get a campaign", description="One campaign."),
    partial_update=extend_schema(
        summary="Change a campaign", description="Changes the fields given; the others stay."
    ),
    archive=extend_schema(
        summary="Archive a campaign", description="Marks the campaign archived; its posts keep it."
    ),
    restore=extend_schema(
        summary="Restore a campaign", description="Brings an archived campaign back."
    ),
)
@extend_schema(tags=["campaigns"])
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


@extend_schema_view(
    list=extend_schema(
        summary="List calendar notes",
        description="Notes shown as bands on the calendar, latest first.",
    ),
    create=extend_schema(
        summary="Create a calendar note",
        description="A note over one or more days, for everyone or for one team.",
    ),
    retrieve=extend_schema(summary="Get a calendar note", description="One note."),
    partial_update=extend_schema(
        summary="Change a calendar note", description="Changes the fields given; the others stay."
    ),
    destroy=extend_schema(summary="Delete a calendar note", description="Deletes the note."),
)
@extend_schema(tags=["calendar"])
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


@extend_schema_view(
    list=extend_schema(
        summary="List cadence targets",
        description="How often each channel the token may see should post per week.",
    ),
    create=extend_schema(
        summary="Set a channel's cadence target",
        description="Sets (or replaces) the channel's posts-per-week bounds; the calendar warns about weeks outside them.",
    ),
    retrieve=extend_schema(summary="Get a cadence target", description="One channel's target."),
    destroy=extend_schema(
        summary="Remove a cadence target", description="The channel has no target any more."
    ),
)
@extend_schema(tags=["calendar"])
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


@extend_schema_view(
    list=extend_schema(
        summary="List holiday regions",
        description="Which countries' public holidays each team sees on the calendar (`team` null: the organization's default).",
    ),
    create=extend_schema(
        summary="Set a team's holiday countries",
        description="Sets the countries whose public holidays the team (or, with `team` null, the organization) sees; an empty list removes the setting (answered with 204).",
    ),
    retrieve=extend_schema(summary="Get a holiday region", description="One team's countries."),
)
@extend_schema(tags=["calendar"])
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


@extend_schema_view(
    list=extend_schema(
        summary="List calendar share links",
        description="Read-only links to the calendar for people without an account, newest first.",
    ),
    create=extend_schema(
        summary="Create a calendar share link",
        description="A read-only link (and iCalendar feed) to the calendar with frozen filters. The token is in this answer only.",
    ),
    retrieve=extend_schema(
        summary="Get a calendar share link", description="One link (without its token)."
    ),
    revoke=extend_schema(
        summary="Revoke a calendar share link",
        description="The link and its feed stop working at once.",
    ),
)
@extend_schema(tags=["calendar"])
class CalendarShareLinkViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, OrgScopedViewSet):
    model = ShareLink
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
