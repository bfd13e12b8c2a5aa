"""A custom dashboard and its widgets (Django finds them through ``analytics.models``).

A dashboard belongs to an organization; everyone there who sees analytics sees it, each with the
figures of the channels they may see. Its default filters (a range preset, a team, a network, a
channel, a campaign) are what it opens with. A widget is one kind (``catalog.Kind``) with a metric,
a breakdown for the breakdown kind, a few options (``limit``), its place (``position``: the
order, left to right then down a 12-column grid) and its size (``width`` columns, ``height`` rows).
"""

from __future__ import annotations

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from socialops.tenancy_models import TenantModel

from .catalog import HEIGHTS, WIDTHS, Breakdown, Kind, RangePreset


class Dashboard(TenantModel):
    name = models.CharField(_("name"), max_length=100)
    description = models.CharField(_("description"), max_length=500, blank=True)
    #: the person (or service account's user) who made it: they may change it, as admins may
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("created by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)
    #: the default range: the last N days up to today (UTC)
    range_days = models.PositiveSmallIntegerField(
        _("date range"), choices=RangePreset.choices, default=RangePreset.LAST_28
    )
    team = models.ForeignKey(
        "accounts.Team",
        verbose_name=_("team"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    network = models.CharField(_("network"), max_length=30, blank=True)
    channel = models.ForeignKey(
        "channels_registry.Channel",
        verbose_name=_("channel"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    campaign = models.ForeignKey(
        "publishing.Campaign",
        verbose_name=_("campaign"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )

    class Meta:
        indexes = [models.Index(fields=["organization", "name"], name="dashboard_org_name")]

    def __str__(self) -> str:
        return self.name


class Widget(TenantModel):
    dashboard = models.ForeignKey(Dashboard, on_delete=models.CASCADE, related_name="widgets")
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    title = models.CharField(_("title"), max_length=100, blank=True)
    metric = models.CharField(_("metric"), max_length=30, blank=True)
    breakdown = models.CharField(
        _("breakdown"), max_length=20, choices=Breakdown.choices, blank=True
    )
    options = models.JSONField(_("options"), default=dict, blank=True)
    position = models.PositiveIntegerField(_("position"), default=0)
    width = models.PositiveSmallIntegerField(
        _("width"), choices=[(w, str(w)) for w in WIDTHS], default=6
    )
    height = models.PositiveSmallIntegerField(
        _("height"),
        default=2,
        validators=[MinValueValidator(HEIGHTS[0]), MaxValueValidator(HEIGHTS[-1])],
    )
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["position", "id"]
        indexes = [
            models.Index(
                fields=["organization", "dashboard", "position"], name="widget_org_dash_pos"
            )
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(width__in=list(WIDTHS)), name="widget_width_allowed"
            ),
            models.CheckConstraint(
                condition=models.Q(height__gte=HEIGHTS[0], height__lte=HEIGHTS[-1]),
                name="widget_height_allowed",
            ),
        ]

    def __str__(self) -> str:
        return self.title or self.get_kind_display()
