"""Posts, their per-channel variants, media and renditions, campaigns, attempts and freezes.

The database row is the source of truth for the scheduler: a variant is due when its status is
``scheduled`` and ``due_at`` has passed; the dispatcher claims it with a conditional update (or
``select_for_update(skip_locked=True)`` on PostgreSQL), records a ``PublishAttempt`` with a
unique idempotency key, and the worker re-reads the row and its ``content_version`` right before
calling the network.
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone as dj_timezone
from django.utils.translation import gettext_lazy as _

from socialops.tenancy_models import TenantModel


def _media_path(instance, filename: str) -> str:
    ext = (filename.rsplit(".", 1)[-1] if "." in filename else "bin").lower()[:8]
    return f"org/{instance.organization_id}/media/{uuid.uuid4().hex}.{ext}"


def _rendition_path(instance, filename: str) -> str:
    return f"org/{instance.organization_id}/renditions/{instance.asset_id}/{instance.preset}-{uuid.uuid4().hex[:8]}.jpg"


class Campaign(TenantModel):
    name = models.CharField(_("name"), max_length=120)
    color = models.CharField(_("colour"), max_length=7, default="#2f5bd3")
    starts_on = models.DateField(_("starts"), null=True, blank=True)
    ends_on = models.DateField(_("ends"), null=True, blank=True)
    team = models.ForeignKey(
        "accounts.Team",
        verbose_name=_("owning team"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    utm_source = models.CharField(_("UTM source"), max_length=100, blank=True)
    utm_medium = models.CharField(_("UTM medium"), max_length=100, blank=True, default="social")
    utm_campaign = models.CharField(_("UTM campaign"), max_length=100, blank=True)
    description = models.TextField(_("description"), blank=True)
    #: archived campaigns leave the pickers and the calendar's bands; their posts keep them
    archived_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=dj_timezone.now)

    class Meta:
        ordering = ["-starts_on", "name"]
        constraints = [
            models.UniqueConstraint(fields=["organization", "name"], name="campaign_unique_name")
        ]
        indexes = [models.Index(fields=["organization", "starts_on"], name="campaign_org_starts")]

    def __str__(self) -> str:
        return self.name


class MediaAsset(TenantModel):
    """An uploaded file, validated by content and stored once per organization (deduplicated by hash)."""

    class Kind(models.TextChoices):
        IMAGE = "image", _("Image")
        VIDEO = "video", _("Video")

    kind = models.CharField(max_length=10, choices=Kind.choices)
    file = models.FileField(upload_to=_media_path, max_length=300)
    original_name = models.CharField(max_length=255)
    mime_type = models.CharField(max_length=100)
    size_bytes = models.PositiveBigIntegerField()
    width = models.PositiveIntegerField(null=True, blank=True)
    height = models.PositiveIntegerField(null=True, blank=True)
    duration_seconds = models.FloatField(null=True, blank=True)
    sha256 = models.CharField(max_length=64)
    #: where the subject is, as fractions of width and height (0..1): renditions crop around it
    focal_x = models.FloatField(default=0.5)
    focal_y = models.FloatField(default=0.5)
    alt_text = models.CharField(_("alt text"), max_length=1000, blank=True)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=dj_timezone.now)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(fields=["organization", "sha256"], name="media_unique_content")
        ]
        indexes = [models.Index(fields=["organization", "-created_at"], name="media_org_created")]

    def __str__(self) -> str:
        return self.original_name


class MediaRendition(TenantModel):
    """One network-ready crop of an image (feed 4:5, square, 1.91:1 link, 16:9, 9:16 story/reel)."""

    class Preset(models.TextChoices):
        FEED_4_5 = "feed_4_5", _("Feed 4:5")
        SQUARE = "square", _("Square 1:1")
        LINK_1_91 = "link_1_91", _("Link 1.91:1")
        LANDSCAPE_16_9 = "landscape_16_9", _("Landscape 16:9")
        STORY_9_16 = "story_9_16", _("Story / reel 9:16")

    asset = models.ForeignKey(MediaAsset, on_delete=models.CASCADE, related_name="renditions")
    preset = models.CharField(max_length=20, choices=Preset.choices)
    file = models.FileField(upload_to=_rendition_path, max_length=300)
    width = models.PositiveIntegerField()
    height = models.PositiveIntegerField()
    size_bytes = models.PositiveBigIntegerField()
    focal_x = models.FloatField()
    focal_y = models.FloatField()
    created_at = models.DateTimeField(default=dj_timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["asset", "preset"], name="rendition_unique_preset")
        ]
        indexes = [models.Index(fields=["organization", "asset"], name="rendition_org_asset")]


class Post(TenantModel):
    """The idea: one text, media and schedule, published as one variant per target channel."""

    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        IN_REVIEW = "in_review", _("In review")
        APPROVED = "approved", _("Approved")
        SCHEDULED = "scheduled", _("Scheduled")
        PUBLISHING = "publishing", _("Publishing")
        PUBLISHED = "published", _("Published")
        PARTIALLY_PUBLISHED = "partially_published", _("Partly published")
        FAILED = "failed", _("Failed")
        CANCELLED = "cancelled", _("Cancelled")

    title = models.CharField(_("internal title"), max_length=200, blank=True)
    text = models.TextField(_("text"), blank=True)
    link_url = models.URLField(_("link"), max_length=2000, blank=True)
    first_comment = models.TextField(_("first comment"), blank=True)
    campaign = models.ForeignKey(
        Campaign,
        verbose_name=_("campaign"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    team = models.ForeignKey(
        "accounts.Team",
        verbose_name=_("team"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    #: head office's post that this regional post localizes (the link stays)
    parent = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.DRAFT)
    #: bumped by every content edit; attempts and approvals bind to a version
    version = models.PositiveIntegerField(default=1)
    #: when it goes out (UTC) and the zone the person meant (for display and DST-safe edits)
    scheduled_at = models.DateTimeField(null=True, blank=True)
    schedule_timezone = models.CharField(max_length=64, blank=True)
    #: the calendar slot of a post that is not scheduled yet (UTC): set in the composer or by dropping a draft
    planned_at = models.DateTimeField(_("planned for"), null=True, blank=True)
    tags = models.JSONField(default=list, blank=True)
    created_at = models.DateTimeField(default=dj_timezone.now)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [
            models.Index(fields=["organization", "status"], name="post_org_status"),
            models.Index(fields=["organization", "scheduled_at"], name="post_org_scheduled"),
            models.Index(fields=["organization", "parent"], name="post_org_parent"),
            models.Index(fields=["organization", "planned_at"], name="post_org_planned"),
        ]

    def __str__(self) -> str:
        return (
            self.title
            or (self.text[:60] + ("…" if len(self.text) > 60 else ""))
            or f"Post {self.pk}"
        )


class PostMedia(TenantModel):
    """A media asset attached to a post, in order, with the alt text for this use."""

    post = models.ForeignKey(Post, on_delete=models.CASCADE, related_name="media_items")
    asset = models.ForeignKey(MediaAsset, on_delete=models.PROTECT, related_name="+")
    position = models.PositiveSmallIntegerField(default=0)
    alt_text = models.CharField(max_length=1000, blank=True)

    class Meta:
        ordering = ["position", "pk"]
        constraints = [models.UniqueConstraint(fields=["post", "asset"], name="postmedia_unique")]
        indexes = [models.Index(fields=["organization", "post"], name="postmedia_org_post")]


class PostVariant(TenantModel):
    """The post as it goes to one channel: its own text (or the post's), format and publishing state."""

    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        SCHEDULED = "scheduled", _("Scheduled")
        PUBLISHING = "publishing", _("Publishing")
        #: the network call's outcome is unknown; settled by asking the network, never by a blind retry
        UNCONFIRMED = "unconfirmed", _("Checking with the network")
        #: the network accepted it and is still processing (IG containers, reels): polled
        PENDING = "pending", _("Processing on the network")
        PUBLISHED = "published", _("Published")
        FAILED = "failed", _("Failed")
        CANCELLED = "cancelled", _("Cancelled")
        HELD = "held", _("Held by a publishing freeze")

    class Format(models.TextChoices):
        POST = "post", _("Post")
        STORY = "story", _("Story")
        REEL = "reel", _("Reel")

    post = models.ForeignKey(Post, on_delete=models.CASCADE, related_name="variants")
    channel = models.ForeignKey(
        "channels_registry.Channel", on_delete=models.PROTECT, related_name="+"
    )
    #: empty with ``text_overridden`` False = inherits the post's text
    text = models.TextField(blank=True)
    text_overridden = models.BooleanField(default=False)
    first_comment = models.TextField(blank=True)
    format = models.CharField(max_length=10, choices=Format.choices, default=Format.POST)
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.DRAFT)
    #: when this variant is due (UTC); normally the post's scheduled_at
    due_at = models.DateTimeField(null=True, blank=True)
    #: the post version this variant was last prepared for
    content_version = models.PositiveIntegerField(default=1)
    external_id = models.CharField(max_length=255, blank=True)
    external_url = models.URLField(max_length=1000, blank=True)
    published_at = models.DateTimeField(null=True, blank=True)
    failure_reason = models.TextField(blank=True)
    attempts_count = models.PositiveIntegerField(default=0)
    #: when the next try may happen (backoff / rate limit / pending poll); None = as soon as due
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    #: the attempt holding the claim and until when (a lapsed lease is found and resumed)
    claimed_attempt = models.ForeignKey(
        "PublishAttempt", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    lease_expires_at = models.DateTimeField(null=True, blank=True)
    #: the worker batch that picked the claim up (a random token; empty while the message waits in
    #: the broker). Only that batch renews the lease and may send; see scheduling.pick_up
    lease_owner = models.CharField(max_length=32, blank=True, default="")
    #: late when published after a freeze lifted with "mark late"
    is_late = models.BooleanField(default=False)
    created_at = models.DateTimeField(default=dj_timezone.now)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["due_at", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["post", "channel"], name="variant_unique_channel")
        ]
        indexes = [
            models.Index(fields=["organization", "status"], name="variant_org_status"),
            models.Index(fields=["organization", "due_at"], name="variant_org_due"),
            models.Index(
                fields=["organization", "channel", "due_at"], name="variant_org_channel_due"
            ),
            # The dispatcher's scan: only due-able rows are in this index.
            models.Index(
                fields=["due_at"],
                name="variant_dispatch_due",
                condition=Q(status__in=["scheduled", "unconfirmed", "pending"]),
            ),
            models.Index(
                fields=["lease_expires_at"], name="variant_lease", condition=Q(status="publishing")
            ),
            # analytics' "published in a range" reads (posts table, campaigns, custom dashboards):
            # only the range's rows, not every published variant of the organization
            models.Index(
                fields=["organization", "published_at"],
                name="variant_org_published",
                condition=Q(status="published"),
            ),
        ]

    def effective_text(self, post: Post | None = None) -> str:
        post = post or self.post
        return self.text if self.text_overridden else post.text


