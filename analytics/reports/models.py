"""A report schedule and its runs (each run: one period, its PDF and CSV, whom it was sent to)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone as dj_timezone
from django.utils.translation import gettext_lazy as _

from socialops.tenancy_models import TenantModel


class Frequency(models.TextChoices):
    DAILY = "daily", _("Daily")
    WEEKLY = "weekly", _("Weekly")
    MONTHLY = "monthly", _("Monthly")


class RangePreset(models.TextChoices):
    """The days a report covers, counted back from the day before it is sent (the organization's
    days are UTC days, as on the dashboard)."""

    PREVIOUS_PERIOD = "previous", _("The previous day, week or month (as often as it is sent)")
    LAST_7 = "last_7", _("The last 7 days")
    LAST_28 = "last_28", _("The last 28 days")
    LAST_90 = "last_90", _("The last 90 days")


WEEKDAYS = [
    (0, _("Monday")),
    (1, _("Tuesday")),
    (2, _("Wednesday")),
    (3, _("Thursday")),
    (4, _("Friday")),
    (5, _("Saturday")),
    (6, _("Sunday")),
]


class ReportSchedule(TenantModel):
    """Send the organization dashboard (its saved filters) as a PDF and a CSV, daily, weekly or
    monthly at ``send_time`` in ``timezone``, to members and outside addresses.

    ``next_run_at`` (UTC) is the next slot; the beat claims schedules whose slot has come
    (``services.claim_due_schedules``). The figures are those ``run_as`` (the member who last
    saved it) may see. ``dashboard_id``: a custom dashboard (analytics.dashboards) instead of the
    organization dashboard; NULL = the organization dashboard.
    """

    name = models.CharField(_("name"), max_length=120)
    dashboard_id = models.PositiveIntegerField(null=True, blank=True)
    # the organization dashboard's saved filters
    team = models.ForeignKey(
        "accounts.Team",
        verbose_name=_("team"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    network = models.CharField(_("network"), max_length=30, blank=True)
    channel = models.ForeignKey(
        "channels_registry.Channel",
        verbose_name=_("channel"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    range_preset = models.CharField(
        _("period"), max_length=10, choices=RangePreset.choices, default=RangePreset.PREVIOUS_PERIOD
    )
    frequency = models.CharField(
        _("how often"), max_length=10, choices=Frequency.choices, default=Frequency.WEEKLY
    )
    #: weekly: 0 = Monday … 6 = Sunday
    weekday = models.PositiveSmallIntegerField(_("weekday"), choices=WEEKDAYS, default=0)
    #: monthly: 1-31; a month without that day gets the report on its last day
    day_of_month = models.PositiveSmallIntegerField(_("day of the month"), default=1)
    send_time = models.TimeField(_("time"))
    timezone = models.CharField(_("time zone"), max_length=64)
    recipients = models.ManyToManyField(
        "accounts.Membership", verbose_name=_("members"), blank=True, related_name="+"
    )
    #: outside addresses (lower case), each at one of the organization's allowed domains
    outside_recipients = models.JSONField(_("other addresses"), default=list, blank=True)
    enabled = models.BooleanField(_("enabled"), default=True)
    next_run_at = models.DateTimeField(null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    run_as = models.ForeignKey(
        "accounts.Membership", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=dj_timezone.now)
    updated_at = models.DateTimeField(default=dj_timezone.now)

    class Meta:
        ordering = ["name", "id"]
        indexes = [
            models.Index(fields=["organization", "name"], name="reportschedule_org_name"),
            # The beat's claim: enabled schedules whose slot has come.
            models.Index(
                fields=["next_run_at"], name="reportschedule_due", condition=Q(enabled=True)
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def recipient_count(self) -> int:
        """Members and outside addresses (``recipients`` prefetched: no query)."""
        return len(self.recipients.all()) + len(self.outside_recipients or [])


class ReportRun(TenantModel):
    """One report: a period of one schedule, rendered, stored and sent (or why not).

    A scheduled run is unique per (schedule, slot): two workers ticking at once make one run.
    """

    class Status(models.TextChoices):
        PENDING = "pending", _("Waiting")
        RUNNING = "running", _("Being made")
        SENT = "sent", _("Sent")
        FAILED = "failed", _("Failed")

    schedule = models.ForeignKey(ReportSchedule, on_delete=models.CASCADE, related_name="runs")
    #: the slot it was due at (a "send now": the moment it was asked for)
    scheduled_for = models.DateTimeField()
    manual = models.BooleanField(default=False)
    period_start = models.DateField()
    period_end = models.DateField()
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveSmallIntegerField(default=0)
    claimed_at = models.DateTimeField(null=True, blank=True)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=dj_timezone.now)
    sent_at = models.DateTimeField(null=True, blank=True)
    error = models.TextField(blank=True)
    pdf_path = models.CharField(max_length=300, blank=True)
    pdf_size = models.PositiveIntegerField(default=0)
    csv_path = models.CharField(max_length=300, blank=True)
    csv_size = models.PositiveIntegerField(default=0)
    #: the addresses it was sent to (members' and outside), as sent
    sent_to = models.JSONField(default=list, blank=True)

    class Meta:
        ordering = ["-scheduled_for", "-id"]
        indexes = [
            models.Index(
                fields=["organization", "schedule", "scheduled_for"], name="reportrun_org_sched"
            ),
            # The sweep: runs not finished (a few).
            models.Index(
                fields=["status", "claimed_at"],
                name="reportrun_open",
                condition=Q(status__in=["pending", "running"]),
            ),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["schedule", "scheduled_for"],
                condition=Q(manual=False),
                name="reportrun_one_per_slot",
            )
        ]

    def __str__(self) -> str:
        return f"{self.schedule_id}: {self.period_start}–{self.period_end}"
