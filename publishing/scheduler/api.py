"""Scheduling endpoints under /api/v1/ (the posts and variants viewsets themselves live in ``api.py``).

- ``POST /api/v1/posts/{id}/schedule/``     ``{"at": "2026-12-01T09:00:00+07:00"}``
  (``at`` with an offset or ``Z`` is that instant, ``timezone`` then only the zone it is shown in;
  without an offset it is wall-clock time in ``timezone``, and without either a 400)
- ``POST /api/v1/posts/{id}/publish-now/``
- ``POST /api/v1/posts/{id}/cancel/``
- ``POST /api/v1/posts/{id}/unschedule/``  (back to draft)
- ``POST /api/v1/variants/{id}/retry/``     (that channel only)
- ``GET/POST /api/v1/publishing-freezes/``, ``GET /api/v1/publishing-freezes/{id}/``,
  ``POST /api/v1/publishing-freezes/{id}/lift/``
"""

from __future__ import annotations

import zoneinfo

from django.http import Http404
from drf_spectacular.utils import (
    OpenApiExample,
    extend_schema,
    extend_schema_field,
    extend_schema_view,
)
from rest_framework import mixins, serializers, status
from rest_framework.decorators import action
from rest_framework.response import Response

from accounts.capabilities import Capability
from accounts.selectors import get_team
from channels_registry.selectors import visible_channels
from socialops.api import (
    BoolFilter,
    IdField,
    InputSerializer,
    InstantField,
    OrgScopedViewSet,
    TimeZoneField,
    resolve_instant,
)
from socialops.errors import ValidationFailed

from ..models import Post, PostVariant, PublishingFreeze
from ..posts.selectors import display_zone
from ..posts.serializers import live_url
from . import services as scheduling

# --- Shapes (no logic) ---------------------------------------------------------------------------


class ScheduleIn(InputSerializer):
    """When to publish the post."""

    at = InstantField(
        help_text="When to publish, ISO 8601. With an offset or Z (2026-12-01T09:00:00+07:00) it is that "
        "instant; without one (2026-12-01T09:00) it is wall-clock time in `timezone`, which is then required."
    )
    timezone = TimeZoneField(
        required=False,
        allow_blank=True,
        help_text="IANA zone (Asia/Jakarta). Required when `at` has no offset; otherwise only the zone the "
        "post's time is shown in (default: the post's zone, else its channel's, else yours, else the "
        "organization's).",
    )


class ScheduledVariantOut(serializers.ModelSerializer):
    network = serializers.CharField(source="channel.provider", read_only=True)
    external_url = serializers.SerializerMethodField(
        help_text="Where the published post can be seen (empty until it is published)."
    )

    class Meta:
        model = PostVariant
        fields = [
            "id",
            "channel",
            "network",
            "status",
            "due_at",
            "published_at",
            "external_url",
            "failure_reason",
            "attempts_count",
            "is_late",
        ]

    def get_external_url(self, obj) -> str:
        return live_url(self, obj)


class ScheduledPostOut(serializers.ModelSerializer):
    variants = ScheduledVariantOut(many=True, read_only=True)
    scheduled_local = serializers.SerializerMethodField()

    class Meta:
        model = Post
        fields = [
            "id",
            "status",
            "version",
            "scheduled_at",
            "schedule_timezone",
            "scheduled_local",
            "variants",
        ]

    @extend_schema_field(serializers.DateTimeField(allow_null=True))
    def get_scheduled_local(self, obj) -> str | None:
        if obj.scheduled_at is None or not obj.schedule_timezone:
            return None
        try:
            return obj.scheduled_at.astimezone(zoneinfo.ZoneInfo(obj.schedule_timezone)).isoformat()
        except (zoneinfo.ZoneInfoNotFoundError, ValueError):
            return None


class FreezeIn(InputSerializer):
    scope = serializers.ChoiceField(choices=PublishingFreeze.Scope.choices)
    team = IdField(required=False, allow_null=True)
    channel = IdField(required=False, allow_null=True)
    reason = serializers.CharField(max_length=300)
    on_lift = serializers.ChoiceField(
        choices=PublishingFreeze.OnLift.choices, default=PublishingFreeze.OnLift.PUBLISH
    )


