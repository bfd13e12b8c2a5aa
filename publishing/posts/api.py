"""Publishing endpoints under /api/v1/: posts (drafts: create, change, delete), their variants, and
``POST /api/v1/posts/bulk/`` (many posts scheduled at once: :mod:`.bulk_schedule`)."""

from __future__ import annotations

from django.db.models import Prefetch
from django.http import Http404
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiExample,
    OpenApiResponse,
    extend_schema,
    extend_schema_view,
)
from rest_framework import mixins, status
from rest_framework.decorators import action
from rest_framework.response import Response

from accounts.capabilities import Capability
from accounts.selectors import get_team
from socialops.api import (
    ChoiceFilter,
    DateTimeFilter,
    IdFilter,
    OrgScopedViewSet,
    since_filter,
)
from socialops.errors import ValidationFailed, flatten_errors

from ..media import selectors as media_selectors
from ..models import Post, PostMedia, PostVariant
from . import bulk_schedule, selectors
from . import services as authoring
from .serializers import (
    BulkEnvelopeIn,
    BulkPostIn,
    BulkScheduleIn,
    PostIn,
    PostOut,
    VariantIn,
    VariantOut,
)


def _channels_or_error(membership, ids):
    ids = list(dict.fromkeys(ids))
    channels = {c.pk: c for c in selectors.composable_channels(membership).filter(pk__in=ids)}
    if len(channels) != len(ids):
        raise ValidationFailed(
            "Some channels were not found.", fields={"channels": ["Choose valid channels."]}
        )
    return [channels[i] for i in ids]


def _campaign_or_error(org, campaign_id):
    if campaign_id is None:
        return None
    try:
        return selectors.get_campaign(org, campaign_id)
    except Http404:
        raise ValidationFailed(
            "That campaign does not exist.", fields={"campaign": ["Choose a valid campaign."]}
        ) from None


def _team_or_error(org, team_id):
    if team_id is None:
        return None
    try:
        return get_team(org, team_id)
    except Http404:
        raise ValidationFailed(
            "That team does not exist.", fields={"team": ["Choose a valid team."]}
        ) from None


def _media_or_error(org, ids):
    assets = media_selectors.assets_by_ids(org, ids)
    if len(assets) != len(set(ids)):
        raise ValidationFailed(
            "Some media were not found.", fields={"media": ["Choose media from the library."]}
        )
    return assets


def _keyed_by_channel(values: dict, name: str = "variant_texts") -> dict[int, str]:
    out = {}
    for key, value in (values or {}).items():
        try:
            out[int(key)] = value
        except (TypeError, ValueError):
            raise ValidationFailed(
                "Variant keys are channel ids.",
                fields={f"{name}.{key}": ["Use channel ids as keys."]},
            ) from None
    return out


def _bulk_posts(items: list[dict]) -> tuple[list[bulk_schedule.BulkPost | None], dict]:
    """Each item read on its own: the posts (None where unreadable) and the unreadable ones' problems."""
    posts: list[bulk_schedule.BulkPost | None] = []
    problems: dict[int, dict[str, list[str]]] = {}
    for index, item in enumerate(items):
        one = BulkPostIn(data=item)
        if not one.is_valid():
            problems[index] = flatten_errors(one.errors)
            posts.append(None)
            continue
        d = one.validated_data
        try:
            variant_texts = _keyed_by_channel(d["variant_texts"])
        except ValidationFailed as exc:
            problems[index] = exc.fields
            posts.append(None)
            continue
        posts.append(
            bulk_schedule.BulkPost(
                channels=d["channels"],
                text=d["text"],
                at=d["at"],
                timezone=d["timezone"],
                link_url=d["link_url"],
                first_comment=d["first_comment"],
                campaign=d["campaign"],
                media=d["media"],
                alt_texts=d["alt_texts"],
                variant_texts=variant_texts,
            )
        )
    return posts, problems


