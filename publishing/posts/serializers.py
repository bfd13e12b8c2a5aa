"""Input and output shapes of the publishing API (posts and variants). No logic here."""

from __future__ import annotations

from rest_framework import serializers

from channels_registry.selectors import live_post_url
from socialops.api import DateTimeText, IdField, InputSerializer

from ..models import Post, PostMedia, PostVariant
from .bulk_schedule import API_MAX_POSTS


def live_url(serializer: serializers.Serializer, variant: PostVariant) -> str:
    """The variant's link to its published post as it works today (a sandbox post: its page on today's
    SITE_URL); the organization's slug comes from the view when there is one (no query per variant)."""
    organization = getattr(serializer.context.get("view"), "organization", None)
    return live_post_url(
        variant.channel,
        variant.external_id,
        variant.external_url,
        org_slug=organization.slug if organization is not None else "",
    )


class VariantOut(serializers.ModelSerializer):
    network = serializers.CharField(source="channel.provider", read_only=True)
    effective_text = serializers.SerializerMethodField()
    external_url = serializers.SerializerMethodField(
        help_text="Where the published post can be seen (empty until it is published)."
    )

    class Meta:
        model = PostVariant
        fields = [
            "id",
            "post",
            "channel",
            "network",
            "text",
            "text_overridden",
            "effective_text",
            "first_comment",
            "format",
            "status",
            "due_at",
            "content_version",
            "external_id",
            "external_url",
            "published_at",
            "failure_reason",
            "attempts_count",
            "is_late",
            "created_at",
            "updated_at",
        ]

    def get_effective_text(self, obj) -> str:
        return obj.effective_text()

    def get_external_url(self, obj) -> str:
        return live_url(self, obj)


class PostMediaOut(serializers.ModelSerializer):
    class Meta:
        model = PostMedia
        fields = ["asset", "position", "alt_text"]


class PostOut(serializers.ModelSerializer):
    variants = VariantOut(many=True, read_only=True)
    media = PostMediaOut(source="media_items", many=True, read_only=True)
    author = serializers.EmailField(source="author.email", read_only=True, default=None)

    class Meta:
        model = Post
        fields = [
            "id",
            "title",
            "text",
            "link_url",
            "first_comment",
            "campaign",
            "team",
            "parent",
            "author",
            "status",
            "version",
            "scheduled_at",
            "schedule_timezone",
            "tags",
            "variants",
            "media",
            "created_at",
            "updated_at",
        ]


class PostIn(InputSerializer):
    title = serializers.CharField(max_length=200, required=False, allow_blank=True)
    text = serializers.CharField(required=False, allow_blank=True, max_length=70000)
    channels = serializers.ListField(child=IdField(), required=False, allow_empty=False)
    link_url = serializers.URLField(max_length=2000, required=False, allow_blank=True)
    first_comment = serializers.CharField(required=False, allow_blank=True, max_length=10000)
    campaign = IdField(required=False, allow_null=True)
    team = IdField(required=False, allow_null=True)
    media = serializers.ListField(child=IdField(), required=False)
    alt_texts = serializers.ListField(
        child=serializers.CharField(max_length=1000, allow_blank=True), required=False
    )
    #: channel id (as a string key) → own text for that channel's variant
    variant_texts = serializers.DictField(
        child=serializers.CharField(allow_blank=True), required=False
    )
    variant_formats = serializers.DictField(
        child=serializers.ChoiceField(choices=PostVariant.Format.choices), required=False
    )
    version = serializers.IntegerField(
        required=False,
        min_value=1,
        max_value=2**31 - 1,
        help_text="On a change (PATCH): the post's version you last read. If the post has changed since, "
        "nothing is written and the answer is a 409 `stale_version` naming the current version. "
        "Ignored on create.",
    )


class VariantIn(InputSerializer):
    text = serializers.CharField(required=False, allow_blank=True, max_length=70000)
    #: true: follow the post's text again (``text`` is ignored)
    reset_text = serializers.BooleanField(required=False, default=False)
    format = serializers.ChoiceField(choices=PostVariant.Format.choices, required=False)
    content_version = serializers.IntegerField(
        required=False,
        min_value=1,
        max_value=2**31 - 1,
        help_text="The variant's `content_version` you last read (its post's version). If the post has "
        "changed since, nothing is written and the answer is a 409 `stale_version` naming the current one.",
    )


class BulkPostIn(InputSerializer):
    """One post of a bulk schedule: checked by the same rules as a row of the CSV import."""

    channels = serializers.ListField(
        child=IdField(), allow_empty=False, help_text="Ids of the channels the post goes to."
    )
    text = serializers.CharField(required=False, allow_blank=True, max_length=70000, default="")
    at = DateTimeText(
        help_text="ISO 8601, best with an offset (`2026-03-01T09:00:00+07:00`); without one it is "
        "wall-clock time in `timezone` (or the first channel's zone).",
    )
    timezone = serializers.CharField(
        max_length=64,
        required=False,
        allow_blank=True,
        default="",
        help_text="IANA zone the time is meant in (`Asia/Jakarta`); defaults to the first channel's.",
    )
    link_url = serializers.CharField(max_length=2000, required=False, allow_blank=True, default="")
    first_comment = serializers.CharField(
        required=False, allow_blank=True, max_length=10000, default=""
    )
    campaign = IdField(required=False, allow_null=True, default=None)
    media = serializers.ListField(child=IdField(), required=False, default=list)
    alt_texts = serializers.ListField(
        child=serializers.CharField(max_length=1000, allow_blank=True),
        required=False,
        default=list,
    )
    #: channel id (as a string key) → own text for that channel's variant
    variant_texts = serializers.DictField(
        child=serializers.CharField(allow_blank=True), required=False, default=dict
    )


class BulkEnvelopeIn(InputSerializer):
    """What the view reads first: a list of objects, each then read by :class:`BulkPostIn` on its own
    (so every post's problems are named in one answer); :class:`BulkScheduleIn` documents the whole."""

    posts = serializers.ListField(
        child=serializers.JSONField(), allow_empty=False, max_length=API_MAX_POSTS
    )


class BulkScheduleIn(InputSerializer):
    posts = serializers.ListField(
        child=BulkPostIn(),
        allow_empty=False,
        max_length=API_MAX_POSTS,
        help_text=f"The posts to create and schedule, at most {API_MAX_POSTS}: all of them, or none.",
    )
