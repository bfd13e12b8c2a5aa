"""Channels, their encrypted credentials, groups, per-channel grants and OAuth connect attempts.

Also the state of the built-in ``sandbox`` network (posts, interactions, follower counts), kept
per organization through the channel it belongs to.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone as dj_timezone
from django.utils.translation import gettext_lazy as _

from socialops.tenancy_models import TenantModel


class Channel(TenantModel):
    """One account / page / profile on one network."""

    class Status(models.TextChoices):
        ACTIVE = "active", _("Active")
        NEEDS_REAUTH = "needs_reauth", _("Needs re-auth")
        DISCONNECTED = "disconnected", _("Disconnected")
        ARCHIVED = "archived", _("Archived")

    class Access(models.TextChoices):
        ORGANIZATION = "organization", _("Everyone in the organization, by role")
        RESTRICTED = "restricted", _("Restricted: owners, admins and people granted access")

    provider = models.CharField(_("network"), max_length=30)
    external_id = models.CharField(max_length=255)
    handle = models.CharField(_("handle"), max_length=255, blank=True)
    name = models.CharField(_("name"), max_length=255, blank=True)
    avatar_url = models.URLField(max_length=1000, blank=True)
    url = models.URLField(max_length=1000, blank=True)
    team = models.ForeignKey(
        "accounts.Team",
        verbose_name=_("team"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    timezone = models.CharField(_("time zone"), max_length=64, default="UTC")
    status = models.CharField(
        _("status"), max_length=20, choices=Status.choices, default=Status.ACTIVE
    )
    access = models.CharField(
        _("access"), max_length=20, choices=Access.choices, default=Access.ORGANIZATION
    )
    token_expires_at = models.DateTimeField(_("token expires"), null=True, blank=True)
    last_synced_at = models.DateTimeField(_("last sync"), null=True, blank=True)
    last_error = models.TextField(blank=True)
    #: what the network reports about this account's server, refreshed by the health check (and
    #: right after connecting): e.g. a Mastodon instance's ``max_characters``. Never secret.
    metadata = models.JSONField(default=dict, blank=True)
    connected_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=dj_timezone.now)

    class Meta:
        ordering = ["provider", "handle", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "provider", "external_id"], name="channel_unique_account"
            ),
        ]
        indexes = [
            models.Index(fields=["organization", "status"], name="channel_org_status"),
            models.Index(fields=["organization", "provider"], name="channel_org_provider"),
            models.Index(fields=["organization", "team"], name="channel_org_team"),
            # The refresh sweep looks for active channels whose token expires soon.
            models.Index(
                fields=["organization", "token_expires_at"],
                name="channel_org_expiry",
                condition=Q(status="active"),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.handle or self.name or self.external_id} ({self.provider})"

    @property
    def display_handle(self) -> str:
        """The handle with one leading "@" (Mastodon handles, ``@me@host``, already carry it)."""
        return at_handle(self.handle)

    @property
    def is_usable(self) -> bool:
        return self.status == self.Status.ACTIVE

    def decide_capability(self, membership, capability: str) -> bool | None:
        """Per-channel access for ``accounts.capabilities.can`` (None = the role decides).

        Owners and admins always may. A grant adds its capability on this channel (a
        ``manage_channels`` grant makes the person an admin of the channel). A restricted channel
        is invisible and unusable to everyone else.
        """
        from accounts.capabilities import Capability, Role

        if membership.role in (Role.OWNER, Role.ADMIN):
            return None
        granted = self.granted_capabilities(membership)
        if Capability.MANAGE_CHANNELS in granted:
            granted |= set(GRANT_IMPLIES)
        if capability in granted:
            return True
        if self.access == self.Access.RESTRICTED:
            return capability == Capability.VIEW and bool(granted)
        return None

    def granted_capabilities(self, membership) -> set[str]:
        cache = self.__dict__.setdefault("_grant_cache", {})
        if membership.pk not in cache:
            covering = covering_team_ids(membership)
            caps = (
                ChannelGrant.objects.for_org(self.organization_id)
                .filter(Q(membership=membership) | Q(team_id__in=covering), channel=self)
                .values_list("capability", flat=True)
            )
            cache[membership.pk] = set(caps)
        return set(cache[membership.pk])


def at_handle(handle: str) -> str:
    return "@" + handle.lstrip("@") if handle else ""


def covering_team_ids(membership) -> set[int]:
    """The member's teams and all their ancestors: a team grant covers the team's whole subtree."""
    from accounts.selectors import teams_of

    parents = dict(teams_of(membership.organization_id).values_list("pk", "parent_id"))
    covering: set[int] = set()
    for team_id in membership.teams.values_list("pk", flat=True):
        node = team_id
        while node is not None and node not in covering:
            covering.add(node)
            node = parents.get(node)
    return covering


class ChannelCredential(TenantModel):
    """The encrypted secrets of one channel (a Fernet token of JSON). Never rendered or logged."""

    channel = models.OneToOneField(Channel, on_delete=models.CASCADE, related_name="credential")
    blob = models.TextField()
    updated_at = models.DateTimeField(default=dj_timezone.now)

    class Meta:
        indexes = [models.Index(fields=["organization", "channel"], name="credential_org_channel")]

    def __repr__(self) -> str:
        return f"<ChannelCredential channel={self.channel_id}>"


class ChannelGroup(TenantModel):
    """A named set of channels ("Indonesia retail", "Crisis accounts") for pickers and filters."""

    name = models.CharField(_("name"), max_length=120)
    description = models.CharField(_("description"), max_length=300, blank=True)
    channels = models.ManyToManyField(
        Channel, verbose_name=_("channels"), blank=True, related_name="groups"
    )
    created_at = models.DateTimeField(default=dj_timezone.now)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "name"], name="channelgroup_unique_name"
            )
        ]
        indexes = [models.Index(fields=["organization", "name"], name="channelgroup_org_name")]

    def __str__(self) -> str:
        return self.name


class GrantCapability(models.TextChoices):
    PUBLISH = "publish", _("Publish")
    MODERATE = "moderate", _("Moderate")
    VIEW_ANALYTICS = "view_analytics", _("View analytics")
    MANAGE_CHANNELS = "manage_channels", _("Administer the channel")


#: what a channel-admin grant carries with it
GRANT_IMPLIES = ("view", "publish", "moderate", "view_analytics", "manage_channels")


class ChannelGrant(TenantModel):
    """A capability on one channel for one person or one team (and the team's whole subtree)."""

    channel = models.ForeignKey(Channel, on_delete=models.CASCADE, related_name="grants")
    membership = models.ForeignKey(
        "accounts.Membership", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    team = models.ForeignKey(
        "accounts.Team", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    capability = models.CharField(_("capability"), max_length=30, choices=GrantCapability.choices)
    granted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=dj_timezone.now)

    class Meta:
        ordering = ["channel", "capability", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=(
                    Q(membership__isnull=False, team__isnull=True)
                    | Q(membership__isnull=True, team__isnull=False)
                ),
                name="channelgrant_member_xor_team",
            ),
            models.UniqueConstraint(
                fields=["channel", "membership", "capability"],
                condition=Q(membership__isnull=False),
                name="channelgrant_unique_member",
            ),
            models.UniqueConstraint(
                fields=["channel", "team", "capability"],
                condition=Q(team__isnull=False),
                name="channelgrant_unique_team",
            ),
        ]
        indexes = [
            models.Index(fields=["organization", "channel"], name="channelgrant_org_channel"),
            models.Index(fields=["organization", "membership"], name="channelgrant_org_member"),
        ]

    def __str__(self) -> str:
        return f"{self.capability} on {self.channel_id}"

    @property
    def grantee(self):
        return self.membership if self.membership_id else self.team


class ConnectAttempt(TenantModel):
    """One OAuth (or app-password) connection in progress.

    The ``state`` sent to the network is random, stored only as a SHA-256, single-use (the
    callback claims it with a conditional update) and expires after ``STATE_TTL``. Secrets (the
    PKCE verifier, a per-instance app registration, the tokens of the accounts the network
    returned) stay encrypted here until the person picks which accounts to add; then they are
    wiped.
    """

    class Status(models.TextChoices):
        STARTED = "started", _("Waiting for the network")
        AUTHORIZED = "authorized", _("Choose accounts")
        COMPLETED = "completed", _("Completed")
        FAILED = "failed", _("Failed")

    membership = models.ForeignKey(
        "accounts.Membership", on_delete=models.CASCADE, related_name="+"
    )
    provider = models.CharField(max_length=30)
    state_hash = models.CharField(max_length=64, unique=True)
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.STARTED)
    redirect_uri = models.CharField(max_length=500, blank=True)
    #: encrypted JSON: code_verifier, instance app registration, other provider context
    secret_context = models.TextField(blank=True)
    #: encrypted JSON: the accounts the network returned, with their credentials
    candidates_blob = models.TextField(blank=True)
    #: what the chooser shows: external id, handle, name, avatar, url (no secrets)
    candidates = models.JSONField(default=list, blank=True)
    #: set when the person is reconnecting a known channel
    channel = models.ForeignKey(
        Channel, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    error = models.TextField(blank=True)
    created_at = models.DateTimeField(default=dj_timezone.now)
    expires_at = models.DateTimeField()
    authorized_at = models.DateTimeField(null=True, blank=True)
    completed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [
            models.Index(
                fields=["organization", "membership", "created_at"], name="connect_org_member"
            )
        ]

    def __str__(self) -> str:
        return f"connect {self.provider} #{self.pk}"


class WebhookDelivery(models.Model):
    """One push received from a network, stored after its signature was verified.

    Not tenant-owned: a push names a network account, not one of our organizations, and the same
    account may be connected in several organizations. Processing resolves the channels (see
    ``services.process_webhook_delivery``) and keeps the parsed events here until the inbox
    consumes them.
    """

    class Status(models.TextChoices):
        RECEIVED = "received", _("Received")
        PROCESSED = "processed", _("Processed")
        FAILED = "failed", _("Failed")

    provider = models.CharField(max_length=30)
    #: "id:<the network's delivery id>" when it sends one, else "sha256:<hash of the raw body>":
    #: a replayed push has the same key and is not stored again (unique per network). Null only
    #: for pushes stored before keys existed whose body repeated an earlier one.
    delivery_key = models.CharField(max_length=120, null=True, blank=True)  # noqa: DJ001 - see above
    headers = models.JSONField(default=dict)
    query = models.JSONField(default=dict)
    body = models.BinaryField()
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.RECEIVED)
    events = models.JSONField(default=list, blank=True)
    error = models.TextField(blank=True)
    received_at = models.DateTimeField(default=dj_timezone.now)
    processed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-received_at"]
        indexes = [
            models.Index(
                fields=["provider", "status", "received_at"], name="webhook_provider_status"
            ),
            # the sweep of pushes left unprocessed (few: most are processed within a second)
            models.Index(
                fields=["received_at"],
                name="webhook_unprocessed",
                condition=models.Q(status="received"),
            ),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["provider", "delivery_key"], name="webhook_delivery_once"
            )
        ]

    def __str__(self) -> str:
        return f"{self.provider} push #{self.pk}"