@extend_schema_view(
    list=extend_schema(
        summary="List posts",
        description="The posts the token may see, each with its variants (one per channel) and media. Filter by `status`, `channel`, `campaign` or `author`.",
    ),
    create=extend_schema(
        summary="Create a post",
        description="A draft post for one or more channels: one text, optionally a text of its own per channel (`variant_texts`, keyed by channel id) and media from the library. Publish it with the scheduling endpoints.",
        examples=[
            OpenApiExample(
                "Two channels, one with its own text",
                value={
                    "title": "Rendang week",
                    "text": "Rendang is back on the menu all week 🍛",
                    "channels": [12, 15],
                    "variant_texts": {"15": "Rendang is back! All week at every outlet. #kuliner"},
                    "media": [301],
                    "alt_texts": ["A bowl of beef rendang on a banana leaf"],
                    "campaign": 4,
                },
                request_only=True,
            )
        ],
    ),
    retrieve=extend_schema(
        summary="Get a post", description="One post with its variants and media."
    ),
    partial_update=extend_schema(
        summary="Change a post",
        description="Changes the fields given; the others stay. Giving `channels` adds and removes variants; giving `media` replaces the post's media (and their alt texts).",
    ),
    destroy=extend_schema(
        summary="Delete a post",
        description="Deletes a draft, or a cancelled or failed post that never went out.",
    ),
)
@extend_schema(tags=["posts"])
class PostViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, OrgScopedViewSet):
    """Posts of the organization with their variants, newest first."""

    model = Post
    serializer_class = PostOut
    read_capability = Capability.VIEW
    write_capability = Capability.COMPOSE
    action_capabilities = {"bulk": Capability.PUBLISH}
    filters = (
        ChoiceFilter("status", Post.Status, "Only posts in this status."),
        IdFilter("channel", "Only posts with a variant for this channel."),
        IdFilter("campaign", "Only posts of this campaign."),
        IdFilter("author", "Only posts written by this user."),
        since_filter("created_since", "created_at", "created"),
        since_filter("updated_since", "updated_at", "changed (content, schedule or status)"),
        DateTimeFilter(
            "scheduled_from",
            "Only posts scheduled at or after this instant.",
            lookup="scheduled_at__gte",
        ),
        DateTimeFilter(
            "scheduled_to", "Only posts scheduled before this instant.", lookup="scheduled_at__lt"
        ),
    )

    def scoped_queryset(self, organization):
        q = self.query
        filters = selectors.PostFilters(
            status=q.get("status", ""),
            channel_id=q.get("channel"),
            campaign_id=q.get("campaign"),
            author_id=q.get("author"),
        )
        media = PostMedia.objects.for_org(organization).order_by("position", "pk")
        return selectors.posts_of(
            organization, filters, membership=self.membership
        ).prefetch_related(Prefetch("media_items", queryset=media))

    def _fresh(self, post):
        return self.get_queryset().get(pk=post.pk)

    @extend_schema(request=PostIn, responses={201: PostOut})
    def create(self, request):
        payload = PostIn(data=request.data)
        payload.is_valid(raise_exception=True)
        d = payload.validated_data
        org, by = self.organization, self.membership
        if not d.get("channels"):
            raise ValidationFailed(
                "Pick at least one channel.", fields={"channels": ["This field is required."]}
            )
        post = authoring.create_post(
            org,
            by=by,
            text=d.get("text", ""),
            channels=_channels_or_error(by, d["channels"]),
            link_url=d.get("link_url", ""),
            first_comment=d.get("first_comment", ""),
            campaign=_campaign_or_error(org, d.get("campaign")),
            team=_team_or_error(org, d.get("team")),
            title=d.get("title", ""),
            media=_media_or_error(org, d.get("media") or []),
            alt_texts=d.get("alt_texts") or [],
            variant_texts=_keyed_by_channel(d.get("variant_texts")),
            variant_formats=_keyed_by_channel(d.get("variant_formats"), "variant_formats"),
        )
        return Response(PostOut(self._fresh(post)).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        summary="Create and schedule many posts at once (all or nothing)",
        description=(
            "The CSV import's rules, as JSON: every post is checked first (channels, time, link, "
            "campaign, media, per-channel texts, each network's rules), then all are created and "
            "scheduled in one transaction through the same services as one post (permissions, "
            "approval gates, freezes). Any problem: a 400 naming each one as `posts.<i>.<field>` "
            f"and nothing is created. At most {bulk_schedule.API_MAX_POSTS} posts (split larger batches; the CSV import takes {bulk_schedule.MAX_POSTS}). Honours Idempotency-Key."
        ),
        request=BulkScheduleIn,
        responses={
            201: PostOut(many=True),
            400: OpenApiResponse(
                response=OpenApiTypes.OBJECT,
                description="Nothing was created: each problem is named `posts.<i>.<field>` "
                "(`<i>` counts from 0), or the request itself is not valid.",
            ),
        },
        examples=[
            OpenApiExample(
                "Two posts, one at an instant with its offset",
                value={
                    "posts": [
                        {
                            "channels": [12, 15],
                            "text": "Rendang is back on the menu all week 🍛",
                            "at": "2026-12-01T09:00:00+07:00",
                            "variant_texts": {"15": "Rendang is back! All week. #kuliner"},
                            "media": [301],
                            "alt_texts": ["A bowl of beef rendang on a banana leaf"],
                            "campaign": 4,
                        },
                        {
                            "channels": [12],
                            "text": "Weekend brunch from 8 to 11",
                            "at": "2026-12-05T08:00",
                            "timezone": "Asia/Jakarta",
                            "link_url": "https://example.com/brunch",
                        },
                    ]
                },
                request_only=True,
            ),
            OpenApiExample(
                "Problems, each named by post and field (nothing was created)",
                value={
                    "error": {
                        "code": "validation_error",
                        "message": "Nothing was scheduled: 2 posts have problems.",
                        "fields": {
                            "posts.0.at": ["2020-01-01T09:00:00Z is in the past."],
                            "posts.1.timezone": [
                                "timezone “Mars/Olympus” is not a time zone (e.g. Asia/Jakarta)."
                            ],
                            "posts.1.variant_texts.99": [
                                "Channel 99 is not one of this post's channels."
                            ],
                        },
                        "request_id": "5f0c2a7e9b1d4c3a8e6f7a2b1c0d9e8f",
                    }
                },
                response_only=True,
                status_codes=["400"],
            ),
        ],
    )
    @action(detail=False, methods=["post"], pagination_class=None)
    def bulk(self, request):
        envelope = BulkEnvelopeIn(data=request.data)
        envelope.is_valid(raise_exception=True)
        posts, unreadable = _bulk_posts(envelope.validated_data["posts"])
        created = bulk_schedule.schedule_posts(
            self.organization, by=self.membership, posts=posts, unreadable=unreadable
        )
        by_id = {p.pk: p for p in self.get_queryset().filter(pk__in=[p.pk for p in created])}
        return Response(
            PostOut([by_id[p.pk] for p in created], many=True).data,
            status=status.HTTP_201_CREATED,
        )

    @extend_schema(request=PostIn, responses=PostOut)
    def partial_update(self, request, pk=None):
        post = self.get_object()
        payload = PostIn(data=request.data, partial=True)
        payload.is_valid(raise_exception=True)
        d = payload.validated_data
        org, by = self.organization, self.membership
        fields = {k: d[k] for k in ("title", "text", "link_url", "first_comment") if k in d}
        if "campaign" in d:
            fields["campaign"] = _campaign_or_error(org, d["campaign"])
        if "team" in d:
            fields["team"] = _team_or_error(org, d["team"])
        if "channels" in d:
            fields["channels"] = _channels_or_error(by, d["channels"])
        if "media" in d:
            fields["media"] = _media_or_error(org, d["media"])
            fields["alt_texts"] = d.get("alt_texts") or []
        if "variant_texts" in d:
            fields["variant_texts"] = _keyed_by_channel(d["variant_texts"])
        if "variant_formats" in d:
            fields["variant_formats"] = _keyed_by_channel(d["variant_formats"], "variant_formats")
        post = authoring.update_post(post, by=by, expected_version=d.get("version"), **fields)
        return Response(PostOut(self._fresh(post)).data)

    def destroy(self, request, pk=None):
        authoring.delete_post(self.get_object(), by=self.membership)
        return Response(status=status.HTTP_204_NO_CONTENT)


