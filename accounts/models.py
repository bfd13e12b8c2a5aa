from __future__ import annotations

import zoneinfo

from django.conf import settings
from django.contrib.auth.base_user import AbstractBaseUser, BaseUserManager
from django.contrib.auth.models import PermissionsMixin
from django.db import models
from django.db.models import Q
from django.utils import timezone as dj_timezone
from django.utils.translation import gettext_lazy as _

from socialops.fields import SealedTextField
from socialops.tenancy_models import TenantModel

from .capabilities import Role

TIMEZONE_CHOICES = sorted(
    (tz, tz) for tz in zoneinfo.available_timezones() if "/" in tz or tz == "UTC"
)


class UserManager(BaseUserManager):
    use_in_migrations = True

    def _create_user(self, email: str, password: str | None, **extra):
        if not email:
            raise ValueError("An e-mail address is required.")
        user = self.model(email=self.normalize_email(email).lower(), **extra)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_user(self, email: str, password: str | None = None, **extra):
        extra.setdefault("is_staff", False)
        extra.setdefault("is_superuser", False)
        return self._create_user(email, password, **extra)

    def create_superuser(self, email: str, password: str | None = None, **extra):
        extra.update(is_staff=True, is_superuser=True)
        return self._create_user(email, password, **extra)


class User(AbstractBaseUser, PermissionsMixin):
    """A person. Keyed by e-mail; belongs to organizations through memberships."""

    email = models.EmailField(_("e-mail address"), unique=True)
    full_name = models.CharField(_("full name"), max_length=150, blank=True)
    language = models.CharField(
        _("language"), max_length=10, choices=settings.LANGUAGES, blank=True
    )
    timezone = models.CharField(_("time zone"), max_length=64, choices=TIMEZONE_CHOICES, blank=True)
    is_active = models.BooleanField(_("active"), default=True)
    is_staff = models.BooleanField(default=False)
    date_joined = models.DateTimeField(default=dj_timezone.now)

    objects = UserManager()

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS: list[str] = []

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")

    def __str__(self) -> str:
        return self.full_name or self.email

    def get_full_name(self) -> str:
        return self.full_name or self.email

    def get_short_name(self) -> str:
        return self.full_name.split(" ")[0] if self.full_name else self.email.split("@")[0]