class PublishAttempt(TenantModel):
    """One try at sending a variant. Its idempotency key is unique; its outcome is recorded."""

    class Outcome(models.TextChoices):
        RUNNING = "running", _("Running")
        PUBLISHED = "published", _("Published")
        PENDING = "pending", _("Pending on the network")
        FAILED = "failed", _("Failed")
        RETRY = "retry", _("Will retry")
        UNCONFIRMED = "unconfirmed", _("Unconfirmed")
        ABANDONED = "abandoned", _("Abandoned (content changed or cancelled)")

    variant = models.ForeignKey(PostVariant, on_delete=models.CASCADE, related_name="attempts")
    number = models.PositiveIntegerField()
    idempotency_key = models.CharField(max_length=64, unique=True)
    content_version = models.PositiveIntegerField()
    outcome = models.CharField(max_length=20, choices=Outcome.choices, default=Outcome.RUNNING)
    error = models.TextField(blank=True)
    external_id = models.CharField(max_length=255, blank=True)
    pending_ref = models.CharField(max_length=1000, blank=True)
    started_at = models.DateTimeField(default=dj_timezone.now)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["variant", "number"]
        constraints = [
            models.UniqueConstraint(fields=["variant", "number"], name="attempt_unique_number")
        ]
        indexes = [models.Index(fields=["organization", "variant"], name="attempt_org_variant")]