@extend_schema_view(
    list=extend_schema(
        summary="List variants",
        description="The variants (one post on one channel) the token may see. `post` narrows to one post.",
    ),
    retrieve=extend_schema(
        summary="Get a variant", description="One variant with its publishing state."
    ),
    partial_update=extend_schema(
        summary="Change a variant",
        description="Gives the variant a text of its own (`text`), follows the post's text again (`reset_text`), or changes its format.",
    ),
)
@extend_schema(tags=["variants"])
class VariantViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, OrgScopedViewSet):
    """One post's variant per channel: read it, give it its own text (or reset it), change its format."""

    model = PostVariant
    serializer_class = VariantOut
    read_capability = Capability.VIEW
    write_capability = Capability.COMPOSE
    lock_first = ("post",)  # edit_variant locks the post, then writes the variant
    filters = (
        IdFilter("post", "Only this post's variants.", lookup="post_id"),
        IdFilter("channel", "Only variants for this channel.", lookup="channel_id"),
        ChoiceFilter(
            "status", PostVariant.Status, "Only variants in this status.", lookup="status"
        ),
        since_filter("created_since", "created_at", "created"),
        since_filter("updated_since", "updated_at", "changed (text, format or publishing state)"),
        DateTimeFilter(
            "due_from", "Only variants due at or after this instant.", lookup="due_at__gte"
        ),
        DateTimeFilter("due_to", "Only variants due before this instant.", lookup="due_at__lt"),
    )

    def scoped_queryset(self, organization):
        return selectors.visible_variants(
            self.membership,
            PostVariant.objects.for_org(organization).select_related("channel", "post"),
        )

    @extend_schema(request=VariantIn, responses=VariantOut)
    def partial_update(self, request, pk=None):
        variant = self.get_object()
        payload = VariantIn(data=request.data)
        payload.is_valid(raise_exception=True)
        d = payload.validated_data
        variant = authoring.edit_variant(
            variant,
            by=self.membership,
            text=d.get("text"),
            reset_text=bool(d.get("reset_text")),
            format=d.get("format"),
            expected_version=d.get("content_version"),
        )
        return Response(VariantOut(self.get_queryset().get(pk=variant.pk)).data)
