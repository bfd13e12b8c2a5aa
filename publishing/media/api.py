"""Media endpoints under /api/v1/media/: list, upload (multipart) or add by URL (JSON), retrieve with renditions,
patch alt text / focal point, delete. The same services as the pages; files are never public:
``file_url`` / rendition ``url`` point at the organization-scoped page views (a signed-in member)
and the scheduler hands networks signed, expiring links of its own."""

from __future__ import annotations

from django.urls import reverse
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import mixins, serializers, status
from rest_framework.parsers import MultiPartParser
from rest_framework.response import Response

from accounts.capabilities import Capability
from socialops.api import (
    ChoiceFilter,
    InputSerializer,
    ObjectJSONParser,
    OrgScopedViewSet,
    TextFilter,
)

from ..models import MediaAsset, MediaRendition
from . import selectors, services
from .services import ALT_TEXT_MAX


def _org_slug(serializer, obj) -> str:
    view = serializer.context.get("view")
    return view.organization.slug if view is not None else obj.organization.slug


class MediaRenditionOut(serializers.ModelSerializer):
    url = serializers.SerializerMethodField()

    class Meta:
        model = MediaRendition
        fields = [
            "preset",
            "width",
            "height",
            "size_bytes",
            "focal_x",
            "focal_y",
            "url",
            "created_at",
        ]

    def get_url(self, obj) -> str:
        return reverse(
            "media_rendition",
            kwargs={
                "org_slug": _org_slug(self, obj),
                "asset_id": obj.asset_id,
                "preset": obj.preset,
            },
        )


class MediaAssetOut(serializers.ModelSerializer):
    renditions = MediaRenditionOut(many=True, read_only=True)
    file_url = serializers.SerializerMethodField()

    class Meta:
        model = MediaAsset
        fields = [
            "id",
            "kind",
            "original_name",
            "mime_type",
            "size_bytes",
            "width",
            "height",
            "duration_seconds",
            "sha256",
            "focal_x",
            "focal_y",
            "alt_text",
            "file_url",
            "renditions",
            "created_at",
        ]

    def get_file_url(self, obj) -> str:
        return reverse(
            "media_original", kwargs={"org_slug": _org_slug(self, obj), "asset_id": obj.pk}
        )


class MediaUploadIn(InputSerializer):
    file = serializers.FileField(allow_empty_file=True)
    alt_text = serializers.CharField(
        max_length=ALT_TEXT_MAX, required=False, allow_blank=True, default=""
    )


class MediaUrlIn(InputSerializer):
    url = serializers.URLField(
        max_length=2000,
        help_text="An http(s) URL of an image or video on the internet; fetched once, checked like an upload.",
    )
    alt_text = serializers.CharField(
        max_length=ALT_TEXT_MAX, required=False, allow_blank=True, default=""
    )


class MediaPatchIn(InputSerializer):
    alt_text = serializers.CharField(max_length=ALT_TEXT_MAX, required=False, allow_blank=True)
    focal_x = serializers.FloatField(required=False, min_value=0, max_value=1)
    focal_y = serializers.FloatField(required=False, min_value=0, max_value=1)

    def validate(self, attrs):
        if ("focal_x" in attrs) != ("focal_y" in attrs):
            raise serializers.ValidationError(
                {"focal_x": [_("Give focal_x and focal_y together.")]}
            )
        return attrs


@extend_schema_view(
    list=extend_schema(
        summary="List media",
        description="The organization's media library. `kind` (`image`, `video`) and `q` (the file name) filter it.",
    ),
    create=extend_schema(
        summary="Upload media",
        description="Uploads one image or video (multipart/form-data, field `file`); it is checked (type, size, dimensions) and its renditions are made in the background.",
    ),
    retrieve=extend_schema(
        summary="Get a media asset", description="One asset with its renditions."
    ),
    partial_update=extend_schema(
        summary="Change a media asset", description="Changes its alt text or focal point."
    ),
    destroy=extend_schema(
        summary="Delete a media asset",
        description="Deletes the asset and its renditions; refused (409) while a post in review, approved, scheduled, publishing or failed uses it. Drafts, cancelled and published posts lose the attachment.",
    ),
)
@extend_schema(tags=["media"])
class MediaAssetViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, OrgScopedViewSet):
    """The organization's media library. ``?kind=image|video`` and ``?q=`` filter the list."""

    model = MediaAsset
    serializer_class = MediaAssetOut
    write_capability = Capability.COMPOSE
    parser_classes = [MultiPartParser, ObjectJSONParser]

    def initialize_request(self, request, *args, **kwargs):
        request = super().initialize_request(request, *args, **kwargs)
        if self.action != "create":
            request.parsers = [
                ObjectJSONParser()
            ]  # an upload is multipart; a change is JSON, like every endpoint
        return request

    filters = (
        ChoiceFilter("kind", MediaAsset.Kind, "Only images or only videos."),
        TextFilter("q", "Words in the file's name or alt text."),
    )

    def scoped_queryset(self, organization):
        params = self.query
        return selectors.assets_of(
            organization, kind=params.get("kind", ""), search=params.get("q", "").strip()
        )

    @extend_schema(
        description=(
            "Add a file to the library: either upload it (multipart, field `file`) or give its URL "
            '(JSON `{"url": ..., "alt_text": ...}`): the server fetches it through its egress '
            "guard (public addresses only, each redirect checked again, at most 3; the upload's size "
            "cap; a time-out) and checks it exactly like an upload. The same bytes already in the "
            "library answer 200 with that asset. Refusals: `unsupported_media`, `media_too_large`, "
            "`destination_not_allowed`, `fetch_timeout`, `remote_error`, `fetch_failed`."
        ),
        request={"multipart/form-data": MediaUploadIn, "application/json": MediaUrlIn},
        responses={201: MediaAssetOut, 200: MediaAssetOut},
    )
    def create(self, request):
        if (request.content_type or "").startswith("application/json"):
            payload = MediaUrlIn(data=request.data)
            payload.is_valid(raise_exception=True)
            result = services.upload_media_from_url(
                self.organization,
                by=self.membership,
                url=payload.validated_data["url"],
                alt_text=payload.validated_data["alt_text"],
            )
        else:
            payload = MediaUploadIn(data=request.data)
            payload.is_valid(raise_exception=True)
            result = services.upload_media(
                self.organization,
                by=self.membership,
                file=payload.validated_data["file"],
                alt_text=payload.validated_data["alt_text"],
            )
        asset = self.scoped_queryset(self.organization).get(pk=result.asset.pk)
        return Response(
            self.get_serializer(asset).data,
            status=status.HTTP_201_CREATED if result.created else status.HTTP_200_OK,
        )

    @extend_schema(request={"application/json": MediaPatchIn}, responses=MediaAssetOut)
    def partial_update(self, request, pk=None):
        asset = self.get_object()
        payload = MediaPatchIn(data=request.data)
        payload.is_valid(raise_exception=True)
        d = payload.validated_data
        focal = (d["focal_x"], d["focal_y"]) if "focal_x" in d else None
        services.edit_media(asset, by=self.membership, alt_text=d.get("alt_text"), focal=focal)
        return Response(
            self.get_serializer(self.scoped_queryset(self.organization).get(pk=asset.pk)).data
        )

    def destroy(self, request, pk=None):
        services.delete_media(self.get_object(), by=self.membership)
        return Response(status=status.HTTP_204_NO_CONTENT)