class FreezeOut(serializers.ModelSerializer):
    created_by = serializers.EmailField(
        source="created_by.email", read_only=True, default=None, allow_null=True
    )
    lifted_by = serializers.EmailField(
        source="lifted_by.email", read_only=True, default=None, allow_null=True
    )

    class Meta:
        model = PublishingFreeze
        fields = [
            "id",
            "scope",
            "team",
            "channel",
            "reason",
            "on_lift",
            "created_by",
            "created_at",
            "lifted_at",
            "lifted_by",
        ]


# --- Views --------------------------------------------------------------------------------------


def _post_out(post: Post, membership) -> dict:
    """The post with the variants ``membership`` may see (a restricted channel stays hidden)."""
    from django.db.models import Prefetch

    from ..posts.selectors import visible_variants

    variants = visible_variants(
        membership,
        PostVariant.objects.for_org(post.organization_id).select_related("channel").order_by("pk"),
    )
    post = (
        Post.objects.for_org(post.organization_id)
        .prefetch_related(Prefetch("variants", queryset=variants))
        .get(pk=post.pk)
    )
    return ScheduledPostOut(post).data


@extend_schema_view(
    schedule=extend_schema(
        summary="Schedule a post",
        description="Schedules every variant of the post for `at`. An `at` with an offset (or `Z`) is that instant; without one it is wall-clock time in `timezone`. The post must be ready (approved, if its workflow asks for it).",
        examples=[
            OpenApiExample(
                "An instant with its offset",
                value={"at": "2026-12-01T09:00:00+07:00", "timezone": "Asia/Jakarta"},
                request_only=True,
            ),
            OpenApiExample(
                "Wall-clock time in a zone",
                value={"at": "2026-12-01T09:00", "timezone": "Asia/Jakarta"},
                request_only=True,
            ),
        ],
    ),
    publish_now=extend_schema(
        summary="Publish a post now",
        description="Makes every variant of the post due now: it is published in the background within moments.",
    ),
    cancel=extend_schema(
        summary="Cancel a scheduled post",
        description="Nothing more of the post goes out; variants already published stay published.",
    ),
    unschedule=extend_schema(
        summary="Unschedule a post",
        description="Back to draft: the schedule is dropped, the content kept.",
    ),
)
@extend_schema(tags=["scheduling"])
class PostSchedulingViewSet(OrgScopedViewSet):
    """Schedule, publish now, cancel and unschedule one post (each is one service call)."""

    model = Post
    serializer_class = ScheduledPostOut
    read_capability = Capability.VIEW
    write_capability = Capability.PUBLISH

    def scoped_queryset(self, organization):
        from ..posts.selectors import visible_posts

        return visible_posts(self.membership, Post.objects.for_org(organization))

    @extend_schema(request=ScheduleIn, responses=ScheduledPostOut)
    @action(detail=True, methods=["post"])
    def schedule(self, request, pk=None):
        post = self.get_object()
        payload = ScheduleIn(data=request.data)
        payload.is_valid(raise_exception=True)
        d = payload.validated_data
        at = resolve_instant(d)
        zone = d.get("timezone") or display_zone(post, self.membership)
        post = scheduling.schedule_post(post, by=self.membership, at=at, timezone_name=zone)
        return Response(_post_out(post, self.membership))

    @extend_schema(request=None, responses=ScheduledPostOut)
    @action(detail=True, methods=["post"], url_path="publish-now", url_name="publish-now")
    def publish_now(self, request, pk=None):
        return Response(
            _post_out(
                scheduling.publish_now(self.get_object(), by=self.membership), self.membership
            )
        )

    @extend_schema(request=None, responses=ScheduledPostOut)
    @action(detail=True, methods=["post"])
    def cancel(self, request, pk=None):
        return Response(
            _post_out(
                scheduling.cancel_post(self.get_object(), by=self.membership), self.membership
            )
        )

    @extend_schema(request=None, responses=ScheduledPostOut)
    @action(detail=True, methods=["post"])
    def unschedule(self, request, pk=None):
        return Response(
            _post_out(
                scheduling.unschedule_post(self.get_object(), by=self.membership), self.membership
            )
        )