class PublishingFreeze(TenantModel):
    """Holds every due post of the organization, a team (and its sub-teams) or one channel until lifted."""

    class Scope(models.TextChoices):
        ORGANIZATION = "organization", _("Whole organization")
        TEAM = "team", _("A team and its sub-teams")
        CHANNEL = "channel", _("One channel")

    class OnLift(models.TextChoices):
        PUBLISH = "publish", _("Publish held posts when lifted")
        MARK_LATE = "mark_late", _("Publish held posts when lifted, marked late")
        CANCEL = "cancel", _("Cancel held posts when lifted")

    scope = models.CharField(max_length=20, choices=Scope.choices)
    team = models.ForeignKey(
        "accounts.Team", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    channel = models.ForeignKey(
        "channels_registry.Channel",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="+",
    )
    reason = models.CharField(_("reason"), max_length=300)
    on_lift = models.CharField(max_length=20, choices=OnLift.choices, default=OnLift.PUBLISH)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=dj_timezone.now)
    lifted_at = models.DateTimeField(null=True, blank=True)
    lifted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["organization", "lifted_at"], name="freeze_org_active")]
        constraints = [
            models.CheckConstraint(
                condition=(
                    Q(scope="organization", team__isnull=True, channel__isnull=True)
                    | Q(scope="team", team__isnull=False, channel__isnull=True)
                    | Q(scope="channel", channel__isnull=False, team__isnull=True)
                ),
                name="freeze_scope_target",
            )
        ]