class Organization(models.Model):
    """The tenant. Every tenant-owned row points at one."""

    name = models.CharField(_("name"), max_length=120)
    slug = models.SlugField(_("slug"), max_length=60, unique=True)
    timezone = models.CharField(
        _("time zone"), max_length=64, choices=TIMEZONE_CHOICES, default="UTC"
    )
    default_language = models.CharField(
        _("default language"), max_length=10, choices=settings.LANGUAGES, default="en"
    )
    created_at = models.DateTimeField(default=dj_timezone.now)
    #: The built-in Sandbox network (simulated channels and audience). Outside production every
    #: organization has it; in production (SOCIALOPS_ENV=production) only those that opt in here
    #: (the demo organization does): see channels_registry.providers.sandbox.sandbox_allowed.
    sandbox_network = models.BooleanField(_("sandbox network"), default=False)
    #: the e-mail domains (lower case, e.g. ``["example.com"]``) outside addresses of scheduled
    #: reports may be at; empty = reports go to members only (analytics.reports)
    report_allowed_domains = models.JSONField(
        _("domains reports may be sent to"), default=list, blank=True
    )

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Team(TenantModel):
    """A node of the organization's tree: head office → regions → local teams."""

    name = models.CharField(_("name"), max_length=120)
    parent = models.ForeignKey(
        "self",
        verbose_name=_("parent team"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    description = models.CharField(_("description"), max_length=300, blank=True)
    #: who answers for the team: told of its inbox SLA breaches (``inbox.services.sla``)
    lead = models.ForeignKey(
        "accounts.Membership",
        verbose_name=_("team lead"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    #: the zone of its working hours; empty = the organization's
    timezone = models.CharField(_("time zone"), max_length=64, choices=TIMEZONE_CHOICES, blank=True)
    #: a weekly schedule (``accounts.hours``); ``{}`` = not set (every hour counts)
    working_hours = models.JSONField(_("working hours"), default=dict, blank=True)
    created_at = models.DateTimeField(default=dj_timezone.now)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "name"], name="team_unique_name_per_org"
            ),
            models.CheckConstraint(condition=~Q(parent=models.F("id")), name="team_not_own_parent"),
        ]
        indexes = [models.Index(fields=["organization", "parent"], name="team_org_parent")]

    def __str__(self) -> str:
        return self.name


class Membership(TenantModel):
    """A person's place in one organization: their role, teams and whether it is active."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships"
    )
    role = models.CharField(_("role"), max_length=20, choices=Role.choices, default=Role.VIEWER)
    teams = models.ManyToManyField(Team, verbose_name=_("teams"), blank=True, related_name="+")
    is_active = models.BooleanField(_("active"), default=True)
    #: the person's own weekly schedule here (``accounts.hours``), in their ``User.timezone``;
    #: ``{}`` = not set: they work their team's hours
    working_hours = models.JSONField(_("working hours"), default=dict, blank=True)
    joined_at = models.DateTimeField(default=dj_timezone.now)
    deactivated_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["user__email"]
        constraints = [
            models.UniqueConstraint(fields=["organization", "user"], name="membership_unique")
        ]
        indexes = [models.Index(fields=["organization", "is_active"], name="membership_org_active")]

    def __str__(self) -> str:
        return f"{self.user} @ {self.organization_id} ({self.role})"


class Invitation(TenantModel):
    """An invitation by e-mail. Only a hash of its token is stored."""

    class Status(models.TextChoices):
        PENDING = "pending", _("Pending")
        ACCEPTED = "accepted", _("Accepted")
        REVOKED = "revoked", _("Revoked")
        EXPIRED = "expired", _("Expired")

    email = models.EmailField(_("e-mail address"))
    role = models.CharField(
        _("role"), max_length=20, choices=Role.choices, default=Role.CONTRIBUTOR
    )
    team = models.ForeignKey(
        Team,
        verbose_name=_("team"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    token_hash = models.CharField(max_length=64, unique=True)
    invited_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=dj_timezone.now)
    expires_at = models.DateTimeField()
    accepted_at = models.DateTimeField(null=True, blank=True)
    accepted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["organization", "email"], name="invitation_org_email")]
        constraints = [
            # At most one open invitation per address and organization.
            models.UniqueConstraint(
                fields=["organization", "email"],
                condition=Q(accepted_at__isnull=True, revoked_at__isnull=True),
                name="invitation_one_open_per_email",
            )
        ]

    @property
    def status(self) -> str:
        if self.accepted_at:
            return self.Status.ACCEPTED
        if self.revoked_at:
            return self.Status.REVOKED
        if self.expires_at <= dj_timezone.now():
            return self.Status.EXPIRED
        return self.Status.PENDING

    def get_status_display(self) -> str:
        return str(self.Status(self.status).label)


class ServiceAccount(TenantModel):
    """A machine that calls the API for one organization: not a person, not a member, not a seat.

    It holds tokens (``ApiToken.service_account``) whose scopes say what it may do; offboarding a
    person never touches it. ``user`` is its own account row, which no one can sign in with (no
    usable password, an address under ``.invalid``): it is what the rows it writes name as their
    author and what the audit log names as the actor, so every existing service works for it.
    """

    name = models.CharField(_("name"), max_length=100)
    description = models.CharField(_("description"), max_length=300, blank=True)
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="service_account"
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=dj_timezone.now)
    is_active = models.BooleanField(_("active"), default=True)
    disabled_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["name"]
        # The unique constraint is also the organization-first index the list reads.
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "name"], name="serviceaccount_unique_name"
            )
        ]

    def __str__(self) -> str:
        return self.name


class ApiToken(TenantModel):
    """An API token of one organization: a person's (``membership``) or a service account's.

    Only its SHA-256 is stored. ``scopes`` empty = an unscoped personal token (it may call what its
    person may); a service account's token always has scopes (socialops/scopes.py checks them).
    A rotated token points at its successor (``replaced_by``) and stays valid until its ``expires_at``.
    """

    membership = models.ForeignKey(
        Membership, null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    service_account = models.ForeignKey(
        ServiceAccount, null=True, blank=True, on_delete=models.CASCADE, related_name="tokens"
    )
    name = models.CharField(_("name"), max_length=100)
    prefix = models.CharField(max_length=12, unique=True)
    key_hash = models.CharField(max_length=64)
    scopes = models.JSONField(_("scopes"), default=list, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=dj_timezone.now)
    last_used_at = models.DateTimeField(null=True, blank=True)
    expires_at = models.DateTimeField(_("expires"), null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)
    replaced_by = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["-created_at"]
        indexes = [
            models.Index(fields=["organization", "membership"], name="apitoken_org_member"),
            models.Index(
                fields=["organization", "service_account"], name="apitoken_org_service_account"
            ),
        ]
        constraints = [
            models.CheckConstraint(
                condition=(Q(membership__isnull=False) & Q(service_account__isnull=True))
                | (Q(membership__isnull=True) & Q(service_account__isnull=False)),
                name="apitoken_one_holder",
            )
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"

    @property
    def is_usable(self) -> bool:
        return self.revoked_at is None and (
            self.expires_at is None or self.expires_at > dj_timezone.now()
        )

    @property
    def is_scoped(self) -> bool:
        """Checked against socialops.scopes: a service account's token always, a person's when it has scopes."""
        return bool(self.scopes) or self.service_account_id is not None


class NotificationKind(models.TextChoices):
    """What a notification is about; each person chooses in-app / e-mail per kind. Extend freely."""

    APPROVAL_REQUESTED = "approval_requested", _("Approval requested")
    APPROVAL_DECIDED = "approval_decided", _("Approval decided")
    APPROVAL_REMINDER = "approval_reminder", _("Approval reminder")
    APPROVAL_ESCALATED = "approval_escalated", _("Approval escalated")
    MENTION = "mention", _("Mentions")
    COMMENT = "comment", _("Comments")
    PUBLISH_FAILED = "publish_failed", _("Publishing failures")
    CHANNEL_NEEDS_REAUTH = "channel_needs_reauth", _("Channels to reconnect")
    SLA_BREACH = "sla_breach", _("Inbox SLA breaches")
    CRISIS_ALERT = "crisis_alert", _("Crisis alerts")
    WEBHOOK_DISABLED = "webhook_disabled", _("Webhook endpoints disabled after failing")
    ACCESS_REVIEW = "access_review", _("Access reviews to do")
    SCHEDULED_REPORT = "scheduled_report", _("Scheduled reports")


# Kinds that also send an e-mail when the person has not chosen otherwise (in-app is always on by default).
EMAIL_BY_DEFAULT = frozenset(
    {
        NotificationKind.APPROVAL_REQUESTED,
        NotificationKind.APPROVAL_DECIDED,
        NotificationKind.APPROVAL_REMINDER,
        NotificationKind.APPROVAL_ESCALATED,
        NotificationKind.MENTION,
        NotificationKind.PUBLISH_FAILED,
        NotificationKind.CHANNEL_NEEDS_REAUTH,
        NotificationKind.CRISIS_ALERT,
        NotificationKind.WEBHOOK_DISABLED,
        NotificationKind.ACCESS_REVIEW,
        NotificationKind.SCHEDULED_REPORT,
    }
)


class Notification(TenantModel):
    """One in-app notification for one person in one organization (the bell).

    What is stored is what happened, not a sentence: ``template`` (``templates/notifications/
    <template>_subject.txt`` and ``_body.txt``) and ``params``, plain data (names, ids, times; never
    a secret such as a one-tap approval link). The title and body are rendered each time the row is
    read, in the reader's language and time zone: ``accounts.notifications.render_for_reader`` sets
    ``title`` and ``body`` on each row. Rows stored before that have no ``template``; their sentence,
    rendered once when they were sent, is kept in ``legacy_title`` / ``legacy_body`` and shown as is.
    """

    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+"
    )
    kind = models.CharField(_("kind"), max_length=40, choices=NotificationKind.choices)
    template = models.CharField(max_length=100, blank=True)
    params = models.JSONField(default=dict, blank=True)
    legacy_title = models.CharField(max_length=300, blank=True)
    legacy_body = models.TextField(blank=True)
    url = models.CharField(_("link"), max_length=500, blank=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=dj_timezone.now)
    read_at = models.DateTimeField(null=True, blank=True)
    dedupe_key = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            # The bell's unread count and the list: organization + recipient, unread first.
            models.Index(
                fields=["organization", "recipient", "read_at"], name="notification_org_rcpt_read"
            ),
            # The retention sweep: read rows older than N days.
            models.Index(
                fields=["read_at"], name="notification_read_at", condition=Q(read_at__isnull=False)
            ),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "recipient", "kind", "dedupe_key"],
                condition=~Q(dedupe_key=""),
                name="notification_dedupe",
            ),
        ]

    def __str__(self) -> str:
        return self.legacy_title or f"{self.kind} ({self.template})"

    @property
    def is_unread(self) -> bool:
        return self.read_at is None


class NotificationSent(TenantModel):
    """Marks a (recipient, kind, dedupe_key) as delivered even when no in-app row was kept (e-mail only)."""

    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+"
    )
    kind = models.CharField(max_length=40)
    dedupe_key = models.CharField(max_length=200)
    created_at = models.DateTimeField(default=dj_timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "recipient", "kind", "dedupe_key"],
                name="notificationsent_unique",
            )
        ]
        # The unique constraint is the organization-first index; this one serves the retention sweep.
        indexes = [models.Index(fields=["created_at"], name="notificationsent_created")]


class NotificationPreference(TenantModel):
    """A person's choice for one kind in one organization. No row = the kind's default."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    kind = models.CharField(_("kind"), max_length=40, choices=NotificationKind.choices)
    in_app = models.BooleanField(_("in the app"), default=True)
    email = models.BooleanField(_("by e-mail"), default=False)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "user", "kind"], name="notificationpreference_unique"
            )
        ]
        indexes = [models.Index(fields=["organization", "user"], name="notificationpref_org_user")]

    @staticmethod
    def default_for(kind: str) -> tuple[bool, bool]:
        """(in_app, email) when the person has not chosen."""
        return True, kind in EMAIL_BY_DEFAULT


