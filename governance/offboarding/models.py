"""An offboarding's proof: the report of every item and its outcome, and the follow-up tasks."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone as dj_timezone
from django.utils.translation import gettext_lazy as _

from socialops.tenancy_models import TenantModel


class OffboardingReport(TenantModel):
    """One run of offboarding: who left, who ran it, how, and every item with its outcome.

    ``items`` is a list of ``{"kind", "label", "detail", "goes_to", "outcome"}`` as they were when
    the run committed (names, not ids that may later dangle): the report is evidence and never changes.
    """

    class Via(models.TextChoices):
        WEB = "web", _("Web")
        API = "api", _("API")
        SCIM = "scim", _("SCIM / identity provider")

    membership = models.ForeignKey(
        "accounts.Membership", on_delete=models.CASCADE, related_name="+"
    )
    person_label = models.CharField(_("person"), max_length=300)
    run_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    run_by_label = models.CharField(max_length=300, blank=True)
    via = models.CharField(_("via"), max_length=10, choices=Via.choices, default=Via.WEB)
    created_at = models.DateTimeField(default=dj_timezone.now)
    items = models.JSONField(default=list)
    counts = models.JSONField(default=dict)

    class Meta:
        ordering = ["-created_at", "-pk"]
        indexes = [
            models.Index(fields=["organization", "-created_at"], name="offboarding_org_created"),
            models.Index(fields=["organization", "membership"], name="offboarding_org_member"),
        ]

    def __str__(self) -> str:
        return f"Offboarding of {self.person_label}"


class FollowUpTask(TenantModel):
    """Something the product cannot undo through a network's API (a role on a Facebook Page given
    outside the product): a person does it at the link and ticks it done."""

    report = models.ForeignKey(OffboardingReport, on_delete=models.CASCADE, related_name="tasks")
    channel = models.ForeignKey(
        "channels_registry.Channel",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    title = models.CharField(_("task"), max_length=300)
    url = models.URLField(_("link"), max_length=1000, blank=True)
    done_at = models.DateTimeField(null=True, blank=True)
    done_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["report", "pk"]
        indexes = [models.Index(fields=["organization", "report"], name="followup_org_report")]

    def __str__(self) -> str:
        return self.title

    @property
    def is_done(self) -> bool:
        return self.done_at is not None