# --- The editorial calendar (issue 5) ----------------------------------------------------------------


class CalendarNote(TenantModel):
    """A note on the organization's calendar for a range of days (a launch, a blackout, a reminder)."""

    title = models.CharField(_("title"), max_length=200)
    body = models.TextField(_("note"), blank=True)
    starts_on = models.DateField(_("from"))
    ends_on = models.DateField(_("to"))
    #: empty = the whole organization; else the team (and its sub-teams) it concerns
    team = models.ForeignKey(
        "accounts.Team",
        verbose_name=_("team"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=dj_timezone.now)

    class Meta:
        ordering = ["starts_on", "pk"]
        indexes = [
            models.Index(fields=["organization", "starts_on", "ends_on"], name="calnote_org_dates")
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(ends_on__gte=models.F("starts_on")), name="calnote_ends_after_start"
            )
        ]

    def __str__(self) -> str:
        return self.title


class HolidayRegion(TenantModel):
    """The public-holiday countries a team (a region) follows; ``team`` empty = the organization's default."""

    team = models.ForeignKey(
        "accounts.Team",
        verbose_name=_("team"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="+",
    )
    #: ISO 3166-1 alpha-2 codes understood by the ``holidays`` package ("ID", "SG", …)
    countries = models.JSONField(_("holiday countries"), default=list, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "team"], name="holidayregion_unique_team"
            ),
            models.UniqueConstraint(
                fields=["organization"],
                condition=Q(team__isnull=True),
                name="holidayregion_unique_default",
            ),
        ]
        indexes = [models.Index(fields=["organization", "team"], name="holidayregion_org_team")]


class CadenceTarget(TenantModel):
    """How many posts a week a channel should get (min–max); the calendar marks gaps and overloads."""

    channel = models.ForeignKey(
        "channels_registry.Channel", on_delete=models.CASCADE, related_name="+"
    )
    min_per_week = models.PositiveSmallIntegerField(_("at least (posts a week)"), default=0)
    max_per_week = models.PositiveSmallIntegerField(_("at most (posts a week)"))
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["channel_id"]
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "channel"], name="cadence_unique_channel"
            ),
            models.CheckConstraint(
                condition=Q(max_per_week__gte=models.F("min_per_week")),
                name="cadence_max_at_least_min",
            ),
        ]
        indexes = [models.Index(fields=["organization", "channel"], name="cadence_org_channel")]