# --- The sandbox network's own state ------------------------------------------------------------


class SandboxPost(TenantModel):
    channel = models.ForeignKey(Channel, on_delete=models.CASCADE, related_name="+")
    external_id = models.CharField(max_length=64)
    text = models.TextField(blank=True)
    link = models.URLField(max_length=1000, blank=True)
    media_count = models.PositiveIntegerField(default=0)
    format = models.CharField(max_length=20, default="post")
    idempotency_key = models.CharField(max_length=100, blank=True)
    impressions = models.PositiveIntegerField(default=0)
    likes = models.PositiveIntegerField(default=0)
    shares = models.PositiveIntegerField(default=0)
    comments = models.PositiveIntegerField(default=0)
    ticks = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(default=dj_timezone.now)
    deleted_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(fields=["channel", "external_id"], name="sandboxpost_unique")
        ]
        indexes = [
            models.Index(
                fields=["organization", "channel", "created_at"], name="sandboxpost_org_channel"
            )
        ]


class SandboxInteraction(TenantModel):
    class Kind(models.TextChoices):
        COMMENT = "comment", _("Comment")
        REPLY = "reply", _("Reply")
        MENTION = "mention", _("Mention")
        DM = "dm", _("Direct message")

    channel = models.ForeignKey(Channel, on_delete=models.CASCADE, related_name="+")
    post = models.ForeignKey(
        SandboxPost, null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    external_id = models.CharField(max_length=64)
    kind = models.CharField(max_length=20, choices=Kind.choices)
    parent_external_id = models.CharField(max_length=64, blank=True)
    thread_id = models.CharField(max_length=64, blank=True)
    author_id = models.CharField(max_length=64)
    author_name = models.CharField(max_length=120, blank=True)
    author_handle = models.CharField(max_length=120, blank=True)
    text = models.TextField()
    language = models.CharField(max_length=10, default="en")
    #: what the simulation meant: "question", "praise", "complaint", "neutral"
    sentiment_hint = models.CharField(max_length=20, blank=True)
    from_account = models.BooleanField(default=False)
    is_hidden = models.BooleanField(default=False)
    #: liked by the channel's account (the inbox's Like)
    is_liked = models.BooleanField(default=False)
    deleted_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=dj_timezone.now)

    class Meta:
        ordering = ["created_at", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["channel", "external_id"], name="sandboxinteraction_unique"
            )
        ]
        indexes = [
            models.Index(
                fields=["organization", "channel", "created_at"], name="sandboxint_org_channel"
            )
        ]


class SandboxFollowerSnapshot(TenantModel):
    channel = models.ForeignKey(Channel, on_delete=models.CASCADE, related_name="+")
    day = models.DateField()
    followers = models.PositiveIntegerField(default=0)
    impressions = models.PositiveIntegerField(default=0)
    engagements = models.PositiveIntegerField(default=0)
    profile_views = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["day"]
        constraints = [
            models.UniqueConstraint(fields=["channel", "day"], name="sandboxfollowers_unique")
        ]
        indexes = [
            models.Index(
                fields=["organization", "channel", "day"], name="sandboxfollowers_org_channel"
            )
        ]