class NotificationEmail(TenantModel):
    """One notification e-mail in the outbox (accounts/notifications.py: the sending side).

    ``notify()`` writes it in the action's transaction, rendered for its recipient, so an e-mail
    exists iff the action committed; a worker sends it. ``next_attempt_at`` is when it may next be
    tried (also a claim's lease while a worker holds it); NULL with ``sent_at`` NULL = given up
    after the last attempt (``last_error`` says why).

    ``recipient`` is NULL for an address outside the organization (a scheduled report's outside
    recipient: ``accounts.notifications.email_addresses``); ``to_address`` is where it goes either
    way. ``attachments`` lists files in the default storage, attached when it is sent:
    ``[{"path": …, "filename": …, "content_type": …}]``. The outbox does not own them: whoever
    stored them keeps (and removes) them.
    """

    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    kind = models.CharField(max_length=40)
    to_address = models.EmailField(max_length=254)
    attachments = models.JSONField(default=list, blank=True)
    subject = models.CharField(max_length=300)
    # Encrypted at rest until sent (then emptied): bodies may hold one-tap approval links.
    body = SealedTextField()
    html_body = SealedTextField(blank=True)  # "" = a plain-text e-mail
    created_at = models.DateTimeField(default=dj_timezone.now)
    sent_at = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    last_error = models.TextField(blank=True)
    next_attempt_at = models.DateTimeField(null=True, blank=True, default=dj_timezone.now)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(
                fields=["organization", "created_at"], name="notificationemail_org_created"
            ),
            # The sweep: unsent rows that are due (a small set: sent rows leave it).
            models.Index(
                fields=["next_attempt_at"],
                name="notificationemail_unsent",
                condition=Q(sent_at__isnull=True),
            ),
            # The retention purge: sent rows older than N days.
            models.Index(
                fields=["sent_at"],
                name="notificationemail_sent_at",
                condition=Q(sent_at__isnull=False),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.to_address}: {self.subject}"

    @property
    def gave_up(self) -> bool:
        return self.sent_at is None and self.next_attempt_at is None