@extend_schema_view(
    retry=extend_schema(
        summary="Retry a failed variant",
        description="Publishes one failed variant (that channel only) again.",
    ),
)
@extend_schema(tags=["scheduling"])
class VariantSchedulingViewSet(OrgScopedViewSet):
    """Retry one failed channel of a post."""

    model = PostVariant
    serializer_class = ScheduledVariantOut
    write_capability = Capability.PUBLISH
    lock_first = ("post",)  # the scheduler locks the post before its variants

    def scoped_queryset(self, organization):
        visible = visible_channels(self.membership).values("pk")
        return (
            PostVariant.objects.for_org(organization)
            .select_related("channel", "post")
            .filter(channel_id__in=visible)
        )

    @extend_schema(request=None, responses=ScheduledVariantOut)
    @action(detail=True, methods=["post"])
    def retry(self, request, pk=None):
        variant = scheduling.retry_variant(self.get_object(), by=self.membership)
        return Response(ScheduledVariantOut(variant).data)


@extend_schema_view(
    list=extend_schema(
        summary="List publishing freezes",
        description="Freezes of the organization, a team subtree or one channel that hold back publishing. `active=true` lists only those not lifted.",
    ),
    create=extend_schema(
        summary="Freeze publishing",
        description="Holds back publishing for the organization, a team (and its sub-teams) or one channel until lifted; `on_lift` says whether held posts are then published, published marked late, or cancelled.",
    ),
    retrieve=extend_schema(summary="Get a publishing freeze", description="One freeze."),
    lift=extend_schema(
        summary="Lift a publishing freeze",
        description="Ends the freeze; held posts are published or cancelled, as its `on_lift` says.",
    ),
)
@extend_schema(tags=["scheduling"])
class PublishingFreezeViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, OrgScopedViewSet):
    """Publishing freezes (organization, team subtree or one channel). ``?active=1`` lists unlifted ones.

    A freeze of a channel the member may not see (a restricted one without a grant) does not exist for them."""

    model = PublishingFreeze
    serializer_class = FreezeOut
    read_capability = Capability.VIEW
    write_capability = (
        Capability.PUBLISH
    )  # the service asks for governance (or the channel's admin)

    filters = (
        BoolFilter(
            "active",
            "true: only freezes not lifted yet (false: all).",
            apply=lambda qs, active: qs.filter(lifted_at__isnull=True) if active else qs,
        ),
    )

    def scoped_queryset(self, organization):
        from ..posts.selectors import visible_freezes

        # A freeze of a restricted channel is a 404 to whoever may not see the channel (list, detail, lift).
        return visible_freezes(
            self.membership,
            PublishingFreeze.objects.for_org(organization).select_related(
                "created_by", "lifted_by"
            ),
        )

    @extend_schema(request=FreezeIn, responses={201: FreezeOut})
    def create(self, request):
        payload = FreezeIn(data=request.data)
        payload.is_valid(raise_exception=True)
        d = payload.validated_data
        org, by = self.organization, self.membership
        team = channel = None
        if d.get("team") is not None:
            try:
                team = get_team(org, d["team"])
            except Http404:
                raise ValidationFailed(
                    "That team does not exist.", fields={"team": ["Choose a valid team."]}
                ) from None
        if d.get("channel") is not None:
            channel = visible_channels(by).filter(pk=d["channel"]).first()
            if channel is None:
                raise ValidationFailed(
                    "That channel does not exist.", fields={"channel": ["Choose a valid channel."]}
                )
        freeze = scheduling.create_freeze(
            org,
            by=by,
            scope=d["scope"],
            team=team,
            channel=channel,
            reason=d["reason"],
            on_lift=d["on_lift"],
        )
        return Response(FreezeOut(freeze).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=None, responses=FreezeOut)
    @action(detail=True, methods=["post"])
    def lift(self, request, pk=None):
        return Response(
            FreezeOut(scheduling.lift_freeze(self.get_object(), by=self.membership)).data
        )
